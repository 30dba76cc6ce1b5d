package sketch

import (
	"fmt"
	"maps"
	"sort"
	"strconv"

	"github.com/tabtune/tabtune/compiler/expr"

	"github.com/tabtune/tabtune/compiler/ir"
	"github.com/tabtune/tabtune/compiler/schedule"
)

// edit applies steps to a sketch by stage and iterator name.
type edit struct {
	s   *Sketch
	err error
}

func newEdit(s *Sketch) *edit {
	c := *s
	c.Tiles = append([]TileKnob(nil), s.Tiles...)
	c.Vector = maps.Clone(s.Vector)
	return &edit{s: &c}
}

func (e *edit) apply(step schedule.Step) {
	if e.err != nil {
		return
	}
	next, err := e.s.State.Apply(step)
	if err != nil {
		e.err = err
		return
	}
	e.s.State = next
}

func (e *edit) iter(stage int, name string) int {
	s := e.s.State.Stages[stage]
	for i := range s.Iters {
		if s.Iter(i).Name == name {
			return i
		}
	}
	if e.err == nil {
		e.err = fmt.Errorf("stage %s has no iterator %s", s.Name(), name)
	}
	return 0
}

// split splits iterator name of stage into parts loops with placeholder
// lengths, records the knob and returns the new names and the step.
func (e *edit) split(stage int, name string, parts int) ([]string, int) {
	if e.err != nil {
		return nil, -1
	}
	node := e.s.State.Stages[stage].Iter(e.iter(stage, name))
	lengths := make([]int64, parts-1)
	for i := range lengths {
		lengths[i] = 1
	}
	step := len(e.s.State.Steps)
	e.s.Tiles = append(e.s.Tiles, TileKnob{Step: step, Extent: node.Extent, Parts: parts, Reduce: node.Kind == schedule.Reduce})
	e.apply(schedule.Split{Stage: stage, Iter: e.iter(stage, name), Lengths: lengths, InnerToOuter: true})
	names := make([]string, parts)
	for i := range names {
		names[i] = name + "." + strconv.Itoa(i)
	}
	return names, step
}

// fuseReductions fuses the reduction iterators of an untransformed stage
// into one loop (they come last, consecutively) and returns its name.
func (e *edit) fuseReductions(stage int) string {
	st := e.s.State.Stages[stage]
	var red []int
	for n := range st.Iters {
		if st.Iter(n).Kind == schedule.Reduce {
			red = append(red, n)
		}
	}
	name := st.Iter(red[0]).Name
	if len(red) > 1 {
		e.apply(schedule.Fuse{Stage: stage, Iters: red})
		for _, n := range red[1:] {
			name += "@" + st.Iter(n).Name
		}
	}
	return name
}

func (e *edit) reorder(stage int, names []string) {
	order := make([]int, len(names))
	for i, n := range names {
		order[i] = e.iter(stage, n)
	}
	e.apply(schedule.Reorder{Stage: stage, Order: order})
}

// tiled is the result of multi-level tiling: per spatial axis, the split
// step and the names of its levels.
type tiled struct {
	spatialSteps []int
	levels       [][]string // levels[l] are the iterators of level l, in loop order
}

