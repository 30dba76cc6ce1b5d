// Package schedtest helps tests build schedules: a Builder that applies
// steps by stage and iterator name, the hand-written schedules ("recipes")
// that the compiler tests apply to every zoo operator, and the random step
// generator of the property tests. It is for tests only.
package schedtest

import (
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/tabtune/tabtune/compiler/ir"
	"github.com/tabtune/tabtune/compiler/ops"
	"github.com/tabtune/tabtune/compiler/schedule"
	"github.com/tabtune/tabtune/compiler/te"
)

// Recipe is a named hand-written schedule that applies to any program.
type Recipe struct {
	Name  string
	Apply func(*Builder)
}

// Builder applies hand-written steps by stage and iterator name, failing the
// test when a step does not apply.
type Builder struct {
	T  testing.TB
	St *schedule.State
}

// New returns a Builder at the initial state of d.
func New(t testing.TB, d *te.DAG) *Builder { return &Builder{T: t, St: schedule.New(d)} }

// Stage returns the index of the named stage.
func (b *Builder) Stage(name string) int {
	b.T.Helper()
	i := b.St.StageByName(name)
	if i < 0 {
		b.T.Fatalf("no stage %s", name)
	}
	return i
}

// Iter returns the position of the named iterator of a stage.
func (b *Builder) Iter(stage, name string) int {
	b.T.Helper()
	s := b.St.Stages[b.Stage(stage)]
	for i := range s.Iters {
		if s.Iter(i).Name == name {
			return i
		}
	}
	b.T.Fatalf("stage %s has no iterator %s", stage, name)
	return -1
}

// Do applies steps, failing the test when one does not apply.
func (b *Builder) Do(steps ...schedule.Step) {
	b.T.Helper()
	for _, s := range steps {
		next, err := b.St.Apply(s)
		if err != nil {
			b.T.Fatal(err)
		}
		b.St = next
	}
}

// Split splits a stage's iterator by name and returns the new names.
func (b *Builder) Split(stage, iter string, lengths ...int64) []string {
	b.T.Helper()
	b.Do(schedule.Split{Stage: b.Stage(stage), Iter: b.Iter(stage, iter), Lengths: lengths, InnerToOuter: true})
	out := make([]string, len(lengths)+1)
	for i := range out {
		out[i] = iter + "." + string(rune('0'+i))
	}
	return out
}

// Reorder puts a stage's iterators in the order of names.
func (b *Builder) Reorder(stage string, names []string) {
	b.T.Helper()
	order := make([]int, len(names))
	for i, n := range names {
		order[i] = b.Iter(stage, n)
	}
	b.Do(schedule.Reorder{Stage: b.Stage(stage), Order: order})
}

// IterNames lists a stage's current spatial and reduction iterators.
func (b *Builder) IterNames(stage string) (spatial, reduce []string) {
	s := b.St.Stages[b.Stage(stage)]
	for i := range s.Iters {
		if s.Iter(i).Kind == schedule.Reduce {
			reduce = append(reduce, s.Iter(i).Name)
		} else {
			spatial = append(spatial, s.Iter(i).Name)
		}
	}
	return
}

// MainStage is the stage a schedule tiles: the last reduction, or the
// last stage.
func MainStage(st *schedule.State) string {
	name := st.Stages[len(st.Stages)-1].Name()
	for _, s := range st.Stages {
		if !s.IsInput() && s.Op.Reduce != nil {
			name = s.Name()
		}
	}
	return name
}

// ProducersOf lists the computed stages that only main reads.
func ProducersOf(st *schedule.State, main int) []string {
	var out []string
	for i, s := range st.Stages {
		if s.IsInput() || s.Attach.Kind != schedule.AttachRoot {
			continue
		}
		if c := st.Consumers(i); len(c) == 1 && c[0] == main {
			out = append(out, s.Name())
		}
	}
	return out
}

