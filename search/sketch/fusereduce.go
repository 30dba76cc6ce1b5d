package sketch

import (
	"slices"

	"github.com/tabtune/tabtune/compiler/expr"
	"github.com/tabtune/tabtune/compiler/ir"
	"github.com/tabtune/tabtune/compiler/schedule"
	"github.com/tabtune/tabtune/compiler/te"
)

// fuseContiguousReduction derives, for a reduction whose axes together
// run over contiguous elements of everything it reads (a global pool:
// sum(data[n, c, ry, rx], ry:7, rx:7) over an NCHW input reads 49
// consecutive floats per output) and that multi-level tiling leaves alone,
// the sketch with its reduction loops fused into one: vectorized (a
// knob), that one loop is a vectorized reduction, with vector accumulators
// and one horizontal sum per output, where the innermost reduction loop
// alone is too short (7 floats: a vector and a scalar tail). The stage is
// computed inside its element-wise consumer, if it has one, per element.
// The sketch replaces the one that would leave the stage as it is
// (skip_stage): vectorized or not, its fused loop does what the nested
// ones did, and a search that measures a few configs of a small space
// (12 for a global pool) need not find the vectorized one among twice as
// many. Rfactor's sketches (add_rfactor, listed before) stay.
type fuseContiguousReduction struct{}

func (fuseContiguousReduction) Name() string { return "fuse_contiguous_reduction" }

func (fuseContiguousReduction) Meets(p *Policy, s *Sketch, i int) Condition {
	st := s.State
	if p.Target.IsGPU() || !isCompute(st, i) || !untouched(st, i) || needsTiling(p, st, i) || !contiguousReduction(st, i) {
		return Pass
	}
	return ApplyAndSkipRest
}

func (fuseContiguousReduction) Apply(_ *Policy, s *Sketch, i int) ([]Derived, error) {
	e := newEdit(s)
	e.fuseReductions(i)
	if c := fusibleConsumer(e.s.State, i); c >= 0 {
		e.apply(schedule.ComputeAt{Stage: i, Target: c, TargetIter: len(e.s.State.Stages[c].Iters) - 1})
	}
	if e.err != nil {
		return nil, e.err
	}
	return []Derived{{Sketch: e.s, Next: i - 1}}, nil
}

// contiguousReduction reports whether stage i reduces over two axes or
// more that every read it makes walks with unit stride when fused, the
// last fastest: in the row-major layout of the tensor read, the last
// reduction axis moves by one element and each other by the product of the
// extents after it.
func contiguousReduction(st *schedule.State, i int) bool {
	op := st.Stages[i].Op
	if op.Reduce == nil || len(op.Reduce.Axes) < 2 {
		return false
	}
	reads := 0
	for _, ld := range op.Reads() {
		src := sourceStage(st, ld.Src)
		if src < 0 {
			return false
		}
		strides := ir.RowMajorStrides(st.Stages[src].Tensor.Shape)
		var flat expr.Expr = expr.Const(0)
		for d, ix := range ld.Index {
			flat = expr.AddE(flat, expr.MulE(ix, expr.Const(strides[d])))
		}
		if !slices.ContainsFunc(op.Reduce.Axes, func(a te.Axis) bool { return uses(flat, a.Var) }) {
			continue // read once per output
		}
		want := int64(1)
		for k := len(op.Reduce.Axes) - 1; k >= 0; k-- {
			a := op.Reduce.Axes[k]
			if step, ok := schedule.ConstStep(flat, a.Var); !ok || step != want {
				return false
			}
			want *= a.Extent
		}
		reads++
	}
	return reads > 0
}
