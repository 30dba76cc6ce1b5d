package sketch

import (
	"github.com/tabtune/tabtune/compiler/expr"
	"github.com/tabtune/tabtune/compiler/schedule"
	"github.com/tabtune/tabtune/compiler/te"
)

// keepExpensive keeps an element-wise stage that calls a costly function
// (exp, log, tanh, sigmoid, pow: a polynomial of tens of operations per
// element on wasm) and that several stages read: inlined, it would be
// computed once per reader (softmax's exps, read by the row sum and by
// the division, computed twice). Kept, it is computed once, and sampling
// chooses where (its own loops, or at a consumer's loop). It runs before
// alwaysInline on CPU targets and skips it; on GPU, recomputing is cheap
// beside a trip through memory, and Ansor inlines.
//
// It also keeps a stage that divides (or calls a function, sqrt included)
// and that a reader broadcasts (broadcastDivide): softmax's 1/sum and
// layer normalization's 1/sqrt(variance + eps), one per row, read for
// every column. Inlined, the division would come back once per element.
type keepExpensive struct{}

func (keepExpensive) Name() string { return "keep_expensive" }

func (keepExpensive) Meets(p *Policy, s *Sketch, i int) Condition {
	st := s.State
	if p.Target.IsGPU() || !isCompute(st, i) || !untouched(st, i) || st.Stages[i].Op.Reduce != nil ||
		st.IsOutput(i) || !(len(st.Consumers(i)) >= 2 && callsCostly(st.Stages[i].Op.Value()) || broadcastDivide(st, i)) {
		return Pass
	}
	return ApplyAndSkipRest
}

func (keepExpensive) Apply(_ *Policy, s *Sketch, i int) ([]Derived, error) {
	return []Derived{{Sketch: s, Next: i - 1}}, nil
}

// callsCostly reports whether e calls an intrinsic that is a function of
// its own on wasm (not sqrt or abs, single instructions).
func callsCostly(e expr.Expr) bool {
	found := false
	expr.Walk(e, func(x expr.Expr) bool {
		if c, ok := x.(*expr.Call); ok && c.Fn != expr.Sqrt && c.Fn != expr.Abs {
			found = true
		}
		return !found
	})
	return found
}

// broadcastDivide reports whether element-wise stage i divides floats or
// calls a function other than abs, and some stage reads it at indices
// that leave out one of that stage's own axes (of extent > 1), so that
// each of its elements is read many times.
func broadcastDivide(st *schedule.State, i int) bool {
	op := st.Stages[i].Op
	if op.Reduce != nil || !divides(op.Value()) {
		return false
	}
	for _, c := range st.Consumers(i) {
		cop := st.Stages[c].Op
		axes := cop.Axes
		if cop.Reduce != nil {
			axes = append(append([]te.Axis(nil), axes...), cop.Reduce.Axes...)
		}
		for _, ld := range cop.Reads() {
			if ld.Src != op {
				continue
			}
			used := indexVars(ld)
			for _, a := range axes {
				if a.Extent > 1 && !used[a.Var] {
					return true
				}
			}
		}
	}
	return false
}

// divides reports whether e divides floats or calls a function other than
// abs.
func divides(e expr.Expr) bool {
	found := false
	expr.Walk(e, func(x expr.Expr) bool {
		switch n := x.(type) {
		case *expr.Binary:
			found = found || n.Op == expr.Div && n.A.Type() == expr.Float
		case *expr.Call:
			found = found || n.Fn != expr.Abs
		}
		return !found
	})
	return found
}
