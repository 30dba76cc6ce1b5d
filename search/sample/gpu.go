package sample

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/tabtune/tabtune/compiler/ir"
	"github.com/tabtune/tabtune/compiler/lower"
	"github.com/tabtune/tabtune/compiler/schedule"
	"github.com/tabtune/tabtune/search/sketch"
	"github.com/tabtune/tabtune/targets"
)

// GPU configs: thread binding (Ansor's InitThreadBind), the unroll
// budget (InitUnroll) and the device limits.
//
// Every kernel (a stage at the root, with the stages computed inside it)
// gets its loops bound to blocks and threads:
//
//   - a multi-level tiled stage (the consumer a tiled stage is fused
//     into) binds its spatial tile levels: level 0 fused to blockIdx.x,
//     level 1 to vthread, level 2 to threadIdx.x; each thread computes
//     its register tile. When the whole stage is smaller than a warp,
//     its outer levels are fused into threadIdx.x alone.
//   - a shared-memory copy (cache_read "shared") is fetched by the
//     threads of its block together: its loops are fused and split by
//     the block's thread count, the inner part bound to threadIdx.x, and
//     with the vectorize knob an innermost part of 4 (a float4 load).
//   - a cross-thread reduction (its partials' loop bound to threadIdx.x
//     by the sketch) and a consumer that shares its threads get their
//     outer spatial loops fused to blockIdx.x.
//   - any other stage at the root fuses its outer spatial loops and
//     splits them into blocks of elementwiseThreads threads; when a
//     stage is computed inside those loops, the loops outside its
//     loop are the blocks and that loop is the threads.
//
// Stages computed inside another run within its thread: nothing to bind.
// Vectorization applies only to the shared-memory fetch; Ansor does not
// vectorize other GPU loops, and no bound loop is ever vectorized. The
// compute-location knobs of CPU spaces do not exist on GPU (Ansor does
// not change compute locations there either): the sketch decides.
//
// Lowering and the interpreter run bound loops as ordinary loops, so a
// GPU state is checked against the reference like any other.

// GPUUnrollSteps are the auto_unroll_max_step values a GPU config chooses
// from (Ansor's auto_unroll_configs_gpu).
var GPUUnrollSteps = []int64{0, 16, 64, 512, 1024}

// elementwiseThreads is the threads per block of a stage that no tile
// knob shapes (an element-wise output, a reduction without reuse).
// Ansor starts these at a warp and lets its tile-size mutation change
// them; here it is fixed.
const elementwiseThreads = 128

// UnrollChoices returns the auto_unroll_max_step values that
// Config.Unroll indexes for the space's target.
func (sp *Space) UnrollChoices() []int64 {
	if sp.Target.IsGPU() {
		return GPUUnrollSteps
	}
	return UnrollSteps
}

// fitGPU repairs the tile sizes of a GPU config's multi-level tiles so
// that they fit the device: per tiled stage, the virtual threads (the
// product of the level-1 loops over the spatial axes) and the threads
// (level 2) are divided down to the limits, the divided-out factors
// going to the outer level (more blocks). When the stage is large enough
// to fill a warp but the threads are fewer, factors move to the threads
// from the outer level or else from the other levels. Ansor rejects such
// configs instead; its uniform draws rarely make them, while Random's
// micro-kernel draws, shaped for CPU registers, always give one thread
// per block. Factors move a prime at a time, so a repaired tiling still
// divides what it divided. The repair is a function of the config, so
// Build stays deterministic; two configs may repair to the same state.
func (sp *Space) fitGPU(c Config) Config {
	lim := sp.Target.GPU()
	nS := strings.Count(sketch.NewPolicy(sp.Target).Structure, "S")
	byStage := map[int][]int{}
	for k, knob := range sp.Sketch.Tiles {
		if split, ok := sp.Sketch.State.Steps[knob.Step].(schedule.Split); ok && !knob.Reduce && knob.Parts == nS {
			byStage[split.Stage] = append(byStage[split.Stage], k)
		}
	}
	if len(byStage) == 0 {
		return c
	}
	c = c.Clone()
	for _, knobs := range byStage {
		total := int64(1)
		for _, k := range knobs {
			total *= sp.Sketch.Tiles[k].Extent
		}
		level := func(l int) int64 {
			p := int64(1)
			for _, k := range knobs {
				p *= schedule.SplitExtents(sp.Sketch.Tiles[k].Extent, c.Tiles[k], true)[l+1]
			}
			return p
		}
		for l, most := range []int64{lim.MaxVThread, lim.MaxThreadsPerBlock} {
			for level(l) > most && shrinkLevel(c.Tiles, knobs, l) {
			}
		}
		if total > 2*lim.WarpSize {
			for level(1) < lim.WarpSize && growLevel(c.Tiles, knobs, sp.Sketch.Tiles, 1, lim.MaxThreadsPerBlock/level(1)) {
			}
		}
	}
	return c
}

