package lower

import (
	"strings"
	"testing"

	"github.com/tabtune/tabtune/compiler/interp"
	"github.com/tabtune/tabtune/compiler/schedule"
	"github.com/tabtune/tabtune/compiler/te"
)

// sched applies hand-written steps by stage and iterator name, failing the
// test when a step does not apply.
type sched struct {
	t  testing.TB
	st *schedule.State
}

func (b *sched) stage(name string) int {
	b.t.Helper()
	i := b.st.StageByName(name)
	if i < 0 {
		b.t.Fatalf("no stage %s", name)
	}
	return i
}

func (b *sched) iter(stage, name string) int {
	b.t.Helper()
	s := b.st.Stages[b.stage(stage)]
	for i := range s.Iters {
		if s.Iter(i).Name == name {
			return i
		}
	}
	b.t.Fatalf("stage %s has no iterator %s", stage, name)
	return -1
}

func (b *sched) do(steps ...schedule.Step) {
	b.t.Helper()
	for _, s := range steps {
		next, err := b.st.Apply(s)
		if err != nil {
			b.t.Fatal(err)
		}
		b.st = next
	}
}

// split splits a stage's iterator by name and returns the new names.
func (b *sched) split(stage, iter string, lengths ...int64) []string {
	b.t.Helper()
	b.do(schedule.Split{Stage: b.stage(stage), Iter: b.iter(stage, iter), Lengths: lengths, InnerToOuter: true})
	out := make([]string, len(lengths)+1)
	for i := range out {
		out[i] = iter + "." + string(rune('0'+i))
	}
	return out
}

// reorder puts a stage's iterators in the order of names.
func (b *sched) reorder(stage string, names []string) {
	b.t.Helper()
	order := make([]int, len(names))
	for i, n := range names {
		order[i] = b.iter(stage, n)
	}
	b.do(schedule.Reorder{Stage: b.stage(stage), Order: order})
}

func (b *sched) iterNames(stage string) (spatial, reduce []string) {
	s := b.st.Stages[b.stage(stage)]
	for i := range s.Iters {
		if s.Iter(i).Kind == schedule.Reduce {
			reduce = append(reduce, s.Iter(i).Name)
		} else {
			spatial = append(spatial, s.Iter(i).Name)
		}
	}
	return
}

// mainStage is the stage a schedule tiles: the last reduction, or the
// last stage.
func mainStage(st *schedule.State) string {
	name := st.Stages[len(st.Stages)-1].Name()
	for _, s := range st.Stages {
		if !s.IsInput() && s.Op.Reduce != nil {
			name = s.Name()
		}
	}
	return name
}

