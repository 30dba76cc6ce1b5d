// Package sample fills the knobs of sketches (package sketch) to make
// concrete schedules, as Ansor's initial-population rules do: tile sizes
// (random factorizations of each extent over the tile levels), where
// untiled producers are computed (a packed copy of an input: at the root,
// packed once, or in an outer spatial loop of its reader, packed per
// tile), vectorization of innermost loops, the auto-unroll budget, and
// parallel outer loops on multi-core CPUs or thread bindings on GPUs
// (gpu.go).
//
// A candidate is a Config: the sketch it comes from and a value for every
// knob. Build turns a Config into a schedule.State deterministically, so
// the evolutionary search mutates and crosses Configs, and records keep the
// resulting steps.
package sample

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"

	"github.com/tabtune/tabtune/compiler/expr"
	"github.com/tabtune/tabtune/compiler/ir"
	"github.com/tabtune/tabtune/compiler/schedule"
	"github.com/tabtune/tabtune/search/sketch"
	"github.com/tabtune/tabtune/targets"
)

// UnrollSteps are the auto_unroll_max_step values a CPU or wasm config
// chooses from (GPU configs: GPUUnrollSteps; see Space.UnrollChoices).
var UnrollSteps = []int64{0, 16, 64, 512}

// Space is what can be chosen for one sketch.
type Space struct {
	Sketch *sketch.Sketch
	Target targets.Target
	// Locations are the stages whose compute location is a knob: each may
	// stay at the root or go inside a loop of its consumer. GPU spaces
	// have none: their sketches decide.
	Locations []Location
	// Stages are the stages that get an unroll pragma and may vectorize
	// their innermost loop (indices in the sketch's final state).
	Stages []int
	// panelStage is the stage (as knobStage names it) that reads a packed
	// panel, -1 when none does; panel holds the spatial axes the panel's
	// indices use (panelAxes).
	panelStage int
	panel      map[int]bool
	// fixed holds, per position in Stages, the vectorization the sketch
	// decided (Sketch.Vector: a row chain's stages), which overrides the
	// config's knob there.
	fixed map[int]bool
}

// Location is a compute-location knob: Stage at the root (choice 0) or at
// iterator choice-1 of Consumer.
type Location struct {
	Stage, Consumer, Choices int
}

// Config is one point of a space.
type Config struct {
	// Tiles holds the inner lengths of each tile knob, in the order of
	// Sketch.Tiles.
	Tiles [][]int64
	// Locations holds a choice per location knob.
	Locations []int
	// Vectorize says, per stage of Space.Stages, whether its innermost
	// loop is vectorized (a copy stage's always is: isCopy).
	Vectorize []bool
	// Unroll is an index into Space.UnrollChoices (UnrollSteps on CPU
	// and wasm), per stage of Space.Stages.
	Unroll []int
}

// NewSpace finds the knobs of a sketch.
func NewSpace(sk *sketch.Sketch, t targets.Target) *Space {
	sp := &Space{Sketch: sk, Target: t, panelStage: -1}
	if st, axes, ok := panelAxes(sk); ok {
		sp.panelStage, sp.panel = st, axes
	}
	st := sk.State
	for i, s := range st.Stages {
		if s.IsInput() || s.Attach.Kind == schedule.AttachInline {
			continue
		}
		if v, ok := sk.Vector[s.Name()]; ok {
			if sp.fixed == nil {
				sp.fixed = map[int]bool{}
			}
			sp.fixed[len(sp.Stages)] = v
		}
		sp.Stages = append(sp.Stages, i)
		if s.Attach.Kind != schedule.AttachRoot || s.Transformed() || st.IsOutput(i) || t.IsGPU() {
			continue
		}
		cons := st.Consumers(i)
		if len(cons) != 1 {
			continue
		}
		choices := len(st.Stages[cons[0]].Iters) + 1
		if s.Order != nil {
			choices = packedChoices(st.Stages[cons[0]])
		}
		sp.Locations = append(sp.Locations, Location{Stage: i, Consumer: cons[0], Choices: choices})
	}
	return sp
}

