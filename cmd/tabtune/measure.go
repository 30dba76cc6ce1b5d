package main

import (
	"context"
	"fmt"
	"io"

	"github.com/tabtune/tabtune/compiler/te"
	"github.com/tabtune/tabtune/search/flow"
	"github.com/tabtune/tabtune/targets"
	"github.com/tabtune/tabtune/targets/build"
	"github.com/tabtune/tabtune/targets/local"
)

// measurerUsage documents a -measurer flag. V8 is what a browser runs,
// and wazero's ranking of kernels predicts V8's only moderately (Spearman
// 0.81-0.88 over 300 schedules of GMM and C2D, and its best GMM kernel was
// 1.44-1.59x slower than V8's best in V8: see bench/rankcorr), so auto
// prefers node.
var measurerUsage = "who runs the kernels: " + local.Usage()

// checkTarget refuses, before anything runs, a target that tabtune cannot
// build for or that the named measurer cannot run.
func checkTarget(measurer string, t targets.Target) error {
	if err := local.Check(measurer, t); err != nil {
		return err
	}
	return flow.Check(t)
}

// newMeasurer starts the named local measurer for t.
func newMeasurer(name string, opts targets.Options, t targets.Target) (targets.Measurer, func(), error) {
	return local.Open(name, t, opts)
}

// buildWorkload makes the measuring workload of d, saying so when the
// reference needs the naive kernel, which takes a while.
func buildWorkload(ctx context.Context, d *te.DAG, seed int64, progress io.Writer) (*targets.Workload, error) {
	if d.FLOPs() > build.InterpLimit {
		fmt.Fprintf(progress, "computing reference outputs with the naive kernel in wazero...\n")
	}
	return local.Reference{}.Workload(ctx, d, seed)
}