// producersOf lists the computed stages that only main reads.
func producersOf(st *schedule.State, main int) []string {
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

// tile is multi-level tiling "SSRSRS" with the main stage's producers
// (padding, an element-wise stage) computed inside its tiles.
func tile(b *sched) {
	main := mainStage(b.st)
	sp, red := b.iterNames(main)
	var s0, s1, s2, r0, r1 []string
	for _, n := range sp {
		p := b.split(main, n, 2, 2)
		s0, s1, s2 = append(s0, p[0]), append(s1, p[1]), append(s2, p[2])
	}
	for _, n := range red {
		p := b.split(main, n, 2)
		r0, r1 = append(r0, p[0]), append(r1, p[1])
	}
	order := append(append(append(append(append([]string{}, s0...), s1...), r0...), s2...), r1...)
	b.reorder(main, order)
	at := s1[len(s1)-1]
	for _, p := range producersOf(b.st, b.stage(main)) {
		b.do(schedule.ComputeAt{Stage: b.stage(p), Target: b.stage(main), TargetIter: b.iter(main, at)})
	}
}

// cacheParallel computes the main stage's tiles in a local buffer, copied
// out by loops whose outer tiles are fused and parallel and whose inner
// loop is vectorized.
func cacheParallel(b *sched) {
	main := mainStage(b.st)
	b.do(schedule.CacheWrite{Stage: b.stage(main), Scope: "local"})
	sp, _ := b.iterNames(main)
	var outer, inner []string
	for _, n := range sp {
		p := b.split(main, n, 3)
		outer, inner = append(outer, p[0]), append(inner, p[1])
	}
	b.reorder(main, append(append([]string{}, outer...), inner...))
	if len(outer) > 1 {
		pos := make([]int, len(outer))
		for i, n := range outer {
			pos[i] = b.iter(main, n)
		}
		b.do(schedule.Fuse{Stage: b.stage(main), Iters: pos})
	}
	b.do(schedule.Annotate{Stage: b.stage(main), Iter: 0, Ann: schedule.AnnParallel})
	b.do(schedule.ComputeAt{Stage: b.stage(main + ".local"), Target: b.stage(main), TargetIter: 0})
	b.do(schedule.Annotate{Stage: b.stage(main), Iter: b.iter(main, inner[len(inner)-1]), Ann: schedule.AnnVectorize})
}

// inlineVectorize inlines every element-wise intermediate, then gives each
// remaining stage a parallel outer loop, a vectorized inner one and an
// unrolled innermost reduction.
func inlineVectorize(b *sched) {
	for i := 0; i < len(b.st.Stages); i++ {
		s := b.st.Stages[i]
		if !s.IsInput() && s.Op.Reduce == nil && !b.st.IsOutput(i) {
			b.do(schedule.ComputeInline{Stage: i})
		}
	}
	for i, s := range b.st.Stages {
		if s.IsInput() || s.Attach.Kind == schedule.AttachInline {
			continue
		}
		name := s.Name()
		sp, red := b.iterNames(name)
		if len(sp) >= 2 {
			b.do(schedule.Fuse{Stage: i, Iters: []int{b.iter(name, sp[0]), b.iter(name, sp[1])}})
			sp = append([]string{sp[0] + "@" + sp[1]}, sp[2:]...)
		}
		b.do(schedule.Annotate{Stage: i, Iter: b.iter(name, sp[0]), Ann: schedule.AnnParallel})
		if len(red) > 0 {
			last := red[len(red)-1]
			p := b.split(name, last, 2)
			b.do(schedule.Annotate{Stage: i, Iter: b.iter(name, p[1]), Ann: schedule.AnnUnroll})
			b.do(schedule.PragmaStep{Stage: i, Iter: b.iter(name, sp[0]), Pragma: "auto_unroll_max_step", Value: 16})
			// Reductions keep their spatial loops outside; vectorize the
			// innermost spatial loop by moving it inside the reduction.
			continue
		}
		if len(sp) >= 2 {
			last := sp[len(sp)-1]
			p := b.split(name, last, 4)
			b.do(schedule.Annotate{Stage: i, Iter: b.iter(name, p[1]), Ann: schedule.AnnVectorize})
		}
	}
}

// rfactorAll splits the last reduction loop of every reduction and
// rfactors its inner part, so the partial sums form a spatial axis that
// runs in parallel.
func rfactorAll(b *sched) {
	var names []string
	for _, s := range b.st.Stages {
		if !s.IsInput() && s.Op.Reduce != nil {
			names = append(names, s.Name())
		}
	}
	for _, name := range names {
		_, red := b.iterNames(name)
		p := b.split(name, red[len(red)-1], 3)
		b.do(schedule.Rfactor{Stage: b.stage(name), Iter: b.iter(name, p[1]), FactorIter: 0})
		rf := name + ".rf"
		b.do(schedule.Annotate{Stage: b.stage(rf), Iter: 0, Ann: schedule.AnnParallel})
	}
}

var recipes = []struct {
	name string
	fn   func(*sched)
}{
	{"tile", tile},
	{"cache_parallel", cacheParallel},
	{"inline_vectorize", inlineVectorize},
	{"rfactor", rfactorAll},
}

// TestHandSchedules applies the hand-written schedules to every zoo
// operator at its small shape: each must apply, lower, and compute what the
// unscheduled program computes.
func TestHandSchedules(t *testing.T) {
	names, dags := smallDAGs(t)
	for w, d := range dags {
		t.Run(names[w]+"/naive", func(t *testing.T) { checkLowered(t, schedule.New(d), d) })
		for _, r := range recipes {
			t.Run(names[w]+"/"+r.name, func(t *testing.T) {
				b := &sched{t: t, st: schedule.New(d)}
				r.fn(b)
				if len(b.st.Steps) < 3 {
					t.Fatalf("only %d steps: %s", len(b.st.Steps), b.st.StepsString())
				}
				checkLowered(t, b.st, d)
			})
		}
	}
}

func checkLowered(t *testing.T, st *schedule.State, d *te.DAG) {
	t.Helper()
	f, err := Lower(st)
	if err != nil {
		t.Fatalf("%v\n%s", err, st.StepsString())
	}
	diff, err := interp.Check(f, d, 3)
	if err != nil {
		t.Fatalf("%v\n%s", err, f)
	}
	if !diff.OK {
		t.Fatalf("mismatch: %v\n%s\n%s", diff, st.StepsString(), f)
	}
	if strings.Contains(f.String(), "<nil>") {
		t.Fatalf("nil expression in\n%s", f)
	}
}
