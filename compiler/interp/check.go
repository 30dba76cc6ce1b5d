package interp

import (
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/tabtune/tabtune/compiler/expr"
	"github.com/tabtune/tabtune/compiler/ir"
	"github.com/tabtune/tabtune/compiler/te"
)

// Check tests a lowered function against its DAG with the default options;
// see Options.Check.
func Check(f *ir.Func, d *te.DAG, seed int64) (Diff, error) { return Options{}.Check(f, d, seed) }

// Check tests that f computes what d means: it makes RandomInputs(d, seed),
// evaluates d with Eval, runs f on the same inputs with its outputs filled
// with poison (PoisonFor(d), unless o.Poison says otherwise; PoisonI32 for
// i32), so unwritten elements show, and
// compares f's outputs with Eval's (Compare, default tolerance). f's
// parameters must match d's inputs then outputs in order, shape and type;
// a parameter with strides gets its data laid out by them. The error
// reports a mismatched signature, a failing Eval (the DAG itself reads out
// of bounds) or a failing Run; the Diff reports the numbers.
func (o Options) Check(f *ir.Func, d *te.DAG, seed int64) (diff Diff, err error) {
	defer recoverError(&err)
	if f == nil || d == nil {
		return Diff{}, fmt.Errorf("interp: Check needs a function and a DAG")
	}
	tensors := append(append([]*te.Tensor{}, d.Inputs...), d.Outputs...)
	if len(f.Params) != len(tensors) || f.Outputs != len(d.Outputs) {
		return Diff{}, fmt.Errorf("interp: %s has %d parameters (%d outputs); the DAG has %d inputs and %d outputs",
			f.Name, len(f.Params), f.Outputs, len(d.Inputs), len(d.Outputs))
	}
	for i, t := range tensors {
		if err := sameSignature(f.Params[i], t); err != nil {
			return Diff{}, fmt.Errorf("interp: %s: parameter %d: %w", f.Name, i, err)
		}
	}
	if o.Poison == 0 {
		o.Poison = math.Float32bits(PoisonFor(d))
	}
	if err := o.CheckSizes(d); err != nil {
		return Diff{}, err
	}
	if err := o.checkParams(f); err != nil {
		return Diff{}, err
	}
	inputs := RandomInputs(d, seed)
	want, err := o.Eval(d, inputs)
	if err != nil {
		return Diff{}, fmt.Errorf("reference evaluation: %w", err)
	}
	args := make([]Data, len(f.Params))
	for i, p := range f.Params {
		args[i] = NewData(p.DType, int(p.Elems()))
		args[i].PoisonWith(o.poison())
		if i < len(inputs) {
			scatter(inputs[i], args[i], p)
		}
	}
	if err := o.Run(f, args); err != nil {
		return Diff{}, err
	}
	got := make([]Data, len(d.Outputs))
	for i, t := range d.Outputs {
		p := f.Params[len(inputs)+i]
		got[i] = PoisonData(t.DType, int(t.Size()))
		gather(args[len(inputs)+i], got[i], p)
	}
	diff = Compare(got, want)
	if !diff.OK && diff.Problem == "" {
		diff.Where = position(d.Outputs[diff.Tensor], diff.Index)
	}
	return diff, nil
}

func sameSignature(p *ir.Buffer, t *te.Tensor) error {
	if p == nil {
		return fmt.Errorf("nil buffer for %s", t.Name)
	}
	if p.DType != t.DType {
		return fmt.Errorf("%s is %s; tensor %s is %s", p.Name, p.DType, t.Name, t.DType)
	}
	if len(p.Shape) != len(t.Shape) {
		return fmt.Errorf("%s has shape %v; tensor %s has shape %v", p.Name, p.Shape, t.Name, t.Shape)
	}
	for i := range p.Shape {
		if p.Shape[i] != t.Shape[i] {
			return fmt.Errorf("%s has shape %v; tensor %s has shape %v", p.Name, p.Shape, t.Name, t.Shape)
		}
	}
	if p.Strides != nil && len(p.Strides) != len(p.Shape) {
		return fmt.Errorf("%s has %d strides for %d dimensions", p.Name, len(p.Strides), len(p.Shape))
	}
	return nil
}

// forEach calls f with the row-major position and the strided offset of
// every element of a buffer.
func forEach(p *ir.Buffer, f func(dense, off int)) {
	st := p.EffectiveStrides()
	idx := make([]int64, len(p.Shape))
	total := 1
	for _, n := range p.Shape {
		total *= int(n)
	}
	for dense := 0; dense < total; dense++ {
		off := int64(0)
		for d := range idx {
			off += idx[d] * st[d]
		}
		f(dense, int(off))
		for d := len(idx) - 1; d >= 0; d-- {
			idx[d]++
			if idx[d] < p.Shape[d] {
				break
			}
			idx[d] = 0
		}
	}
}

// scatter copies dense row-major data into p's layout.
func scatter(src, dst Data, p *ir.Buffer) {
	forEach(p, func(dense, off int) {
		if src.F32 != nil {
			dst.F32[off] = src.F32[dense]
		} else {
			dst.I32[off] = src.I32[dense]
		}
	})
}

// gather copies data in p's layout into dense row-major order.
func gather(src, dst Data, p *ir.Buffer) {
	forEach(p, func(dense, off int) {
		if src.F32 != nil {
			dst.F32[dense] = src.F32[off]
		} else {
			dst.I32[dense] = src.I32[off]
		}
	})
}

// position prints flat element i of t as t[i0, i1, ...].
func position(t *te.Tensor, i int) string {
	idx := make([]string, len(t.Shape))
	for d := len(t.Shape) - 1; d >= 0; d-- {
		idx[d] = strconv.Itoa(i % int(t.Shape[d]))
		i /= int(t.Shape[d])
	}
	return t.Name + "[" + strings.Join(idx, ", ") + "]"
}

// PoisonFor is the f32 poison that shows an element a schedule of d never
// wrote. NaN shows through sums, products and calls, but max(a, b) =
// a < b ? b : a drops a NaN b (min likewise), so a max that reads an
// unwritten value among its operands would still agree with the
// reference. A program that takes maxima (max_over, or max in a body) and
// no minima is poisoned with +Inf, which every max keeps and a sum shows;
// one with minima and no maxima with -Inf; any other with NaN.
func PoisonFor(d *te.DAG) float32 {
	var hasMax, hasMin bool
	see := func(e expr.Expr) {
		expr.Walk(e, func(e expr.Expr) bool {
			if b, ok := e.(*expr.Binary); ok {
				hasMax = hasMax || b.Op == expr.Max
				hasMin = hasMin || b.Op == expr.Min
			}
			return true
		})
	}
	for _, t := range d.Tensors {
		see(t.Body)
		if r := t.Reduce; r != nil {
			see(r.Op.Combine(expr.F32(0), r.Body))
			see(r.Init)
		}
	}
	switch {
	case hasMax && !hasMin:
		return float32(math.Inf(1))
	case hasMin && !hasMax:
		return float32(math.Inf(-1))
	}
	return float32(math.NaN())
}
