//go:build !js

package wazero

import (
	"context"
	"strings"
	"testing"

	"github.com/tabtune/tabtune/targets"
	"github.com/tabtune/tabtune/targets/internal/kerneltest"
)

func TestSuite(t *testing.T) {
	m := New(Config{Options: kerneltest.Options()})
	defer m.Close()
	t.Log(m.Engine())
	kerneltest.Run(t, m)
	// The measurer keeps working for a second batch.
	rs := m.Measure(context.Background(), kerneltest.Workload(), []targets.Candidate{{Wasm: kerneltest.VecAdd()}})
	kerneltest.CheckResult(t, "second batch", rs[0], targets.None, "")
}

func TestRelaxedUnsupported(t *testing.T) {
	m := New(Config{Options: kerneltest.Options()})
	defer m.Close()
	rs := m.Measure(context.Background(), kerneltest.Workload(), []targets.Candidate{{Wasm: kerneltest.Relaxed(), Relaxed: true}})
	kerneltest.CheckResult(t, "relaxed", rs[0], targets.CompileError, "relaxed SIMD")
}

func TestBadWorkload(t *testing.T) {
	m := New(Config{})
	defer m.Close()
	w := kerneltest.Workload()
	w.InputData = w.InputData[:1]
	rs := m.Measure(context.Background(), w, []targets.Candidate{{Wasm: kerneltest.VecAdd()}, {Wasm: kerneltest.VecAdd()}})
	for _, r := range rs {
		if r.Err != targets.MeasureError || !strings.Contains(r.Msg, "input data") {
			t.Errorf("got %v %q", r.Err, r.Msg)
		}
	}
}

func TestMemoryLimit(t *testing.T) {
	o := kerneltest.Options()
	o.MaxMemory = 64 << 10 // one page: the scratch kernel needs more
	m := New(Config{Options: o})
	defer m.Close()
	rs := m.Measure(context.Background(), kerneltest.Workload(), []targets.Candidate{{Wasm: kerneltest.Scratch()}, {Wasm: kerneltest.VecAdd()}})
	kerneltest.CheckResult(t, "scratch", rs[0], targets.RuntimeError, "MaxMemory")
	kerneltest.CheckResult(t, "vecadd", rs[1], targets.None, "")
}

func TestCancelled(t *testing.T) {
	m := New(Config{})
	defer m.Close()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	rs := m.Measure(ctx, kerneltest.Workload(), []targets.Candidate{{Wasm: kerneltest.VecAdd()}})
	if rs[0].Err != targets.MeasureError {
		t.Errorf("got %+v", rs[0])
	}
}
