package tune

import (
	"context"
	"testing"

	"github.com/tabtune/tabtune/search/records"
	"github.com/tabtune/tabtune/targets"
)

// luckyMeasurer times a kernel by a hash of its bytes, but the first
// timing of one kernel in five is ten times too fast: the noise of a
// shared machine, at its worst.
type luckyMeasurer struct{ seen map[uint64]int }

func (luckyMeasurer) Name() string { return "lucky" }

func (m luckyMeasurer) Measure(_ context.Context, _ *targets.Workload, cs []targets.Candidate) []targets.Result {
	out := make([]targets.Result, len(cs))
	for i, c := range cs {
		sum, t := hashTime(c.Wasm)
		if m.seen[sum] == 0 && sum%5 == 0 {
			t /= 10
		}
		m.seen[sum]++
		out[i] = targets.Timed([]float64{t, t})
	}
	return out
}

// TestConfirm: after a search whose best times are lucky first timings,
// Confirm leaves as the best a schedule whose time repeats, timed three
// times, and logs the re-measurements as confirm records.
func TestConfirm(t *testing.T) {
	m := luckyMeasurer{seen: map[uint64]int{}}
	task, log := loggedTask(t, "gmm:M=32,N=32,K=32", m, 16, 3)
	for range 3 {
		if _, err := task.Step(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
	key, target := task.DAG.Key(), "wasm-simd"
	lucky := task.Best()
	if lucky == nil || lucky.Result.Median >= 1e-3 {
		t.Fatalf("the search's best is not a lucky timing: %+v", lucky)
	}
	trials := task.Trials
	made, err := task.Confirm(context.Background(), 4, 2)
	if err != nil {
		t.Fatal(err)
	}
	best := task.Best()
	if best.Result.Median < 1e-3 {
		t.Errorf("after Confirm the best is still a lucky timing: %v", best.Result.Median)
	}
	if n := task.opts.Log.TimesMeasured(key, target, records.StepsHash(best.Steps)); n != 3 {
		t.Errorf("the best was timed %d times, want 3", n)
	}
	if made < 8 || made%2 != 0 || task.Trials != trials {
		t.Errorf("Confirm made %d measurements and the trials went from %d to %d", made, trials, task.Trials)
	}
	recs, _ := records.Read(log)
	confirms := 0
	for _, r := range recs {
		if r.Origin == records.OriginConfirm {
			confirms++
		}
	}
	if confirms != made {
		t.Errorf("%d confirm records for %d measurements", confirms, made)
	}
}