// packedChoices are the places of a packed copy (a stage with a storage
// order, the sketch's auto-packing) in its consumer c: the root, where it
// is packed once, or inside one of c's loops before its first reduction
// loop, where it is packed per outer tile (the blocked layout). Deeper, the
// copy would be made again for every step of the reduction.
func packedChoices(c *schedule.Stage) int {
	n := 0
	for n < len(c.Iters) && c.Iter(n).Kind == schedule.Spatial {
		n++
	}
	return n + 1
}

// Random draws a config. Half of the draws are shaped like register
// micro-kernels (microTiles), on CPU and wasm three in four of them also
// vectorized and unrolled at the largest step; a location knob keeps its producer at the
// root half of the time, the one choice that never computes a producer's
// element twice, and otherwise picks among all places uniformly. Where the
// sketch decides a stage's vectorization (a row chain), the draw says what
// the sketch says, and the chain's stages computed per block of rows
// share one unroll step (unrollOf).
func (sp *Space) Random(rng *rand.Rand) Config {
	var c Config
	micro := rng.IntN(2) == 0
	if micro {
		c.Tiles = sp.microTiles(rng)
	} else {
		for _, k := range sp.Sketch.Tiles {
			c.Tiles = append(c.Tiles, randomTile(rng, k))
		}
	}
	for _, l := range sp.Locations {
		loc := 0
		if rng.IntN(2) == 0 {
			loc = rng.IntN(l.Choices)
		}
		c.Locations = append(c.Locations, loc)
	}
	// A micro-kernel draw on a CPU or wasm target is mostly annotated as
	// one: vectorized, and unrolled at the largest step, so that its tile
	// is held in vector registers (the generators keep a local buffer in
	// registers only when every loop over it is unrolled or vectorized).
	kernel := micro && !sp.Target.IsGPU() && rng.IntN(4) != 0
	for i := range sp.Stages {
		c.Vectorize = append(c.Vectorize, sp.vectorize(i, kernel || rng.IntN(4) != 0))
		u := rng.IntN(len(sp.UnrollChoices()))
		if kernel {
			u = len(sp.UnrollChoices()) - 1
		}
		if j := sp.unrollOf(i); j != i {
			u = c.Unroll[j]
		}
		c.Unroll = append(c.Unroll, u)
	}
	return c
}

// randomTile picks inner lengths for a tile knob: a random factorization
// of the extent, mostly by divisors (a tile that divides its extent needs
// no guard); innermost lengths stay at most 64.
func randomTile(rng *rand.Rand, k sketch.TileKnob) []int64 {
	lengths := make([]int64, k.Parts-1)
	rest := k.Extent
	for i := len(lengths) - 1; i >= 0; i-- {
		limit := rest
		if i == len(lengths)-1 {
			limit = min(limit, 64)
		}
		var l int64
		if rng.IntN(10) == 0 {
			l = 1 + rng.Int64N(min(limit, 16))
		} else {
			divs := divisors(rest, limit)
			l = divs[rng.IntN(len(divs))]
		}
		lengths[i] = l
		rest = (rest + l - 1) / l
	}
	return lengths
}

