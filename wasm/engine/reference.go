//go:build js && wasm

package main

import (
	"context"

	"github.com/tabtune/tabtune/compiler/te"
	"github.com/tabtune/tabtune/targets"
	"github.com/tabtune/tabtune/targets/browser"
	"github.com/tabtune/tabtune/targets/build"
)

// reference makes workloads in the page: the interpreter's outputs for
// small programs, and for larger ones the naive kernel's, run once by the
// measuring host (it is the code generator's output for the unscheduled
// program: trusted, and it terminates).
type reference struct{ m *browser.Measurer }

func (r reference) Workload(ctx context.Context, d *te.DAG, seed int64) (*targets.Workload, error) {
	return build.WorkloadWith(ctx, d, seed, targets.Target{Kind: targets.WasmSIMD}, func(ctx context.Context, w *targets.Workload, naive targets.Candidate) ([][]float32, error) {
		return r.m.Reference(ctx, w, naive.Wasm)
	})
}
