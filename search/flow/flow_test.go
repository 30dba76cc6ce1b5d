package flow_test

import (
	"context"
	"errors"
	"hash/fnv"
	"strings"
	"testing"

	"github.com/tabtune/tabtune/compiler/te"
	"github.com/tabtune/tabtune/search/evolve"
	"github.com/tabtune/tabtune/search/flow"
	"github.com/tabtune/tabtune/search/records"
	"github.com/tabtune/tabtune/search/tasks"
	"github.com/tabtune/tabtune/targets"
)

// fakeMeasurer times a kernel by a hash of its code: deterministic, fast,
// and the same under GOOS=js in node as natively.
type fakeMeasurer struct{ calls int }

func (*fakeMeasurer) Name() string { return "fake" }

func (m *fakeMeasurer) Measure(_ context.Context, _ *targets.Workload, cs []targets.Candidate) []targets.Result {
	m.calls++
	out := make([]targets.Result, len(cs))
	for i, c := range cs {
		h := fnv.New64a()
		h.Write(c.Wasm)
		out[i] = targets.Timed([]float64{1e-4 * (1 + float64(h.Sum64()%1000)/100)})
	}
	return out
}

func smallConfig() flow.Config {
	p := evolve.DefaultParams()
	p.Population = 32
	return flow.Config{Target: targets.Target{Kind: targets.WasmSIMD}, Trials: 24, Batch: 8, Seed: 3, Search: p, Confirm: 2}
}

// TestTune: a short tune with a fake measurer spends its budget in rounds,
// reports each, confirms, measures the baseline, and the best is in the
// log and never slower than the naive schedule.
func TestTune(t *testing.T) {
	d, err := flow.Workload("gmm:M=16,N=16,K=16")
	if err != nil {
		t.Fatal(err)
	}
	var events []flow.Event
	env := flow.Env{Measurer: &fakeMeasurer{}, Log: &records.Log{}}
	res, err := flow.Tune(context.Background(), env, d, smallConfig(), func(e flow.Event) { events = append(events, e) })
	if err != nil {
		t.Fatal(err)
	}
	if res.Trials != 24 || res.Best == nil || res.Naive == nil || res.Stop != "" {
		t.Fatalf("trials %d, best %v, naive %v, stop %q", res.Trials, res.Best, res.Naive, res.Stop)
	}
	if res.Best.Result.Median > res.Naive.Median {
		t.Errorf("best %g slower than naive %g", res.Best.Result.Median, res.Naive.Median)
	}
	phases := map[flow.Phase]int{}
	for _, e := range events {
		phases[e.Phase]++
	}
	if phases[flow.PhaseRound] != 3 || phases[flow.PhaseMeasure] != 3 || phases[flow.PhaseConfirm] != 1 || phases[flow.PhaseBaseline] != 1 {
		t.Errorf("events by phase: %v", phases)
	}
	if last := events[len(events)-1]; last.Budget != 24 {
		t.Errorf("budget %d in events", last.Budget)
	}
	if got := flow.HowFound(env.Log, d.Key(), "wasm-simd", res.Best, false); !strings.HasPrefix(got, "found in round") && !strings.HasPrefix(got, "the naive schedule") {
		t.Errorf("HowFound: %q", got)
	}
	best, files, err := flow.Export(env.Log, d, targets.Target{Kind: targets.WasmSIMD})
	if err != nil || best != res.Best {
		t.Fatalf("export: %v", err)
	}
	var names []string
	for _, f := range files {
		names = append(names, f.Name)
	}
	if strings.Join(names, " ") != "kernel.wasm kernel.wat steps.json" {
		t.Errorf("exported %v", names)
	}
}

// TestTuneStops: a cancelled context ends the run as Interrupted, not as
// an error.
func TestTuneStops(t *testing.T) {
	d, _ := flow.Workload("gmm:M=16,N=16,K=16")
	ctx, cancel := context.WithCancel(context.Background())
	env := flow.Env{Measurer: &fakeMeasurer{}}
	res, err := flow.Tune(ctx, env, d, smallConfig(), func(e flow.Event) {
		if e.Phase == flow.PhaseRound {
			cancel()
		}
	})
	if err != nil || res.Stop != flow.Interrupted || res.Trials != 8 {
		t.Fatalf("err %v, stop %q, trials %d", err, res.Stop, res.Trials)
	}
}

