package schedule

import (
	"fmt"
)

// Step is one transform of a schedule: a small value that validates and
// applies itself. Each kind lives in a file of its own and is registered
// once, under its JSON name, in registry.
type Step interface {
	// Kind is the step's name in the JSON form ("split", "fuse", ...).
	Kind() string
	// String is a one-line readable form, such as "split(C, i, [8, 4])".
	String() string
	apply(c *ctx) error
	// refs lists the fields that refer to stages or iterators, so that
	// StepsString can name them (describe.go).
	refs() []ref
}

// StepError says why a step does not apply.
type StepError struct {
	Index  int    // position of the step in the state's history
	Kind   string // the step's kind
	Stage  string // the stage's name, when known
	Iter   string // the iterator's name, when one is involved
	Reason string
}

// Error reads like: step 3 (split) on stage C, iterator i.1: ...
func (e *StepError) Error() string {
	s := fmt.Sprintf("step %d (%s)", e.Index, e.Kind)
	if e.Stage != "" {
		s += " on stage " + e.Stage
	}
	if e.Iter != "" {
		s += ", iterator " + e.Iter
	}
	return s + ": " + e.Reason
}

// ctx is what a step sees while it applies: the new state, which it may
// change through mut, and how to report errors.
type ctx struct {
	st    *State
	prev  []Step // the steps before this one
	index int
	step  Step
	stage string
	iter  string
	// owned, when not nil, holds the stages this step may change in place:
	// Replay's, which no other state shares.
	owned map[*Stage]bool
}

func (c *ctx) errorf(format string, args ...any) error {
	return &StepError{Index: c.index, Kind: c.step.Kind(), Stage: c.stage, Iter: c.iter, Reason: fmt.Sprintf(format, args...)}
}

// stage checks a stage index and names it in later errors.
func (c *ctx) stageAt(id int) (*Stage, error) {
	if id < 0 || id >= len(c.st.Stages) {
		return nil, c.errorf("no stage %d; the state has %d stages", id, len(c.st.Stages))
	}
	s := c.st.Stages[id]
	c.stage = s.Name()
	return s, nil
}

// computeStage is stageAt for steps that need a compute stage.
func (c *ctx) computeStage(id int) (*Stage, error) {
	s, err := c.stageAt(id)
	if err != nil {
		return nil, err
	}
	if s.IsInput() {
		return nil, c.errorf("%s is an input; it has no loops to schedule", s.Name())
	}
	if s.Attach.Kind == AttachInline {
		return nil, c.errorf("%s is inlined; it has no loops of its own", s.Name())
	}
	return s, nil
}

// iterAt checks an iterator position and names it in later errors.
func (c *ctx) iterAt(s *Stage, pos int) (int, error) {
	if pos < 0 || pos >= len(s.Iters) {
		return 0, c.errorf("no iterator %d; the stage has %d (%s)", pos, len(s.Iters), iterNames(s))
	}
	n := s.Iters[pos]
	c.iter = s.Nodes[n].Name
	return n, nil
}

func iterNames(s *Stage) string {
	out := ""
	for i, n := range s.Iters {
		if i > 0 {
			out += ", "
		}
		out += s.Nodes[n].Name
	}
	return out
}

// stageIter checks a compute stage and one of its iterators, and returns
// the stage and the iterator's node.
func (c *ctx) stageIter(id, pos int) (*Stage, int, error) {
	s, err := c.computeStage(id)
	if err != nil {
		return nil, 0, err
	}
	n, err := c.iterAt(s, pos)
	if err != nil {
		return nil, 0, err
	}
	return s, n, nil
}

// mut returns a private copy of stage id that the step may change; in a
// Replay, a stage copied once is changed in place afterwards.
func (c *ctx) mut(id int) *Stage {
	if c.owned[c.st.Stages[id]] {
		return c.st.Stages[id]
	}
	s := c.st.Stages[id].clone()
	c.st.Stages[id] = s
	if c.owned != nil {
		c.owned[s] = true
	}
	return s
}

// attachedTo returns the stages computed inside loop node n of stage id.
func (c *ctx) attachedTo(id, n int) []int {
	var out []int
	for i, s := range c.st.Stages {
		if s.Attach.Kind == AttachAt && s.Attach.Stage == id && s.Attach.Node == n {
			out = append(out, i)
		}
	}
	return out
}

// hasAttached reports whether any stage is computed inside stage id.
func (c *ctx) hasAttached(id int) bool {
	for _, s := range c.st.Stages {
		if s.Attach.Kind == AttachAt && s.Attach.Stage == id {
			return true
		}
	}
	return false
}

// MaxAddedStages bounds the stages that steps add to a program (cache
// reads and writes, rfactor): a schedule of the search adds a few.
const MaxAddedStages = 1000

// canAddStage refuses a step that would add more than MaxAddedStages
// stages in all.
func (c *ctx) canAddStage() error {
	if added := len(c.st.Stages) - len(c.st.DAG.Tensors); added >= MaxAddedStages {
		return c.errorf("the steps have added %d stages already, the most a schedule may add", added)
	}
	return nil
}

// insertStage puts a new stage at position at, renumbering attachments.
func (c *ctx) insertStage(at int, s *Stage) {
	st := c.st
	st.Stages = append(st.Stages, nil)
	copy(st.Stages[at+1:], st.Stages[at:])
	st.Stages[at] = s
	for i, o := range st.Stages {
		if o.Attach.Kind == AttachAt && o.Attach.Stage >= at && i != at {
			m := c.mut(i)
			m.Attach.Stage++
		}
	}
}

// stageName names stage id for String methods, tolerating bad indices.
func stageName(id int) string { return fmt.Sprintf("stage %d", id) }
