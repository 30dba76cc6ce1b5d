//go:build !js

package local

import (
	"context"
	"math"
	"strings"
	"testing"

	"github.com/tabtune/tabtune/compiler/codegen/wasm/wasmbin"
	"github.com/tabtune/tabtune/compiler/interp"
	"github.com/tabtune/tabtune/compiler/schedule"
	"github.com/tabtune/tabtune/compiler/te"
	"github.com/tabtune/tabtune/targets"
	"github.com/tabtune/tabtune/targets/build"
	"github.com/tabtune/tabtune/targets/internal/kerneltest"
)

// TestMinMaxSemantics: max(a, b) is a < b ? b : a and min(a, b) is
// b < a ? b : a (expr.MaxF32, expr.MinF32) in the interpreter, in wasm
// (scalar and f32x4, run by wazero and node) and in C (scalar and
// vector), NaN and signed zeros included; 1/x turns the sign of a zero
// result into that of an infinity, which the verification sees. A max
// reduction skips NaN values.
func TestMinMaxSemantics(t *testing.T) {
	d, err := te.Parse(`
A = input(f32, [16])
B = input(f32, [16])
X = input(f32, [4, 8])
MX[i] = 1.0 / max(A[i], B[i])
MN[i] = 1.0 / min(A[i], B[i])
R[r] = max_over(X[r, j], j)
`)
	if err != nil {
		t.Fatal(err)
	}
	nan, inf := float32(math.NaN()), float32(math.Inf(1))
	nz := float32(math.Copysign(0, -1))
	// a, b, 1/max(a, b), 1/min(a, b)
	cases := [16][4]float32{
		{nan, 1, nan, nan},
		{1, nan, 1, 1},
		{0, nz, inf, inf},
		{nz, 0, -inf, -inf},
		{0, 0, inf, inf},
		{nz, nz, -inf, -inf},
		{1, 2, 0.5, 1},
		{2, 1, 0.5, 1},
		{-inf, nan, nz, nz},
		{nan, -inf, nan, nan},
		{nan, nan, nan, nan},
		{-4, 4, 0.25, -0.25},
		{4, -4, 0.25, -0.25},
		{inf, -inf, 0, nz},
		{-2, nz, -inf, -0.5},
		{0.5, 0, 2, inf},
	}
	a, b := make([]float32, 16), make([]float32, 16)
	wantMax, wantMin := make([]float32, 16), make([]float32, 16)
	for i, c := range cases {
		a[i], b[i], wantMax[i], wantMin[i] = c[0], c[1], c[2], c[3]
	}
	x := []float32{
		1, nan, 3, 2, -1, nan, 0, -5, // NaN values are skipped
		nan, nan, nan, nan, nan, nan, nan, nan, // all NaN: the init, -inf
		-7, -3, -9, -1, -8, -2, -6, -4,
		nan, -inf, -inf, 5, nan, 4, nan, nan,
	}
	wantR := []float32{3, float32(math.Inf(-1)), -1, 5}

	outs, err := interp.Eval(d, []interp.Data{{F32: a}, {F32: b}, {F32: x}})
	if err != nil {
		t.Fatal(err)
	}
	wants := [][]float32{wantMax, wantMin, wantR}
	for o, want := range wants {
		for i := range want {
			if !sameF32(outs[o].F32[i], want[i]) {
				t.Errorf("interp: %s[%d] = %g, want %g", d.Outputs[o].Name, i, outs[o].F32[i], want[i])
			}
		}
	}

	w, err := build.Workload(d, 1)
	if err != nil {
		t.Fatal(err)
	}
	w.Key += "-minmax"
	w.InputData = [][]byte{targets.EncodeF32(a), targets.EncodeF32(b), targets.EncodeF32(x)}
	w.Want = wants

	naive := schedule.New(d)
	vec := naive
	for i, s := range naive.Stages {
		if s.IsInput() {
			continue
		}
		if vec, err = vec.Apply(schedule.Annotate{Stage: i, Iter: len(s.Iters) - 1, Ann: schedule.AnnVectorize}); err != nil {
			t.Fatal(err)
		}
	}
	states := []*schedule.State{naive, vec}
	for _, c := range []struct{ measurer, target string }{
		{"wazero", "wasm-simd"}, {"node", "wasm-simd"}, {"cpu", "cpu -lanes=4"}, {"cpu", "cpu -lanes=8"},
	} {
		tg := targets.MustParseTarget(c.target)
		if err := Check(c.measurer, tg); err != nil {
			t.Logf("%s: skipped: %v", c.measurer, err)
			continue
		}
		m, closeM, err := Open(c.measurer, tg, kerneltest.Options())
		if err != nil {
			t.Fatal(err)
		}
		cands := make([]targets.Candidate, len(states))
		for i, st := range states {
			if cands[i], err = build.Build(st, tg); err != nil {
				t.Fatal(err)
			}
		}
		if tg.Kind == targets.WasmSIMD {
			wat, err := wasmbin.Disassemble(cands[1].Wasm)
			if err != nil || !strings.Contains(wat, "f32x4.pmax") || !strings.Contains(wat, "f32x4.pmin") {
				t.Errorf("the vectorized kernel has no f32x4.pmax and pmin (%v)", err)
			}
		}
		for i, r := range m.Measure(context.Background(), w, cands) {
			if r.Err != targets.None {
				t.Errorf("%s on %s, %s schedule: %v: %s", c.measurer, c.target, []string{"naive", "vectorized"}[i], r.Err, r.Msg)
			}
		}
		closeM()
	}
}

// sameF32 reports whether a and b are the same float32, any NaN equal.
func sameF32(a, b float32) bool {
	if a != a || b != b {
		return a != a && b != b
	}
	return math.Float32bits(a) == math.Float32bits(b)
}
