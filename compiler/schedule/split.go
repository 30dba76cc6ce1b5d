package schedule

import (
	"fmt"
	"strconv"
)

// Split divides iterator Iter of stage Stage into len(Lengths)+1 loops.
// With InnerToOuter (the usual form), Lengths are the extents of the inner
// loops, outermost first, and the outermost loop takes the rest:
// split(i, [8, 4]) of i in 0..100 gives i.0 in 0..4, i.1 in 0..8,
// i.2 in 0..4, with i = i.0*32 + i.1*4 + i.2 guarded by i < 100. Without
// it, Lengths are the extents of the outer loops and the innermost takes
// the rest. The pragmas of the split loop move to the outermost new loop:
// auto_unroll_max_step bounds the steps of the whole nest under its loop,
// and the outermost loop has that same nest under it.
type Split struct {
	Stage        int     `json:"stage"`
	Iter         int     `json:"iter"`
	Lengths      []int64 `json:"lengths"`
	InnerToOuter bool    `json:"inner_to_outer"`
}

// Kind implements Step.
func (Split) Kind() string { return "split" }

func (s Split) refs() []ref { return stageIterRefs(s.Stage, s.Iter) }

func (s Split) String() string {
	return fmt.Sprintf("split(%s, iter %d, %v, inner_to_outer=%v)", stageName(s.Stage), s.Iter, s.Lengths, s.InnerToOuter)
}

func (s Split) apply(c *ctx) error {
	return applySplit(c, s.Stage, s.Iter, s.Lengths, s.InnerToOuter)
}

// applySplit is shared by Split, FollowSplit and FollowFusedSplit.
func applySplit(c *ctx, stageID, pos int, lengths []int64, innerToOuter bool) error {
	stage, n, err := c.stageIter(stageID, pos)
	if err != nil {
		return err
	}
	if len(lengths) == 0 {
		return c.errorf("split needs at least one length")
	}
	prod := int64(1)
	for _, l := range lengths {
		if l <= 0 {
			return c.errorf("split lengths must be positive, got %v", lengths)
		}
		prod *= l
		if prod > 1<<40 {
			return c.errorf("split lengths %v are too large", lengths)
		}
	}
	if err := checkNotAttachPoint(c, stageID, n); err != nil {
		return err
	}
	node := stage.Nodes[n]
	if node.Ann != AnnNone {
		return c.errorf("cannot split an iterator annotated %s", node.Ann)
	}
	if len(stage.Iters)+len(lengths) > MaxLoops {
		return c.errorf("the stage would have %d loops; a stage has at most %d", len(stage.Iters)+len(lengths), MaxLoops)
	}
	if err := checkName(c, node.Name+"."+strconv.Itoa(len(lengths))); err != nil {
		return err
	}
	m := c.mut(stageID)
	exts := SplitExtents(node.Extent, lengths, innerToOuter)
	rel := Rel{Kind: RelSplit, In: []int{n}, Lengths: append([]int64(nil), lengths...), InnerToOuter: innerToOuter}
	newIters := make([]int, 0, len(m.Iters)+len(lengths))
	newIters = append(newIters, m.Iters[:pos]...)
	for i, e := range exts {
		id := len(m.Nodes)
		m.Nodes = append(m.Nodes, Node{Name: node.Name + "." + strconv.Itoa(i), Extent: e, Kind: node.Kind})
		rel.Out = append(rel.Out, id)
		newIters = append(newIters, id)
	}
	newIters = append(newIters, m.Iters[pos+1:]...)
	m.Iters = newIters
	m.Rels = append(m.Rels, rel)
	movePragmas(m, []int{n}, rel.Out[0])
	return nil
}

// Bounds of a stage's loops, so that a hostile schedule stays cheap to
// replay, lower and print: a loop nest deeper than MaxLoops, or an
// iterator name (which grows with each split and fuse) longer than
// MaxNameLen, is refused.
const (
	MaxLoops   = 256
	MaxNameLen = 256
)

// checkName refuses an iterator name longer than MaxNameLen.
func checkName(c *ctx, name string) error {
	if len(name) > MaxNameLen {
		return c.errorf("the new iterator's name would have %d characters, more than %d: the schedule splits and fuses too deeply", len(name), MaxNameLen)
	}
	return nil
}

func checkNotAttachPoint(c *ctx, stageID, n int) error {
	if at := c.attachedTo(stageID, n); len(at) > 0 {
		return c.errorf("stage %s is computed at this iterator; split or fuse before compute_at", c.st.Stages[at[0]].Name())
	}
	return nil
}

func ceilDiv(a, b int64) int64 { return (a + b - 1) / b }

// SplitExtents returns the extents of the loops a split of extent e makes.
// As TVM's bound inference does, an inner loop is never longer than what
// is left of its parent: splitting 6 by [4, 3] gives 1, 2, 3, not 1, 4, 3
// (which would run 4 iterations of which 2 are guarded off). This matters
// for a stage computed inside a tile, whose region is smaller than the
// extents its splits were written for.
func SplitExtents(e int64, lengths []int64, innerToOuter bool) []int64 {
	exts := make([]int64, len(lengths)+1)
	if innerToOuter {
		rem := e
		for k := len(lengths) - 1; k >= 0; k-- {
			exts[k+1] = min(rem, lengths[k])
			rem = ceilDiv(rem, lengths[k])
		}
		exts[0] = rem
		return exts
	}
	prod := int64(1)
	for _, l := range lengths {
		prod *= l
	}
	copy(exts, lengths)
	exts[len(lengths)] = ceilDiv(e, prod)
	return exts
}