// microTiles picks the tile sizes of a draw shaped like a register
// micro-kernel, as hand-written schedules are: per tiled stage, a small
// innermost tile whose accumulators fit the vector registers, the levels
// between left at 1, and (two draws in three) every reduction kept in its
// outer loop. The vector axis (the knob marked Vector: the innermost
// spatial axis, or the output channels of a packed sketch) gets one to
// four vectors of lanes; each other spatial axis one of microLengths,
// while the tile stays within microBudget vectors. The rest of a spatial extent goes to the outermost
// level or, half of the time, to the next one: an outer loop of 1 over an
// axis lets a packed panel that does not depend on it be made once rather
// than once per tile (GMM 1024's B panel per column tile: 3.5x faster).
// In a sketch with a packed panel, three draws in four choose so: the
// outer level of the axes the panel does not depend on is 1, that of the
// others is kept (so the panel stays a panel, and the column tiles are
// the parallel loop). Uniform factorizations rarely land on such tiles.
func (sp *Space) microTiles(rng *rand.Rand) [][]int64 {
	knobs := sp.Sketch.Tiles
	tiles := make([][]int64, len(knobs))
	reduceOuter := rng.IntN(3) != 0
	lanes := int64(max(sp.Target.VectorLanes(), 1))
	// The knobs of each stage, and which spatial one is innermost.
	byStage := map[int][]int{}
	var stages []int
	for i, k := range knobs {
		st := sp.knobStage(k)
		if _, ok := byStage[st]; !ok {
			stages = append(stages, st)
		}
		byStage[st] = append(byStage[st], i)
	}
	for _, st := range stages {
		ids := byStage[st]
		panel, hasPanel := sp.panel, sp.panelStage == st && sp.panelStage >= 0
		vec := vecKnobOf(knobs, ids)
		budget, wide := microBudget(rng, sp.Target)
		order := append([]int(nil), ids...)
		rng.Shuffle(len(order), func(a, b int) { order[a], order[b] = order[b], order[a] })
		if vec >= 0 {
			// The vector axis first: it sets the budget of the others.
			for j, i := range order {
				if i == vec {
					order[0], order[j] = order[j], order[0]
				}
			}
		}
		// In a wide draw, the last spatial axis drawn that can grow fills
		// what the budget leaves (fillLast).
		last := -1
		if wide {
			last = fillLast(order, knobs, vec)
		}
		for _, i := range order {
			k := knobs[i]
			lengths := make([]int64, k.Parts-1)
			for l := range lengths {
				lengths[l] = 1
			}
			tiles[i] = lengths
			if k.Reduce {
				if !reduceOuter {
					tiles[i] = randomTile(rng, k)
				}
				continue
			}
			var choices []int64
			if i == vec {
				for _, v := range []int64{1, 2, 4} {
					if l := v * lanes; l <= k.Extent && k.Extent%l == 0 {
						choices = append(choices, l)
					}
				}
			}
			if len(choices) == 0 {
				choices = microLengths(k.Extent, budget, wide)
			}
			inner := choices[rng.IntN(len(choices))]
			if i == last {
				inner = slices.Max(choices)
			}
			if i == vec {
				budget = max(1, budget/max(1, inner/lanes))
			} else {
				budget = max(1, budget/inner)
			}
			lengths[len(lengths)-1] = inner
			collapse := rng.IntN(2) == 0
			if hasPanel && rng.IntN(4) != 0 {
				// A packed panel is made per outer tile: collapse the
				// axes it does not depend on, so that it is made once
				// and reused by every tile along them, and keep those it
				// does, so that it stays a panel (GMM: one 32-column
				// panel of B per column tile, reused by every row tile).
				collapse = !panel[sp.knobAxis(ids, i)]
			}
			if len(lengths) > 1 && collapse {
				lengths[0] = k.Extent / inner
			}
		}
	}
	return tiles
}

// fillLast is the knob, among order, of the last spatial axis other than
// the vector axis vec whose extent is above 1; -1 when there is none. A
// wide draw gives it the largest length that fits the budget the others
// leave. The budget beyond the registers pays only when the tile's
// elements share their loads (an operand that does not depend on an axis
// is loaded once for the tile's whole length along it: depthwise weights
// along the pixels, a matrix row along the columns), and that sharing
// grows with the tile: drawn uniformly, most wide tiles used a fraction of
// their budget, and the 14-pixel by 8-channel tile of dw7 (28
// accumulators, 1.4x faster than one pixel) came up in about one draw of
// a thousand.
func fillLast(order []int, knobs []sketch.TileKnob, vec int) int {
	last := -1
	for _, i := range order {
		if k := knobs[i]; !k.Reduce && i != vec && k.Extent > 1 {
			last = i
		}
	}
	return last
}

// microRegisters is the number of vector accumulators a micro-kernel
// draw's tile holds at most on t: its vector registers less room for the
// operands (a broadcast and up to four loaded vectors). That is 12 of the
// 16 SIMD registers of x86-64 with AVX2 and of the wasm engines' register
// allocators there, and 28 of the 32 of AVX-512 (a cpu target of 16
// lanes) and of AArch64 (NEON), where a tile of 16 accumulators (2
// vectors by 8 rows, 4 by 4) covers the FMA units' latency with fewer
// loads per FMA than a tile of 8.
func microRegisters(t targets.Target) int64 {
	if t.Kind == targets.CPU && (t.VectorLanes() == 16 || strings.HasPrefix(t.MCPU, "armv")) {
		return 28
	}
	return 12
}

