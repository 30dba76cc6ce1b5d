// Package schedule holds schedules: a State is a program (a te.DAG) plus the
// ordered list of transform steps applied to it, in the manner of Ansor's
// loop_state and transform_step.
//
// Every tensor of the program is a stage. A stage has iterators, its loops
// from outermost to innermost; at first, its spatial axes and then its
// reduction axes. Steps rearrange a stage's iterators (split, fuse,
// reorder), mark them (annotate, pragma), lay out a stage's buffer
// (storage_align, storage_order), move whole stages (compute_at,
// compute_inline, compute_root) or add stages (cache_read, cache_write,
// rfactor). A step refers to a stage by its index in the
// state's stage list and to an iterator by its position in that stage's
// current iterator list, as Ansor's records do; replaying the same steps on
// the same DAG gives the same state.
//
// The history of a stage's iterators is a small graph: the root axes, and
// the split and fuse relations that derived the current iterators from
// them. Lowering reads it to express every axis in terms of the loops.
//
// States are values: Apply returns a new State and leaves the old one valid.
// Stages are shared between states and copied only when a step changes
// them, so copying a State costs a slice copy.
//
// Buffer scopes, pragma keys and GPU thread bindings are the typed words of
// package ir (ir.Scope, ir.PragmaKey, ir.Thread), which the loop IR uses
// too; their text forms are the names in the JSON form of steps.
package schedule

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/tabtune/tabtune/compiler/expr"
	"github.com/tabtune/tabtune/compiler/ir"
	"github.com/tabtune/tabtune/compiler/te"
)

// IterKind says whether an iterator is spatial or reduces.
type IterKind uint8

// The iterator kinds.
const (
	Spatial IterKind = iota
	Reduce
)

// String returns "spatial" or "reduce".
func (k IterKind) String() string {
	if k == Reduce {
		return "reduce"
	}
	return "spatial"
}

// Node is one iterator of a stage's history: a root axis, or an iterator
// made by a split or a fuse. The nodes that are current loops are the
// stage's Iters.
type Node struct {
	Name string
	// Extent is the iterator's extent over the stage's whole domain. A stage
	// that is attached elsewhere computes only a region; lowering derives
	// the extents for that region from the relations.
	Extent int64
	Kind   IterKind
	Ann    Annotation
}

// Pragma is a hint on the loop of node Node, such as
// auto_unroll_max_step=16.
type Pragma struct {
	Node  int
	Key   ir.PragmaKey
	Value int64
}

// RelKind is the kind of a relation between iterators.
type RelKind uint8

// The relations.
const (
	RelSplit RelKind = iota
	RelFuse
)

// Rel derives iterators from others. A split makes Out from In[0]: with
// InnerToOuter, Lengths are the extents of Out[1:] and Out[0] takes what is
// left (ceiling); otherwise Lengths are the extents of Out[:len-1] and the
// last takes what is left. A fuse makes Out[0] from In, outermost first.
type Rel struct {
	Kind         RelKind
	In, Out      []int
	Lengths      []int64
	InnerToOuter bool
}

// AttachKind says where a stage is computed.
type AttachKind uint8

// The attach kinds.
const (
	AttachRoot   AttachKind = iota // its own loop nest at the top level
	AttachInline                   // substituted into its consumers
	AttachAt                       // inside a loop of a consumer
)

// Attach says where a stage is computed; for AttachAt, inside the loop of
// node Node of stage Stage.
type Attach struct {
	Kind  AttachKind
	Stage int
	Node  int
}

// Align pads the stride of dimension Dim of the stage's buffer so that
// stride % Factor == Offset (storage_align).
type Align struct {
	Dim            int
	Factor, Offset int64
}

// Stage is one tensor of the program and how it is computed. Stages are
// shared between states: treat them as read-only.
type Stage struct {
	// Tensor is the tensor the stage writes, as its readers name it.
	Tensor *te.Tensor
	// Op is the stage's definition: Tensor itself, or a rewritten copy
	// after a cache or rfactor step changed what the stage computes.
	Op *te.Tensor
	// Nodes is the iterator history: the root axes first (spatial then
	// reduction, as in Op), then every iterator made since.
	Nodes []Node
	Rels  []Rel
	// Iters are the current loops, outermost first, as indices into Nodes.
	Iters  []int
	Attach Attach
	// Scope is where an intermediate buffer lives.
	Scope ir.Scope
	Align []Align
	// Order is the storage order of the buffer's dimensions, outermost
	// first (storage_order); nil is row-major.
	Order   []int
	Pragmas []Pragma
}

