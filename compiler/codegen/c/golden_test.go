package c

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/tabtune/tabtune/compiler/lower"
	"github.com/tabtune/tabtune/compiler/ops"
	"github.com/tabtune/tabtune/compiler/schedule"
	"github.com/tabtune/tabtune/compiler/schedule/schedtest"
	"github.com/tabtune/tabtune/internal/golden"
)

// goldenCases are the kernels of the golden tests: the GMM micro-kernel
// (accumulators in vector variables, vector loads and splats), a tiled
// convolution with edges, softmax through the math functions, and a
// parallel loop with a scratch-free private cache.
var goldenCases = []struct {
	name, spec, steps string
	sched             func(*schedtest.Builder)
	opts              Options
}{
	{"gmm_tiled", "gmm:M=8,N=16,K=6", "testdata/gmm1024.json", nil, Options{Lanes: 8}},
	{"gmm_avx512", "gmm:M=8,N=64,K=6", "testdata/gmm_avx512.json", nil, Options{Lanes: 16}},
	{"c2d_tiled", "c2d:N=1,CI=2,H=4,W=8,CO=4", "testdata/c2d.json", nil, Options{Lanes: 4}},
	{"softmax_naive", "softmax:M=2,N=8", "", nil, Options{Lanes: 4}},
	{"gmm_parallel", "gmm:M=10,N=12,K=5", "", schedtest.CacheParallel, Options{Lanes: 4, Threads: 2}},
}

// TestGoldenC compares the generated C with testdata/*.c.
func TestGoldenC(t *testing.T) {
	for _, c := range goldenCases {
		t.Run(c.name, func(t *testing.T) {
			k := compileCase(t, c.spec, c.steps, c.sched, c.opts)
			golden.CheckString(t, filepath.Join("testdata", c.name+".c"), k.Source)
		})
	}
}

// compileCase builds a workload, applies steps from a file or a schedtest
// schedule, lowers it and compiles it.
func compileCase(tb testing.TB, spec, stepsFile string, sched func(*schedtest.Builder), opts Options) *Kernel {
	tb.Helper()
	d, err := ops.BuildSpec(spec)
	if err != nil {
		tb.Fatal(err)
	}
	st := schedule.New(d)
	if stepsFile != "" {
		data, err := os.ReadFile(stepsFile)
		if err != nil {
			tb.Fatal(err)
		}
		steps, err := schedule.UnmarshalSteps(data)
		if err != nil {
			tb.Fatal(err)
		}
		if st, err = schedule.Replay(d, steps); err != nil {
			tb.Fatal(err)
		}
	}
	if sched != nil {
		b := schedtest.New(tb, d)
		sched(b)
		st = b.St
	}
	f, err := lower.Lower(st)
	if err != nil {
		tb.Fatal(err)
	}
	k, err := Compile(f, opts)
	if err != nil {
		tb.Fatal(err)
	}
	return k
}