// microBudget draws the number of vector accumulators of one stage's
// micro-kernel tile: microRegisters, but on wasm one stage in four is
// wide: a budget of 16 or 28, beyond the registers, and its spatial
// lengths any divisor of the extent (microLengths). V8 spills what does
// not fit to the stack, and a tile that shares its loads can gain more
// than the spills cost: depthwise dw7 (C=512, 14x14) ran 1.4x faster with
// 14 pixels by 8 channels (28 accumulators) than with one pixel, and the
// packed group conv 1.24-1.5x faster with 16 accumulators than with 4.
// Only one in four: drawn for every stage, the wide tiles crowded out the
// narrow ones and 64-trial tunes of c2d and depthwise stride 2 were slower.
func microBudget(rng *rand.Rand, t targets.Target) (budget int64, wide bool) {
	regs := microRegisters(t)
	if t.Kind != targets.WasmSIMD || rng.IntN(4) != 0 {
		return regs, false
	}
	return wideBudgets[rng.IntN(len(wideBudgets))], true
}

// wideBudgets are the budgets of a wide micro-kernel draw on wasm, the
// widest last (Space.TileBudget).
var wideBudgets = []int64{16, 28}

// vecKnobOf is the knob among ids (one stage's) that tiles its vector
// axis: the one marked Vector, else the last spatial one; -1 when all
// reduce.
func vecKnobOf(knobs []sketch.TileKnob, ids []int) int {
	vec := -1
	for _, i := range ids {
		if !knobs[i].Reduce && (vec < 0 || !knobs[vec].Vector) {
			vec = i
		}
	}
	return vec
}

// microLengths are the innermost lengths a micro-kernel draw chooses from
// for a spatial axis of extent n that is not the vector axis, within a
// budget of b accumulators: 1, 2, 4 or 8 where they divide n, or in a
// wide draw every divisor of n up to 16 (1, 2, 7 or 14 of 14).
func microLengths(n, b int64, wide bool) []int64 {
	if wide {
		return divisors(n, min(b, 16))
	}
	var out []int64
	for _, l := range []int64{1, 2, 4, 8} {
		if l <= n && n%l == 0 && l <= b {
			out = append(out, l)
		}
	}
	if len(out) == 0 {
		out = []int64{1}
	}
	return out
}

// knobAxis is the spatial axis (an index into the stage's Op.Axes) that
// knob i of a stage splits, ids being the stage's knobs in order: tiling
// splits the spatial axes first, in order (sketch.tile).
func (sp *Space) knobAxis(ids []int, i int) int {
	d := 0
	for _, j := range ids {
		if j == i {
			return d
		}
		if !sp.Sketch.Tiles[j].Reduce {
			d++
		}
	}
	return -1
}

// panelAxes finds a stage of the sketch that reads a packed panel (a
// copy stage computed inside a loop, as the packing sketches make) and
// says which of its spatial axes the panel's indices use. The stage is
// named by its index when its tile knobs were made (knobStage), since the
// panel's stage was inserted before it afterwards; ok is false when no
// tiled stage reads a panel.
func panelAxes(sk *sketch.Sketch) (stage int, axes map[int]bool, ok bool) {
	st := sk.State
	reader, axes := -1, map[int]bool{}
	for r, rs := range st.Stages {
		if rs.IsInput() {
			continue
		}
		for _, x := range st.Stages {
			if x.IsInput() || x.Attach.Kind != schedule.AttachAt || !isCopy(x) {
				continue
			}
			for _, ld := range rs.Op.Reads() {
				if ld.Src != expr.Source(x.Tensor) {
					continue
				}
				reader = r
				for d, a := range rs.Op.Axes {
					for _, ix := range ld.Index {
						if expr.Uses(ix, func(v *expr.Var) bool { return v == a.Var }) {
							axes[d] = true
						}
					}
				}
			}
		}
	}
	if reader < 0 {
		return -1, nil, false
	}
	name := st.Stages[reader].Name()
	for _, k := range sk.Tiles {
		split, isSplit := st.Steps[k.Step].(schedule.Split)
		if !isSplit {
			continue
		}
		then, err := schedule.Replay(st.DAG, st.Steps[:k.Step])
		if err == nil && split.Stage < len(then.Stages) && then.Stages[split.Stage].Name() == name {
			return split.Stage, axes, true
		}
	}
	return -1, nil, false
}

