//go:build !js

package node

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tabtune/tabtune/targets"
	"github.com/tabtune/tabtune/targets/internal/kerneltest"
)

// newMeasurer returns a node measurer, or skips the test without node.
func newMeasurer(t *testing.T, cfg Config) *Measurer {
	t.Helper()
	if os.Getenv("TABTUNE_NODE") == "" {
		if _, err := exec.LookPath("node"); err != nil {
			t.Skip("node not installed")
		}
	}
	if cfg.Options == (targets.Options{}) {
		cfg.Options = kerneltest.Options()
	}
	m := New(cfg)
	t.Cleanup(func() { m.Close() })
	v, err := m.Version()
	if err != nil {
		t.Fatal(err)
	}
	t.Log(v)
	return m
}

func TestSuite(t *testing.T) {
	m := newMeasurer(t, Config{})
	kerneltest.Run(t, m)
	// A second batch, with the workload cached in the harness.
	rs := m.Measure(context.Background(), kerneltest.Workload(), []targets.Candidate{{Wasm: kerneltest.VecAdd()}, {Wasm: kerneltest.Scratch()}})
	kerneltest.CheckResult(t, "second batch", rs[0], targets.None, "")
	kerneltest.CheckResult(t, "second batch scratch", rs[1], targets.None, "")
}

func TestRelaxed(t *testing.T) {
	m := newMeasurer(t, Config{})
	rs := m.Measure(context.Background(), kerneltest.Workload(), []targets.Candidate{
		{Wasm: kerneltest.VecAdd()},
		{Wasm: kerneltest.Relaxed(), Relaxed: true}, // restarts node with the flag
		{Wasm: kerneltest.VecAdd()},
	})
	kerneltest.CheckResult(t, "vecadd", rs[0], targets.None, "")
	kerneltest.CheckResult(t, "relaxed", rs[1], targets.None, "")
	kerneltest.CheckResult(t, "vecadd after", rs[2], targets.None, "")
}

// TestCompileNotTimed: a kernel quick to run but slow to compile is timed
// by its runs, not cut off by its first run: V8 compiles it before that
// run (EagerFlag), not during it.
func TestCompileNotTimed(t *testing.T) {
	m := newMeasurer(t, Config{})
	r := m.Measure(context.Background(), kerneltest.Workload(), []targets.Candidate{{Wasm: kerneltest.Bulky(), Cutoff: 5 * time.Millisecond}})[0]
	kerneltest.CheckResult(t, "bulky", r, targets.None, "")
	if len(r.Times) < 2 {
		t.Errorf("timed by one run of %v: its compile time", time.Duration(r.Median*float64(time.Second)))
	}
}

func TestNodeMissing(t *testing.T) {
	m := New(Config{Node: filepath.Join(t.TempDir(), "no-such-node")})
	defer m.Close()
	if err := m.Available(); err == nil {
		t.Fatal("Available: no error")
	}
	rs := m.Measure(context.Background(), kerneltest.Workload(), []targets.Candidate{{Wasm: kerneltest.VecAdd()}, {Wasm: kerneltest.VecAdd()}})
	for _, r := range rs {
		if r.Err != targets.MeasureError || !strings.Contains(r.Msg, "TABTUNE_NODE") {
			t.Errorf("got %v %q", r.Err, r.Msg)
		}
	}
	t.Log(rs[0].Msg)
}

func TestManyWorkloads(t *testing.T) {
	m := newMeasurer(t, Config{})
	for i := range maxWorkloads + 2 {
		w := kerneltest.Workload()
		w.Key = w.Key + "-" + string(rune('a'+i))
		rs := m.Measure(context.Background(), w, []targets.Candidate{{Wasm: kerneltest.VecAdd()}})
		kerneltest.CheckResult(t, w.Key, rs[0], targets.None, "")
	}
	if n := len(m.files); n != maxWorkloads {
		t.Errorf("%d workloads kept, want %d", n, maxWorkloads)
	}
}

func TestRestartAndCancel(t *testing.T) {
	m := newMeasurer(t, Config{})
	w := kerneltest.Workload()
	one := []targets.Candidate{{Wasm: kerneltest.VecAdd()}}
	kerneltest.CheckResult(t, "first", m.Measure(context.Background(), w, one)[0], targets.None, "")

	// node dies between batches: the next batch starts another.
	m.p.cmd.Process.Kill()
	<-m.p.done
	kerneltest.CheckResult(t, "after kill", m.Measure(context.Background(), w, one)[0], targets.None, "")

	// The context ends while a kernel hangs: the rest are not measured.
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	rs := m.Measure(ctx, w, []targets.Candidate{{Wasm: kerneltest.Forever()}, {Wasm: kerneltest.VecAdd()}})
	for i, r := range rs {
		if r.Err != targets.MeasureError {
			t.Errorf("cancelled %d: %v %q", i, r.Err, r.Msg)
		}
	}
	kerneltest.CheckResult(t, "after cancel", m.Measure(context.Background(), w, one)[0], targets.None, "")
}
