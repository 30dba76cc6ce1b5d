package features

import (
	"testing"

	"github.com/tabtune/tabtune/compiler/lower"
	"github.com/tabtune/tabtune/compiler/ops"
	"github.com/tabtune/tabtune/compiler/schedule"
	"github.com/tabtune/tabtune/compiler/schedule/schedtest"
)

// c2dSketch is the 20-step multi-level tiling of the default C2D (ResNet
// 56x56x64, 3x3) of compiler/lower's benchmarks: a register tile in a
// local cache, outer tiles fused and parallel, the padding computed per
// tile, the inner loop vectorized.
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

// BenchmarkExtractC2D extracts the features of the lowered C2D sketch.
func BenchmarkExtractC2D(b *testing.B) {
	f, err := lower.Lower(c2dSketch(b))
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		Extract(f)
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "states/s")
}

// BenchmarkExtractStateC2D lowers the C2D sketch and extracts its
// features: what the search pays per candidate it scores, but replaying
// the steps.
func BenchmarkExtractStateC2D(b *testing.B) {
	st := c2dSketch(b)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := ExtractState(st); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "states/s")
}
