//go:build !js

package cpu

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"github.com/tabtune/tabtune/compiler/te"
	"github.com/tabtune/tabtune/targets"
	"github.com/tabtune/tabtune/targets/build"
)

// Reference compiles the C kernel source as the measurer compiles
// candidates, runs it once on w's inputs and returns its outputs: the
// reference of a program too large for the interpreter, from its
// unscheduled kernel (see Workload).
func (m *Measurer) Reference(ctx context.Context, w *targets.Workload, source string) ([][]float32, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.closed {
		return nil, fmt.Errorf("cpu: measurer closed")
	}
	m.start()
	if m.initErr != nil {
		return nil, m.initErr
	}
	layout, err := targets.NewLayout(w)
	if err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp(m.dir, "reference-")
	if err != nil {
		return nil, fmt.Errorf("cpu: %w", err)
	}
	defer os.RemoveAll(dir)
	so, res := m.compile(ctx, dir, 0, &targets.Candidate{Kind: targets.CPU, Source: source})
	if so == "" {
		return nil, fmt.Errorf("cpu: reference kernel: %s: %s", res.Err, res.Msg)
	}
	r, mem, layout, res := m.runOnce(ctx, w, layout, so, filepath.Join(dir, "ref.img"), m.opts.Timeout)
	if r == nil {
		return nil, fmt.Errorf("cpu: reference kernel: %s: %s", res.Err, res.Msg)
	}
	r.stop()
	outs := make([][]float32, len(w.Outputs))
	for i, t := range w.Outputs {
		off := layout.Offsets[len(w.Inputs)+i]
		outs[i] = targets.Decode(t.DType, mem[off:off+uint32(t.Bytes())])
	}
	return outs, nil
}

// Workload makes the measuring workload of d: inputs from seed, and the
// reference outputs from the interpreter for small programs, or from the
// unscheduled program compiled to C the same way as candidates for large
// ones (Reference, through build.WorkloadWith); a program whose tensors do
// not fit in the measurer's memory is refused first. It implements
// search/flow's Referencer.
func (m *Measurer) Workload(ctx context.Context, d *te.DAG, seed int64) (*targets.Workload, error) {
	if err := build.CheckMemory(d, m.opts.MaxMemory); err != nil {
		return nil, err
	}
	return build.WorkloadWith(ctx, d, seed, targets.Target{Kind: targets.CPU, MCPU: m.cfg.MCPU}, func(ctx context.Context, w *targets.Workload, naive targets.Candidate) ([][]float32, error) {
		return m.Reference(ctx, w, naive.Source)
	})
}
