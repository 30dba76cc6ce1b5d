//go:build !js

package wazero

import (
	"context"
	"fmt"

	"github.com/tabtune/tabtune/compiler/te"
	"github.com/tabtune/tabtune/targets"
	"github.com/tabtune/tabtune/targets/build"
)

// Reference runs a trusted kernel once and returns its outputs: how the
// reference of a workload too large for the interpreter is made, from the
// unscheduled program compiled to wasm. w.Want is not needed. The kernel runs
// in the timed runtime, without the per-loop deadline checks that would make
// a naive kernel many times slower, so it must be one that terminates: the
// code generator's output for the naive schedule, never a candidate.
func (m *Measurer) Reference(ctx context.Context, w *targets.Workload, wasm []byte) ([][]float32, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.start()
	if m.initErr != nil {
		return nil, m.initErr
	}
	layout, err := targets.NewLayout(w)
	if err != nil {
		return nil, err
	}
	code, err := m.timed.CompileModule(ctx, wasm)
	if err != nil {
		return nil, fmt.Errorf("wazero: reference kernel: %w", err)
	}
	defer code.Close(context.Background())
	info, err := targets.Inspect(wasm)
	if err != nil {
		return nil, err
	}
	inst, res := m.instantiate(ctx, m.timed, code, info, layout)
	if inst == nil {
		return nil, fmt.Errorf("reference kernel: %s", res.Msg)
	}
	defer inst.close()
	mem := inst.memory()
	inst.layout.Prepare(mem, w)
	if err := inst.kernel.CallWithStack(ctx, inst.stack()); err != nil {
		return nil, fmt.Errorf("reference kernel: %w", err)
	}
	mem = inst.memory()
	out := make([][]float32, len(w.Outputs))
	for i, t := range w.Outputs {
		off := inst.layout.Offsets[len(w.Inputs)+i]
		out[i] = targets.Decode(t.DType, mem[off:off+uint32(t.Bytes())])
	}
	return out, nil
}

// Workload makes the measuring workload of a program (build.WorkloadWith):
// inputs from seed, reference outputs from the interpreter, or, for
// programs above build.InterpLimit FLOPs, from the naive kernel run by
// Reference. A program whose tensors do not fit in the measurer's memory
// (Options.MaxMemory) is refused before its inputs are drawn.
func (m *Measurer) Workload(ctx context.Context, d *te.DAG, seed int64) (*targets.Workload, error) {
	if err := build.CheckMemory(d, m.opts.WithDefaults().MaxMemory); err != nil {
		return nil, err
	}
	return build.WorkloadWith(ctx, d, seed, targets.Target{Kind: targets.WasmSIMD}, func(ctx context.Context, w *targets.Workload, naive targets.Candidate) ([][]float32, error) {
		return m.Reference(ctx, w, naive.Wasm)
	})
}
