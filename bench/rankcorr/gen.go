package main

import (
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"

	"github.com/tabtune/tabtune/compiler/ir"
	"github.com/tabtune/tabtune/compiler/schedule"
	"github.com/tabtune/tabtune/compiler/schedule/schedtest"
	"github.com/tabtune/tabtune/compiler/te"
)

// The families of generated schedules.
const (
	famHand   = "hand"   // the hand schedule of compiler/codegen/wasm/testdata
	famTiled  = "tiled"  // hand-schedule-like: cache_write, multi-level tiles
	famRandom = "random" // schedtest.RandomState then VectorizeInner
)

// builder applies steps by stage and iterator name, like schedtest.Builder,
// but records the first error instead of failing a test. Once err is set
// every method does nothing. Methods named try* apply a step only if it
// applies, and otherwise leave the state as it was.
type builder struct {
	st  *schedule.State
	err error
}

func (b *builder) stage(name string) int {
	if b.err != nil {
		return -1
	}
	i := b.st.StageByName(name)
	if i < 0 {
		b.err = fmt.Errorf("no stage %s", name)
	}
	return i
}

func (b *builder) iter(stage, name string) int {
	si := b.stage(stage)
	if b.err != nil {
		return -1
	}
	s := b.st.Stages[si]
	for i := range s.Iters {
		if s.Iter(i).Name == name {
			return i
		}
	}
	b.err = fmt.Errorf("stage %s has no iterator %s", stage, name)
	return -1
}

func (b *builder) do(step schedule.Step) {
	if b.err != nil {
		return
	}
	next, err := b.st.Apply(step)
	if err != nil {
		b.err = err
		return
	}
	b.st = next
}

// try applies step when it applies and reports whether it did.
func (b *builder) try(step schedule.Step) bool {
	if b.err != nil {
		return false
	}
	next, err := b.st.Apply(step)
	if err != nil {
		return false
	}
	b.st = next
	return true
}

// split splits an iterator with inner lengths (outermost first) and
// returns the new names, outermost first.
func (b *builder) split(stage, iter string, lengths ...int64) []string {
	b.do(schedule.Split{Stage: b.stage(stage), Iter: b.iter(stage, iter), Lengths: lengths, InnerToOuter: true})
	out := make([]string, len(lengths)+1)
	for i := range out {
		out[i] = fmt.Sprintf("%s.%d", iter, i)
	}
	return out
}

func (b *builder) reorder(stage string, names []string) {
	order := make([]int, len(names))
	for i, n := range names {
		order[i] = b.iter(stage, n)
	}
	b.do(schedule.Reorder{Stage: b.stage(stage), Order: order})
}

// names lists a stage's iterators, all and split by kind.
func (b *builder) names(stage string) (all, spatial, reduce []string) {
	si := b.stage(stage)
	if b.err != nil {
		return
	}
	s := b.st.Stages[si]
	for i := range s.Iters {
		n := s.Iter(i)
		all = append(all, n.Name)
		if n.Kind == schedule.Reduce {
			reduce = append(reduce, n.Name)
		} else {
			spatial = append(spatial, n.Name)
		}
	}
	return
}

func (b *builder) extent(stage, iter string) int64 {
	i := b.iter(stage, iter)
	if b.err != nil {
		return 1
	}
	return b.st.Stages[b.stage(stage)].Iter(i).Extent
}

// annotate annotates the iterator at position pos (negative: from the
// end) of a stage, when the annotation applies.
func (b *builder) annotate(stage string, pos int, ann schedule.Annotation) {
	si := b.stage(stage)
	if b.err != nil {
		return
	}
	n := len(b.st.Stages[si].Iters)
	if pos < 0 {
		pos += n
	}
	if pos < 0 || pos >= n {
		return
	}
	b.try(schedule.Annotate{Stage: si, Iter: pos, Ann: ann})
}