// tile applies multi-level tiling with structure (such as "SSRSRS") to a
// stage: each spatial iterator is split into as many levels as there are
// S, each reduction iterator into as many as there are R, and the loops
// are ordered level by level as the structure says. Within each spatial
// level the axes keep their order, but for spatial axis vec (when not
// negative), which goes last: the innermost loop, the one vectorized,
// runs along it. The knob of the innermost spatial axis is marked Vector.
func (e *edit) tile(stage int, structure string, longReduceInner bool, vec int) tiled {
	var t tiled
	s := e.s.State.Stages[stage]
	var spatial, reduce []string
	var reduceExt []int64
	for i := range s.Iters {
		if s.Iter(i).Kind == schedule.Reduce {
			reduce = append(reduce, s.Iter(i).Name)
			reduceExt = append(reduceExt, s.Iter(i).Extent)
		} else {
			spatial = append(spatial, s.Iter(i).Name)
		}
	}
	if longReduceInner {
		// Within each reduction level, the longest reduction runs
		// innermost (a convolution's channels inside its 3x3 window): a
		// longer inner loop of few statements, with pointer increments.
		idx := make([]int, len(reduce))
		for i := range idx {
			idx[i] = i
		}
		sort.SliceStable(idx, func(a, b int) bool { return reduceExt[idx[a]] < reduceExt[idx[b]] })
		sorted := make([]string, len(reduce))
		for i, k := range idx {
			sorted[i] = reduce[k]
		}
		reduce = sorted
	}
	nS, nR := 0, 0
	for _, c := range structure {
		if c == 'S' {
			nS++
		} else {
			nR++
		}
	}
	sLevels := make([][]string, nS)
	rLevels := make([][]string, nR)
	for _, n := range spatial {
		names, step := e.split(stage, n, nS)
		t.spatialSteps = append(t.spatialSteps, step)
		for l, x := range names {
			sLevels[l] = append(sLevels[l], x)
		}
	}
	if vec >= 0 && vec < len(spatial) {
		for l := range sLevels {
			sLevels[l] = moveLast(sLevels[l], vec)
		}
	}
	e.markVector(t.spatialSteps, vec)
	for _, n := range reduce {
		names, _ := e.split(stage, n, nR)
		for l, x := range names {
			rLevels[l] = append(rLevels[l], x)
		}
	}
	var order []string
	si, ri := 0, 0
	for _, c := range structure {
		if c == 'S' {
			t.levels = append(t.levels, sLevels[si])
			order = append(order, sLevels[si]...)
			si++
		} else {
			t.levels = append(t.levels, rLevels[ri])
			order = append(order, rLevels[ri]...)
			ri++
		}
	}
	e.reorder(stage, order)
	return t
}

// multiLevelTiling tiles a stage with data reuse or a sliding window
// (Ansor's RuleMultiLevelTiling, which tiles only the first).
type multiLevelTiling struct{}

func (multiLevelTiling) Name() string { return "multi_level_tiling" }

func (multiLevelTiling) Meets(p *Policy, s *Sketch, i int) Condition {
	if isCompute(s.State, i) && untouched(s.State, i) && needsTiling(p, s.State, i) {
		return ApplyAndSkipRest
	}
	return Pass
}

func (multiLevelTiling) Apply(p *Policy, s *Sketch, i int) ([]Derived, error) {
	var out []Derived
	for _, inner := range reduceOrders(s, i) {
		e := newEdit(s)
		e.tile(i, p.Structure, inner, -1)
		if e.err != nil {
			return nil, e.err
		}
		out = append(out, Derived{Sketch: e.s, Next: i - 1})
	}
	return out, nil
}

// multiLevelTilingWithFusion tiles a stage and computes it inside the
// tiles of its element-wise consumer, which follows the stage's tiling at
// its outer levels (Ansor's RuleMultiLevelTilingWithFusion). For each
// place of fusion (after the first or the second spatial level) it also
// derives a variant with a packed panel of an input: a copy of the part of
// the input one outer tile reads, computed per tile, so that the inner
// loops read it contiguously.
type multiLevelTilingWithFusion struct{}

func (multiLevelTilingWithFusion) Name() string { return "multi_level_tiling_with_fusion" }

func (multiLevelTilingWithFusion) Meets(p *Policy, s *Sketch, i int) Condition {
	if isCompute(s.State, i) && untouched(s.State, i) && needsTiling(p, s.State, i) && fusibleConsumer(s.State, i) >= 0 {
		return ApplyAndSkipRest
	}
	return Pass
}

func (multiLevelTilingWithFusion) Apply(p *Policy, s *Sketch, i int) ([]Derived, error) {
	var out []Derived
	for _, inner := range reduceOrders(s, i) {
		for _, level := range []int{1, 2} {
			d, err := fuseAt(p, s, i, level, inner, true, -1)
			if err != nil {
				return nil, err
			}
			out = append(out, d...)
		}
	}
	return append(out, packedVariants(p, s, i)...), nil
}

