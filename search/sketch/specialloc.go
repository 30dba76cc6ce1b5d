package sketch

import "github.com/tabtune/tabtune/compiler/schedule"

// specialComputeLocationGPU computes a short reduction inside the thread
// tile of its element-wise consumer (our GPU counterpart of Ansor's
// RuleSpecialComputeLocationGPU). Ansor's rule puts the producers of a
// stage whose constant-tensor loops are unrolled (Winograd) at that
// stage's last outer loop, so that the producer lives in registers; our
// zoo has no constant tensors, and the stages that gain from the same
// move are reductions that are neither multi-level tiled (no data reuse)
// nor long enough for a cross-thread reduction: an average pool's window
// sum, a short norm or row sum. By default each would be a kernel of its
// own writing a global buffer that the next kernel reads back; here the
// consumer's loops over the shared axes are fused and split by a tile knob
// (the thread count: sampling binds the outer part to blockIdx.x and the
// inner one to threadIdx.x), and the reduction is computed inside the
// inner part, per thread, in registers.
type specialComputeLocationGPU struct{}

func (specialComputeLocationGPU) Name() string { return "special_compute_location_gpu" }

func (specialComputeLocationGPU) Meets(p *Policy, s *Sketch, i int) Condition {
	if c, _ := registerConsumer(p, s.State, i); c >= 0 {
		return ApplyAndSkipRest
	}
	return Pass
}

func (specialComputeLocationGPU) Apply(p *Policy, s *Sketch, i int) ([]Derived, error) {
	c, common := registerConsumer(p, s.State, i)
	e := newEdit(s)
	parts, _ := e.split(c, e.fuseLeading(c, common), 2)
	e.apply(schedule.ComputeAt{Stage: i, Target: c, TargetIter: e.iter(c, parts[1])})
	if e.err != nil {
		return nil, e.err
	}
	return []Derived{{Sketch: e.s, Next: i - 1}}, nil
}

// registerConsumer returns the consumer a short reduction is computed in
// and the number of leading axes they share: stage i is a reduction,
// not an output, without data reuse and not long enough for a
// cross-thread reduction, whose only consumer is element-wise, untouched
// and reads it at its leading axes, one element per iteration of them.
// -1 when the rule does not apply.
func registerConsumer(p *Policy, st *schedule.State, i int) (c, common int) {
	s := st.Stages[i]
	if !isCompute(st, i) || !untouched(st, i) || s.Op.Reduce == nil || st.IsOutput(i) || len(s.Op.Axes) == 0 || hasReuse(st, i) || needsCrossThread(p, st, i) {
		return -1, 0
	}
	if c, common = elementwiseConsumer(st, i); c < 0 || common != len(s.Op.Axes) {
		return -1, 0
	}
	return c, common
}