// inputsOf lists the input stages that stage main reads directly.
func inputsOf(st *schedule.State, main int) []string {
	var out []string
	for i, s := range st.Stages {
		if !s.IsInput() {
			continue
		}
		for _, c := range st.Consumers(i) {
			if c == main {
				out = append(out, s.Name())
				break
			}
		}
	}
	return out
}

// tileLength picks the length of an inner tile of a loop of extent e:
// a divisor, a power of two or any small length (most of which do not
// divide e, so the loops get guards).
func tileLength(rng *rand.Rand, e int64) int64 {
	if e <= 1 {
		return 1
	}
	switch rng.IntN(10) {
	case 0, 1, 2, 3:
		var divs []int64
		for d := int64(2); d <= min(e, 64); d++ {
			if e%d == 0 {
				divs = append(divs, d)
			}
		}
		if len(divs) > 0 {
			return divs[rng.IntN(len(divs))]
		}
		fallthrough
	case 4, 5, 6:
		var pows []int64
		for p := int64(2); p <= min(e, 32); p *= 2 {
			pows = append(pows, p)
		}
		if len(pows) > 0 {
			return pows[rng.IntN(len(pows))]
		}
		return 1
	default:
		return 1 + rng.Int64N(min(e, 16))
	}
}

// registerLength picks the length of an innermost tile as a register
// tile's: a multiple of four lanes along the contiguous axis, a few rows
// along the others.
func registerLength(rng *rand.Rand, e int64, contiguous bool) int64 {
	l := []int64{1, 2, 3, 4, 6, 8}[rng.IntN(6)]
	if contiguous {
		l = []int64{4, 8, 12, 16}[rng.IntN(4)]
	}
	return max(1, min(l, e))
}