// PragmasOf returns the pragmas on node n.
func (s *Stage) PragmasOf(n int) []Pragma {
	var out []Pragma
	for _, p := range s.Pragmas {
		if p.Node == n {
			out = append(out, p)
		}
	}
	return out
}

// IsInput reports whether the stage is a placeholder.
func (s *Stage) IsInput() bool { return s.Op.IsInput() }

// Name is the name of the stage's tensor.
func (s *Stage) Name() string { return s.Tensor.Name }

// NumRoots is the number of root axes: spatial then reduction.
func (s *Stage) NumRoots() int { return len(s.Op.Axes) + len(s.Op.ReduceAxes()) }

// RootVar returns the variable of root axis r in Op.
func (s *Stage) RootVar(r int) *expr.Var {
	if r < len(s.Op.Axes) {
		return s.Op.Axes[r].Var
	}
	return s.Op.ReduceAxes()[r-len(s.Op.Axes)].Var
}

// Iter returns the node of the stage's i-th current loop.
func (s *Stage) Iter(i int) *Node { return &s.Nodes[s.Iters[i]] }

// IterPos returns the position of node n among the current loops, or -1.
func (s *Stage) IterPos(n int) int {
	for i, m := range s.Iters {
		if m == n {
			return i
		}
	}
	return -1
}

// Transformed reports whether any split or fuse has been applied.
func (s *Stage) Transformed() bool { return len(s.Rels) > 0 }

func newStage(t, op *te.Tensor) *Stage {
	s := &Stage{Tensor: t, Op: op, Scope: ir.Global}
	if op.IsInput() {
		return s
	}
	for _, a := range op.Axes {
		s.Nodes = append(s.Nodes, Node{Name: a.Var.Name, Extent: a.Extent, Kind: Spatial})
	}
	for _, a := range op.ReduceAxes() {
		s.Nodes = append(s.Nodes, Node{Name: a.Var.Name, Extent: a.Extent, Kind: Reduce})
	}
	s.Iters = make([]int, len(s.Nodes))
	for i := range s.Iters {
		s.Iters[i] = i
	}
	return s
}

// clone copies a stage for a step to change. The slices are shared with
// their capacity clipped, so appending copies them; a step that changes an
// element in place (annotate, pragma, storage_align) copies that slice
// first with own.
func (s *Stage) clone() *Stage {
	c := *s
	c.Nodes = s.Nodes[:len(s.Nodes):len(s.Nodes)]
	c.Rels = s.Rels[:len(s.Rels):len(s.Rels)]
	c.Iters = s.Iters[:len(s.Iters):len(s.Iters)]
	c.Align = s.Align[:len(s.Align):len(s.Align)]
	c.Order = s.Order[:len(s.Order):len(s.Order)]
	c.Pragmas = s.Pragmas[:len(s.Pragmas):len(s.Pragmas)]
	return &c
}

// own returns a private copy of a slice, to change its elements.
func own[T any](s []T) []T { return append([]T(nil), s...) }

// State is a program plus the steps applied to it so far.
type State struct {
	DAG    *te.DAG
	Stages []*Stage
	Steps  []Step
}

// New returns the initial state of a program: every tensor a stage at the
// root with its axes as loops, no steps.
func New(d *te.DAG) *State {
	st := &State{DAG: d, Stages: make([]*Stage, len(d.Tensors))}
	for i, t := range d.Tensors {
		st.Stages[i] = newStage(t, t)
	}
	return st
}

// Apply validates a step and returns the state with it applied, or an
// error that names the step, the stage, the iterator and the reason. st is
// left unchanged.
func (st *State) Apply(step Step) (*State, error) {
	// The new state's steps are a fresh list: appending to it never
	// writes into st's.
	steps := make([]Step, len(st.Steps), len(st.Steps)+1)
	copy(steps, st.Steps)
	next := &State{DAG: st.DAG, Stages: append([]*Stage(nil), st.Stages...), Steps: steps}
	c := &ctx{st: next, prev: st.Steps, index: len(st.Steps), step: step}
	if err := next.applyIn(c); err != nil {
		return nil, err
	}
	return next, nil
}