// Tile is multi-level tiling "SSRSRS" with the main stage's producers
// (padding, an element-wise stage) computed inside its tiles.
func Tile(b *Builder) {
	main := MainStage(b.St)
	sp, red := b.IterNames(main)
	var s0, s1, s2, r0, r1 []string
	for _, n := range sp {
		p := b.Split(main, n, 2, 2)
		s0, s1, s2 = append(s0, p[0]), append(s1, p[1]), append(s2, p[2])
	}
	for _, n := range red {
		p := b.Split(main, n, 2)
		r0, r1 = append(r0, p[0]), append(r1, p[1])
	}
	order := append(append(append(append(append([]string{}, s0...), s1...), r0...), s2...), r1...)
	b.Reorder(main, order)
	at := s1[len(s1)-1]
	for _, p := range ProducersOf(b.St, b.Stage(main)) {
		b.Do(schedule.ComputeAt{Stage: b.Stage(p), Target: b.Stage(main), TargetIter: b.Iter(main, at)})
	}
}

// CacheParallel computes the main stage's tiles in a local buffer, copied
// out by loops whose outer tiles are fused and parallel and whose inner
// loop is vectorized.
func CacheParallel(b *Builder) {
	main := MainStage(b.St)
	b.Do(schedule.CacheWrite{Stage: b.Stage(main), Scope: ir.Local})
	sp, _ := b.IterNames(main)
	var outer, inner []string
	for _, n := range sp {
		p := b.Split(main, n, 3)
		outer, inner = append(outer, p[0]), append(inner, p[1])
	}
	b.Reorder(main, append(append([]string{}, outer...), inner...))
	if len(outer) > 1 {
		pos := make([]int, len(outer))
		for i, n := range outer {
			pos[i] = b.Iter(main, n)
		}
		b.Do(schedule.Fuse{Stage: b.Stage(main), Iters: pos})
	}
	b.Do(schedule.Annotate{Stage: b.Stage(main), Iter: 0, Ann: schedule.AnnParallel})
	b.Do(schedule.ComputeAt{Stage: b.Stage(main + ".local"), Target: b.Stage(main), TargetIter: 0})
	b.Do(schedule.Annotate{Stage: b.Stage(main), Iter: b.Iter(main, inner[len(inner)-1]), Ann: schedule.AnnVectorize})
}

// InlineVectorize inlines every element-wise intermediate, then gives each
// remaining stage a parallel outer loop, a vectorized inner one and an
// unrolled innermost reduction.
func InlineVectorize(b *Builder) {
	for i := 0; i < len(b.St.Stages); i++ {
		s := b.St.Stages[i]
		if !s.IsInput() && s.Op.Reduce == nil && !b.St.IsOutput(i) {
			b.Do(schedule.ComputeInline{Stage: i})
		}
	}
	for i, s := range b.St.Stages {
		if s.IsInput() || s.Attach.Kind == schedule.AttachInline {
			continue
		}
		name := s.Name()
		sp, red := b.IterNames(name)
		if len(sp) >= 2 {
			b.Do(schedule.Fuse{Stage: i, Iters: []int{b.Iter(name, sp[0]), b.Iter(name, sp[1])}})
			sp = append([]string{sp[0] + "@" + sp[1]}, sp[2:]...)
		}
		b.Do(schedule.Annotate{Stage: i, Iter: b.Iter(name, sp[0]), Ann: schedule.AnnParallel})
		if len(red) > 0 {
			last := red[len(red)-1]
			p := b.Split(name, last, 2)
			b.Do(schedule.Annotate{Stage: i, Iter: b.Iter(name, p[1]), Ann: schedule.AnnUnroll})
			b.Do(schedule.PragmaStep{Stage: i, Iter: b.Iter(name, sp[0]), Pragma: ir.AutoUnrollMaxStep, Value: 16})
			// Reductions keep their spatial loops outside; vectorize the
			// innermost spatial loop by moving it inside the reduction.
			continue
		}
		if len(sp) >= 2 {
			last := sp[len(sp)-1]
			p := b.Split(name, last, 4)
			b.Do(schedule.Annotate{Stage: i, Iter: b.Iter(name, p[1]), Ann: schedule.AnnVectorize})
		}
	}
}

