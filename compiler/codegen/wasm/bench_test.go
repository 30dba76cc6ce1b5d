package wasm

import (
	"context"
	"os"
	"testing"
	"time"

	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/api"

	"github.com/tabtune/tabtune/compiler/ops"
	"github.com/tabtune/tabtune/compiler/schedule"
)

// instance is a kernel instantiated once in wazero with its tensors laid
// out, ready to be called again and again.
type instance struct {
	kernel api.Function
	args   []uint64
	close  func()
}

func instantiate(tb testing.TB, k *Kernel) *instance {
	ctx := context.Background()
	off := uint64(64)
	args := make([]uint64, len(k.Params)+1)
	for i, p := range k.Params {
		args[i] = off
		off += (uint64(p.Elems())*4+15)&^15 + 64
	}
	args[len(k.Params)] = off
	pages := uint32((off + uint64(k.ScratchBytes) + 64 + 65535) / 65536)
	r := wazero.NewRuntime(ctx)
	env, err := r.InstantiateWithConfig(ctx, memoryModule(pages), wazero.NewModuleConfig().WithName("env"))
	if err != nil {
		tb.Fatal(err)
	}
	mod, err := r.InstantiateWithConfig(ctx, k.Wasm, wazero.NewModuleConfig().WithName("kernel"))
	if err != nil {
		tb.Fatal(err)
	}
	_ = env
	return &instance{kernel: mod.ExportedFunction("kernel"), args: args, close: func() { r.Close(ctx) }}
}

func buildSpec(tb testing.TB, spec, stepsFile string) *Kernel {
	k, err := compileState(specState(tb, spec, stepsFile), Options{})
	if err != nil {
		tb.Fatal(err)
	}
	return k
}

// specState is a workload with the steps of a file (none when empty).
func specState(tb testing.TB, spec, stepsFile string) *schedule.State {
	d, err := ops.BuildSpec(spec)
	if err != nil {
		tb.Fatal(err)
	}
	var steps []schedule.Step
	if stepsFile != "" {
		data, err := os.ReadFile(stepsFile)
		if err != nil {
			tb.Fatal(err)
		}
		if steps, err = schedule.UnmarshalSteps(data); err != nil {
			tb.Fatal(err)
		}
	}
	st, err := schedule.Replay(d, steps)
	if err != nil {
		tb.Fatal(err)
	}
	return st
}

// BenchmarkKernels times kernels in wazero: the hand-written schedules of
// testdata/ and the naive schedule, reporting GFLOP/s.
func BenchmarkKernels(b *testing.B) {
	cases := []struct{ name, spec, steps string }{
		{"gmm1024/hand", "gmm:M=1024,N=1024,K=1024", "testdata/gmm1024.json"},
		{"gmm1024/naive", "gmm:M=1024,N=1024,K=1024", ""},
		{"c2d/hand", "c2d", "testdata/c2d.json"},
		{"c2d/naive", "c2d", ""},
	}
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			d, _ := ops.BuildSpec(c.spec)
			k := buildSpec(b, c.spec, c.steps)
			in := instantiate(b, k)
			defer in.close()
			ctx := context.Background()
			start := time.Now()
			for b.Loop() {
				if _, err := in.kernel.Call(ctx, in.args...); err != nil {
					b.Fatal(err)
				}
			}
			per := time.Since(start).Seconds() / float64(b.N)
			b.ReportMetric(d.FLOPs()/per/1e9, "GFLOP/s")
			b.ReportMetric(per*1e3, "ms/run")
		})
	}
}
