package wasm

import (
	"path/filepath"
	"testing"

	"github.com/tabtune/tabtune/compiler/codegen/wasm/wasmbin"
	"github.com/tabtune/tabtune/internal/golden"
)

// TestGoldenWAT compares the disassembly of a few kernels with
// testdata/*.wat: the micro-kernel of the GMM schedule (register
// accumulators, pointer increments, splat loads), a guarded edge, exp
// through the math library, softmax's row max and sum in vector
// accumulators, and a stride-2 convolution's input read by wide loads
// and shuffles.
func TestGoldenWAT(t *testing.T) {
	cases := []struct{ name, spec, steps string }{
		{"gmm_tiled", "gmm:M=8,N=16,K=6", "testdata/gmm1024.json"},
		{"c2d_tiled", "c2d:N=1,CI=2,H=4,W=8,CO=4", "testdata/c2d.json"},
		{"softmax_naive", "softmax:M=2,N=8", ""},
		{"softmax_vector", "softmax:M=2,N=8", "testdata/softmax.json"},
		{"c2d_stride2", "c2d:N=1,CI=2,H=8,W=16,CO=4,stride=2", "testdata/c2d.json"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			k := buildSpec(t, c.spec, c.steps)
			text, err := wasmbin.Disassemble(k.Wasm)
			if err != nil {
				t.Fatal(err)
			}
			golden.CheckString(t, filepath.Join("testdata", c.name+".wat"), text)
		})
	}
}

// TestDeterministic: the same schedule compiles to the same bytes, every
// time (candidates are de-duplicated by their bytes).
func TestDeterministic(t *testing.T) {
	first := buildSpec(t, "c2d:N=1,CI=4,H=8,W=8,CO=8", "testdata/c2d.json").Wasm
	for range 5 {
		if again := buildSpec(t, "c2d:N=1,CI=4,H=8,W=8,CO=8", "testdata/c2d.json").Wasm; string(again) != string(first) {
			t.Fatal("two compilations of one schedule differ")
		}
	}
}