// Replay applies steps in order to the initial state of d, as Apply would
// one by one, but in time linear in the steps: no state but the last is
// kept, so the steps change one state in place (a stage is copied once,
// the first time a step changes it) and the list of steps grows by
// appending. More than MaxSteps steps are refused.
func Replay(d *te.DAG, steps []Step) (*State, error) {
	if len(steps) > MaxSteps {
		return nil, fmt.Errorf("schedule: %d steps: a schedule has at most %d", len(steps), MaxSteps)
	}
	st := New(d)
	st.Steps = make([]Step, 0, len(steps))
	owned := map[*Stage]bool{}
	for _, s := range steps {
		c := &ctx{st: st, prev: st.Steps, index: len(st.Steps), step: s, owned: owned}
		if err := st.applyIn(c); err != nil {
			return nil, err
		}
	}
	return st, nil
}

// applyIn applies c.step to c.st, in place, and appends it to its steps.
func (st *State) applyIn(c *ctx) error {
	if err := c.step.apply(c); err != nil {
		return err
	}
	switch c.step.(type) {
	case Annotate, PragmaStep, StorageAlign, StorageOrder:
	default:
		if err := st.checkAttach(); err != nil {
			return c.errorf("%v", err)
		}
	}
	st.Steps = append(st.Steps, c.step)
	return nil
}

// StageByName returns the index of the stage with the given name, or -1.
func (st *State) StageByName(name string) int {
	for i, s := range st.Stages {
		if s.Name() == name {
			return i
		}
	}
	return -1
}

// StageOf returns the index of the stage that writes tensor t, or -1.
func (st *State) StageOf(t *te.Tensor) int {
	for i, s := range st.Stages {
		if s.Tensor == t {
			return i
		}
	}
	return -1
}

// IsOutput reports whether stage i is an output of the program.
func (st *State) IsOutput(i int) bool {
	return st.DAG.IsOutput(st.Stages[i].Tensor)
}

// ComputedAt reports whether some stage is computed inside loop node of
// stage.
func (st *State) ComputedAt(stage, node int) bool {
	for _, x := range st.Stages {
		if x.Attach.Kind == AttachAt && x.Attach.Stage == stage && x.Attach.Node == node {
			return true
		}
	}
	return false
}

// Consumers returns the stages that read stage i's tensor, looking
// through inlined stages (a stage that reads an inlined reader of i reads
// i). Inlined stages themselves are not listed.
func (st *State) Consumers(i int) []int {
	return st.consumersIn(st.readers(), i)
}

// readers maps each tensor to the compute stages whose op reads it, in
// stage order: the index Consumers looks through.
func (st *State) readers() map[*te.Tensor][]int {
	idx := map[*te.Tensor][]int{}
	for j, s := range st.Stages {
		if s.IsInput() {
			continue
		}
		for _, l := range s.Op.Reads() {
			t, ok := l.Src.(*te.Tensor)
			if ok && (len(idx[t]) == 0 || idx[t][len(idx[t])-1] != j) {
				idx[t] = append(idx[t], j)
			}
		}
	}
	return idx
}

// consumersIn is Consumers with the readers index made once.
func (st *State) consumersIn(readers map[*te.Tensor][]int, i int) []int {
	var out []int
	seen := map[int]bool{}
	var visit func(t *te.Tensor)
	visit = func(t *te.Tensor) {
		for _, j := range readers[t] {
			s := st.Stages[j]
			if seen[j] {
				continue
			}
			seen[j] = true
			if s.Attach.Kind == AttachInline {
				visit(s.Tensor)
				continue
			}
			out = append(out, j)
		}
	}
	visit(st.Stages[i].Tensor)
	return out
}

// computedWithin reports whether stage i is stage t, or is computed
// (transitively) inside a loop of t.
func (st *State) computedWithin(i, t int) bool {
	for n := 0; n <= len(st.Stages); n++ {
		if i == t {
			return true
		}
		s := st.Stages[i]
		if s.Attach.Kind != AttachAt {
			return false
		}
		i = s.Attach.Stage
	}
	return false
}

