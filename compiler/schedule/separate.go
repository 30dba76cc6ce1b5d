package schedule

import (
	"fmt"

	"github.com/tabtune/tabtune/compiler/expr"
	"github.com/tabtune/tabtune/compiler/te"
)

// SeparateWindow splits a sliding-window reduction in two stages, the way
// Halide's schedules pool separably: C[.., y, ..] = reduce(f(a*y + r),
// r, rest), whose reads use spatial axis y and reduction iterator Iter
// (r) only through a*y + r, becomes a new stage C.win[.., h, ..] =
// reduce(f(h), rest), over every h that a*y + r takes (a*(Y-1) + R of
// them), and C = reduce(C.win[.., a*y + r, ..], r). When windows overlap
// (a < R), neighbouring outputs share the rows of C.win instead of
// reducing them again: a 3x3 max pool does 2 + 2 maxima per output
// instead of 8, as separable filters do. The reduction must be the
// stage's own (its iterators neither split nor fused yet), with at least
// one reduction axis besides r.
//
// With Expand, both reductions are written out as expressions (C.win =
// max(f(h, 0), f(h, 1), f(h, 2))), for windows of at most MaxExpand
// elements along each stage: the two stages are then element-wise, with
// no accumulator to initialize, load and store at each step of the window.
type SeparateWindow struct {
	Stage  int  `json:"stage"`
	Iter   int  `json:"iter"`
	Expand bool `json:"expand,omitempty"`
}

// MaxExpand bounds the window elements that SeparateWindow writes out per
// stage with Expand.
const MaxExpand = 16

// Kind implements Step.
func (SeparateWindow) Kind() string { return "separate_window" }

func (s SeparateWindow) refs() []ref { return stageIterRefs(s.Stage, s.Iter) }

func (s SeparateWindow) String() string {
	if s.Expand {
		return fmt.Sprintf("separate_window(%s, iter %d, expand)", stageName(s.Stage), s.Iter)
	}
	return fmt.Sprintf("separate_window(%s, iter %d)", stageName(s.Stage), s.Iter)
}

func (s SeparateWindow) apply(c *ctx) error {
	stage, n, err := c.stageIter(s.Stage, s.Iter)
	if err != nil {
		return err
	}
	op := stage.Op
	switch {
	case op.Reduce == nil:
		return c.errorf("%s has no reduction", stage.Name())
	case stage.Nodes[n].Kind != Reduce:
		return c.errorf("separate_window needs a reduction iterator")
	case stage.Transformed():
		return c.errorf("separate_window must come before the iterators of %s are split or fused", stage.Name())
	case c.hasAttached(s.Stage):
		return c.errorf("other stages are computed inside %s; move them first", stage.Name())
	case len(op.Reduce.Axes) < 2:
		return c.errorf("%s reduces over one axis only; nothing is left to separate", stage.Name())
	}
	win, ok := SlidingAxis(op, n-len(op.Axes))
	if !ok {
		return c.errorf("%s does not read the reduction iterator only as stride*y + %s of one spatial axis y", stage.Name(), stage.Nodes[n].Name)
	}
	r := op.Reduce.Axes[n-len(op.Axes)]
	y := op.Axes[win.Axis]
	// C.win over h = a*y + r: substitute r = h - a*y; y then cancels.
	h := expr.NewVar(y.Var.Name)
	body := expr.Simplify(expr.Substitute(op.Reduce.Body, map[*expr.Var]expr.Expr{
		r.Var: expr.SubE(h, expr.MulE(expr.Const(win.Stride), y.Var)),
	}), expr.Env{})
	if expr.Uses(body, func(v *expr.Var) bool { return v == y.Var || v == r.Var }) {
		return c.errorf("%s uses %s or %s outside stride*y + %s", stage.Name(), y.Var.Name, r.Var.Name, r.Var.Name)
	}
	sub := map[*expr.Var]expr.Expr{y.Var: h}
	axes := make([]te.Axis, len(op.Axes))
	for i, a := range op.Axes {
		v, ext := h, win.Stride*(y.Extent-1)+r.Extent
		if i != win.Axis {
			v, ext = expr.NewVar(a.Var.Name), a.Extent
			sub[a.Var] = v
		}
		axes[i] = te.Axis{Var: v, Extent: ext}
	}
	var rest []te.Axis
	terms := int64(1)
	for _, a := range op.Reduce.Axes {
		if a.Var != r.Var {
			v := expr.NewVar(a.Var.Name)
			sub[a.Var] = v
			rest = append(rest, te.Axis{Var: v, Extent: a.Extent})
			terms *= a.Extent
		}
	}
	if s.Expand && (terms > MaxExpand || r.Extent > MaxExpand) {
		return c.errorf("expand writes out windows of at most %d elements per stage, not %d and %d", MaxExpand, terms, r.Extent)
	}
	name := c.uniqueName(stage.Name() + ".win")
	var w *te.Tensor
	if s.Expand {
		w = te.Compute(name, axes, expand(op.Reduce.Op, nil, expr.Substitute(body, sub), rest))
	} else {
		w = te.ComputeReduce(name, axes, &te.Reduction{Op: op.Reduce.Op, Body: expr.Substitute(body, sub), Axes: rest})
	}
	// C[.., y, ..] = reduce(C.win[.., a*y + r, ..], r)
	final := make([]te.Axis, len(op.Axes))
	idx := make([]expr.Expr, len(op.Axes))
	outer := map[*expr.Var]expr.Expr{}
	for i, a := range op.Axes {
		v := expr.NewVar(a.Var.Name)
		final[i] = te.Axis{Var: v, Extent: a.Extent}
		idx[i] = v
		outer[a.Var] = v
	}
	rv := expr.NewVar(r.Var.Name)
	idx[win.Axis] = expr.AddE(expr.MulE(idx[win.Axis], expr.Const(win.Stride)), rv)
	var init expr.Expr
	if op.Reduce.Init != nil {
		init = expr.Substitute(op.Reduce.Init, outer)
	}
	rax := []te.Axis{{Var: rv, Extent: r.Extent}}
	var red *te.Tensor
	if s.Expand {
		red = te.Compute(stage.Name(), final, expand(op.Reduce.Op, init, &expr.Load{Src: w, Index: idx}, rax))
	} else {
		red = te.ComputeReduce(stage.Name(), final, &te.Reduction{Op: op.Reduce.Op, Body: &expr.Load{Src: w, Index: idx}, Axes: rax, Init: init})
	}
	if err := c.canAddStage(); err != nil {
		return err
	}
	m := c.mut(s.Stage)
	m.Op = red
	*m = *newStageKeep(m)
	c.insertStage(s.Stage, newStage(w, w))
	return nil
}