// tiled generates a schedule like the hand schedules of
// compiler/codegen/wasm/testdata, with random parameters: the main
// stage's result computed in a local (register) tile by cache_write, its
// spatial loops tiled on two or three levels with random lengths, the
// reduction loops placed at random relative to the tiles, the local stage
// and the producers computed at random levels, optional packing of an
// input by cache_read, and random unroll and vectorize choices on the
// inner loops.
func tiled(rng *rand.Rand, d *te.DAG) (*schedule.State, error) {
	b := &builder{st: schedule.New(d)}
	main := schedtest.MainStage(b.st)
	prods := schedtest.ProducersOf(b.st, b.stage(main))
	// Producers: inlined, left at the root, or computed at a level of
	// their consumer (decided after tiling).
	var computeAt []string
	for _, p := range prods {
		switch rng.IntN(4) {
		case 0:
			b.do(schedule.ComputeInline{Stage: b.stage(p)})
		case 1:
		default:
			computeAt = append(computeAt, p)
		}
	}
	cache := rng.IntN(5) != 0
	compute := main // the stage with the reduction loops
	if cache {
		b.do(schedule.CacheWrite{Stage: b.stage(main), Scope: ir.Local})
		compute = main + ".local"
	}
	var packed string
	if ins := inputsOf(b.st, b.stage(compute)); len(ins) > 0 && rng.IntN(4) == 0 {
		in := ins[rng.IntN(len(ins))]
		b.do(schedule.CacheRead{Stage: b.stage(in), Scope: ir.Global, Readers: []int{b.stage(compute)}})
		packed = in + ".global"
	}
	if b.err != nil {
		return nil, b.err
	}

	// Tile the spatial loops of main: levels[l] holds the level-l parts,
	// outermost level first. The last spatial axis (the contiguous one)
	// usually stays innermost.
	_, sp, red := b.names(main)
	nlev := 2 + rng.IntN(2)
	levels := make([][]string, nlev)
	for _, a := range sp {
		e := b.extent(main, a)
		if e == 1 {
			levels[0] = append(levels[0], a)
			continue
		}
		k := nlev - 1
		if rng.IntN(6) == 0 {
			k = rng.IntN(nlev) // fewer levels for this axis
		}
		if k == 0 {
			levels[0] = append(levels[0], a)
			continue
		}
		lengths := make([]int64, k)
		rest := e
		for i := k - 1; i >= 0; i-- {
			if i == k-1 && rng.IntN(5) < 3 {
				lengths[i] = registerLength(rng, rest, a == sp[len(sp)-1])
			} else {
				lengths[i] = tileLength(rng, rest)
			}
			rest = (rest + lengths[i] - 1) / lengths[i]
		}
		parts := b.split(main, a, lengths...)
		for i, p := range parts {
			levels[nlev-1-k+i] = append(levels[nlev-1-k+i], p)
		}
	}
	if b.err != nil {
		return nil, b.err
	}
	for l := range levels {
		lv := levels[l]
		if rng.IntN(3) == 0 {
			rng.Shuffle(len(lv), func(i, j int) { lv[i], lv[j] = lv[j], lv[i] })
		}
	}
	var order []string
	for _, lv := range levels {
		order = append(order, lv...)
	}
	if rng.IntN(8) == 0 {
		rng.Shuffle(len(order), func(i, j int) { order[i], order[j] = order[j], order[i] })
	}
	// Without a cache stage the reduction loops are main's own: split
	// some, and place the parts at random positions (outer parts before
	// inner ones) after the outermost level.
	if !cache {
		var rparts [][]string
		for _, r := range red {
			if e := b.extent(main, r); e > 4 && rng.IntN(2) == 0 {
				rparts = append(rparts, b.split(main, r, tileLength(rng, e)))
			} else {
				rparts = append(rparts, []string{r})
			}
		}
		lo := len(levels[0])
		for _, parts := range rparts {
			for _, p := range parts {
				pos := lo + rng.IntN(len(order)-lo+1)
				order = append(order[:pos], append([]string{p}, order[pos:]...)...)
				lo = pos + 1
			}
		}
	}
	b.reorder(main, order)

	// The local stage at a level of main: usually one of the outer
	// loops, sometimes any.
	nOuter := len(order) - len(levels[nlev-1])
	if cache {
		pos := rng.IntN(len(order))
		switch r := rng.IntN(10); {
		case nOuter > 0 && r < 5: // right outside the innermost tile, as by hand
			pos = nOuter - 1
		case nOuter > 0 && r < 8:
			pos = rng.IntN(nOuter)
		}
		b.do(schedule.ComputeAt{Stage: b.stage(compute), Target: b.stage(main), TargetIter: pos})
		// Its loops: maybe split the longest reduction, then the
		// reductions outside (hand style), or at random.
		all, lsp, lred := b.names(compute)
		if len(lred) > 0 && rng.IntN(5) < 2 {
			long := lred[0]
			for _, r := range lred {
				if b.extent(compute, r) > b.extent(compute, long) {
					long = r
				}
			}
			if e := b.extent(compute, long); e > 4 {
				b.split(compute, long, tileLength(rng, e))
				all, lsp, lred = b.names(compute)
			}
		}
		var lorder []string
		switch rng.IntN(8) {
		case 0, 1, 2, 3, 4: // reductions outside, spatial inside
			rng.Shuffle(len(lred), func(i, j int) { lred[i], lred[j] = lred[j], lred[i] })
			lorder = append(append(lorder, lred...), innerLast(rng, lsp)...)
		case 5, 6: // spatial and reduction interleaved, last spatial innermost
			s := innerLast(rng, lsp)
			last := s[len(s)-1]
			rest := append(append([]string{}, s[:len(s)-1]...), lred...)
			rng.Shuffle(len(rest), func(i, j int) { rest[i], rest[j] = rest[j], rest[i] })
			lorder = append(rest, last)
		default:
			lorder = append([]string{}, all...)
			rng.Shuffle(len(lorder), func(i, j int) { lorder[i], lorder[j] = lorder[j], lorder[i] })
		}
		b.reorder(compute, lorder)
	}
	if b.err != nil {
		return nil, b.err
	}
	// Producers and the packed input at a random level of their reader.
	for _, p := range computeAt {
		cons := b.st.Consumers(b.stage(p))
		if len(cons) != 1 {
			continue
		}
		n := len(b.st.Stages[cons[0]].Iters)
		b.try(schedule.ComputeAt{Stage: b.stage(p), Target: cons[0], TargetIter: rng.IntN(n)})
	}
	if packed != "" && rng.IntN(3) != 0 {
		b.try(schedule.ComputeAt{Stage: b.stage(packed), Target: b.stage(main), TargetIter: rng.IntN(max(1, nOuter))})
	}

	// Annotations: vectorize the innermost loop and unroll the ones
	// outside it, at random.
	stages := []string{main}
	if cache {
		stages = []string{compute, main}
	}
	for _, s := range stages {
		if rng.IntN(6) != 0 {
			b.annotate(s, -1, schedule.AnnVectorize)
		}
		if rng.IntN(10) < 7 {
			b.annotate(s, -2, schedule.AnnUnroll)
			if rng.IntN(4) == 0 {
				b.annotate(s, -3, schedule.AnnUnroll)
			}
		}
	}
	for _, s := range append(append([]string{}, computeAt...), packed) {
		if s != "" && rng.IntN(2) == 0 {
			b.annotate(s, -1, schedule.AnnVectorize)
		}
	}
	if rng.IntN(5) == 0 {
		v := []int64{16, 64, 256}[rng.IntN(3)]
		b.try(schedule.PragmaStep{Stage: b.stage(main), Iter: 0, Pragma: ir.AutoUnrollMaxStep, Value: v})
	}
	if b.err != nil {
		return nil, b.err
	}
	return b.st, nil
}

