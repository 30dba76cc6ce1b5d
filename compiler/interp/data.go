package interp

import (
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/tabtune/tabtune/compiler/expr"
	"github.com/tabtune/tabtune/compiler/te"
)

// Data is the memory of one tensor or buffer: F32 holds the elements of an
// f32 tensor and I32 those of an i32 tensor; the other field is nil.
type Data struct {
	F32 []float32
	I32 []int32
}

// PoisonI32 is the value that fills fresh i32 memory, as NaN fills f32
// memory: far outside any valid index.
const PoisonI32 = math.MinInt32

// NewData returns n zeroed elements of type t (expr.Float or expr.Int).
func NewData(t expr.Type, n int) Data {
	if t == expr.Int {
		return Data{I32: make([]int32, n)}
	}
	return Data{F32: make([]float32, n)}
}

// PoisonData returns n elements of type t filled with poison (NaN or
// PoisonI32).
func PoisonData(t expr.Type, n int) Data {
	d := NewData(t, n)
	d.Poison()
	return d
}

// Poison fills d with NaN (f32) or PoisonI32 (i32).
func (d Data) Poison() { d.PoisonWith(float32(math.NaN())) }

// PoisonWith fills d with v (f32) or PoisonI32 (i32).
func (d Data) PoisonWith(v float32) {
	for i := range d.F32 {
		d.F32[i] = v
	}
	for i := range d.I32 {
		d.I32[i] = PoisonI32
	}
}

// DType is expr.Int when d holds i32 elements, else expr.Float.
func (d Data) DType() expr.Type {
	if d.I32 != nil {
		return expr.Int
	}
	return expr.Float
}

// Len is the number of elements.
func (d Data) Len() int {
	if d.I32 != nil {
		return len(d.I32)
	}
	return len(d.F32)
}

// At returns element i as a float64.
func (d Data) At(i int) float64 {
	if d.I32 != nil {
		return float64(d.I32[i])
	}
	return float64(d.F32[i])
}

// Clone returns a copy of d that shares no memory with it.
func (d Data) Clone() Data {
	var c Data
	if d.F32 != nil {
		c.F32 = append([]float32{}, d.F32...)
	}
	if d.I32 != nil {
		c.I32 = append([]int32{}, d.I32...)
	}
	return c
}

// String prints the type and length.
func (d Data) String() string { return fmt.Sprintf("%s[%d]", d.DType(), d.Len()) }

// check reports whether d can be the memory of a buffer of type t with n
// elements.
func (d Data) check(what string, t expr.Type, n int64) error {
	switch {
	case d.F32 != nil && d.I32 != nil:
		return fmt.Errorf("%s: data holds both f32 and i32 elements", what)
	case t != expr.Float && t != expr.Int:
		return fmt.Errorf("%s: elements of type %s are not supported", what, t)
	case d.DType() != t:
		return fmt.Errorf("%s: data is %s, the buffer is %s", what, d.DType(), t)
	case int64(d.Len()) != n:
		return fmt.Errorf("%s: data has %d elements, the buffer holds %d", what, d.Len(), n)
	}
	return nil
}

// RandomInputs returns deterministic random data for the inputs of d, in
// d.Inputs order: the same seed gives the same data, and each input draws
// from its own stream (seeded by seed and its position). f32 elements are
// uniform in [-1, 1). i32 elements are uniform in [0, n), where n is the
// smallest dimension size that the input indexes directly (an element of it
// used as a whole index expression, T[..., X[...], ...], of some tensor T
// in any stage), or 2 when it never does: i32 inputs are mostly index
// tensors, and an index whose value is computed some other way (X[i] + 1)
// cannot be kept valid without knowing the program's intent. It allocates
// the inputs: check their sizes first (Options.CheckSizes, te.CheckBytes).
func RandomInputs(d *te.DAG, seed int64) []Data {
	bound := indexBounds(d)
	out := make([]Data, len(d.Inputs))
	for i, t := range d.Inputs {
		rng := rand.New(rand.NewPCG(uint64(seed), 0x9e3779b97f4a7c15+uint64(i)))
		n := int(t.Size())
		if t.DType == expr.Int {
			hi, ok := bound[t]
			if !ok {
				hi = 2
			}
			v := make([]int32, n)
			for j := range v {
				v[j] = int32(rng.Int64N(hi))
			}
			out[i] = Data{I32: v}
			continue
		}
		v := make([]float32, n)
		for j := range v {
			v[j] = rng.Float32()*2 - 1
		}
		out[i] = Data{F32: v}
	}
	return out
}

// indexBounds finds, for each i32 input used directly as an index, the
// smallest dimension it indexes.
func indexBounds(d *te.DAG) map[*te.Tensor]int64 {
	bound := map[*te.Tensor]int64{}
	visit := func(e expr.Expr) bool {
		l, ok := e.(*expr.Load)
		if !ok {
			return true
		}
		src, ok := l.Src.(*te.Tensor)
		if !ok {
			return true
		}
		for dim, ix := range l.Index {
			il, ok := ix.(*expr.Load)
			if !ok || dim >= len(src.Shape) {
				continue
			}
			x, ok := il.Src.(*te.Tensor)
			if !ok || !x.IsInput() || x.DType != expr.Int {
				continue
			}
			n := src.Shape[dim]
			if b, seen := bound[x]; !seen || n < b {
				bound[x] = n
			}
		}
		return true
	}
	for _, t := range d.Tensors {
		if t.IsInput() {
			continue
		}
		expr.Walk(t.Value(), visit)
		if t.Reduce != nil && t.Reduce.Init != nil {
			expr.Walk(t.Reduce.Init, visit)
		}
	}
	return bound
}