// shrinkLevel divides the largest length at level l among the knobs by
// its smallest prime factor; false when all are 1.
func shrinkLevel(tiles [][]int64, knobs []int, l int) bool {
	best := -1
	for _, k := range knobs {
		if tiles[k][l] > 1 && (best < 0 || tiles[k][l] > tiles[best][l]) {
			best = k
		}
	}
	if best < 0 {
		return false
	}
	tiles[best][l] /= SmallestPrime(tiles[best][l])
	return true
}

// growLevel moves a prime factor into level l of one knob, the innermost
// axis first, from what its outer level has left or else from another
// level (the virtual threads, then the register tiles), if the factor is
// at most limit and the loop of level l gets longer; false when none
// can move.
func growLevel(tiles [][]int64, knobs []int, knob []sketch.TileKnob, l int, limit int64) bool {
	for n := len(knobs) - 1; n >= 0; n-- {
		k := knobs[n]
		ext := knob[k].Extent
		before := schedule.SplitExtents(ext, tiles[k], true)
		for src := -1; src < len(tiles[k]); src++ {
			var f int64
			switch {
			case src == -1 && before[0] > 1:
				f = SmallestPrime(before[0])
			case src >= 0 && src != l && tiles[k][src] > 1:
				f = SmallestPrime(tiles[k][src])
			default:
				continue
			}
			if f > limit {
				continue
			}
			moved := append([]int64(nil), tiles[k]...)
			if src >= 0 {
				moved[src] /= f
			}
			moved[l] *= f
			if schedule.SplitExtents(ext, moved, true)[l+1] > before[l+1] {
				tiles[k] = moved
				return true
			}
		}
	}
	return false
}

// buildGPU finishes the state of a GPU config whose tile sizes are
// filled: thread bindings, unroll pragmas, then the device limits, which
// reject the config with an error that says which limit it exceeds.
func (sp *Space) buildGPU(st *schedule.State, c Config) (*schedule.State, error) {
	b := &binder{st: st, lim: sp.Target.GPU(), vec: map[int]bool{}, tiled: tiledRoots(st)}
	shared, err := sharedBytes(st, b.tiled, b.lim)
	if err != nil {
		return nil, err
	}
	for k, s := range sp.Stages {
		b.vec[s] = c.Vectorize[k]
	}
	for i := len(st.Stages) - 1; i >= 0 && b.err == nil; i-- {
		b.bindStage(i)
	}
	choices := sp.UnrollChoices()
	for k, s := range sp.Stages {
		if u := choices[min(c.Unroll[k], len(choices)-1)]; u > 0 && len(b.st.Stages[s].Iters) > 0 {
			b.apply(schedule.PragmaStep{Stage: s, Iter: 0, Pragma: ir.AutoUnrollMaxStep, Value: u})
		}
	}
	if b.err != nil {
		return nil, b.err
	}
	if err := checkGPULimits(b.st, b.lim, shared); err != nil {
		return nil, err
	}
	return b.st, nil
}

// binder applies the binding steps to a state; the first error sticks.
type binder struct {
	st    *schedule.State
	lim   targets.GPULimits
	vec   map[int]bool // the vectorize knob per stage
	tiled map[int]bool // multi-level tiled root stages
	err   error
}

func (b *binder) apply(s schedule.Step) {
	if b.err != nil {
		return
	}
	next, err := b.st.Apply(s)
	if err != nil {
		b.err = fmt.Errorf("sample: thread binding: %w", err)
		return
	}
	b.st = next
}