// innerLast returns the spatial names with, usually, the last one (the
// contiguous axis) innermost, else in random order.
func innerLast(rng *rand.Rand, sp []string) []string {
	out := append([]string{}, sp...)
	if rng.IntN(5) == 0 {
		rng.Shuffle(len(out), func(i, j int) { out[i], out[j] = out[j], out[i] })
	}
	return out
}

// random generates a schedule of up to 12 random steps
// (schedtest.RandomState), then vectorizes inner loops as
// compiler/codegen/wasm's property test does.
func random(rng *rand.Rand, d *te.DAG) (*schedule.State, error) {
	return schedtest.VectorizeInner(schedtest.RandomState(rng, d, 12, nil), rng), nil
}

// handFiles are the hand schedules of compiler/codegen/wasm/testdata, by
// workload name: the fast end of the range, as a tuner would find it. The
// program runs from the repository root.
var handFiles = map[string]string{
	"gmm": "compiler/codegen/wasm/testdata/gmm1024.json",
	"c2d": "compiler/codegen/wasm/testdata/c2d.json",
}

// hand replays the hand schedule of the named workload, if it has one.
func hand(name string, d *te.DAG) (*schedule.State, bool, error) {
	path, ok := handFiles[name]
	if !ok {
		return nil, false, nil
	}
	src, err := os.ReadFile(path)
	if err != nil {
		// From the package's own directory (go test), the root is two up.
		if src, err = os.ReadFile(filepath.Join("..", "..", path)); err != nil {
			return nil, true, err
		}
	}
	steps, err := schedule.UnmarshalSteps(src)
	if err != nil {
		return nil, true, err
	}
	st, err := schedule.Replay(d, steps)
	return st, true, err
}

// stores counts the stores a lowered kernel executes, taking both
// branches of every condition: a bound on its work, to leave out kernels
// that redo their producers' work many times over (random compute_at
// levels), whose measuring would take most of the run.
func stores(s ir.Stmt) float64 {
	switch n := s.(type) {
	case *ir.For:
		return float64(n.Extent) * stores(n.Body)
	case *ir.Store:
		return 1
	case *ir.Alloc:
		return stores(n.Body)
	case *ir.Let:
		return stores(n.Body)
	case *ir.If:
		return stores(n.Then) + stores(n.Else)
	case *ir.Seq:
		t := 0.0
		for _, c := range n.Stmts {
			t += stores(c)
		}
		return t
	}
	return 0
}
