//go:build !js

package cpu

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/tabtune/tabtune/compiler/ir"
	"github.com/tabtune/tabtune/compiler/ops"
	"github.com/tabtune/tabtune/compiler/schedule"
	"github.com/tabtune/tabtune/compiler/schedule/schedtest"
	"github.com/tabtune/tabtune/targets"
	"github.com/tabtune/tabtune/targets/build"
	"github.com/tabtune/tabtune/targets/internal/kerneltest"
)

// TestPanelPerThread: a packed panel too large for the stack (GMM's B
// panel of 1024 rows by 32 columns, 128 KiB), made per column tile in a
// parallel loop, is allocated once per thread around the loop, and the
// kernel computes the reference on 1 and 2 threads, with the panel's
// copy vectorized and not.
func TestPanelPerThread(t *testing.T) {
	opts := kerneltest.Options()
	opts.Timeout = 20 * time.Second
	m := newMeasurerWith(t, opts)
	d, err := ops.BuildSpec("gmm:M=48,N=96,K=1024")
	if err != nil {
		t.Fatal(err)
	}
	work, err := build.Workload(d, 3)
	if err != nil {
		t.Fatal(err)
	}
	var cands []targets.Candidate
	for _, vec := range []bool{false, true} {
		for _, tg := range []string{"cpu -lanes=16 -cores=1", "cpu -lanes=16 -cores=2", "cpu -lanes=8 -cores=2"} {
			b := schedtest.New(t, d)
			i := b.Split("C", "i", 8)
			j := b.Split("C", "j", 32)
			b.Reorder("C", []string{j[0], i[0], "k", i[1], j[1]})
			b.Do(schedule.CacheRead{Stage: b.Stage("B"), Scope: ir.Global, Readers: []int{b.Stage("C")}})
			b.Do(schedule.ComputeAt{Stage: b.Stage("B.global"), Target: b.Stage("C"), TargetIter: b.Iter("C", j[0])})
			b.Do(schedule.Annotate{Stage: b.Stage("C"), Iter: b.Iter("C", j[0]), Ann: schedule.AnnParallel})
			b.Do(schedule.Annotate{Stage: b.Stage("C"), Iter: b.Iter("C", j[1]), Ann: schedule.AnnVectorize})
			if vec {
				g := b.Stage("B.global")
				b.Do(schedule.Annotate{Stage: g, Iter: len(b.St.Stages[g].Iters) - 1, Ann: schedule.AnnVectorize})
			}
			c, err := build.Build(b.St, targets.MustParseTarget(tg))
			if err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(c.Source, "malloc(131072); // B.global, one per thread") {
				t.Fatalf("%s: the panel is not allocated once per thread:\n%s", tg, c.Source)
			}
			cands = append(cands, c)
		}
	}
	for i, r := range m.Measure(context.Background(), work, cands) {
		if !r.OK() {
			t.Errorf("kernel %d: %v: %s\n%s", i, r.Err, r.Msg, cands[i].Source)
		}
	}
}
