package tasks

import (
	"context"
	"fmt"
	"hash/fnv"
	"math"
	"strings"
	"testing"

	"github.com/tabtune/tabtune/compiler/ops"
	"github.com/tabtune/tabtune/search/evolve"
	"github.com/tabtune/tabtune/search/tune"
	"github.com/tabtune/tabtune/targets"
	"github.com/tabtune/tabtune/targets/build"
)

func TestResNet50(t *testing.T) {
	net, err := Network("resnet50")
	if err != nil {
		t.Fatal(err)
	}
	convs, total := 0, 0.0
	for _, e := range net {
		if _, err := ops.BuildSpec(e.Spec); err != nil {
			t.Errorf("%s: %v", e.Spec, err)
		}
		if strings.HasPrefix(e.Spec, "c2d") {
			convs += int(e.Weight)
		}
		total += e.Weight
	}
	// ResNet-50 has 53 convolutions (the stem, 3 in each of 16 blocks, 4
	// downsampling shortcuts) and one dense layer.
	if convs != 53 || total != 54 {
		t.Errorf("%d convolutions, %v layers", convs, total)
	}
}

func TestParseNetworkErrors(t *testing.T) {
	for in, want := range map[string]string{
		"":                 "no layers",
		"2 gmm extra":      `line 1: want "WEIGHT SPEC"`,
		"0 gmm":            "line 1: weight \"0\" is not a positive number",
		"# c\nx gmm:M=2\n": "line 2: weight \"x\"",
	} {
		if _, err := ParseNetwork(strings.NewReader(in)); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%q: %v, want %q", in, err, want)
		}
	}
	if _, err := Network("vgg"); err == nil || !strings.Contains(err.Error(), "resnet50") {
		t.Errorf("unknown network: %v", err)
	}
}

type fakeMeasurer struct{ scale float64 }

func (fakeMeasurer) Name() string { return "fake" }

func (f fakeMeasurer) Measure(_ context.Context, _ *targets.Workload, cs []targets.Candidate) []targets.Result {
	out := make([]targets.Result, len(cs))
	for i, c := range cs {
		h := fnv.New64a()
		h.Write(c.Wasm)
		s := f.scale * (1 + float64(h.Sum64()%1000)/100)
		out[i] = targets.Timed([]float64{s})
	}
	return out
}

// TestScheduler: every task is warmed up, then rounds go where the
// weighted latency can fall most: the heavy, slow task gets more.
func TestScheduler(t *testing.T) {
	var ts []Job
	specs := []string{"gmm:M=16,N=16,K=16", "gmm:M=32,N=32,K=32"}
	scales := []float64{1e-4, 1e-2}
	for i, spec := range specs {
		d, _ := ops.BuildSpec(spec)
		w, err := build.Workload(d, 1)
		if err != nil {
			t.Fatal(err)
		}
		p := evolve.DefaultParams()
		p.Population = 32
		task, err := tune.NewTask(d, w, tune.Options{Target: targets.MustParseTarget("wasm-simd"), Measurer: fakeMeasurer{scales[i]}, Batch: 4, Seed: 1, Search: p})
		if err != nil {
			t.Fatal(err)
		}
		ts = append(ts, taskJob{task})
	}
	s := NewScheduler(ts, []float64{1, 3})
	counts := make([]int, 2)
	for range 10 {
		i, _, err := s.Step(context.Background(), 4)
		if err != nil {
			t.Fatal(err)
		}
		counts[i]++
	}
	if counts[0] == 0 || counts[1] <= counts[0] {
		t.Errorf("rounds per task %v: the slow, heavy task should get most", counts)
	}
	t.Logf("rounds %v, trials %d", counts, s.Trials())
	if s.Trials() > 40 || s.Trials() < 30 {
		t.Errorf("trials %d: rounds of 4 should measure up to 4 new candidates each", s.Trials())
	}
}

// taskJob is a tune.Task as a Job.
type taskJob struct{ *tune.Task }

func (j taskJob) Latency() float64 {
	if b := j.Best(); b != nil {
		return b.Result.Median
	}
	return math.Inf(1)
}

func (j taskJob) Tuned() bool { return j.Best() != nil }

func (j taskJob) Step(ctx context.Context, n int) (tune.Round, error) { return j.StepUpTo(ctx, n) }

// TestExhausted: a job whose round finds nothing new is passed over, and
// when all are, Step says so with -1.
func TestExhausted(t *testing.T) {
	jobs := []Job{&stubJob{lat: 1, left: 1}, &stubJob{lat: 2, left: 3}}
	s := NewScheduler(jobs, []float64{1, 1})
	var order []int
	for range 10 {
		i, _, err := s.Step(context.Background(), 4)
		if err != nil {
			t.Fatal(err)
		}
		order = append(order, i)
		if i < 0 {
			break
		}
	}
	if got := fmt.Sprint(order); got != "[0 1 1 0 1 1 -1]" {
		t.Errorf("rounds went to %s", got)
	}
}

// stubJob has left rounds with something to measure.
type stubJob struct {
	lat  float64
	left int
}

func (j *stubJob) Latency() float64 { return j.lat }
func (j *stubJob) Tuned() bool      { return true }
func (j *stubJob) Step(context.Context, int) (tune.Round, error) {
	if j.left == 0 {
		return tune.Round{}, nil
	}
	j.left--
	j.lat *= 0.9
	return tune.Round{Measured: 1}, nil
}

func TestFirstBatch(t *testing.T) {
	for _, c := range []struct{ budget, layers, batch, want int }{
		{1000, 10, 64, 64}, {128, 24, 64, 5}, {96, 24, 64, 4}, {10, 24, 64, 4},
	} {
		if got := FirstBatch(c.budget, c.layers, c.batch); got != c.want {
			t.Errorf("FirstBatch(%d, %d, %d) = %d, want %d", c.budget, c.layers, c.batch, got, c.want)
		}
	}
	if MinBudget(24) != 96 {
		t.Errorf("MinBudget(24) = %d", MinBudget(24))
	}
}