// Window is how a reduction axis slides with a spatial axis: every read
// index that uses it is Stride*y + r (plus a constant) for spatial axis
// number Axis.
type Window struct {
	Axis   int
	Stride int64
}

// SlidingAxis finds the spatial axis that reduction axis k of op slides
// with: every read index that uses the reduction variable r moves by 1
// with r and by the same positive stride with one spatial axis y, and no
// other index uses r or y. ok is false when there is none.
func SlidingAxis(op *te.Tensor, k int) (w Window, ok bool) {
	if op.Reduce == nil || k < 0 || k >= len(op.Reduce.Axes) {
		return Window{}, false
	}
	r := op.Reduce.Axes[k].Var
	w.Axis = -1
	for _, ld := range op.Reads() {
		for _, ix := range ld.Index {
			if !usesVar(ix, r) {
				continue
			}
			if step, ok := ConstStep(ix, r); !ok || step != 1 {
				return Window{}, false
			}
			found := -1
			for a, ax := range op.Axes {
				if !usesVar(ix, ax.Var) {
					continue
				}
				step, ok := ConstStep(ix, ax.Var)
				if found >= 0 || !ok || step < 1 {
					return Window{}, false
				}
				found = a
				if w.Axis >= 0 && (a != w.Axis || step != w.Stride) {
					return Window{}, false
				}
				w.Axis, w.Stride = a, step
			}
			if found < 0 {
				return Window{}, false
			}
		}
	}
	return w, w.Axis >= 0
}

// usesVar reports whether e reads v.
func usesVar(e expr.Expr, v *expr.Var) bool {
	return expr.Uses(e, func(x *expr.Var) bool { return x == v })
}

// ConstStep returns by how much e moves when v moves by one, when that is
// a constant.
func ConstStep(e expr.Expr, v *expr.Var) (int64, bool) {
	next := expr.Substitute(e, map[*expr.Var]expr.Expr{v: expr.AddE(v, expr.Const(1))})
	d, ok := expr.Simplify(expr.SubE(next, e), expr.Env{}).(*expr.IntImm)
	if !ok {
		return 0, false
	}
	return d.V, true
}

// expand writes out the reduction by op of body over axes, from init (or
// from its first term when init is nil), axes in order, the last fastest.
func expand(op te.ReduceOp, init, body expr.Expr, axes []te.Axis) expr.Expr {
	acc := init
	at := make([]int64, len(axes))
	for {
		sub := map[*expr.Var]expr.Expr{}
		for k, a := range axes {
			sub[a.Var] = expr.Const(at[k])
		}
		term := expr.Simplify(expr.Substitute(body, sub), expr.Env{})
		if acc == nil {
			acc = term
		} else {
			acc = op.Combine(acc, term)
		}
		k := len(axes) - 1
		for k >= 0 && at[k] == axes[k].Extent-1 {
			at[k] = 0
			k--
		}
		if k < 0 {
			return acc
		}
		at[k]++
	}
}