// knobStage returns the stage a tile knob splits.
func (sp *Space) knobStage(k sketch.TileKnob) int {
	if s, ok := sp.Sketch.State.Steps[k.Step].(schedule.Split); ok {
		return s.Stage
	}
	return -1
}

// divisors lists the divisors of n that are at most limit.
func divisors(n, limit int64) []int64 {
	var out []int64
	for d := int64(1); d*d <= n; d++ {
		if n%d == 0 {
			if d <= limit {
				out = append(out, d)
			}
			if e := n / d; e != d && e <= limit {
				out = append(out, e)
			}
		}
	}
	if len(out) == 0 {
		out = []int64{1}
	}
	return out
}

// Build makes the state of a config: the sketch's steps with the tile
// sizes filled, then the compute locations, vectorization and unroll
// pragmas.
func (sp *Space) Build(c Config) (*schedule.State, error) {
	if sp.Target.IsGPU() {
		c = sp.fitGPU(c) // gpu.go: tiles that fit the device's limits
	}
	steps := append([]schedule.Step(nil), sp.Sketch.State.Steps...)
	for i, k := range sp.Sketch.Tiles {
		s, ok := steps[k.Step].(schedule.Split)
		if !ok {
			return nil, fmt.Errorf("sample: knob %d is not a split", i)
		}
		s.Lengths = c.Tiles[i]
		steps[k.Step] = s
	}
	st, err := schedule.Replay(sp.Sketch.State.DAG, steps)
	if err != nil {
		return nil, err
	}
	if sp.Target.IsGPU() {
		return sp.buildGPU(st, c) // gpu.go: thread bindings instead of locations, vectorize, parallel
	}
	apply := func(s schedule.Step) error {
		next, err := st.Apply(s)
		if err != nil {
			return err
		}
		st = next
		return nil
	}
	for i, l := range sp.Locations {
		if ch := c.Locations[i]; ch > 0 {
			if err := apply(schedule.ComputeAt{Stage: l.Stage, Target: l.Consumer, TargetIter: ch - 1}); err != nil {
				return nil, err
			}
		}
	}
	for i, s := range sp.Stages {
		stg := st.Stages[s]
		n := len(stg.Iters)
		if n == 0 || !sp.vectorize(i, c.Vectorize[i]) && !isCopy(stg) {
			continue
		}
		// A reduction vectorizes too: the code generators give it vector
		// accumulators.
		last := stg.Iter(n - 1)
		if last.Extent >= 2 && last.Ann == schedule.AnnNone {
			if err := apply(schedule.Annotate{Stage: s, Iter: n - 1, Ann: schedule.AnnVectorize}); err != nil {
				return nil, err
			}
		}
	}
	if sp.Target.Parallel() {
		if err := sp.parallelize(&st); err != nil {
			return nil, err
		}
	}
	// The unroll pragmas go last, on the outer loop as it is after
	// parallelize fused it.
	for i, s := range sp.Stages {
		if len(st.Stages[s].Iters) == 0 {
			continue
		}
		if u := UnrollSteps[c.Unroll[sp.unrollOf(i)]]; u > 0 {
			if err := apply(schedule.PragmaStep{Stage: s, Iter: 0, Pragma: ir.AutoUnrollMaxStep, Value: u}); err != nil {
				return nil, err
			}
		}
	}
	return st, nil
}

// vectorize says whether the stage at position i of Stages vectorizes its
// innermost loop, knob being the config's choice: the sketch's where it
// decides (a row chain's stages), the knob's otherwise. A mutation of a
// knob the sketch decides builds the same state, which the tuner measures
// once.
func (sp *Space) vectorize(i int, knob bool) bool {
	if v, ok := sp.fixed[i]; ok {
		return v
	}
	return knob
}

