package schedule

import (
	"fmt"
	"strconv"

	"github.com/tabtune/tabtune/compiler/expr"
	"github.com/tabtune/tabtune/compiler/ir"
	"github.com/tabtune/tabtune/compiler/te"
)

// CacheRead adds a stage that copies tensor Stage into a buffer of the
// given scope (ir.Shared, ir.Local or ir.Global) for the listed readers,
// which then read the copy. The new stage, named T.scope, comes right
// after Stage; compute_at it to stage tiles in shared memory or pack a
// layout.
type CacheRead struct {
	Stage   int      `json:"stage"`
	Scope   ir.Scope `json:"scope"`
	Readers []int    `json:"readers"`
}

// Kind implements Step.
func (CacheRead) Kind() string { return "cache_read" }

func (s CacheRead) refs() []ref {
	return []ref{stageRef("stage", s.Stage), stagesRef("readers", s.Readers)}
}

func (s CacheRead) String() string {
	return fmt.Sprintf("cache_read(%s, %s, readers %v)", stageName(s.Stage), s.Scope, s.Readers)
}

func (s CacheRead) apply(c *ctx) error {
	stage, err := c.stageAt(s.Stage)
	if err != nil {
		return err
	}
	if stage.Attach.Kind == AttachInline {
		return c.errorf("%s is inlined; it has no buffer to read", stage.Name())
	}
	if stage.Attach.Kind == AttachAt {
		return c.errorf("%s is computed inside %s; cache_read needs it at the root", stage.Name(), c.st.Stages[stage.Attach.Stage].Name())
	}
	if err := s.Scope.Check(); err != nil {
		return c.errorf("%v", err)
	}
	if len(s.Readers) == 0 {
		return c.errorf("cache_read needs at least one reader")
	}
	consumers := map[int]bool{}
	for _, j := range c.st.Consumers(s.Stage) {
		consumers[j] = true
	}
	for _, r := range s.Readers {
		if r < 0 || r >= len(c.st.Stages) || !consumers[r] {
			return c.errorf("stage %d is not a reader of %s", r, stage.Name())
		}
		if !reads(c.st.Stages[r].Op, stage.Tensor) {
			return c.errorf("%s reads %s only through an inlined stage", c.st.Stages[r].Name(), stage.Name())
		}
	}
	if err := c.canAddStage(); err != nil {
		return err
	}
	t := stage.Tensor
	name := c.uniqueName(t.Name + "." + s.Scope.String())
	axes := make([]te.Axis, len(t.Shape))
	idx := make([]expr.Expr, len(t.Shape))
	for d, n := range t.Shape {
		v := expr.NewVar(axisName(d))
		axes[d] = te.Axis{Var: v, Extent: n}
		idx[d] = v
	}
	cache := te.Compute(name, axes, &expr.Load{Src: t, Index: idx})
	for _, r := range s.Readers {
		m := c.mut(r)
		m.Op = replaceReads(m.Op, t, cache)
	}
	ns := newStage(cache, cache)
	ns.Scope = s.Scope
	c.insertStage(s.Stage+1, ns)
	return nil
}

// CacheWrite makes stage Stage compute into a new buffer of the given
// scope (named C.scope, placed before it) and turns Stage into a copy out
// of that buffer: the accumulator of a tile in registers. Stage must not
// be transformed yet.
type CacheWrite struct {
	Stage int      `json:"stage"`
	Scope ir.Scope `json:"scope"`
}

// Kind implements Step.
func (CacheWrite) Kind() string { return "cache_write" }

func (s CacheWrite) refs() []ref { return []ref{stageRef("stage", s.Stage)} }

func (s CacheWrite) String() string {
	return fmt.Sprintf("cache_write(%s, %s)", stageName(s.Stage), s.Scope)
}

