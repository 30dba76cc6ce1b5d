package tune

import (
	"bytes"
	"context"
	"hash/fnv"
	"math"
	"regexp"
	"testing"
	"time"

	"github.com/tabtune/tabtune/compiler/ops"
	"github.com/tabtune/tabtune/search/evolve"
	"github.com/tabtune/tabtune/search/records"
	"github.com/tabtune/tabtune/targets"
	"github.com/tabtune/tabtune/targets/build"
)

// fakeMeasurer times a kernel by a hash of its bytes: deterministic, and
// instant.
type fakeMeasurer struct{}

func (fakeMeasurer) Name() string { return "fake" }

func (fakeMeasurer) Measure(_ context.Context, _ *targets.Workload, cs []targets.Candidate) []targets.Result {
	out := make([]targets.Result, len(cs))
	for i, c := range cs {
		_, t := hashTime(c.Wasm)
		out[i] = targets.Timed([]float64{t, t})
	}
	return out
}

// hashTime is a made-up time of a kernel, 1 to 11 ms, from a hash of its
// bytes, and the hash.
func hashTime(wasm []byte) (uint64, float64) {
	h := fnv.New64a()
	h.Write(wasm)
	sum := h.Sum64()
	return sum, 1e-3 * (1 + float64(sum%1000)/100)
}

// loggedTask makes a task of spec on wasm-simd at population 64 that
// writes its records to the returned buffer.
func loggedTask(t *testing.T, spec string, m targets.Measurer, batch int, seed uint64) (*Task, *bytes.Buffer) {
	t.Helper()
	d, err := ops.BuildSpec(spec)
	if err != nil {
		t.Fatal(err)
	}
	w, err := build.Workload(d, 1)
	if err != nil {
		t.Fatal(err)
	}
	var log bytes.Buffer
	p := evolve.DefaultParams()
	p.Population = 64
	task, err := NewTask(d, w, Options{
		Target: targets.MustParseTarget("wasm-simd"), Measurer: m, Batch: batch, Seed: seed,
		Search: p, Writer: records.NewWriter(&log), Tabtune: "test",
	})
	if err != nil {
		t.Fatal(err)
	}
	return task, &log
}