// unrollOf returns the position in Stages whose unroll knob the stage at
// position i takes: i, but for the stages of a row chain computed per
// block of rows along the row (those whose vectorization the sketch
// decides, computed inside another stage), which all take the first one's.
// Their loops then keep one structure, which the fuse pass needs to join
// them: a loop over one row that carries a pragma stays a loop, one
// without goes (with their own knobs, the exps of a one-row block, with
// no pragma, did not fuse with their sum, inside its kept unit loop).
func (sp *Space) unrollOf(i int) int {
	if !sp.rowWithin(i) {
		return i
	}
	for j := range i {
		if sp.rowWithin(j) {
			return j
		}
	}
	return i
}

// rowWithin reports whether the stage at position i of Stages is one of
// a row chain computed per block of rows, along the row.
func (sp *Space) rowWithin(i int) bool {
	_, fixed := sp.fixed[i]
	return fixed && sp.Sketch.State.Stages[sp.Stages[i]].Attach.Kind == schedule.AttachAt
}

// isCopy reports whether a stage copies a tensor element by element (a
// cache_read stage, such as a packed panel): its innermost loop is always
// vectorized, since it moves contiguous elements of both tensors.
func isCopy(s *schedule.Stage) bool {
	ld, ok := s.Op.Body.(*expr.Load)
	if !ok || len(ld.Index) != len(s.Op.Axes) {
		return false
	}
	for d, ix := range ld.Index {
		if ix != expr.Expr(s.Op.Axes[d].Var) {
			return false
		}
	}
	return true
}

// parallelize fuses the outer spatial loops of each root stage until there
// is enough parallelism for the target's cores, and marks them parallel.
// Fusion stops at a loop that another stage is computed in (a packed
// panel per column tile): the fused loop keeps it, and the loops inside
// stay as they are.
func (sp *Space) parallelize(st **schedule.State) error {
	cores := int64(max(sp.Target.Cores, 1))
	for i, s := range (*st).Stages {
		if s.IsInput() || s.Attach.Kind != schedule.AttachRoot || len(s.Iters) == 0 {
			continue
		}
		n, ext := 0, int64(1)
		for n < len(s.Iters) && s.Iter(n).Kind == schedule.Spatial && s.Iter(n).Ann == schedule.AnnNone && ext < 4*cores {
			ext *= s.Iter(n).Extent
			n++
			if (*st).ComputedAt(i, s.Iters[n-1]) {
				break // a stage computed inside: fusion stops there
			}
		}
		if n == 0 {
			continue
		}
		if n > 1 {
			iters := make([]int, n)
			for j := range iters {
				iters[j] = j
			}
			next, err := (*st).Apply(schedule.Fuse{Stage: i, Iters: iters})
			if err != nil {
				continue
			}
			*st = next
		}
		next, err := (*st).Apply(schedule.Annotate{Stage: i, Iter: 0, Ann: schedule.AnnParallel})
		if err == nil {
			*st = next
		}
	}
	return nil
}

// Key identifies a config within its space, for de-duplication.
func (c Config) Key() string {
	b := []byte{}
	for _, t := range c.Tiles {
		for _, l := range t {
			b = strconv.AppendInt(b, l, 10)
			b = append(b, ',')
		}
		b = append(b, '|')
	}
	for _, l := range c.Locations {
		b = strconv.AppendInt(b, int64(l), 10)
		b = append(b, ',')
	}
	b = append(b, '|')
	for i := range c.Vectorize {
		if c.Vectorize[i] {
			b = append(b, 'v')
		} else {
			b = append(b, '-')
		}
		b = strconv.AppendInt(b, int64(c.Unroll[i]), 10)
	}
	return string(b)
}

// Clone returns a deep copy of c.
func (c Config) Clone() Config {
	d := Config{Locations: append([]int(nil), c.Locations...), Vectorize: append([]bool(nil), c.Vectorize...), Unroll: append([]int(nil), c.Unroll...)}
	for _, t := range c.Tiles {
		d.Tiles = append(d.Tiles, append([]int64(nil), t...))
	}
	return d
}

// SmallestPrime returns the smallest prime factor of n > 1 (n itself
// when n is prime).
func SmallestPrime(n int64) int64 {
	for f := int64(2); f*f <= n; f++ {
		if n%f == 0 {
			return f
		}
	}
	return n
}