// tiledRoots finds the root stages whose loops are multi-level tiles:
// those a tiled reduction is computed in (the tiled stage fused into its
// consumer), and tiled reductions at the root.
func tiledRoots(st *schedule.State) map[int]bool {
	out := map[int]bool{}
	for i, s := range st.Stages {
		if s.IsInput() || s.Op.Reduce == nil || !s.Transformed() {
			continue
		}
		switch s.Attach.Kind {
		case schedule.AttachAt:
			if st.Stages[s.Attach.Stage].Attach.Kind == schedule.AttachRoot {
				out[s.Attach.Stage] = true
			}
		case schedule.AttachRoot:
			out[i] = true
		}
	}
	return out
}

func (b *binder) bindStage(i int) {
	s := b.st.Stages[i]
	switch {
	case s.IsInput() || s.Attach.Kind == schedule.AttachInline:
	case s.Attach.Kind == schedule.AttachAt:
		if s.Scope == ir.Shared {
			b.cooperativeFetch(i)
		}
	case b.tiled[i]:
		b.bindTiled(i)
	case sketch.CrossThread(b.st, i):
		// A cross-thread reduction, or the consumer that shares its
		// threads: the sketch bound the threads.
		if n, _ := b.outer(i); n > 0 {
			b.fuse(i, 0, n)
			b.annotate(i, 0, schedule.AnnBlockX)
		}
	default:
		b.bindUntiled(i)
	}
}

// outer returns how many leading loops of stage i are spatial and not
// annotated, up to and including the first loop another stage is
// computed in (attach says whether the count ends at one): the loops
// that can be fused and bound (Ansor's FuseAllOuterSpaceIterators).
func (b *binder) outer(i int) (n int, attach bool) {
	s := b.st.Stages[i]
	for n < len(s.Iters) {
		if it := s.Iter(n); it.Kind != schedule.Spatial || it.Ann != schedule.AnnNone {
			break
		}
		n++
		if b.st.ComputedAt(i, s.Iters[n-1]) {
			return n, true
		}
	}
	return n, false
}

// fuse fuses n loops of stage i from position first into one.
func (b *binder) fuse(i, first, n int) {
	if n < 2 {
		return
	}
	iters := make([]int, n)
	for k := range iters {
		iters[k] = first + k
	}
	b.apply(schedule.Fuse{Stage: i, Iters: iters})
}

func (b *binder) annotate(i, pos int, ann schedule.Annotation) {
	b.apply(schedule.Annotate{Stage: i, Iter: pos, Ann: ann})
}

func (b *binder) split(i, pos int, lengths ...int64) {
	b.apply(schedule.Split{Stage: i, Iter: pos, Lengths: lengths, InnerToOuter: true})
}

// extent returns the extent of loop pos of stage i over its domain.
func (b *binder) extent(i, pos int) int64 {
	if b.err != nil {
		return 0
	}
	return b.st.Stages[i].Iter(pos).Extent
}

// bindTiled binds the spatial tile levels of a multi-level tiled root
// stage: level 0 to blockIdx.x, 1 to vthread, 2 to threadIdx.x. Fewer
// threads than a warp in a stage large enough to fill one is an error
// (Ansor's check; fitGPU repairs what it can).
func (b *binder) bindTiled(i int) {
	s := b.st.Stages[i]
	n, total := len(s.Op.Axes), spatialSize(s)
	if total <= b.lim.WarpSize {
		// Too small for several levels: one block of threads.
		k, _ := b.outer(i)
		b.fuse(i, 0, k)
		b.annotate(i, 0, schedule.AnnThreadX)
		return
	}
	for l := range 3 {
		for d := range n {
			if p := l*n + d; p >= len(s.Iters) || !strings.HasSuffix(s.Iter(p).Name, "."+strconv.Itoa(l)) {
				b.bindUntiled(i) // not the tiling we know
				return
			}
		}
	}
	b.fuse(i, 0, n)
	b.annotate(i, 0, schedule.AnnBlockX)
	b.fuse(i, 1, n)
	b.annotate(i, 1, schedule.AnnVThread)
	b.fuse(i, 2, n)
	if t := b.extent(i, 2); t < b.lim.WarpSize && total > 2*b.lim.WarpSize {
		b.fail("%s: %d threads per block, fewer than a warp (%d)", s.Name(), t, b.lim.WarpSize)
	}
	b.annotate(i, 2, schedule.AnnThreadX)
}

