package schedule

import (
	"fmt"
	"strings"
)

// ComputeAt computes stage Stage inside loop TargetIter of stage Target:
// per iteration of that loop, just the region of Stage that the iteration
// reads (lowering infers it). Target is Stage's only consumer, or a stage
// inside whose loops that consumer is computed (at TargetIter or deeper):
// a packed panel of B computed per column tile of C, say, for the C.local
// that reads it. A stage with several consumers can be computed inside a
// loop of a stage that all of them are, or are computed inside, at that
// loop or deeper (Ansor's common root of the consumers): softmax's exps,
// read by the row sum and the division, computed per row of the division
// with the row sum attached at the same loop after it (stages attached at
// one loop run in stage order).
type ComputeAt struct {
	Stage      int `json:"stage"`
	Target     int `json:"target"`
	TargetIter int `json:"target_iter"`
}

// Kind implements Step.
func (ComputeAt) Kind() string { return "compute_at" }

func (s ComputeAt) refs() []ref {
	return []ref{stageRef("stage", s.Stage), stageRef("target", s.Target), iterRef("target_iter", s.Target, s.TargetIter)}
}

func (s ComputeAt) String() string {
	return fmt.Sprintf("compute_at(%s, %s, iter %d)", stageName(s.Stage), stageName(s.Target), s.TargetIter)
}

func (s ComputeAt) apply(c *ctx) error {
	stage, err := c.computeStage(s.Stage)
	if err != nil {
		return err
	}
	if c.st.IsOutput(s.Stage) {
		return c.errorf("%s is an output; it has no consumer to be computed in", stage.Name())
	}
	if s.Target < 0 || s.Target >= len(c.st.Stages) {
		return c.errorf("no target stage %d; the state has %d stages", s.Target, len(c.st.Stages))
	}
	target := c.st.Stages[s.Target]
	consumers := c.st.Consumers(s.Stage)
	if len(consumers) <= 1 && (len(consumers) == 0 || !c.st.computedWithin(consumers[0], s.Target)) {
		return c.errorf("%s does not read %s, nor is a reader of it computed inside %s", target.Name(), stage.Name(), target.Name())
	}
	for _, j := range consumers {
		if !c.st.computedWithin(j, s.Target) {
			return c.errorf("%s has several consumers (%s); %s is neither %s nor computed inside it", stage.Name(), stageNames(c.st, consumers), c.st.Stages[j].Name(), target.Name())
		}
	}
	if target.Attach.Kind == AttachInline {
		return c.errorf("target %s is inlined", target.Name())
	}
	if s.TargetIter < 0 || s.TargetIter >= len(target.Iters) {
		return c.errorf("target %s has no iterator %d; it has %d (%s)", target.Name(), s.TargetIter, len(target.Iters), iterNames(target))
	}
	c.iter = target.Nodes[target.Iters[s.TargetIter]].Name
	m := c.mut(s.Stage)
	m.Attach = Attach{Kind: AttachAt, Stage: s.Target, Node: target.Iters[s.TargetIter]}
	return nil
}

// ComputeInline substitutes a stage's expression into its readers; it
// gets no loops or buffer of its own. Only stages without reductions that
// are not outputs can be inlined.
type ComputeInline struct {
	Stage int `json:"stage"`
}

// Kind implements Step.
func (ComputeInline) Kind() string { return "compute_inline" }

func (s ComputeInline) refs() []ref { return []ref{stageRef("stage", s.Stage)} }

func (s ComputeInline) String() string {
	return fmt.Sprintf("compute_inline(%s)", stageName(s.Stage))
}

func (s ComputeInline) apply(c *ctx) error {
	stage, err := c.computeStage(s.Stage)
	if err != nil {
		return err
	}
	switch {
	case stage.Op.Reduce != nil:
		return c.errorf("%s is a reduction; only element-wise stages can be inlined", stage.Name())
	case c.st.IsOutput(s.Stage):
		return c.errorf("%s is an output; it must be stored", stage.Name())
	case c.hasAttached(s.Stage):
		return c.errorf("other stages are computed inside %s; move them first", stage.Name())
	}
	m := c.mut(s.Stage)
	m.Attach = Attach{Kind: AttachInline}
	return nil
}

// ComputeRoot gives a stage its own loop nest at the top level again.
type ComputeRoot struct {
	Stage int `json:"stage"`
}

// Kind implements Step.
func (ComputeRoot) Kind() string { return "compute_root" }

func (s ComputeRoot) refs() []ref { return []ref{stageRef("stage", s.Stage)} }

func (s ComputeRoot) String() string {
	return fmt.Sprintf("compute_root(%s)", stageName(s.Stage))
}

func (s ComputeRoot) apply(c *ctx) error {
	stage, err := c.stageAt(s.Stage)
	if err != nil {
		return err
	}
	if stage.IsInput() {
		return c.errorf("%s is an input; it is not computed", stage.Name())
	}
	c.mut(s.Stage).Attach = Attach{Kind: AttachRoot}
	return nil
}

// stageNames lists the names of stages, comma-separated.
func stageNames(st *State, ids []int) string {
	names := make([]string, len(ids))
	for i, j := range ids {
		names[i] = st.Stages[j].Name()
	}
	return strings.Join(names, ", ")
}
