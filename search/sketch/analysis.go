package sketch

import (
	"github.com/tabtune/tabtune/compiler/expr"
	"github.com/tabtune/tabtune/compiler/schedule"
)

// isCompute reports whether a stage has loops of its own to schedule.
func isCompute(st *schedule.State, i int) bool {
	s := st.Stages[i]
	return !s.IsInput() && s.Attach.Kind != schedule.AttachInline
}

// untouched reports whether a stage has no steps applied to it yet.
func untouched(st *schedule.State, i int) bool {
	s := st.Stages[i]
	return !s.Transformed() && s.Attach.Kind == schedule.AttachRoot
}

// hasReuse reports whether a reduction stage reads some element more than
// once across its spatial loops: some read does not use every spatial
// axis (matmul's A[i, k] misses j). Such stages gain from multi-level
// tiling (Ansor's NeedsMultiLevelTiling).
func hasReuse(st *schedule.State, i int) bool {
	op := st.Stages[i].Op
	if op.Reduce == nil || len(op.Axes) == 0 {
		return false
	}
	for _, ld := range op.Reads() {
		used := indexVars(ld)
		for _, a := range op.Axes {
			if a.Extent > 1 && !used[a.Var] {
				return true
			}
		}
	}
	return false
}

// slidesWindow reports whether a reduction stage reads a window that
// slides with its output: some index of a read combines a spatial axis and
// a reduction axis (pooling's x*2 + rx, of extent > 1 both). Such a stage
// has no reuse as hasReuse counts it, but as written its innermost loops
// are the short window, which does not vectorize; tiled, the window moves
// out of the innermost spatial tile, which vectorizes along the output.
func slidesWindow(st *schedule.State, i int) bool {
	op := st.Stages[i].Op
	if op.Reduce == nil || len(op.Axes) == 0 {
		return false
	}
	spatial, reduce := map[*expr.Var]bool{}, map[*expr.Var]bool{}
	for _, a := range op.Axes {
		spatial[a.Var] = a.Extent > 1
	}
	for _, a := range op.Reduce.Axes {
		reduce[a.Var] = a.Extent > 1
	}
	for _, ld := range op.Reads() {
		for _, ix := range ld.Index {
			s, r := false, false
			expr.Walk(ix, func(e expr.Expr) bool {
				if v, ok := e.(*expr.Var); ok {
					s, r = s || spatial[v], r || reduce[v]
				}
				return true
			})
			if s && r {
				return true
			}
		}
	}
	return false
}

// needsTiling reports whether multi-level tiling applies to a stage: it
// has reuse, or, on CPU targets, it reduces a sliding window (on GPU one
// thread per output already runs the window, as Ansor does).
func needsTiling(p *Policy, st *schedule.State, i int) bool {
	return hasReuse(st, i) || !p.Target.IsGPU() && slidesWindow(st, i)
}

// indexVars returns the variables the indices of a read use.
func indexVars(ld *expr.Load) map[*expr.Var]bool {
	used := map[*expr.Var]bool{}
	for _, ix := range ld.Index {
		expr.Walk(ix, func(e expr.Expr) bool {
			if v, ok := e.(*expr.Var); ok {
				used[v] = true
			}
			return true
		})
	}
	return used
}

// fusibleConsumer returns the consumer into which stage i can be fused as
// a tile: its only consumer, element-wise, of the same shape, reading
// stage i at exactly its own axes. -1 when there is none.
func fusibleConsumer(st *schedule.State, i int) int {
	cons := st.Consumers(i)
	if len(cons) != 1 {
		return -1
	}
	c := cons[0]
	cs := st.Stages[c]
	if cs.Op.Reduce != nil || !untouched(st, c) || len(cs.Op.Axes) != len(st.Stages[i].Op.Axes) {
		return -1
	}
	ok := false
	for _, ld := range cs.Op.Reads() {
		if ld.Src != expr.Source(st.Stages[i].Tensor) {
			continue
		}
		for d, ix := range ld.Index {
			if ix != expr.Expr(cs.Op.Axes[d].Var) || cs.Op.Axes[d].Extent != st.Stages[i].Op.Axes[d].Extent {
				return -1
			}
		}
		ok = true
	}
	if !ok {
		return -1
	}
	return c
}

// hasPadding reports whether a stage reads inside the branches of a
// select: a padding or boundary stage. Inlining it into a reduction puts a
// condition in the inner loop, which keeps it from vectorizing.
func hasPadding(st *schedule.State, i int) bool {
	found := false
	expr.Walk(st.Stages[i].Op.Value(), func(e expr.Expr) bool {
		if s, ok := e.(*expr.Select); ok {
			expr.Walk(s.T, func(x expr.Expr) bool {
				if _, isLoad := x.(*expr.Load); isLoad {
					found = true
				}
				return !found
			})
		}
		return !found
	})
	return found
}

func product(st *schedule.State, i int, kind schedule.IterKind) int64 {
	s := st.Stages[i]
	p := int64(1)
	for n := range s.Iters {
		if s.Iter(n).Kind == kind {
			p *= s.Iter(n).Extent
		}
	}
	return p
}