// RfactorAll splits the last reduction loop of every reduction and
// rfactors its inner part, so the partial sums form a spatial axis that
// runs in parallel.
func RfactorAll(b *Builder) {
	var names []string
	for _, s := range b.St.Stages {
		if !s.IsInput() && s.Op.Reduce != nil {
			names = append(names, s.Name())
		}
	}
	for _, name := range names {
		_, red := b.IterNames(name)
		p := b.Split(name, red[len(red)-1], 3)
		b.Do(schedule.Rfactor{Stage: b.Stage(name), Iter: b.Iter(name, p[1]), FactorIter: 0})
		rf := name + ".rf"
		b.Do(schedule.Annotate{Stage: b.Stage(rf), Iter: 0, Ann: schedule.AnnParallel})
	}
}

// Pack is auto-packing as the sketch rules make it: each input of the
// main stage with two dimensions or more is read through a copy stored in
// reversed dimension order, the main stage computes into a local buffer
// whose first spatial axis longer than 1 (but the last) is stored
// innermost, tiled with that axis innermost and vectorized; the copies
// are made per outer tile.
func Pack(b *Builder) {
	main := MainStage(b.St)
	for i := 0; i < len(b.St.Stages); i++ {
		s := b.St.Stages[i]
		if !s.IsInput() || len(s.Tensor.Shape) < 2 || !slices.Contains(b.St.Consumers(i), b.Stage(main)) {
			continue
		}
		b.Do(schedule.CacheRead{Stage: i, Scope: ir.Global, Readers: []int{b.Stage(main)}})
		order := make([]int, len(s.Tensor.Shape))
		for d := range order {
			order[d] = len(order) - 1 - d
		}
		b.Do(schedule.StorageOrder{Stage: i + 1, Order: order})
		i++
	}
	copies := ProducersOf(b.St, b.Stage(main))
	b.Do(schedule.CacheWrite{Stage: b.Stage(main), Scope: ir.Local})
	local := main + ".local"
	sp, red := b.IterNames(local)
	if len(sp) == 0 {
		return
	}
	shape := b.St.Stages[b.Stage(local)].Tensor.Shape
	vec := 0
	for vec < len(shape)-2 && shape[vec] == 1 {
		vec++
	}
	order := make([]int, 0, len(shape))
	for d := range shape {
		if d != vec {
			order = append(order, d)
		}
	}
	b.Do(schedule.StorageOrder{Stage: b.Stage(local), Order: append(order, vec)})
	var outer, inner []string
	for _, name := range sp {
		p := b.Split(local, name, 2)
		outer, inner = append(outer, p[0]), append(inner, p[1])
	}
	inner = append(append(append([]string{}, inner[:vec]...), inner[vec+1:]...), inner[vec])
	b.Reorder(local, append(append(append([]string{}, outer...), red...), inner...))
	b.Do(schedule.ComputeAt{Stage: b.Stage(local), Target: b.Stage(main), TargetIter: 0})
	for _, c := range copies {
		if st := b.St.Stages[b.Stage(c)]; st.Order != nil && st.Attach.Kind == schedule.AttachRoot {
			b.Do(schedule.ComputeAt{Stage: b.Stage(c), Target: b.Stage(local), TargetIter: 0})
		}
	}
	last := len(b.St.Stages[b.Stage(local)].Iters) - 1
	b.Do(schedule.Annotate{Stage: b.Stage(local), Iter: last, Ann: schedule.AnnVectorize})
}

// Recipes are the hand-written schedules, by name.
var Recipes = []Recipe{
	{"tile", Tile},
	{"cache_parallel", CacheParallel},
	{"inline_vectorize", InlineVectorize},
	{"rfactor", RfactorAll},
	{"pack", Pack},
}

// SmallDAGs builds every zoo operator at its small test shape.
func SmallDAGs(t testing.TB) (names []string, dags []*te.DAG) {
	t.Helper()
	for _, op := range ops.All() {
		d, err := op.Build(op.Small)
		if err != nil {
			t.Fatalf("%s: %v", op.Name, err)
		}
		names = append(names, op.Name)
		dags = append(dags, d)
	}
	return names, dags
}

