package sketch

import (
	"strings"

	"github.com/tabtune/tabtune/compiler/expr"
	"github.com/tabtune/tabtune/compiler/ir"
	"github.com/tabtune/tabtune/compiler/schedule"
)

// crossThreadReduction spreads a long reduction over the threads of a
// block (Ansor's RuleCrossThreadReduction, GPU only), for stages with
// little spatial work and a long reduction: a norm, a softmax's row sum,
// a layer norm's row statistics. The reduction loops are fused and split
// by a tile knob; the inner part is rfactored into a stage X.rf whose
// first axis (bound to threadIdx.x here) holds one partial result per
// thread, and X then reduces those partials. X.rf is computed inside X's
// last spatial loop, so that one block computes one output: its threads
// write their partials, and X combines them (a code generator emits that
// as a block all-reduce; lowering and the interpreter run the loops one
// after the other).
//
// Ansor binds the reduction loop itself to threadIdx.x and leaves the
// all-reduce to lowering; our schedules reject a thread binding on a
// reduction loop (it would race on the accumulator), so the partials are
// a spatial axis of their own, as in TVM's rfactor-based tutorial
// schedule.
//
// When X has a single element-wise consumer C that reads it at C's
// leading axes (softmax's division by the row sum), X is computed inside
// C's last common loop and C's innermost loop follows the same split
// with its inner part bound to threadIdx.x: one kernel computes the
// reduction and its consumer, with the same threads. Like Ansor's rule,
// this one applies and lets the rules after it apply too (the plain
// reduction stays a candidate).
type crossThreadReduction struct{}

func (crossThreadReduction) Name() string { return "cross_thread_reduction" }

func (crossThreadReduction) Meets(p *Policy, s *Sketch, i int) Condition {
	if needsCrossThread(p, s.State, i) {
		return Apply
	}
	return Pass
}

func (crossThreadReduction) Apply(_ *Policy, s *Sketch, i int) ([]Derived, error) {
	c, common := threadedConsumer(s.State, i)
	e := newEdit(s)
	parts, step := e.split(i, e.fuseReductions(i), 2)
	e.apply(schedule.Rfactor{Stage: i, Iter: e.iter(i, parts[1]), FactorIter: 0})
	if e.err != nil {
		return nil, e.err
	}
	// The partials are stage i now (their axis first), the final
	// reduction i+1, and a consumer after them moved up one.
	rf, final := i, i+1
	e.apply(schedule.Annotate{Stage: rf, Iter: 0, Ann: schedule.AnnThreadX})
	if n := len(e.s.State.Stages[final].Op.Axes); n > 0 {
		e.apply(schedule.ComputeAt{Stage: rf, Target: final, TargetIter: n - 1})
	}
	if c >= 0 {
		c++
		last := len(e.s.State.Stages[c].Iters) - 1
		name := e.s.State.Stages[c].Iter(last).Name
		e.apply(schedule.FollowSplit{Stage: c, Iter: last, SrcStep: step, NSplit: 1})
		e.apply(schedule.Annotate{Stage: c, Iter: e.iter(c, name+".1"), Ann: schedule.AnnThreadX})
		e.apply(schedule.ComputeAt{Stage: final, Target: c, TargetIter: common - 1})
	}
	if e.err != nil {
		return nil, e.err
	}
	return []Derived{{Sketch: e.s, Next: i - 1}}, nil
}

// needsCrossThread is the rule's condition, Ansor's: a reduction with
// data reuse whose spatial extent is smaller than its reduction (too
// little parallelism for multi-level tiling alone), or one without reuse
// whose reduction is longer than a warp. Accumulators made by
// cache_write and rfactor stages are left alone.
func needsCrossThread(p *Policy, st *schedule.State, i int) bool {
	s := st.Stages[i]
	if !isCompute(st, i) || !untouched(st, i) || s.Op.Reduce == nil || s.Scope == ir.Local || strings.HasSuffix(s.Name(), ".rf") {
		return false
	}
	sp, red := product(st, i, schedule.Spatial), product(st, i, schedule.Reduce)
	if hasReuse(st, i) {
		return sp < red
	}
	return red > p.Target.GPU().WarpSize
}

// threadedConsumer returns the consumer that a reduction can be computed
// in, with the number of leading axes they share (elementwiseConsumer),
// when it has an axis left over for the threads. -1 when there is none.
func threadedConsumer(st *schedule.State, i int) (c, common int) {
	c, common = elementwiseConsumer(st, i)
	if c < 0 || common < 1 || common >= len(st.Stages[c].Op.Axes) {
		return -1, 0
	}
	return c, common
}

// elementwiseConsumer returns stage i's only consumer when it is
// element-wise and untouched, with the number of leading axes at which
// it reads stage i (commonOuter). -1 when there is none.
func elementwiseConsumer(st *schedule.State, i int) (c, common int) {
	cons := st.Consumers(i)
	if len(cons) != 1 {
		return -1, 0
	}
	c = cons[0]
	if st.Stages[c].Op.Reduce != nil || !untouched(st, c) {
		return -1, 0
	}
	return c, commonOuter(st, i, c)
}

// commonOuter is the number of leading axes of stage c at which c reads
// stage p as p[a0, a1, ...] (Ansor's GetNumCommonOuterIterator): for
// those, one iteration of c's loop needs one element of p. Reads through
// inlined stages count, composed.
func commonOuter(st *schedule.State, p, c int) int {
	cs := st.Stages[c]
	n, found := len(cs.Op.Axes), false
	for _, ld := range cs.Op.Reads() {
		src := sourceStage(st, ld.Src)
		var limit int
		switch {
		case src == p:
			limit = len(st.Stages[p].Op.Axes)
		case src >= 0 && st.Stages[src].Attach.Kind == schedule.AttachInline && reachesThroughInline(st, p, src):
			limit = commonOuter(st, p, src)
		default:
			continue
		}
		found = true
		k := 0
		for k < min(n, limit, len(ld.Index)) && ld.Index[k] == expr.Expr(cs.Op.Axes[k].Var) && cs.Op.Axes[k].Extent == st.Stages[src].Op.Axes[k].Extent {
			k++
		}
		n = k
	}
	if !found {
		return 0
	}
	return n
}

// reachesThroughInline reports whether inlined stage q reads stage p,
// directly or through other inlined stages.
func reachesThroughInline(st *schedule.State, p, q int) bool {
	for _, ld := range st.Stages[q].Op.Reads() {
		if ld.Src == expr.Source(st.Stages[p].Tensor) {
			return true
		}
		for j, s := range st.Stages {
			if expr.Source(s.Tensor) == ld.Src && s.Attach.Kind == schedule.AttachInline && reachesThroughInline(st, p, j) {
				return true
			}
		}
	}
	return false
}

// CrossThread reports whether stage i of a sketch (or of a state made
// from one) is a cross-thread reduction or shares one's threads: it or a
// stage computed inside it has a loop bound to threadIdx.x already.
func CrossThread(st *schedule.State, i int) bool {
	for j, s := range st.Stages {
		if j != i && (s.Attach.Kind != schedule.AttachAt || s.Attach.Stage != i) {
			continue
		}
		for n := range s.Iters {
			if s.Iter(n).Ann == schedule.AnnThreadX {
				return true
			}
		}
	}
	return false
}