// TestTuneNetwork: every layer gets a first round, references are made
// only for layers about to be measured, and the estimate is finite.
func TestTuneNetwork(t *testing.T) {
	entries := []tasks.Entry{{Spec: "gmm:M=8,N=8,K=8", Weight: 2}, {Spec: "gmm:M=16,N=8,K=4", Weight: 1}, {Spec: "gmm:M=4,N=12,K=8", Weight: 1}}
	ref := &countingRef{}
	env := flow.Env{Measurer: &fakeMeasurer{}, Reference: ref}
	cfg := smallConfig()
	cfg.Trials = 8
	if _, err := flow.TuneNetwork(context.Background(), env, entries, cfg, nil); err == nil || !strings.Contains(err.Error(), "at least 12 trials") {
		t.Fatalf("a budget of 8 for 3 layers: %v", err)
	}
	if ref.n != 0 {
		t.Fatalf("%d references made for a refused run", ref.n)
	}
	cfg.Trials = 30
	res, err := flow.TuneNetwork(context.Background(), env, entries, cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	if ref.n != 3 || res.Trials != 30 {
		t.Errorf("%d references, %d trials", ref.n, res.Trials)
	}
	for _, l := range res.Layers {
		if l.Best == nil || l.Naive == nil || l.Trials < 4 {
			t.Errorf("layer %s: best %v, naive %v, %d trials", l.Spec, l.Best, l.Naive, l.Trials)
		}
	}
	if !(res.Total > 0 && res.Total <= res.NaiveTotal) {
		t.Errorf("total %g, naive %g", res.Total, res.NaiveTotal)
	}
}

type countingRef struct{ n int }

func (r *countingRef) Workload(ctx context.Context, d *te.DAG, seed int64) (*targets.Workload, error) {
	r.n++
	return flow.Interp{}.Workload(ctx, d, seed)
}

func TestCheck(t *testing.T) {
	if err := flow.Check(targets.MustParseTarget("cuda")); err == nil || !strings.Contains(err.Error(), "bridge") {
		t.Errorf("cuda: %v", err)
	}
	if err := flow.Check(targets.MustParseTarget("wasm-simd -relaxed")); err != nil {
		t.Error(err)
	}
}

func TestWorkload(t *testing.T) {
	for _, src := range []string{"gmm", "gmm:M=8,N=8,K=8", "A = input(f32, [4])\nB[i] = A[i] * 2.0\n"} {
		if _, err := flow.Workload(src); err != nil {
			t.Errorf("%q: %v", src, err)
		}
	}
	_, err := flow.Workload("A = input(f32, [4])\nB[i] = A[i] +\n")
	var pe *te.ParseError
	if !errors.As(err, &pe) || pe.Line != 2 {
		t.Errorf("parse error: %v", err)
	}
	if _, err := flow.ParseFile("x.te", "B[i] = Q[i]\n"); err == nil || !strings.HasPrefix(err.Error(), "x.te:1:") {
		t.Errorf("ParseFile: %v", err)
	}
	if _, err := flow.Workload("nosuchop:M=3"); err == nil || !strings.Contains(err.Error(), "nosuchop") {
		t.Errorf("bad spec: %v", err)
	}
}

// slowMeasurer times the first kernel it sees (the naive schedule) fast
// and every later one slower.
type slowMeasurer struct{ n int }

func (*slowMeasurer) Name() string { return "slow" }

func (m *slowMeasurer) Measure(_ context.Context, _ *targets.Workload, cs []targets.Candidate) []targets.Result {
	out := make([]targets.Result, len(cs))
	for i := range cs {
		m.n++
		t := 1e-3
		if m.n == 1 {
			t = 1e-5
		}
		out[i] = targets.Timed([]float64{t})
	}
	return out
}

// TestNeverSlowerThanNaive: the naive schedule is measured first and stays
// a candidate, so when nothing beats it, it is the best.
func TestNeverSlowerThanNaive(t *testing.T) {
	d, _ := flow.Workload("gmm:M=16,N=16,K=16")
	env := flow.Env{Measurer: &slowMeasurer{}, Log: &records.Log{}}
	res, err := flow.Tune(context.Background(), env, d, smallConfig(), nil)
	if err != nil {
		t.Fatal(err)
	}
	if res.Best == nil || len(res.Best.Steps) != 0 {
		t.Fatalf("best %+v, want the naive schedule", res.Best)
	}
	if got := flow.HowFound(env.Log, d.Key(), "wasm-simd", res.Best, false); !strings.HasPrefix(got, "the naive schedule") {
		t.Errorf("HowFound: %q", got)
	}
}
