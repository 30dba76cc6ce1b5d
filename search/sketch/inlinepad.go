package sketch

import (
	"github.com/tabtune/tabtune/compiler/expr"
	"github.com/tabtune/tabtune/compiler/schedule"
)

// inlinePadding derives, on CPU and wasm, a sketch with a padding stage
// inlined into its reader when that reader is a short strided window: a
// reduction of at most schedule.MaxExpand elements per output (a
// depthwise convolution, a pool) whose window slides at a stride above 1.
// Such a reader does few operations per input element (9 multiply-adds per
// output of a 3x3 depthwise conv, which reads 4 inputs per output at
// stride 2), so copying the input into a padded buffer first costs about
// as much as the window itself. Inlined, the padding is a select in the
// window; the partition pass splits the borders off, so the interior
// loads the input directly, and the vectorizer unswitches what selects
// remain at the borders (codegen.Vectorize). A window that separate_window
// can separate (a pool) is left to its sketches, which inline the padding
// already. The stage is also kept, as
// alwaysInline keeps padding stages: the rule adds a sketch to those of the
// rules after it.
type inlinePadding struct{}

func (inlinePadding) Name() string { return "inline_padding" }

func (inlinePadding) Meets(p *Policy, s *Sketch, i int) Condition {
	st := s.State
	if p.Target.IsGPU() || !isCompute(st, i) || !untouched(st, i) || st.Stages[i].Op.Reduce != nil ||
		st.IsOutput(i) || !hasPadding(st, i) || st.Stages[i].Order != nil {
		return Pass
	}
	cons := st.Consumers(i)
	if len(cons) != 1 || !shortStridedWindow(st, i, cons[0]) || len(separableAxes(st.Stages[cons[0]].Op)) > 0 {
		return Pass
	}
	return Apply
}

func (inlinePadding) Apply(p *Policy, s *Sketch, i int) ([]Derived, error) {
	return alwaysInline{}.Apply(p, s, i)
}

// shortStridedWindow reports whether stage c reduces at most
// schedule.MaxExpand elements per output, and reads stage i at an index
// that moves with a reduction axis and, at a stride above 1, with an
// output axis (x*2 + rx).
func shortStridedWindow(st *schedule.State, i, c int) bool {
	op := st.Stages[c].Op
	if op.Reduce == nil {
		return false
	}
	n := int64(1)
	reduce := map[*expr.Var]bool{}
	for _, a := range op.Reduce.Axes {
		n *= a.Extent
		reduce[a.Var] = a.Extent > 1
	}
	if n > schedule.MaxExpand {
		return false
	}
	for _, ld := range op.Reads() {
		if ld.Src != expr.Source(st.Stages[i].Tensor) {
			continue
		}
		for _, ix := range ld.Index {
			if !expr.Uses(ix, func(v *expr.Var) bool { return reduce[v] }) {
				continue
			}
			for _, a := range op.Axes {
				next := expr.Substitute(ix, map[*expr.Var]expr.Expr{a.Var: expr.AddE(a.Var, expr.Const(1))})
				if k, ok := expr.Simplify(expr.SubE(next, ix), nil).(*expr.IntImm); ok && a.Extent > 1 && (k.V > 1 || k.V < -1) {
					return true
				}
			}
		}
	}
	return false
}
