package main

import (
	"context"
	"fmt"
	"io"

	"github.com/tabtune/tabtune/compiler/te"
	"github.com/tabtune/tabtune/targets"
	"github.com/tabtune/tabtune/targets/build"
	"github.com/tabtune/tabtune/targets/node"
	"github.com/tabtune/tabtune/targets/wazero"
)

// newMeasurer starts the named measurer: "wasm" (wazero, in-process),
// "node" (V8), or "auto": node when it can be started, else wasm. V8 is
// what a browser runs, and wazero's ranking of kernels predicts V8's only
// moderately (Spearman 0.81-0.88 over 300 schedules of GMM and C2D, and its
// best GMM kernel was 1.44-1.59x slower than V8's best in V8: see
// bench/rankcorr), so V8 is preferred for tuning a browser target.
func newMeasurer(name string, opts targets.Options, t targets.Target) (targets.Measurer, func(), error) {
	if name == "auto" {
		m := node.New(node.Config{Options: opts, Relaxed: t.Relaxed})
		if m.Available() == nil {
			return m, func() { m.Close() }, nil
		}
		m.Close()
		name = wazero.Name
	}
	switch name {
	case wazero.Name:
		m := wazero.New(wazero.Config{Options: opts})
		return m, func() { m.Close() }, nil
	case "node":
		m := node.New(node.Config{Options: opts, Relaxed: t.Relaxed})
		return m, func() { m.Close() }, nil
	}
	return nil, nil, fmt.Errorf("unknown measurer %q: use auto, wasm (wazero, in-process) or node (V8)", name)
}

// buildWorkload makes the measuring workload of d (wazero's Workload),
// saying so when the reference needs the naive kernel, which takes a while.
func buildWorkload(ctx context.Context, d *te.DAG, seed int64, progress io.Writer) (*targets.Workload, error) {
	if d.FLOPs() > build.InterpLimit {
		fmt.Fprintf(progress, "computing reference outputs with the naive kernel in wazero...\n")
	}
	m := wazero.New(wazero.Config{})
	defer m.Close()
	return m.Workload(ctx, d, seed)
}