// RandomStep proposes one step for st; it may not apply.
func RandomStep(rng *rand.Rand, st *schedule.State) schedule.Step {
	var computed []int
	for i, s := range st.Stages {
		if !s.IsInput() && s.Attach.Kind != schedule.AttachInline {
			computed = append(computed, i)
		}
	}
	if len(computed) == 0 {
		return nil
	}
	id := computed[rng.IntN(len(computed))]
	s := st.Stages[id]
	n := len(s.Iters)
	pick := func() int { return rng.IntN(n) }
	switch k := rng.IntN(24); {
	case k < 5:
		// Lengths that roughly fit the extent, dividing it or not, as a
		// sampler would choose them: larger ones only multiply the work.
		it := pick()
		rest := s.Iter(it).Extent
		lengths := make([]int64, 1+rng.IntN(3))
		for i := range lengths {
			lengths[i] = 1 + rng.Int64N(min(rest, 5))
			rest = (rest + lengths[i] - 1) / lengths[i]
		}
		return schedule.Split{Stage: id, Iter: it, Lengths: lengths, InnerToOuter: rng.IntN(4) != 0}
	case k < 8:
		return schedule.Reorder{Stage: id, Order: rng.Perm(n)}
	case k < 10:
		a := pick()
		b := min(n-1, a+1+rng.IntN(2))
		iters := []int{}
		for i := a; i <= b; i++ {
			iters = append(iters, i)
		}
		return schedule.Fuse{Stage: id, Iters: iters}
	case k < 13:
		cons := st.Consumers(id)
		if len(cons) == 0 {
			return nil
		}
		c := cons[rng.IntN(len(cons))]
		if a := st.Stages[c].Attach; a.Kind == schedule.AttachAt && rng.IntN(2) == 0 {
			// The stage the consumer is computed in: where a producer of
			// several consumers goes when they are all there.
			c = a.Stage
		}
		return schedule.ComputeAt{Stage: id, Target: c, TargetIter: rng.IntN(len(st.Stages[c].Iters) + 1)}
	case k < 14:
		return schedule.ComputeInline{Stage: id}
	case k < 15:
		return schedule.CacheWrite{Stage: id, Scope: ir.Local}
	case k < 17:
		anns := []schedule.Annotation{schedule.AnnParallel, schedule.AnnVectorize, schedule.AnnUnroll, schedule.AnnBlockX, schedule.AnnThreadX, schedule.AnnVThread}
		return schedule.Annotate{Stage: id, Iter: pick(), Ann: anns[rng.IntN(len(anns))]}
	case k < 18:
		return schedule.Rfactor{Stage: id, Iter: pick(), FactorIter: rng.IntN(len(s.Op.Axes) + 1)}
	case k < 19:
		// cache_read of a tensor for its direct readers.
		src := rng.IntN(len(st.Stages))
		cons := st.Consumers(src)
		if len(cons) == 0 {
			return nil
		}
		return schedule.CacheRead{Stage: src, Scope: ir.Shared, Readers: cons[:1+rng.IntN(len(cons))]}
	case k < 20:
		if len(st.Steps) == 0 {
			return nil
		}
		return schedule.FollowSplit{Stage: id, Iter: pick(), SrcStep: rng.IntN(len(st.Steps)), NSplit: 1 + rng.IntN(2)}
	case k < 21:
		if len(st.Steps) == 0 {
			return nil
		}
		srcs := []int{rng.IntN(len(st.Steps)), rng.IntN(len(st.Steps))}
		return schedule.FollowFusedSplit{Stage: id, Iter: pick(), SrcSteps: srcs, Level: rng.IntN(2), FactorOrNparts: rng.IntN(2) == 0}
	case k < 22:
		f := int64(1 + rng.IntN(8))
		return schedule.StorageAlign{Stage: id, Iter: pick(), Factor: f, Offset: rng.Int64N(f)}
	case k < 23:
		return schedule.StorageOrder{Stage: id, Order: rng.Perm(len(s.Tensor.Shape))}
	default:
		return schedule.PragmaStep{Stage: id, Iter: pick(), Pragma: ir.AutoUnrollMaxStep, Value: int64(rng.IntN(3) * 16)}
	}
}