func tuneOnce(t *testing.T, seed uint64) string {
	task, log := loggedTask(t, "gmm:M=32,N=32,K=32", fakeMeasurer{}, 16, seed)
	for task.Trials < 48 {
		r, err := task.Step(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if r.Measured == 0 {
			break
		}
	}
	if task.Best() == nil {
		t.Fatal("no best record")
	}
	// Time stamps differ from run to run; everything else must not.
	return regexp.MustCompile(`"time":"[^"]*"`).ReplaceAllString(log.String(), `"time":""`)
}

// TestDeterministicLog: with a deterministic measurer, two runs with one
// seed write identical logs, and another seed a different one.
func TestDeterministicLog(t *testing.T) {
	a, b := tuneOnce(t, 7), tuneOnce(t, 7)
	if a != b {
		t.Fatal("two runs with the same seed wrote different logs")
	}
	if n := bytes.Count([]byte(a), []byte("\n")); n < 48 {
		t.Errorf("only %d records", n)
	}
	if tuneOnce(t, 8) == a {
		t.Error("another seed gave the same log")
	}
}

// TestResume: a task built on a log does not measure its schedules again.
func TestResume(t *testing.T) {
	log := &records.Log{}
	d, w, optsOn := gmmOnLog(log)
	opts := optsOn(targets.MustParseTarget("wasm-simd"))
	first, err := NewTask(d, w, opts)
	if err != nil {
		t.Fatal(err)
	}
	for range 3 {
		if _, err := first.Step(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
	before := log.Count(d.Key(), "wasm-simd")
	second, err := NewTask(d, w, opts)
	if err != nil {
		t.Fatal(err)
	}
	if second.model == nil {
		t.Error("the resumed task did not train on the log")
	}
	if _, err := second.Step(context.Background()); err != nil {
		t.Fatal(err)
	}
	seen := map[string]int{}
	for _, r := range log.TopK(d.Key(), "wasm-simd", 1<<20) {
		seen[records.StepsHash(r.Steps)]++
	}
	if log.Count(d.Key(), "wasm-simd") <= before {
		t.Error("the resumed task measured nothing")
	}
	for h, n := range seen {
		if n > 1 {
			t.Errorf("schedule %s measured %d times", h, n)
		}
	}
}

// recordingMeasurer is fakeMeasurer that keeps the bytes it measured.
type recordingMeasurer struct {
	fakeMeasurer
	wasm [][]byte
}

func (m *recordingMeasurer) Measure(ctx context.Context, w *targets.Workload, cs []targets.Candidate) []targets.Result {
	for _, c := range cs {
		m.wasm = append(m.wasm, c.Wasm)
	}
	return m.fakeMeasurer.Measure(ctx, w, cs)
}

// TestLogReplaysMeasuredKernels: every record of a tuning log, replayed
// from its steps alone, builds the very kernel that was measured (and
// records its ID), no kernel is measured twice across rounds, for
// every sketch of a convolution (padding, cache stages, fusion) and a
// matmul.
func TestLogReplaysMeasuredKernels(t *testing.T) {
	tg := targets.MustParseTarget("wasm-simd")
	for _, spec := range []string{"c2d:N=1,CI=8,H=10,W=10,CO=8,KH=3,KW=3,stride=1,pad=1", "gmm:M=24,N=40,K=16"} {
		m := &recordingMeasurer{}
		task, log := loggedTask(t, spec, m, 24, 5)
		for range 3 {
			if _, err := task.Step(context.Background()); err != nil {
				t.Fatal(err)
			}
		}
		recs, errs := records.Read(log)
		if len(errs) > 0 {
			t.Fatal(errs[0])
		}
		if len(recs) != len(m.wasm) || len(recs) < 48 {
			t.Fatalf("%s: %d records for %d measured kernels", spec, len(recs), len(m.wasm))
		}
		kernels := map[string]bool{}
		for i, r := range recs {
			st, err := r.State()
			if err != nil {
				t.Fatalf("%s: record %d: %v", spec, i, err)
			}
			c, err := build.Build(st, tg)
			if err != nil {
				t.Fatalf("%s: record %d: %v", spec, i, err)
			}
			if !bytes.Equal(c.Wasm, m.wasm[i]) || r.Kernel != c.ID {
				t.Fatalf("%s: record %d replays to another kernel than the one measured", spec, i)
			}
			if kernels[r.Kernel] {
				t.Fatalf("%s: record %d: kernel %s measured twice", spec, i, r.Kernel)
			}
			kernels[r.Kernel] = true
		}
	}
}

func TestRankAccuracy(t *testing.T) {
	for _, c := range []struct {
		pred, times []float64
		want        float64
	}{
		{[]float64{3, 2, 1}, []float64{1, 2, 3}, 1},
		{[]float64{1, 2, 3}, []float64{1, 2, 3}, 0},
		{[]float64{3, 1, 2}, []float64{1, 2, 3}, 2.0 / 3},
		{[]float64{3, 2, 1}, []float64{1, 0, 3}, 1},
		{[]float64{3, 2}, []float64{1, 1}, -1},
		{nil, []float64{1, 2}, -1},
	} {
		if got := rankAccuracy(c.pred, c.times); math.Abs(got-c.want) > 1e-12 {
			t.Errorf("rankAccuracy(%v, %v) = %g, want %g", c.pred, c.times, got, c.want)
		}
	}
}

// limitsMeasurer records the time limits and cutoffs of what it measures.
type limitsMeasurer struct {
	fakeMeasurer
	timeouts, cutoffs []time.Duration
}

func (m *limitsMeasurer) Measure(ctx context.Context, w *targets.Workload, cs []targets.Candidate) []targets.Result {
	for _, c := range cs {
		m.timeouts = append(m.timeouts, c.Timeout)
		m.cutoffs = append(m.cutoffs, c.Cutoff)
	}
	return m.fakeMeasurer.Measure(ctx, w, cs)
}

// TestBaselineLimits: the naive schedule of a large program gets a time
// limit that grows with its work, so that a measurer's default limit does
// not cut the trusted baseline off, and a cutoff that times a slow one by
// one run.
func TestBaselineLimits(t *testing.T) {
	m := &limitsMeasurer{}
	task, _ := loggedTask(t, "gmm:M=1024,N=1024,K=1024", m, 16, 1)
	if _, err := task.Baseline(context.Background()); err != nil {
		t.Fatal(err)
	}
	if len(m.timeouts) != 1 {
		t.Fatalf("measured %d candidates, want the naive one", len(m.timeouts))
	}
	if got := m.timeouts[0]; got < time.Minute || got > naiveMaxTimeout {
		t.Errorf("naive GMM 1024: time limit %v, want between 1m and %v", got, naiveMaxTimeout)
	}
	if m.cutoffs[0] != naiveCutoff {
		t.Errorf("naive cutoff %v, want %v", m.cutoffs[0], naiveCutoff)
	}
	if got, _ := naiveLimits(1e6); got > time.Second {
		t.Errorf("a small program's naive limit is %v: the measurer's own limit should rule", got)
	}
}
