package schedule

import (
	"fmt"

	"github.com/tabtune/tabtune/compiler/expr"
	"github.com/tabtune/tabtune/compiler/te"
)

// Rfactor splits a reduction in two: a new stage C.rf in which reduction
// iterator Iter becomes a spatial axis (at position FactorIter among its
// axes) and the other reduction loops remain, and C, which now reduces
// C.rf over that axis. The partial results can then be computed in
// parallel. Spatial iterators of C must not be split or fused yet.
type Rfactor struct {
	Stage      int `json:"stage"`
	Iter       int `json:"iter"`
	FactorIter int `json:"factor_iter"`
}

// Kind implements Step.
func (Rfactor) Kind() string { return "rfactor" }

func (s Rfactor) refs() []ref { return stageIterRefs(s.Stage, s.Iter) }

func (s Rfactor) String() string {
	return fmt.Sprintf("rfactor(%s, iter %d, factor_iter %d)", stageName(s.Stage), s.Iter, s.FactorIter)
}

func (s Rfactor) apply(c *ctx) error {
	stage, n, err := c.stageIter(s.Stage, s.Iter)
	if err != nil {
		return err
	}
	op := stage.Op
	ns := len(op.Axes)
	switch {
	case op.Reduce == nil:
		return c.errorf("%s has no reduction", stage.Name())
	case stage.Nodes[n].Kind != Reduce:
		return c.errorf("rfactor needs a reduction iterator")
	case s.FactorIter < 0 || s.FactorIter > ns:
		return c.errorf("factor_iter must be in [0, %d], not %d", ns, s.FactorIter)
	case c.hasAttached(s.Stage):
		return c.errorf("other stages are computed inside %s; move them first", stage.Name())
	}
	for _, r := range stage.Rels {
		for _, in := range r.In {
			if in < ns {
				return c.errorf("rfactor must come before the spatial iterators of %s are split or fused", stage.Name())
			}
		}
	}
	ext := stage.Extents(rootExtents(stage))
	leafVar := map[int]*expr.Var{}
	var rest []te.Axis
	for _, m := range stage.Iters {
		node := stage.Nodes[m]
		if node.Kind != Reduce {
			continue
		}
		v := expr.NewVar(node.Name)
		leafVar[m] = v
		if m != n {
			rest = append(rest, te.Axis{Var: v, Extent: ext[m]})
		}
	}
	vals := stage.Values(ext, func(m int) expr.Expr {
		if v, ok := leafVar[m]; ok {
			return v
		}
		return stage.RootVar(m)
	})
	over := stage.Overflows(ext)
	sub := map[*expr.Var]expr.Expr{}
	var guard expr.Expr
	for m := range stage.Nodes {
		if m >= ns && m < stage.NumRoots() {
			sub[stage.RootVar(m)] = vals[m]
		}
		if over[m] {
			guard = expr.AndE(guard, expr.Bin(expr.LT, vals[m], expr.Const(ext[m])))
		}
	}
	spatial := make([]te.Axis, 0, ns+1)
	for _, a := range op.Axes {
		v := expr.NewVar(a.Var.Name)
		sub[a.Var] = v
		spatial = append(spatial, te.Axis{Var: v, Extent: a.Extent})
	}
	rfAxis := te.Axis{Var: leafVar[n], Extent: ext[n]}
	spatial = append(spatial[:s.FactorIter], append([]te.Axis{rfAxis}, spatial[s.FactorIter:]...)...)
	body := expr.Substitute(op.Reduce.Body, sub)
	if guard != nil {
		body = &expr.Select{Cond: guard, T: body, F: op.Reduce.Op.Identity()}
	}
	name := c.uniqueName(stage.Name() + ".rf")
	var rf *te.Tensor
	if len(rest) == 0 {
		rf = te.Compute(name, spatial, body)
	} else {
		rf = te.ComputeReduce(name, spatial, &te.Reduction{Op: op.Reduce.Op, Body: body, Axes: rest})
	}
	// C[i...] = reduce(C.rf[..., r, ...], r)
	axes := make([]te.Axis, ns)
	idx := make([]expr.Expr, 0, ns+1)
	for i, a := range op.Axes {
		v := expr.NewVar(a.Var.Name)
		axes[i] = te.Axis{Var: v, Extent: a.Extent}
		idx = append(idx, v)
	}
	r := expr.NewVar(stage.Nodes[n].Name)
	idx = append(idx[:s.FactorIter], append([]expr.Expr{r}, idx[s.FactorIter:]...)...)
	final := te.ComputeReduce(stage.Name(), axes, &te.Reduction{
		Op:   op.Reduce.Op,
		Body: &expr.Load{Src: rf, Index: idx},
		Axes: []te.Axis{{Var: r, Extent: ext[n]}},
		Init: op.Reduce.Init,
	})
	if err := c.canAddStage(); err != nil {
		return err
	}
	m := c.mut(s.Stage)
	m.Op = final
	*m = *newStageKeep(m)
	c.insertStage(s.Stage, newStage(rf, rf))
	return nil
}

// rootExtents are the extents of a stage's root axes over its domain.
func rootExtents(s *Stage) []int64 {
	out := make([]int64, 0, s.NumRoots())
	for _, a := range s.Op.Axes {
		out = append(out, a.Extent)
	}
	for _, a := range s.Op.ReduceAxes() {
		out = append(out, a.Extent)
	}
	return out
}
