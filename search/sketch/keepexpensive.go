package sketch

import (
	"github.com/tabtune/tabtune/compiler/expr"
)

// keepExpensive keeps an element-wise stage that calls a costly function
// (exp, log, tanh, sigmoid, pow: a polynomial of tens of operations per
// element on wasm) and that several stages read: inlined, it would be
// computed once per reader (softmax's exps, read by the row sum and by
// the division, computed twice). Kept, it is computed once, and sampling
// chooses where (its own loops, or at a consumer's loop). It runs before
// alwaysInline on CPU targets and skips it; on GPU, recomputing is cheap
// beside a trip through memory, and Ansor inlines.
type keepExpensive struct{}

func (keepExpensive) Name() string { return "keep_expensive" }

func (keepExpensive) Meets(p *Policy, s *Sketch, i int) Condition {
	st := s.State
	if p.Target.IsGPU() || !isCompute(st, i) || !untouched(st, i) || st.Stages[i].Op.Reduce != nil ||
		st.IsOutput(i) || len(st.Consumers(i)) < 2 || !callsCostly(st.Stages[i].Op.Value()) {
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
