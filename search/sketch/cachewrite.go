package sketch

import (
	"strings"

	"github.com/tabtune/tabtune/compiler/ir"
	"github.com/tabtune/tabtune/compiler/schedule"
)

// addCacheWrite gives a stage that needs tiling and has no fusible consumer a
// local accumulator stage (Ansor's RuleAddCacheWrite): the original stage
// becomes an element-wise copy, into which the accumulator is then fused
// by multi-level tiling with fusion. The variant without the cache stays
// (the rules after this one apply too), except on GPU, where Ansor always
// keeps the tile's accumulator in registers.
type addCacheWrite struct{}

func (addCacheWrite) Name() string { return "add_cache_write" }

func (addCacheWrite) Meets(p *Policy, s *Sketch, i int) Condition {
	if isCompute(s.State, i) && untouched(s.State, i) && needsTiling(p, s.State, i) && fusibleConsumer(s.State, i) < 0 {
		if p.Target.IsGPU() {
			// On GPU the accumulator always lives in registers: no
			// variant without it.
			return ApplyAndSkipRest
		}
		return Apply
	}
	return Pass
}

func (addCacheWrite) Apply(_ *Policy, s *Sketch, i int) ([]Derived, error) {
	e := newEdit(s)
	e.apply(schedule.CacheWrite{Stage: i, Scope: ir.Local})
	if e.err != nil {
		return nil, e.err
	}
	// The accumulator is stage i now; the copy moved to i+1.
	return []Derived{{Sketch: e.s, Next: i}}, nil
}

// alwaysInline inlines element-wise stages that are not outputs (Ansor's
// RuleAlwaysInline), except padding-like stages that read inside select
// branches: inlined into a reduction they would put a condition in its
// inner loop; those keep their own loops, and sampling chooses where
// they are computed. Nor are packed copies (a stage with a storage
// order, pack.go) inlined: their layout is their purpose. On GPU every such stage is inlined, as Ansor does:
// a padding stage then lands in the shared-memory fetch that
// cache_read adds, not in the inner loop, and GPUs predicate cheaply.
type alwaysInline struct{}

func (alwaysInline) Name() string { return "always_inline" }

func (alwaysInline) Meets(p *Policy, s *Sketch, i int) Condition {
	st := s.State
	if !isCompute(st, i) || !untouched(st, i) || st.Stages[i].Op.Reduce != nil || st.IsOutput(i) || hasPadding(st, i) && !p.Target.IsGPU() || st.Stages[i].Order != nil {
		return Pass
	}
	return ApplyAndSkipRest
}

func (alwaysInline) Apply(_ *Policy, s *Sketch, i int) ([]Derived, error) {
	e := newEdit(s)
	e.apply(schedule.ComputeInline{Stage: i})
	if e.err != nil {
		return nil, e.err
	}
	return []Derived{{Sketch: e.s, Next: i - 1}}, nil
}

// addRfactor splits the reduction of a stage whose reduction is long and
// whose spatial extent is small (a norm, a row max of few rows) and
// rfactors it, so that the partial reductions form a spatial axis
// (Ansor's RuleAddRfactor). The rfactor stage and the final reduction
// are visited next.
type addRfactor struct{}

func (addRfactor) Name() string { return "add_rfactor" }

func (addRfactor) Meets(_ *Policy, s *Sketch, i int) Condition {
	st := s.State
	if !isCompute(st, i) || !untouched(st, i) || st.Stages[i].Op.Reduce == nil || strings.HasSuffix(st.Stages[i].Name(), ".rf") {
		return Pass
	}
	sp, red := product(st, i, schedule.Spatial), product(st, i, schedule.Reduce)
	if red >= 64 && sp < red && sp <= 256 {
		return Apply
	}
	return Pass
}

func (addRfactor) Apply(_ *Policy, s *Sketch, i int) ([]Derived, error) {
	e := newEdit(s)
	parts, _ := e.split(i, e.fuseReductions(i), 2)
	e.apply(schedule.Rfactor{Stage: i, Iter: e.iter(i, parts[1]), FactorIter: 0})
	if e.err != nil {
		return nil, e.err
	}
	// The rfactor stage is i now, the final reduction i+1: visit both.
	return []Derived{{Sketch: e.s, Next: i + 1}}, nil
}
