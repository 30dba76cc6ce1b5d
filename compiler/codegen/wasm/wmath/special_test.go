package wmath

import (
	"math"
	"testing"
)

var (
	inf  = float32(math.Inf(1))
	ninf = float32(math.Inf(-1))
	nan  = float32(math.NaN())
	nz   = float32(math.Copysign(0, -1))
	den  = math.Float32frombits(1)          // smallest subnormal
	bigD = math.Float32frombits(0x007fffff) // largest subnormal
)

func TestUnarySpecials(t *testing.T) {
	for _, c := range []struct {
		name    string
		f       func(float32) float32
		x, want float32
	}{
		{"exp", Exp, 0, 1},
		{"exp", Exp, nz, 1},
		{"exp", Exp, den, 1},
		{"exp", Exp, -den, 1},
		{"exp", Exp, inf, inf},
		{"exp", Exp, ninf, 0},
		{"exp", Exp, nan, nan},
		{"exp", Exp, 88.7228317, 3.4027985e38}, // largest x with a finite result
		{"exp", Exp, 88.7228394, inf},
		{"exp", Exp, 89, inf},
		{"exp", Exp, 1000, inf},
		{"exp", Exp, -86.9899673, 0x1.6a0a4p-126}, // smallest x with a nonzero result, 2^-125.5
		{"exp", Exp, -86.989975, 0},               // the next one down: flushed
		{"exp", Exp, -87.33655, 0},                // a subnormal result: flushed
		{"exp", Exp, -87.336544, 0},               // a normal result under 2^-125.5: flushed
		{"exp", Exp, -103.972076, 0},              // flushed (was the smallest subnormal)
		{"exp", Exp, -1000, 0},
		{"log", Log, 0, ninf},
		{"log", Log, nz, ninf},
		{"log", Log, 1, 0},
		{"log", Log, -1, nan},
		{"log", Log, -den, nan},
		{"log", Log, inf, inf},
		{"log", Log, ninf, nan},
		{"log", Log, nan, nan},
		{"log", Log, den, -103.27893},
		{"log", Log, math.MaxFloat32, 88.72284},
		{"tanh", Tanh, 0, 0},
		{"tanh", Tanh, nz, nz},
		{"tanh", Tanh, den, den},
		{"tanh", Tanh, -bigD, -bigD},
		{"tanh", Tanh, inf, 1},
		{"tanh", Tanh, ninf, -1},
		{"tanh", Tanh, 20, 1},
		{"tanh", Tanh, -1e30, -1},
		{"tanh", Tanh, nan, nan},
		{"sigmoid", Sigmoid, 0, 0.5},
		{"sigmoid", Sigmoid, nz, 0.5},
		{"sigmoid", Sigmoid, inf, 1},
		{"sigmoid", Sigmoid, ninf, 0},
		{"sigmoid", Sigmoid, 100, 1},
		{"sigmoid", Sigmoid, -86.5, 2.71348416e-38},
		{"sigmoid", Sigmoid, -87.5, 0}, // exp(-87.5) is flushed
		{"sigmoid", Sigmoid, -100, 0},  // exp(-100) is flushed
		{"sigmoid", Sigmoid, -104, 0},
		{"sigmoid", Sigmoid, nan, nan},
	} {
		if got := c.f(c.x); !sameBits(got, c.want) {
			t.Errorf("%s(%g) = %g [%#x], want %g [%#x]", c.name, c.x, got, math.Float32bits(got), c.want, math.Float32bits(c.want))
		}
	}
}

var powSpecials = []float32{
	0, nz, 1, -1, 0.5, -0.5, 2, -2, 3, -3, 1.5, -1.5, 0.25, 10, -7, 1e-10, -1e10,
	0x1p24, -0x1p24, 0x1p24 + 2, 0x1p23 + 1, -(0x1p23 + 1), 16777215,
	inf, ninf, nan, den, -den, bigD, math.MaxFloat32, -math.MaxFloat32,
	0.99999994, 1.0000001, -0.99999994,
}

// TestPowSpecials compares every pair of special values with math.Pow:
// the same result exactly where math.Pow's is 0, ±Inf, NaN, ±1 or an
// exact power, else within 1 ulp.
func TestPowSpecials(t *testing.T) {
	for _, x := range powSpecials {
		for _, y := range powSpecials {
			got := Pow(x, y)
			want := float32(math.Pow(float64(x), float64(y)))
			e := ulpErr(got, want)
			exact := want == 0 || math.IsInf(float64(want), 0) || want != want ||
				math.Abs(float64(want)) == 1
			if (exact && !sameBits(got, want)) || e > 1 ||
				(want == want && math.Signbit(float64(got)) != math.Signbit(float64(want))) {
				t.Errorf("Pow(%g, %g) = %g [%#x], want %g [%#x]", x, y, got, math.Float32bits(got), want, math.Float32bits(want))
			}
		}
	}
	// Pow(x, 1) = x, for a spread of x.
	xs := unaryInputs()
	for i := 0; i < len(xs); i += 7 {
		x := xs[i]
		if got := Pow(x, 1); !sameBits(got, x) {
			t.Errorf("Pow(%g, 1) = %g", x, got)
		}
	}
}
