package expr

import "math"

func negInf() float64 { return math.Inf(-1) }
