package sketch

import (
	"github.com/tabtune/tabtune/compiler/expr"
	"github.com/tabtune/tabtune/compiler/ir"
	"github.com/tabtune/tabtune/compiler/schedule"
)

// addCacheRead stages a tensor in shared memory for the multi-level tiled
// stage that reads it (Ansor's RuleAddCacheRead, GPU only): a copy
// T.shared, computed inside the reader at the last loop of its outermost
// reduction tile, so that per step of the outer reduction a block loads
// the tiles of the inputs its threads share, once. Sampling binds the
// copy's loops to the block's threads (cooperative fetching). The stage
// itself is visited again, now read by the copy only: the rules after
// this one decide it (a padding stage is inlined into the copy).
type addCacheRead struct{}

func (addCacheRead) Name() string { return "add_cache_read" }

func (addCacheRead) Meets(_ *Policy, s *Sketch, i int) Condition {
	if sharedReader(s.State, i) < 0 {
		return Pass
	}
	return ApplyAndSkipRest
}

func (addCacheRead) Apply(_ *Policy, s *Sketch, i int) ([]Derived, error) {
	e := newEdit(s)
	c := sharedReader(s.State, i)
	e.apply(schedule.CacheRead{Stage: i, Scope: ir.Shared, Readers: []int{c}})
	// The copy is stage i+1; the reader, after i, moved up one.
	c++
	e.apply(schedule.ComputeAt{Stage: i + 1, Target: c, TargetIter: outerReduceTile(e.s.State.Stages[c])})
	if e.err != nil {
		return nil, e.err
	}
	return []Derived{{Sketch: e.s, Next: i}}, nil
}

// sharedReader returns the stage for which stage i is staged in shared
// memory: its only consumer, which reads it directly, has data reuse, is
// multi-level tiled already (consumers are visited first) and is not a
// cross-thread reduction. -1 when there is none.
func sharedReader(st *schedule.State, i int) int {
	if st.Stages[i].Attach.Kind != schedule.AttachRoot {
		return -1
	}
	cons := st.Consumers(i)
	if len(cons) != 1 {
		return -1
	}
	c := cons[0]
	cs := st.Stages[c]
	if !hasReuse(st, c) || !cs.Transformed() || CrossThread(st, c) {
		return -1
	}
	for _, ld := range cs.Op.Reads() {
		if ld.Src == expr.Source(st.Stages[i].Tensor) {
			return c
		}
	}
	return -1
}

// outerReduceTile returns the position of the last loop of a tiled
// stage's outermost reduction tile: the loop after which a step of the
// outer reduction has its inputs' tiles at hand (Ansor's
// GetLastReduceIteratorInOutermostReduceTile).
func outerReduceTile(s *schedule.Stage) int {
	want, seen := len(s.Op.ReduceAxes()), 0
	for n := range s.Iters {
		if s.Iter(n).Kind == schedule.Reduce {
			if seen++; seen == want {
				return n
			}
		}
	}
	return len(s.Iters) - 1
}