// bindUntiled binds a root stage that no tiling shaped: its outer spatial
// loops fused and split into blocks of elementwiseThreads threads; when
// another stage is computed inside them, the loops outside that loop are
// the blocks and that loop the threads.
func (b *binder) bindUntiled(i int) {
	n, attach := b.outer(i)
	switch {
	case n == 0:
	case !attach:
		b.fuse(i, 0, n)
		if b.extent(i, 0) <= elementwiseThreads {
			b.annotate(i, 0, schedule.AnnThreadX)
			return
		}
		b.split(i, 0, elementwiseThreads)
		b.annotate(i, 0, schedule.AnnBlockX)
		b.annotate(i, 1, schedule.AnnThreadX)
	case n == 1:
		// The attached stage runs once per block: the threads are the
		// spatial loops inside it.
		b.annotate(i, 0, schedule.AnnBlockX)
		s := b.st.Stages[i]
		k := 1
		for k < len(s.Iters) && s.Iter(k).Kind == schedule.Spatial && s.Iter(k).Ann == schedule.AnnNone {
			k++
		}
		if k == 1 {
			return
		}
		b.fuse(i, 1, k-1)
		if b.extent(i, 1) > elementwiseThreads {
			b.split(i, 1, elementwiseThreads)
			b.annotate(i, 2, schedule.AnnThreadX)
			return
		}
		b.annotate(i, 1, schedule.AnnThreadX)
	default:
		b.fuse(i, 0, n-1)
		b.annotate(i, 0, schedule.AnnBlockX)
		b.annotate(i, 1, schedule.AnnThreadX)
	}
}

// cooperativeFetch binds a shared-memory copy to the threads of its
// block: its loops fused, split by the block's thread count (and, with
// the vectorize knob, an innermost 4), the thread part bound.
func (b *binder) cooperativeFetch(i int) {
	threads := b.blockThreads(kernelOf(b.st, i))
	s := b.st.Stages[i]
	if threads == 0 || len(s.Iters) == 0 {
		return
	}
	b.fuse(i, 0, len(s.Iters))
	if b.vec[i] {
		b.split(i, 0, threads, 4)
		b.annotate(i, 2, schedule.AnnVectorize)
	} else {
		b.split(i, 0, threads)
	}
	b.annotate(i, 1, schedule.AnnThreadX)
}

// blockThreads is the extent of the threadIdx.x loop of root stage r, 0
// when it has none.
func (b *binder) blockThreads(r int) int64 {
	s := b.st.Stages[r]
	for n := range s.Iters {
		if s.Iter(n).Ann == schedule.AnnThreadX {
			return s.Iter(n).Extent
		}
	}
	return 0
}

func (b *binder) fail(format string, args ...any) {
	if b.err == nil {
		b.err = fmt.Errorf("sample: "+format, args...)
	}
}

// kernelOf returns the root stage that stage i is computed in (i itself
// at the root).
func kernelOf(st *schedule.State, i int) int {
	for st.Stages[i].Attach.Kind == schedule.AttachAt {
		i = st.Stages[i].Attach.Stage
	}
	return i
}