// RandomState applies up to maxSteps random steps (RandomStep) to the
// initial state of d, skipping those that do not apply, and calls applied,
// if not nil, with each step that did.
func RandomState(rng *rand.Rand, d *te.DAG, maxSteps int, applied func(schedule.Step)) *schedule.State {
	st := schedule.New(d)
	for try := 0; try < 30 && len(st.Steps) < maxSteps; try++ {
		step := RandomStep(rng, st)
		if step == nil {
			continue
		}
		next, err := st.Apply(step)
		if err != nil {
			continue
		}
		st = next
		if applied != nil {
			applied(step)
		}
	}
	return st
}

// VectorizeInner tries, for each stage, to vectorize its innermost loop
// and (half the time) unroll the one outside it, as a wasm schedule would:
// random steps alone rarely do.
func VectorizeInner(st *schedule.State, rng *rand.Rand) *schedule.State {
	for i := range st.Stages {
		s := st.Stages[i]
		if s.IsInput() || s.Attach.Kind == schedule.AttachInline || len(s.Iters) == 0 || rng.IntN(4) == 0 {
			continue
		}
		n := len(s.Iters)
		if next, err := st.Apply(schedule.Annotate{Stage: i, Iter: n - 1, Ann: schedule.AnnVectorize}); err == nil {
			st = next
		}
		if n >= 2 && rng.IntN(2) == 0 {
			if next, err := st.Apply(schedule.Annotate{Stage: i, Iter: n - 2, Ann: schedule.AnnUnroll}); err == nil {
				st = next
			}
		}
	}
	return st
}

// C2DSketch is the benchmarks' 20-step multi-level tiling of the default C2D (ResNet
// 56x56x64, 3x3): a register tile in a local cache, outer tiles fused and
// parallel, the padding computed per tile, the inner loop vectorized.
func C2DSketch(tb testing.TB) *schedule.State {
	d, err := ops.BuildSpec("c2d")
	if err != nil {
		tb.Fatal(err)
	}
	b := New(tb, d)
	b.Do(schedule.CacheWrite{Stage: b.Stage("out"), Scope: ir.Local})
	var outer, inner []string
	for _, n := range []string{"n", "co", "y", "x"} {
		p := b.Split("out", n, map[string]int64{"n": 1, "co": 16, "y": 7, "x": 8}[n])
		outer, inner = append(outer, p[0]), append(inner, p[1])
	}
	b.Reorder("out", append(append([]string{}, outer...), inner...))
	b.Do(schedule.Fuse{Stage: b.Stage("out"), Iters: []int{0, 1, 2, 3}})
	b.Do(schedule.Annotate{Stage: b.Stage("out"), Iter: 0, Ann: schedule.AnnParallel})
	b.Do(schedule.ComputeAt{Stage: b.Stage("out.local"), Target: b.Stage("out"), TargetIter: 0})
	tiles := map[string][]int64{"n": {1, 1}, "co": {4, 4}, "y": {7, 1}, "x": {1, 8}}
	var s1, s2, s3 []string
	for _, n := range []string{"n", "co", "y", "x"} {
		p := b.Split("out.local", n, tiles[n]...)
		s1, s2, s3 = append(s1, p[0]), append(s2, p[1]), append(s3, p[2])
	}
	var r0, r1 []string
	for _, n := range []string{"ci", "ry", "rx"} {
		p := b.Split("out.local", n, map[string]int64{"ci": 8, "ry": 1, "rx": 3}[n])
		r0, r1 = append(r0, p[0]), append(r1, p[1])
	}
	order := append(append(append(append(append([]string{}, s1...), r0...), s2...), r1...), s3...)
	b.Reorder("out.local", order)
	b.Do(schedule.ComputeAt{Stage: b.Stage("pad"), Target: b.Stage("out.local"), TargetIter: b.Iter("out.local", "ci.0")})
	b.Do(schedule.Annotate{Stage: b.Stage("out.local"), Iter: b.Iter("out.local", "x.2"), Ann: schedule.AnnVectorize})
	b.Do(schedule.PragmaStep{Stage: b.Stage("out.local"), Iter: 0, Pragma: ir.AutoUnrollMaxStep, Value: 64})
	return b.St
}