func (s CacheWrite) apply(c *ctx) error {
	stage, err := c.computeStage(s.Stage)
	if err != nil {
		return err
	}
	if err := s.Scope.Check(); err != nil {
		return c.errorf("%v", err)
	}
	if stage.Transformed() || c.hasAttached(s.Stage) || stage.Attach.Kind != AttachRoot {
		return c.errorf("cache_write must come before the stage is split, fused or moved")
	}
	if err := c.canAddStage(); err != nil {
		return err
	}
	name := c.uniqueName(stage.Name() + "." + s.Scope.String())
	inner := renameOp(stage.Op, name)
	m := c.mut(s.Stage)
	m.Op = copyOut(stage.Tensor, stage.Op, inner)
	*m = *newStageKeep(m)
	ns := newStage(inner, inner)
	ns.Scope = s.Scope
	c.insertStage(s.Stage, ns)
	return nil
}

// uniqueName returns name, or name with a number, unused by any stage.
func (c *ctx) uniqueName(name string) string {
	used := make(map[string]bool, len(c.st.Stages))
	for _, s := range c.st.Stages {
		used[s.Name()] = true
	}
	out := name
	for i := 2; used[out]; i++ {
		out = name + strconv.Itoa(i)
	}
	return out
}

func axisName(d int) string {
	names := "ijklmnopqrstuvwxyz"
	if d < len(names) {
		return names[d : d+1]
	}
	return fmt.Sprintf("ax%d", d)
}

// renameOp returns a copy of a compute op under a new name, with fresh
// axis variables.
func renameOp(op *te.Tensor, name string) *te.Tensor {
	sub := map[*expr.Var]expr.Expr{}
	fresh := func(axes []te.Axis) []te.Axis {
		out := make([]te.Axis, len(axes))
		for i, a := range axes {
			v := expr.NewVar(a.Var.Name)
			sub[a.Var] = v
			out[i] = te.Axis{Var: v, Extent: a.Extent}
		}
		return out
	}
	axes := fresh(op.Axes)
	if op.Reduce == nil {
		return te.Compute(name, axes, expr.Substitute(op.Body, sub))
	}
	r := &te.Reduction{Op: op.Reduce.Op, Axes: fresh(op.Reduce.Axes)}
	r.Body = expr.Substitute(op.Reduce.Body, sub)
	if op.Reduce.Init != nil {
		r.Init = expr.Substitute(op.Reduce.Init, sub)
	}
	return te.ComputeReduce(name, axes, r)
}

// copyOut is the op t[axes] = src[axes], with op's axis names.
func copyOut(t, op *te.Tensor, src *te.Tensor) *te.Tensor {
	axes := make([]te.Axis, len(op.Axes))
	idx := make([]expr.Expr, len(op.Axes))
	for i, a := range op.Axes {
		v := expr.NewVar(a.Var.Name)
		axes[i] = te.Axis{Var: v, Extent: a.Extent}
		idx[i] = v
	}
	return te.Compute(t.Name, axes, &expr.Load{Src: src, Index: idx})
}

// newStageKeep rebuilds a stage's iterators from its (new) Op, keeping
// where it is computed and its buffer's scope.
func newStageKeep(s *Stage) *Stage {
	n := newStage(s.Tensor, s.Op)
	n.Attach, n.Scope = s.Attach, s.Scope
	return n
}

// replaceReads returns op with its reads of tensor from redirected to to.
func replaceReads(op, from *te.Tensor, to expr.Source) *te.Tensor {
	f := func(e expr.Expr) expr.Expr {
		if l, ok := e.(*expr.Load); ok && l.Src == expr.Source(from) {
			return &expr.Load{Src: to, Index: l.Index}
		}
		return e
	}
	c := *op
	if op.Reduce != nil {
		r := *op.Reduce
		r.Body = expr.Rewrite(r.Body, f)
		if r.Init != nil {
			r.Init = expr.Rewrite(r.Init, f)
		}
		c.Reduce = &r
	} else {
		c.Body = expr.Rewrite(op.Body, f)
	}
	return &c
}