// FollowSplit splits an iterator like an earlier split step, so that a
// consumer fused into a tiled producer gets the same tiles. With NSplit
// loops wanted beyond the outermost, it takes the first NSplit-1 lengths of
// step SrcStep and the product of the rest as the last length.
type FollowSplit struct {
	Stage   int `json:"stage"`
	Iter    int `json:"iter"`
	SrcStep int `json:"src_step"`
	NSplit  int `json:"n_split"`
}

// Kind implements Step.
func (FollowSplit) Kind() string { return "follow_split" }

func (s FollowSplit) refs() []ref { return stageIterRefs(s.Stage, s.Iter) }

func (s FollowSplit) String() string {
	return fmt.Sprintf("follow_split(%s, iter %d, step %d, n_split=%d)", stageName(s.Stage), s.Iter, s.SrcStep, s.NSplit)
}

func (s FollowSplit) apply(c *ctx) error {
	src, err := srcSplit(c, s.SrcStep)
	if err != nil {
		return err
	}
	if s.NSplit < 1 || s.NSplit > len(src.Lengths) {
		return c.errorf("n_split must be in [1, %d] for step %d, not %d", len(src.Lengths), s.SrcStep, s.NSplit)
	}
	lengths := append([]int64(nil), src.Lengths[:s.NSplit-1]...)
	last := int64(1)
	for _, l := range src.Lengths[s.NSplit-1:] {
		last *= l
	}
	lengths = append(lengths, last)
	return applySplit(c, s.Stage, s.Iter, lengths, true)
}

// srcSplit returns the lengths of an earlier split-like step.
func srcSplit(c *ctx, id int) (Split, error) {
	if id < 0 || id >= len(c.prev) {
		return Split{}, c.errorf("source step %d is not an earlier step", id)
	}
	lengths, err := splitLengths(c.prev, id, 0)
	if err != nil {
		return Split{}, c.errorf("%v", err)
	}
	return Split{Lengths: lengths, InnerToOuter: true}, nil
}

// splitLengths returns the lengths step id of steps split by.
func splitLengths(steps []Step, id, depth int) ([]int64, error) {
	if id < 0 || id >= len(steps) || depth > len(steps) {
		return nil, fmt.Errorf("source step %d is not an earlier step", id)
	}
	switch src := steps[id].(type) {
	case Split:
		return src.Lengths, nil
	case FollowSplit:
		ls, err := splitLengths(steps, src.SrcStep, depth+1)
		if err != nil {
			return nil, err
		}
		if src.NSplit < 1 || src.NSplit > len(ls) {
			return nil, fmt.Errorf("step %d: n_split %d out of range", id, src.NSplit)
		}
		out := append([]int64(nil), ls[:src.NSplit-1]...)
		last := int64(1)
		for _, l := range ls[src.NSplit-1:] {
			last *= l
		}
		return append(out, last), nil
	case FollowFusedSplit:
		f := int64(1)
		for _, s := range src.SrcSteps {
			ls, err := splitLengths(steps, s, depth+1)
			if err != nil {
				return nil, err
			}
			if src.Level < 0 || src.Level >= len(ls) {
				return nil, fmt.Errorf("step %d: level %d out of range", id, src.Level)
			}
			f *= ls[src.Level]
		}
		return []int64{f}, nil
	}
	return nil, fmt.Errorf("source step %d is a %s, not a split", id, steps[id].Kind())
}

// FollowFusedSplit splits an iterator by the product of level Level of the
// lengths of several earlier split steps: the tile of a fused loop. With
// FactorOrNparts the product is the inner length, else the outer one.
type FollowFusedSplit struct {
	Stage          int   `json:"stage"`
	Iter           int   `json:"iter"`
	SrcSteps       []int `json:"src_steps"`
	Level          int   `json:"level"`
	FactorOrNparts bool  `json:"factor_or_nparts"`
}

// Kind implements Step.
func (FollowFusedSplit) Kind() string { return "follow_fused_split" }

func (s FollowFusedSplit) refs() []ref { return stageIterRefs(s.Stage, s.Iter) }

func (s FollowFusedSplit) String() string {
	return fmt.Sprintf("follow_fused_split(%s, iter %d, steps %v, level %d, factor=%v)", stageName(s.Stage), s.Iter, s.SrcSteps, s.Level, s.FactorOrNparts)
}

func (s FollowFusedSplit) apply(c *ctx) error {
	if len(s.SrcSteps) == 0 {
		return c.errorf("no source steps")
	}
	f := int64(1)
	for _, id := range s.SrcSteps {
		src, err := srcSplit(c, id)
		if err != nil {
			return err
		}
		if s.Level < 0 || s.Level >= len(src.Lengths) {
			return c.errorf("level %d is out of range for step %d, which has %d lengths", s.Level, id, len(src.Lengths))
		}
		f *= src.Lengths[s.Level]
	}
	return applySplit(c, s.Stage, s.Iter, []int64{f}, s.FactorOrNparts)
}
