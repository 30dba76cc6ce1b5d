package wasm

import (
	"encoding/binary"
	"math"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tabtune/tabtune/compiler/codegen/wasm/wasmbin"
	"github.com/tabtune/tabtune/compiler/schedule"
	"github.com/tabtune/tabtune/compiler/te"
)

// TestRelaxedExp runs a vectorized exp kernel built with relaxed SIMD (the
// inlined exp's multiply-adds fused, as the engine decides) in node, which
// has relaxed SIMD behind a flag (wazero has none), over 2^20 inputs
// spread over exp's whole range, and bounds its error: 2 ulp, as without
// relaxed SIMD, the flush below 2^-125.5 allowed. Skipped without node.
func TestRelaxedExp(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	xs := make([]float32, 1<<20)
	for i := range xs {
		if i%2 == 0 {
			xs[i] = float32(rng.Float64()*200 - 100) // over- and underflow
		} else {
			xs[i] = float32(rng.Float64()*2 - 1) // where most results are
		}
	}
	relaxedULPs(t, "exp", "A = input(f32, [1048576])\nB[i] = exp(A[i])\n",
		[]schedule.Step{schedule.Annotate{Stage: 1, Iter: 0, Ann: schedule.AnnVectorize}}, xs)
}

// TestRelaxedExpNonPos is TestRelaxedExp for exp_nonpos, the exp of
// x - max(x) (package lower): each row of four is three values x <= 0
// and a 0, its max, so the kernel computes exp(x - 0).
func TestRelaxedExpNonPos(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	xs := make([]float32, 1<<20)
	for i := range xs {
		switch {
		case i%4 == 3:
			xs[i] = 0
		case i%2 == 0:
			xs[i] = float32(-rng.Float64() * 100) // underflow too
		default:
			xs[i] = float32(-rng.Float64())
		}
	}
	relaxedULPs(t, "exp_nonpos", "A = input(f32, [262144, 4])\nM[i] = max_over(A[i, j], j)\nB[i, j] = exp(A[i, j] - M[i])\n",
		[]schedule.Step{schedule.Annotate{Stage: 2, Iter: 1, Ann: schedule.AnnVectorize}}, xs)
}

// relaxedULPs compiles src (one input and one output of 2^20 floats, an
// intermediate at most as large) with steps and relaxed SIMD, runs it in
// node on xs, and bounds the error of each output against exp(xs[i]) at
// 2 ulp, results under 2^-125.5 flushed or not.
func relaxedULPs(t *testing.T, name, src string, steps []schedule.Step, xs []float32) {
	t.Helper()
	node, err := exec.LookPath("node")
	if err != nil {
		t.Skip("no node")
	}
	const n = 1 << 20
	d, err := te.Parse(src)
	if err != nil {
		t.Fatal(err)
	}
	st, err := schedule.Replay(d, steps)
	if err != nil {
		t.Fatal(err)
	}
	k, err := compileState(st, Options{Relaxed: true})
	if err != nil {
		t.Fatal(err)
	}
	text, err := wasmbin.Disassemble(k.Wasm)
	if err != nil {
		t.Fatal(err)
	}
	if m, nm := strings.Count(text, "f32x4.relaxed_madd"), strings.Count(text, "f32x4.relaxed_nmadd"); m < 6 || nm < 2 {
		t.Errorf("%d relaxed_madd and %d relaxed_nmadd, want the polynomial's and the reduction's:\n%s", m, nm, text)
	}
	dir := t.TempDir()
	buf := make([]byte, 4*n)
	for i, x := range xs {
		binary.LittleEndian.PutUint32(buf[4*i:], math.Float32bits(x))
	}
	js := `const fs = require('fs');
const [wasm, input, output] = process.argv.slice(2);
const n = 1 << 20, bytes = 4 * n;
const mem = new WebAssembly.Memory({initial: Math.ceil((3 * bytes + 65536) / 65536)});
const inst = new WebAssembly.Instance(new WebAssembly.Module(fs.readFileSync(wasm)), {env: {memory: mem}});
new Uint8Array(mem.buffer, 0, bytes).set(fs.readFileSync(input));
inst.exports.kernel(0, bytes, 2 * bytes);
fs.writeFileSync(output, new Uint8Array(mem.buffer, bytes, bytes));
`
	files := map[string][]byte{"k.wasm": k.Wasm, "in.bin": buf, "run.js": []byte(js)}
	for name, b := range files {
		if err := os.WriteFile(filepath.Join(dir, name), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	out, err := exec.Command(node, "--experimental-wasm-relaxed-simd", filepath.Join(dir, "run.js"),
		filepath.Join(dir, "k.wasm"), filepath.Join(dir, "in.bin"), filepath.Join(dir, "out.bin")).CombinedOutput()
	if err != nil {
		if strings.Contains(string(out), "bad option") {
			t.Skipf("node refuses the relaxed SIMD flag: %s", out)
		}
		t.Fatalf("node: %v\n%s", err, out)
	}
	got, err := os.ReadFile(filepath.Join(dir, "out.bin"))
	if err != nil {
		t.Fatal(err)
	}
	var worst uint64
	var at float32
	for i, x := range xs {
		g := math.Float32frombits(binary.LittleEndian.Uint32(got[4*i:]))
		w := float32(math.Exp(float64(x)))
		e := ulps(g, w)
		if g == 0 && w < 0x1.6a0ap-126 {
			e = 0
		}
		if e > worst {
			worst, at = e, x
		}
	}
	t.Logf("relaxed f32x4 %s: max %d ulp (at %g) over %d inputs", name, worst, at, len(xs))
	if worst > 2 {
		t.Errorf("relaxed %s(%g): %d ulp > 2", name, at, worst)
	}
}

// ulps is the distance between two finite or infinite float32 values in
// steps of the float order.
func ulps(a, b float32) uint64 {
	if a != a || b != b {
		if a != a && b != b {
			return 0
		}
		return math.MaxUint64
	}
	ord := func(f float32) int64 {
		u := math.Float32bits(f)
		if u&0x80000000 != 0 {
			return -int64(u & 0x7fffffff)
		}
		return int64(u)
	}
	d := ord(a) - ord(b)
	if d < 0 {
		d = -d
	}
	return uint64(d)
}
