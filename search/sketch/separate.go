package sketch

import (
	"github.com/tabtune/tabtune/compiler/ir"
	"github.com/tabtune/tabtune/compiler/schedule"
	"github.com/tabtune/tabtune/compiler/te"
)

// separateWindow derives, for a reduction over a short sliding window
// (a pool), the separable sketches that Halide's pooling schedules use:
// the window is reduced in two stages (schedule.SeparateWindow, written
// out), first along one window axis for every row (or column) the windows
// cover, then along the other over those partial results. Where windows
// overlap (3x3 at stride 2 or 1) they share the partial results: 4 maxima
// per output of a 3x3 window instead of 8, and each input row read once
// per output row at stride 2, not 1.5 times. Where they only touch (VGG's
// 2x2 at stride 2) nothing is shared, but written out the window needs no
// accumulator, and the two taps of a row at stride 2 share their wide
// loads (the wasm generator's vloadPair). Each window axis may be the one
// separated; the partial stage is computed inside the stage's loop outside
// the axis its window slides along (in blocks of rows, a knob, when that
// axis is not the innermost), with the padding inlined; both are
// vectorized along the rows, and the partition pass splits the border off.
// The rule adds these sketches to those of the rules after it.
type separateWindow struct{}

func (separateWindow) Name() string { return "separate_window" }

func (separateWindow) Meets(p *Policy, s *Sketch, i int) Condition {
	if p.Target.IsGPU() || !isCompute(s.State, i) || !untouched(s.State, i) || len(separable(s.State, i)) == 0 {
		return Pass
	}
	return Apply
}

func (separateWindow) Apply(p *Policy, s *Sketch, i int) ([]Derived, error) {
	var out []Derived
	for _, name := range separable(s.State, i) {
		if d, ok := separate(p, s, i, name); ok {
			out = append(out, d)
		}
	}
	return out, nil
}

// separable names the reduction iterators of stage i whose window can be
// separated with a gain and written out: the window slides with an output
// axis longer than one at a stride no longer than itself (so windows
// overlap or touch, and every partial result is used), some other
// reduction axis is left to reduce first, and
// neither part is longer than schedule.MaxExpand. A cache stage (the
// accumulator of cache_write) is left alone: written out, it would be an
// element-wise copy of its own.
func separable(st *schedule.State, i int) []string {
	if st.Stages[i].Scope != ir.Global {
		return nil
	}
	return separableAxes(st.Stages[i].Op)
}

// separableAxes names the reduction iterators of op whose window can be
// separated with a gain (separable, whatever the stage's scope).
func separableAxes(op *te.Tensor) []string {
	if op.Reduce == nil || len(op.Reduce.Axes) < 2 {
		return nil
	}
	var out []string
	for k, r := range op.Reduce.Axes {
		w, ok := schedule.SlidingAxis(op, k)
		if !ok || w.Stride > r.Extent || op.Axes[w.Axis].Extent < 2 || r.Extent > schedule.MaxExpand {
			continue
		}
		rest := int64(1)
		for j, a := range op.Reduce.Axes {
			if j != k {
				rest *= a.Extent
			}
		}
		if rest > 1 && rest <= schedule.MaxExpand {
			out = append(out, r.Var.Name)
		}
	}
	return out
}

// separate writes out stage i separated along reduction iterator name,
// inlines it into its element-wise consumer when it has one, and computes
// the partial stage inside the result t, at the loop outside the axis the
// window slides along: a whole row of partial results, shared by the
// row's overlapping windows. When that axis is not t's innermost (the
// rows of a window separated along its columns), it is split, a knob, and
// the partial stage computed per outer part: as many rows as the inner
// part's windows cover, each shared by the windows above and below it.
// A padding producer of the partial stage is inlined into it.
func separate(p *Policy, s *Sketch, i int, name string) (Derived, bool) {
	e := newEdit(s)
	win, _ := schedule.SlidingAxis(s.State.Stages[i].Op, e.iter(i, name)-len(s.State.Stages[i].Op.Axes))
	e.apply(schedule.SeparateWindow{Stage: i, Iter: e.iter(i, name), Expand: true})
	if e.err != nil {
		return Derived{}, false
	}
	// The partial stage is i, the stage itself i+1.
	t := i + 1
	if c := fusibleConsumer(e.s.State, t); c >= 0 {
		e.apply(schedule.ComputeInline{Stage: t})
		t = c
	}
	ts := e.s.State.Stages[t]
	slide := ts.Op.Axes[win.Axis].Var.Name
	at := ""
	if win.Axis > 0 {
		at = ts.Op.Axes[win.Axis-1].Var.Name
	}
	if win.Axis < len(ts.Op.Axes)-1 {
		names, _ := e.split(t, slide, 2)
		at = names[0]
	}
	if at != "" {
		e.apply(schedule.ComputeAt{Stage: i, Target: t, TargetIter: e.iter(t, at)})
	}
	// Both run along the rows, innermost: they are vectorized here, not
	// left to a knob (a row of tens of floats always gains, and a search
	// of 64 trials on a loaded machine once kept a scalar one).
	for _, k := range []int{i, t} {
		e.apply(schedule.Annotate{Stage: k, Iter: len(e.s.State.Stages[k].Iters) - 1, Ann: schedule.AnnVectorize})
	}
	for _, ld := range e.s.State.Stages[i].Op.Reads() {
		src := sourceStage(e.s.State, ld.Src)
		if src >= 0 && isCompute(e.s.State, src) && hasPadding(e.s.State, src) && !e.s.State.IsOutput(src) && len(e.s.State.Consumers(src)) == 1 {
			// The partition pass splits the border off the loops, so
			// the interior loads the input directly, vectorized: a
			// padded copy would cost a pass over the input.
			e.apply(schedule.ComputeInline{Stage: src})
		}
	}
	if e.err != nil {
		return Derived{}, false
	}
	return Derived{Sketch: e.s, Next: i - 1}, true
}