// checkAttach verifies that every stage computed inside a loop is still
// where its consumers can read it: each consumer is the stage it is
// attached to, or is computed inside that stage at the attach loop or
// deeper. Steps that move stages or loops run it.
func (st *State) checkAttach() error {
	var readers map[*te.Tensor][]int
	for p, s := range st.Stages {
		if s.Attach.Kind != AttachAt {
			continue
		}
		if readers == nil {
			readers = st.readers()
		}
		cons := st.consumersIn(readers, p)
		if len(cons) == 0 {
			return fmt.Errorf("%s is computed inside %s but has no consumer", s.Name(), st.Stages[s.Attach.Stage].Name())
		}
		t := st.Stages[s.Attach.Stage]
		at := t.IterPos(s.Attach.Node)
		if at < 0 {
			return fmt.Errorf("%s is attached to a loop of %s that no longer exists", s.Name(), t.Name())
		}
		for _, c := range cons {
			for x := c; x != s.Attach.Stage; {
				xs := st.Stages[x]
				if xs.Attach.Kind != AttachAt {
					return fmt.Errorf("%s is computed inside %s, but its consumer %s is not", s.Name(), t.Name(), st.Stages[c].Name())
				}
				if xs.Attach.Stage == s.Attach.Stage && t.IterPos(xs.Attach.Node) < at {
					return fmt.Errorf("%s is computed inside loop %s of %s, deeper than its consumer %s", s.Name(), t.Nodes[s.Attach.Node].Name, t.Name(), st.Stages[c].Name())
				}
				x = xs.Attach.Stage
			}
		}
	}
	return nil
}

func reads(op, t *te.Tensor) bool {
	for _, l := range op.Reads() {
		if l.Src == expr.Source(t) {
			return true
		}
	}
	return false
}

// String prints the state as Ansor does: each stage's loops, nested by
// attachment, with annotations. Extents are those of each stage's whole
// domain; StringWithExtents shows the extents lowering infers.
func (st *State) String() string { return st.StringWithExtents(nil) }

// StringWithExtents prints the loops like String, with the extent of node n
// of stage i taken from ext[i][n] where ext[i] is not nil (see
// lower.InferBound); a negative extent prints as ?, an open knob.
func (st *State) StringWithExtents(ext [][]int64) string {
	var b strings.Builder
	attached := map[[2]int][]int{}
	for i, s := range st.Stages {
		if s.Attach.Kind == AttachAt {
			k := [2]int{s.Attach.Stage, s.Attach.Node}
			attached[k] = append(attached[k], i)
		}
	}
	var printStage func(i, depth int)
	printStage = func(i, depth int) {
		s := st.Stages[i]
		pad := strings.Repeat("  ", depth)
		if s.IsInput() {
			fmt.Fprintf(&b, "%sinput %s\n", pad, s.Name())
			return
		}
		if s.Attach.Kind == AttachInline {
			fmt.Fprintf(&b, "%s%s: inlined\n", pad, s.Name())
			return
		}
		for _, n := range s.Iters {
			node := s.Nodes[n]
			e := node.Extent
			if i < len(ext) && ext[i] != nil {
				e = ext[i][n]
			}
			if e < 0 {
				fmt.Fprintf(&b, "%sfor %s in 0..?", pad, node.Name)
			} else {
				fmt.Fprintf(&b, "%sfor %s in 0..%d", pad, node.Name, e)
			}
			if node.Ann != AnnNone {
				fmt.Fprintf(&b, " %s", node.Ann)
			}
			for _, p := range s.PragmasOf(n) {
				fmt.Fprintf(&b, " pragma(%s=%d)", p.Key, p.Value)
			}
			b.WriteByte('\n')
			depth++
			pad = strings.Repeat("  ", depth)
			for _, j := range attached[[2]int{i, n}] {
				printStage(j, depth)
			}
		}
		if s.Order != nil {
			fmt.Fprintf(&b, "%s%s = ... stored %v\n", pad, s.Name(), s.Order)
		} else {
			fmt.Fprintf(&b, "%s%s = ...\n", pad, s.Name())
		}
	}
	for i, s := range st.Stages {
		if s.Attach.Kind != AttachAt {
			printStage(i, 0)
		}
	}
	return b.String()
}

// StepsString prints the steps one per line, with stage and iterator
// numbers resolved to names against the state each step was applied to.
func (st *State) StepsString() string {
	var b strings.Builder
	cur := New(st.DAG)
	for i, s := range st.Steps {
		b.WriteString(strconv.Itoa(i))
		b.WriteString(": ")
		b.WriteString(describe(cur, s))
		b.WriteByte('\n')
		if next, err := cur.Apply(s); err == nil {
			cur = next
		}
	}
	return b.String()
}
