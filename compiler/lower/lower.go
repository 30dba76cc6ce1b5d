// Package lower turns a schedule (a schedule.State) into loop IR.
//
// Lowering is a fixed list of small named passes, run in order (see
// Passes): the stage passes work on the stages (inline, bounds) and
// settle every stage's region, which is all InferBound needs; then the
// loop passes make the loop nest (build) and rewrite it. Each pass can be
// watched: Trace calls back with the IR after every pass that changed it,
// which is what the golden tests print.
//
//   - inline: substitute compute_inline'd stages into their readers.
//   - nonpos: mark exp(x - max(x)) as an exp of a non-positive argument
//     (expr.ExpNonPos), which needs no overflow handling.
//   - bounds: from the outputs back to the inputs, the region of each stage
//     to compute: all of it at the root, or, for a stage computed at a loop
//     of its consumer, what one iteration of that loop reads (interval
//     arithmetic on the consumer's indices with the loops outside fixed and
//     the loops inside running over their ranges).
//   - build: each stage's loops from its iterators, innermost body a store,
//     reductions with their initialization placed just outside the first
//     reduction loop, attached stages inside their loop with a buffer the
//     size of their region, guards where a split does not divide.
//   - unit-loops: remove loops of extent 1 (not GPU bindings).
//   - simplify: fold the div/mod noise of split and fuse, drop guards the
//     loop ranges prove.
package lower

import (
	"fmt"
	"slices"

	"github.com/tabtune/tabtune/compiler/expr"
	"github.com/tabtune/tabtune/compiler/ir"
	"github.com/tabtune/tabtune/compiler/schedule"
	"github.com/tabtune/tabtune/compiler/te"
)

// Pass is one named step of lowering.
type Pass struct {
	Name string
	run  func(l *lowering) error
}

// StagePasses work on the stages, before there is any loop: after them
// every stage's expression is final and its region known (InferBound runs
// them alone).
var StagePasses = []Pass{
	{"inline", inlinePass},
	{"nonpos", nonPosPass},
	{"bounds", boundsPass},
}

// LoopPasses make the loop nest from the stages, then rewrite it.
var LoopPasses = []Pass{
	{"build", buildPass},
	{"unit-loops", unitLoopsPass},
	{"simplify", simplifyPass},
}

// Passes are the passes of lowering, in the order they run.
var Passes = slices.Concat(StagePasses, LoopPasses)

// Order lists the pairs of passes whose order matters: the first must run
// before the second (a test checks Passes, and that every stage pass runs
// before every loop pass). Bounds reads the expressions inlining leaves;
// build needs the regions; unit-loops rewrites what build made and leaves
// its zeros for simplify to fold.
var Order = [][2]string{
	{"inline", "bounds"},
	{"inline", "nonpos"},
	{"bounds", "build"},
	{"build", "unit-loops"},
	{"unit-loops", "simplify"},
}

// Lower turns a state into a kernel function.
func Lower(st *schedule.State) (*ir.Func, error) {
	return Trace(st, nil)
}

// Trace lowers like Lower and calls watch with the function after each
// pass that produced or changed it.
func Trace(st *schedule.State, watch func(pass string, f *ir.Func)) (*ir.Func, error) {
	l := newLowering(st)
	for _, p := range Passes {
		before := l.fn.Body
		if err := p.run(l); err != nil {
			return nil, fmt.Errorf("lower: %s: %w", p.Name, err)
		}
		if watch != nil && l.fn.Body != nil && l.fn.Body != before {
			watch(p.Name, l.fn)
		}
	}
	return l.fn, nil
}

// stageInfo is what lowering knows of one stage.
type stageInfo struct {
	id    int
	stage *schedule.Stage
	buf   *ir.Buffer
	// value and init are the stage's expression after inlining.
	value expr.Expr
	init  expr.Expr
	// region: per spatial dimension, the first index computed and how
	// many; set by bounds.
	mins []expr.Expr
	exts []int64
	// nest geometry, set by bounds: node extents, a variable per current
	// loop, the value of every node in terms of the loops, and the
	// absolute index of every root axis.
	nodeExt []int64
	loopVar map[int]*expr.Var
	vals    []expr.Expr
	roots   []expr.Expr
	// consumers are the stages that read this one (after inlining).
	consumers []int
}

type lowering struct {
	st       *schedule.State
	stages   []*stageInfo
	byTensor map[*te.Tensor]*stageInfo
	fn       *ir.Func
	names    map[string]int
	// env holds the range of every loop variable made so far.
	env expr.Env
	// attached lists, by stage and loop node, the computed stages
	// attached there, in stage order; made on first use (attachedAt).
	attached map[[2]int][]*stageInfo
}

func newLowering(st *schedule.State) *lowering {
	l := &lowering{
		st:       st,
		stages:   make([]*stageInfo, len(st.Stages)),
		byTensor: make(map[*te.Tensor]*stageInfo, len(st.Stages)),
		fn:       &ir.Func{Name: "kernel"},
		names:    map[string]int{},
	}
	for i, s := range st.Stages {
		info := &stageInfo{id: i, stage: s}
		l.stages[i] = info
		l.byTensor[s.Tensor] = info
	}
	// Parameters: inputs in DAG order, then outputs.
	for _, t := range st.DAG.Inputs {
		info := l.byTensor[t]
		info.buf = &ir.Buffer{Name: l.unique(t.Name), Shape: t.Shape, DType: t.DType}
		l.fn.Params = append(l.fn.Params, info.buf)
	}
	for _, t := range st.DAG.Outputs {
		info := l.byTensor[t]
		info.buf = &ir.Buffer{Name: l.unique(t.Name), Shape: t.Shape, DType: t.DType}
		l.fn.Params = append(l.fn.Params, info.buf)
	}
	l.fn.Outputs = len(st.DAG.Outputs)
	// Names in program order, so the first stage gets the plain ones; an
	// intermediate buffer's shape is its region, known after bounds.
	for _, info := range l.stages {
		if !info.computed() {
			continue
		}
		s := info.stage
		if info.buf == nil {
			info.buf = &ir.Buffer{Name: l.unique(s.Name()), DType: s.Tensor.DType}
		}
		info.loopVar = make(map[int]*expr.Var, len(s.Iters))
		for _, n := range s.Iters {
			info.loopVar[n] = expr.NewVar(l.unique(s.Nodes[n].Name))
		}
	}
	return l
}

// unique returns name, or name with a suffix if the function uses it.
func (l *lowering) unique(name string) string {
	n := l.names[name]
	l.names[name] = n + 1
	if n == 0 {
		return name
	}
	out := fmt.Sprintf("%s_%d", name, n)
	for l.names[out] > 0 {
		n++
		out = fmt.Sprintf("%s_%d", name, n)
	}
	l.names[out] = 1
	return out
}

// computed reports whether a stage has loops of its own.
func (info *stageInfo) computed() bool {
	return !info.stage.IsInput() && info.stage.Attach.Kind != schedule.AttachInline
}

// InferBound returns the extents lowering gives each stage's iterators:
// ext[i][n] is the extent of node n of stage i (nil for inputs and inlined
// stages). A stage computed inside another loop runs over its region only,
// which its full-domain extents in the State do not show.
func InferBound(st *schedule.State) ([][]int64, error) {
	l := newLowering(st)
	for _, p := range StagePasses {
		if err := p.run(l); err != nil {
			return nil, fmt.Errorf("lower: %s: %w", p.Name, err)
		}
	}
	ext := make([][]int64, len(l.stages))
	for i, info := range l.stages {
		ext[i] = info.nodeExt
	}
	return ext, nil
}
