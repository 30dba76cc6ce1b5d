package build_test

import (
	"context"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/tabtune/tabtune/compiler/codegen/wasm/wasmbin"
	"github.com/tabtune/tabtune/compiler/ops"
	"github.com/tabtune/tabtune/compiler/schedule"
	"github.com/tabtune/tabtune/compiler/te"
	"github.com/tabtune/tabtune/targets"
	"github.com/tabtune/tabtune/targets/build"
	"github.com/tabtune/tabtune/targets/node"
	"github.com/tabtune/tabtune/targets/wazero"
)

func handGMM(t *testing.T) (*schedule.State, *targets.Workload) {
	d, err := ops.BuildSpec("gmm:M=32,N=32,K=24")
	if err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile("../../compiler/codegen/wasm/testdata/gmm1024.json")
	if err != nil {
		t.Fatal(err)
	}
	steps, err := schedule.UnmarshalSteps(data)
	if err != nil {
		t.Fatal(err)
	}
	st, err := schedule.Replay(d, steps)
	if err != nil {
		t.Fatal(err)
	}
	w, err := build.Workload(d, 1)
	if err != nil {
		t.Fatal(err)
	}
	if build.NeedsReference(w) {
		t.Fatal("a small workload should get its reference from the interpreter")
	}
	return st, w
}

// TestWasmVerifies builds the hand GMM schedule and measures it in wazero.
func TestWasmVerifies(t *testing.T) {
	st, w := handGMM(t)
	tg := targets.MustParseTarget("wasm-simd")
	c, err := build.Build(st, tg)
	if err != nil {
		t.Fatal(err)
	}
	k, err := build.Wasm(st, tg)
	if err != nil {
		t.Fatal(err)
	}
	if c.Kind != targets.WasmSIMD || c.ID != c.Digest() || string(c.Wasm) != string(k.Wasm) {
		t.Errorf("Build: kind %q, ID %q: want the wasm-simd module stamped with its digest", c.Kind, c.ID)
	}
	if k.VectorLoops == 0 || k.RegisterBuffers == 0 {
		t.Errorf("the hand schedule should vectorize and keep its tile in registers: %d, %d", k.VectorLoops, k.RegisterBuffers)
	}
	m := wazero.New(wazero.Config{Options: targets.Options{MinTime: time.Millisecond}})
	defer m.Close()
	if r := m.Measure(context.Background(), w, []targets.Candidate{c})[0]; !r.OK() {
		t.Fatalf("%s: %s", r.Err, r.Msg)
	}
	// The naive kernel, run as a reference, agrees with the interpreter.
	naive, err := build.Build(schedule.New(st.DAG), tg)
	if err != nil {
		t.Fatal(err)
	}
	got, err := m.Reference(context.Background(), w, naive.Wasm)
	if err != nil {
		t.Fatal(err)
	}
	for i := range got {
		if err := targets.Compare(w.Outputs[i], got[i], w.Want[i], w.Atol, w.Rtol); err != nil {
			t.Error(err)
		}
	}
}

// TestRelaxed: with -relaxed the multiply-adds become f32x4.relaxed_madd,
// which wazero refuses and V8 runs.
func TestRelaxed(t *testing.T) {
	st, w := handGMM(t)
	c, err := build.Build(st, targets.MustParseTarget("wasm-simd -relaxed"))
	if err != nil {
		t.Fatal(err)
	}
	k := c
	text, err := wasmbin.Disassemble(k.Wasm)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(text, "f32x4.relaxed_madd") || !c.Relaxed {
		t.Fatal("no relaxed_madd in a relaxed build")
	}
	ctx := context.Background()
	wz := wazero.New(wazero.Config{})
	defer wz.Close()
	if r := wz.Measure(ctx, w, []targets.Candidate{c})[0]; r.Err != targets.CompileError {
		t.Errorf("wazero: %s: %s; want a compile error", r.Err, r.Msg)
	}
	n := node.New(node.Config{Options: targets.Options{MinTime: time.Millisecond}})
	defer n.Close()
	if n.Available() != nil {
		t.Skip("node is not installed")
	}
	if r := n.Measure(ctx, w, []targets.Candidate{c})[0]; !r.OK() {
		t.Fatalf("node: %s: %s", r.Err, r.Msg)
	}
}

// TestPoison checks the poison of verification runs: NaN for sums, +Inf
// for programs that take maxima (softmax's row max, pooling), -Inf for
// minima, so that an unwritten value among a max's operands still shows.
func TestPoison(t *testing.T) {
	for spec, want := range map[string]uint32{
		"gmm:M=8,N=8,K=8":             targets.PoisonF32,
		"softmax:M=4,N=8":             targets.PoisonMax,
		"maxpool2d:C=2,H=8,W=8":       targets.PoisonMax,
		"avgpool2d:C=2,H=8,W=8":       targets.PoisonF32,
		"dense_bias_relu:M=4,N=4,K=4": targets.PoisonMax,
	} {
		d, err := ops.BuildSpec(spec)
		if err != nil {
			t.Fatal(err)
		}
		w, err := build.Workload(d, 1)
		if err != nil {
			t.Fatal(err)
		}
		if got := w.PoisonBits(); got != want {
			t.Errorf("%s: poison %#x, want %#x", spec, got, want)
		}
	}
	d, err := te.Parse("A = input(f32, [4, 8])\nB[i] = min_over(A[i, k], k)\n")
	if err != nil {
		t.Fatal(err)
	}
	w, err := build.Workload(d, 1)
	if err != nil {
		t.Fatal(err)
	}
	if got := w.PoisonBits(); got != targets.PoisonMin {
		t.Errorf("min_over: poison %#x, want %#x", got, targets.PoisonMin)
	}
}
