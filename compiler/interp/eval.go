package interp

import (
	"errors"
	"fmt"
	"strings"

	"github.com/tabtune/tabtune/compiler/expr"
	"github.com/tabtune/tabtune/compiler/ir"
	"github.com/tabtune/tabtune/compiler/te"
)

// Eval evaluates d with the default options; see Options.Eval.
func Eval(d *te.DAG, inputs []Data) ([]Data, error) { return Options{}.Eval(d, inputs) }

// Eval evaluates d directly, with no schedule: inputs in d.Inputs order,
// one dense row-major Data per d.Outputs returned.
func (o Options) Eval(d *te.DAG, inputs []Data) ([]Data, error) {
	all, err := o.EvalAll(d, inputs)
	if err != nil {
		return nil, err
	}
	out := make([]Data, len(d.Outputs))
	for i, t := range d.Outputs {
		out[i] = all[d.Index(t)]
	}
	return out, nil
}

// EvalAll is Eval returning every tensor of the DAG, in d.Tensors order
// (inputs are the given Data, not copies): the intermediates help find the
// first stage where a lowered program goes wrong.
func (o Options) EvalAll(d *te.DAG, inputs []Data) (all []Data, err error) {
	defer recoverError(&err)
	if d == nil {
		return nil, errors.New("interp: nil DAG")
	}
	if len(inputs) != len(d.Inputs) {
		return nil, fmt.Errorf("interp: the DAG has %d inputs, got %d", len(d.Inputs), len(inputs))
	}
	if err := o.CheckSizes(d); err != nil {
		return nil, err
	}
	n := len(d.Tensors)
	fr := &frame{f32: make([][]float32, n), i32: make([][]int32, n), limit: o.limit()}
	all = make([]Data, n)
	for i, t := range d.Inputs {
		if err := inputs[i].check("interp: input "+t.Name, t.DType, t.Size()); err != nil {
			return nil, err
		}
		all[d.Index(t)] = inputs[i]
	}
	for i, t := range d.Tensors {
		if t.IsInput() {
			fr.f32[i], fr.i32[i] = all[i].F32, all[i].I32
			continue
		}
		run, nints, err := compileStage(d, i)
		if err != nil {
			return nil, fmt.Errorf("interp: stage %s: %w", t.Name, err)
		}
		all[i] = NewData(t.DType, int(t.Size()))
		fr.f32[i], fr.i32[i] = all[i].F32, all[i].I32
		if len(fr.ints) < max(nints, 1) { // slot 0 exists for dimIndex
			fr.ints = make([]int64, max(nints, 1))
		}
		run(fr)
		if fr.err != nil {
			return nil, fr.err
		}
	}
	return all, nil
}

// compileStage compiles the computation of every element of tensor i.
func compileStage(d *te.DAG, i int) (run func(*frame), nints int, err error) {
	t := d.Tensors[i]
	c := &compiler{vars: map[*expr.Var]int{}}
	c.resolve = func(s expr.Source) (*source, error) {
		u, ok := s.(*te.Tensor)
		if !ok {
			return nil, fmt.Errorf("reads %s (%T), which is not a tensor", s.SourceName(), s)
		}
		j := d.Index(u)
		if j < 0 || j >= i {
			return nil, fmt.Errorf("reads %s, which is not computed before it", u.Name)
		}
		return &source{name: u.Name, slot: j, dtype: u.DType, shape: u.Shape, strides: ir.RowMajorStrides(u.Shape)}, nil
	}
	if len(t.Axes) != len(t.Shape) {
		return nil, 0, fmt.Errorf("%d axes for %d dimensions", len(t.Axes), len(t.Shape))
	}
	self := &source{name: t.Name, slot: i, dtype: t.DType, shape: t.Shape, strides: ir.RowMajorStrides(t.Shape)}
	spatial := make([]int, len(t.Axes))
	index := make([]expr.Expr, len(t.Axes))
	for k, a := range t.Axes {
		if a.Var == nil {
			return nil, 0, fmt.Errorf("axis %d has no variable", k)
		}
		spatial[k], _ = c.bind(a.Var)
		index[k] = a.Var
	}
	text := func() string {
		var b strings.Builder
		te.FormatTensor(&b, t)
		return b.String()
	}
	c.at(text)
	// An element is written through the same checked store as Run's,
	// which counts a step.
	var point func(*frame)
	if t.Reduce == nil {
		point, err = c.storeFn(self, index, t.Body)
	} else {
		point, err = c.reduction(self, index, t.Reduce, text)
	}
	if err != nil {
		return nil, 0, err
	}
	return nest(spatial, extents(t.Axes), point), c.nints, nil
}

// reduction compiles one element of a reduction stage: the init at the
// spatial point, then the fold over the reduction axes in row-major order.
func (c *compiler) reduction(self *source, index []expr.Expr, r *te.Reduction, text func() string) (func(*frame), error) {
	var op expr.Op
	switch r.Op {
	case te.Sum:
		op = expr.Add
	case te.MaxReduce:
		op = expr.Max
	case te.MinReduce:
		op = expr.Min
	default:
		return nil, fmt.Errorf("unknown reduction %s", r.Op)
	}
	if self.dtype != expr.Float {
		return nil, fmt.Errorf("a reduction computes f32 values, not %s", self.dtype)
	}
	// The accumulator is a float32 local: acc = init, then for each point
	// of the reduction axes acc = Combine(acc, body), then one store.
	a, err := c.access(self, index, "store")
	if err != nil {
		return nil, err
	}
	off := a.off
	init, err := c.floatExpr(r.InitValue())
	if err != nil {
		return nil, fmt.Errorf("init: %w", err)
	}
	if len(r.Axes) == 0 {
		return nil, errors.New("a reduction without axes")
	}
	slots := make([]int, len(r.Axes))
	for k, a := range r.Axes {
		if a.Var == nil {
			return nil, fmt.Errorf("reduction axis %d has no variable", k)
		}
		slots[k], _ = c.bind(a.Var)
	}
	c.at(text)
	body, err := c.floatExpr(r.Body)
	if err != nil {
		return nil, err
	}
	slot := self.slot
	var acc float32
	fold := nest(slots, extents(r.Axes), func(fr *frame) {
		if fr.step() {
			acc = combineFloat(op, acc, body(fr))
		}
	})
	return func(fr *frame) {
		if !fr.step() {
			return
		}
		o := off(fr)
		acc = init(fr)
		if o < 0 || fr.err != nil {
			return
		}
		fold(fr)
		fr.f32[slot][o] = acc
	}, nil
}

func extents(axes []te.Axis) []int64 {
	n := make([]int64, len(axes))
	for i, a := range axes {
		n[i] = a.Extent
	}
	return n
}

// nest runs body for every point of the loops over slots (row-major: the
// last slot varies fastest), stopping at the first error.
func nest(slots []int, ext []int64, body func(*frame)) func(*frame) {
	run := body
	for k := len(slots) - 1; k >= 0; k-- {
		slot, n, inner := slots[k], ext[k], run
		run = func(fr *frame) {
			for v := int64(0); v < n; v++ {
				fr.ints[slot] = v
				inner(fr)
				if fr.err != nil {
					return
				}
			}
		}
	}
	return run
}