// reduceOrders are the orders of the reduction loops within a level that
// tiling tries: as written, and, when it differs, the longest innermost.
func reduceOrders(s *Sketch, i int) []bool {
	st := s.State.Stages[i]
	prev := int64(0)
	for n := range st.Iters {
		if it := st.Iter(n); it.Kind == schedule.Reduce {
			if it.Extent < prev {
				return []bool{false, true}
			}
			prev = it.Extent
		}
	}
	return []bool{false}
}

// fuseAt tiles stage i and fuses it into its consumer's tile at the given
// level, with the packed-panel variant when panel is set and an input
// qualifies. Spatial axis vec, when not negative, is the vector axis of
// both (tile).
func fuseAt(p *Policy, s *Sketch, i, level int, longReduceInner, panel bool, vec int) ([]Derived, error) {
	var out []Derived
	{
		e := newEdit(s)
		c := fusibleConsumer(e.s.State, i)
		t := e.tile(i, p.Structure, longReduceInner, vec)
		// The consumer follows the first level spatial splits.
		cs := e.s.State.Stages[c]
		var names []string
		for d := range cs.Op.Axes {
			names = append(names, cs.Nodes[d].Name)
		}
		cLevels := make([][]string, level+1)
		for d, n := range names {
			if e.err != nil {
				break
			}
			e.apply(schedule.FollowSplit{Stage: c, Iter: e.iter(c, n), SrcStep: t.spatialSteps[d], NSplit: level})
			for l := 0; l <= level; l++ {
				cLevels[l] = append(cLevels[l], n+"."+strconv.Itoa(l))
			}
		}
		if vec >= 0 && vec < len(names) {
			for l := range cLevels {
				cLevels[l] = moveLast(cLevels[l], vec)
			}
		}
		var order []string
		for _, l := range cLevels {
			order = append(order, l...)
		}
		e.reorder(c, order)
		at := cLevels[level-1][len(cLevels[level-1])-1]
		e.apply(schedule.ComputeAt{Stage: i, Target: c, TargetIter: e.iter(c, at)})
		if e.err != nil {
			return nil, e.err
		}
		out = append(out, Derived{Sketch: e.s, Next: i - 1})
		if !panel {
			return out, nil
		}
		if packed := packPanel(e.s, i, c, cLevels[0][len(cLevels[0])-1]); packed != nil {
			// The panel's stage was inserted before this one.
			out = append(out, Derived{Sketch: packed, Next: i})
		}
	}
	return out, nil
}

// packPanel adds the packing variant: the input whose innermost index is
// the stage's innermost spatial axis (B of a matmul, read along j) is
// copied (cache_read) per outer tile of the consumer, so that the innermost
// loops read a small dense panel: the blocked layout of packing, made per
// tile. Only inputs can be packed. It returns nil when no input qualifies.
func packPanel(s *Sketch, stage, consumer int, at string) *Sketch {
	st := s.State
	op := st.Stages[stage].Op
	if len(op.Axes) == 0 {
		return nil
	}
	inner := op.Axes[len(op.Axes)-1].Var
	for _, ld := range op.Reads() {
		src := sourceStage(st, ld.Src)
		if src < 0 || !st.Stages[src].IsInput() || len(ld.Index) == 0 || ld.Index[len(ld.Index)-1] != expr.Expr(inner) {
			continue
		}
		e := newEdit(s)
		e.apply(schedule.CacheRead{Stage: src, Scope: ir.Global, Readers: []int{stage}})
		// The cache stage sits right after src; later stages moved up one.
		e.apply(schedule.ComputeAt{Stage: src + 1, Target: consumer + 1, TargetIter: e.iter(consumer+1, at)})
		if e.err != nil {
			return nil
		}
		return e.s
	}
	return nil
}
