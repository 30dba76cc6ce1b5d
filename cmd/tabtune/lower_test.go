package main

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/tabtune/tabtune/internal/golden"
)

// TestLowerTraceGolden compares tabtune lower -trace with
// testdata/lower_trace_*.golden: the lowering passes, then the wasm-simd
// generator's passes. gmm_tiled vectorizes a register tile and its
// write-back; gmm_unroll adds an auto_unroll_max_step pragma, so that
// every codegen pass shows.
func TestLowerTraceGolden(t *testing.T) {
	for _, c := range []struct{ name, spec, steps string }{
		{"gmm_tiled", gmmTiledSpec, "testdata/gmm_tiled.json"},
		{"gmm_unroll", "gmm:M=2,N=8,K=4", "testdata/gmm_unroll.json"},
	} {
		t.Run(c.name, func(t *testing.T) {
			status, out, errOut := tabtune(t, "lower", "-workload", c.spec, "-steps", c.steps, "-trace", "-target", "wasm-simd")
			if status != exitOK {
				t.Fatalf("status %d: %s", status, errOut)
			}
			golden.CheckString(t, filepath.Join("testdata", "lower_trace_"+c.name+".golden"), out)
		})
	}
}

// TestLowerTarget: -target is checked, and tracing a target without a
// code generator says so before printing anything.
func TestLowerTarget(t *testing.T) {
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"-target", "bogus"}, `tabtune lower: target "bogus": unknown kind "bogus"`},
		{[]string{"-trace", "-target", "cuda"}, "tabtune lower: target cuda: no code generator for cuda kernels"},
	} {
		args := append([]string{"lower", "-workload", "gmm:M=8,N=8,K=8"}, c.args...)
		status, out, errOut := tabtune(t, args...)
		if status != exitBadInput || out != "" || !strings.Contains(errOut, c.want) {
			t.Errorf("%v: status %d, stdout %q, stderr %q; want status %d and %q", c.args, status, out, errOut, exitBadInput, c.want)
		}
	}
	// Without -trace, a target without a generator does not matter.
	status, out, errOut := tabtune(t, "lower", "-workload", "gmm:M=8,N=8,K=8", "-target", "cuda")
	if status != exitOK || !strings.Contains(out, "kernel(") {
		t.Errorf("-target cuda without -trace: status %d, stderr %q", status, errOut)
	}
}