// checkGPULimits checks each kernel of a bound state against the
// device's limits: threads per block (the longest threadIdx.x loop, with
// extents as lowering infers them), virtual threads, blocks, and the
// shared memory a block holds (shared, from sharedBytes).
func checkGPULimits(st *schedule.State, lim targets.GPULimits, shared map[int]int64) error {
	ext, err := lower.InferBound(st)
	if err != nil {
		return fmt.Errorf("sample: %w", err)
	}
	threads, vthreads, blocks := map[int]int64{}, map[int]int64{}, map[int]int64{}
	for i, s := range st.Stages {
		if s.IsInput() || s.Attach.Kind == schedule.AttachInline {
			continue
		}
		r := kernelOf(st, i)
		if vthreads[r] == 0 {
			vthreads[r], blocks[r] = 1, 1
		}
		for _, n := range s.Iters {
			switch s.Nodes[n].Ann {
			case schedule.AnnThreadX:
				threads[r] = max(threads[r], ext[i][n])
			case schedule.AnnVThread:
				vthreads[r] *= ext[i][n]
			case schedule.AnnBlockX:
				blocks[r] *= ext[i][n]
			}
		}
	}
	for r, s := range st.Stages {
		name := s.Name()
		switch {
		case vthreads[r] == 0:
		case threads[r] > lim.MaxThreadsPerBlock:
			return fmt.Errorf("sample: kernel %s: %d threads per block, more than %d", name, threads[r], lim.MaxThreadsPerBlock)
		case vthreads[r] > lim.MaxVThread:
			return fmt.Errorf("sample: kernel %s: %d virtual threads, more than %d", name, vthreads[r], lim.MaxVThread)
		case blocks[r] > lim.MaxGridX:
			return fmt.Errorf("sample: kernel %s: %d blocks, more than %d", name, blocks[r], lim.MaxGridX)
		case shared[r] > lim.MaxSharedBytesPerBlock:
			return fmt.Errorf("sample: kernel %s: %d bytes of shared memory per block, more than %d", name, shared[r], lim.MaxSharedBytesPerBlock)
		}
	}
	return nil
}

// sharedBytes returns, per kernel, the bytes of the shared-memory tiles a
// block holds: per shared copy, the region that all the block's threads
// read in one step of the loop it is computed at. Bound inference gives
// one thread's region (it does not relax shared buffers over the thread
// loops, as TVM's does), so the regions are inferred on a probe: the
// state before binding, with each copy's reader computed per block (at
// the last loop of its kernel's outermost tile level, or at the root for
// a kernel of one block) instead of per thread, and with the loops
// outside the copy's (the outer reduction steps) moved outermost: the
// copy's region there is the block's tile.
func sharedBytes(st *schedule.State, tiled map[int]bool, lim targets.GPULimits) (map[int]int64, error) {
	probe, moved := st, map[int]bool{}
	fail := func(s *schedule.Stage, err error) (map[int]int64, error) {
		return nil, fmt.Errorf("sample: shared memory of %s: %w", s.Name(), err)
	}
	for _, s := range st.Stages {
		if s.Scope != ir.Shared || s.Attach.Kind != schedule.AttachAt || moved[s.Attach.Stage] {
			continue
		}
		p := s.Attach.Stage
		moved[p] = true
		if probe.Stages[p].Attach.Kind == schedule.AttachAt {
			r := kernelOf(probe, p)
			var step schedule.Step = schedule.ComputeRoot{Stage: p}
			if n := len(probe.Stages[r].Op.Axes); tiled[r] && spatialSize(probe.Stages[r]) > lim.WarpSize {
				step = schedule.ComputeAt{Stage: p, Target: r, TargetIter: n - 1}
			}
			next, err := probe.Apply(step)
			if err != nil {
				return fail(s, err)
			}
			probe = next
		}
		ps := probe.Stages[p]
		at := ps.IterPos(s.Attach.Node)
		var first, rest []int
		for n := range ps.Iters {
			if n <= at && ps.Iter(n).Kind == schedule.Reduce {
				first = append(first, n)
			} else {
				rest = append(rest, n)
			}
		}
		next, err := probe.Apply(schedule.Reorder{Stage: p, Order: append(first, rest...)})
		if err != nil {
			return fail(s, err)
		}
		probe = next
	}
	out := map[int]int64{}
	if len(moved) == 0 {
		return out, nil
	}
	ext, err := lower.InferBound(probe)
	if err != nil {
		return nil, fmt.Errorf("sample: shared memory: %w", err)
	}
	for i, s := range st.Stages {
		if s.Scope != ir.Shared || s.Attach.Kind != schedule.AttachAt {
			continue
		}
		elems := int64(1)
		for d := range s.Op.Axes {
			elems *= ext[i][d]
		}
		out[kernelOf(st, i)] += 4 * elems // f32 and i32 elements
	}
	return out, nil
}

// spatialSize is the number of points of a stage's domain.
func spatialSize(s *schedule.Stage) int64 {
	total := int64(1)
	for _, a := range s.Op.Axes {
		total *= a.Extent
	}
	return total
}
