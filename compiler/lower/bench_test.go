package lower

import (
	"testing"

	"github.com/tabtune/tabtune/compiler/ops"
	"github.com/tabtune/tabtune/compiler/schedule"
	"github.com/tabtune/tabtune/compiler/schedule/schedtest"
)

// c2dSketch is a 20-step multi-level tiling of the default C2D (ResNet
// 56x56x64, 3x3): a register tile in a local cache, outer tiles fused and
// parallel, the padding computed per tile, the inner loop vectorized.
func c2dSketch(tb testing.TB) *schedule.State {
	d, err := ops.BuildSpec("c2d")
	if err != nil {
		tb.Fatal(err)
	}
	b := schedtest.New(tb, d)
	b.Do(schedule.CacheWrite{Stage: b.Stage("out"), Scope: "local"})
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
	b.Do(schedule.PragmaStep{Stage: b.Stage("out.local"), Iter: 0, Pragma: "auto_unroll_max_step", Value: 64})
	return b.St
}

func TestC2DSketchSmall(t *testing.T) {
	st := c2dSketch(t)
	if n := len(st.Steps); n < 18 || n > 24 {
		t.Errorf("the sketch has %d steps", n)
	}
	if _, err := Lower(st); err != nil {
		t.Fatal(err)
	}
}

// BenchmarkApplyLowerC2D replays the 20-step C2D sketch and lowers it:
// what the search pays per candidate it scores.
func BenchmarkApplyLowerC2D(b *testing.B) {
	st := c2dSketch(b)
	d, steps := st.DAG, st.Steps
	b.ReportAllocs()
	for b.Loop() {
		s, err := schedule.Replay(d, steps)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := Lower(s); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkApplyC2D replays the sketch only.
func BenchmarkApplyC2D(b *testing.B) {
	st := c2dSketch(b)
	d, steps := st.DAG, st.Steps
	b.ReportAllocs()
	for b.Loop() {
		if _, err := schedule.Replay(d, steps); err != nil {
			b.Fatal(err)
		}
	}
}
