//go:build !js

package c

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"math"
	"math/rand"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tabtune/tabtune/compiler/codegen/wasm/wmath"
	"github.com/tabtune/tabtune/compiler/expr"
	"github.com/tabtune/tabtune/compiler/ir"
)

// gcc returns the path of gcc, or skips the test; under CI=true a
// missing gcc fails it (CI must compile the C it generates).
func gcc(t *testing.T) string {
	t.Helper()
	p, err := exec.LookPath("gcc")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("gcc is not installed (apt-get install gcc) and CI=true")
		}
		t.Skip("gcc is not installed (apt-get install gcc)")
	}
	return p
}

// TestGoldenCompiles compiles every golden kernel alone, as an exported
// kernel is compiled, with warnings as errors.
func TestGoldenCompiles(t *testing.T) {
	cc := gcc(t)
	dir := t.TempDir()
	for _, c := range goldenCases {
		out, err := exec.Command(cc, "-O3", "-march=native", "-fopenmp", "-shared", "-fPIC", "-Wall", "-Werror",
			"-o", filepath.Join(dir, c.name+".so"), filepath.Join("testdata", c.name+".c")).CombinedOutput()
		if err != nil {
			t.Errorf("%s: %v\n%s", c.name, err, out)
		}
	}
}

// TestMathMatchesWasm runs the C math functions, scalar and vector forms,
// on special values and random inputs and compares their bits with the
// Go reference functions of package wmath, which the wasm functions equal
// bit for bit: both targets render the same polymath algorithms.
func TestMathMatchesWasm(t *testing.T) {
	cc := gcc(t)
	const lanes = 8
	fns := []struct {
		fn  expr.Intrinsic
		ref func(x, y float32) float32
	}{
		{expr.Exp, func(x, _ float32) float32 { return wmath.Exp(x) }},
		{expr.ExpNonPos, func(x, _ float32) float32 { return wmath.ExpNonPos(x) }},
		{expr.Log, func(x, _ float32) float32 { return wmath.Log(x) }},
		{expr.Tanh, func(x, _ float32) float32 { return wmath.Tanh(x) }},
		{expr.Sigmoid, func(x, _ float32) float32 { return wmath.Sigmoid(x) }},
		{expr.Pow, wmath.Pow},
	}
	var src strings.Builder
	src.WriteString(prelude(lanes))
	src.WriteString("#include <stdio.h>\n")
	for _, f := range fns {
		src.WriteString(MathFunc(f.fn, false))
		src.WriteString(MathFunc(f.fn, true))
	}
	// main reads n, then n x and n y, and writes for each function the
	// scalar results then the vector results.
	src.WriteString(`
int main(void) {
  int n;
  if (fread(&n, 4, 1, stdin) != 1) return 1;
  float *x = malloc(4 * n), *y = malloc(4 * n), *r = malloc(4 * n);
  if (fread(x, 4, n, stdin) != (size_t)n || fread(y, 4, n, stdin) != (size_t)n) return 1;
`)
	for _, f := range fns {
		call, vcall := "tt_%s(x[i])", "tt_%s_v(tt_load(&x[i]))"
		if f.fn == expr.Pow {
			call, vcall = "tt_%s(x[i], y[i])", "tt_%s_v(tt_load(&x[i]), tt_load(&y[i]))"
		}
		fmt.Fprintf(&src, "  for (int i = 0; i < n; i++) r[i] = "+call+";\n  fwrite(r, 4, n, stdout);\n", f.fn)
		fmt.Fprintf(&src, "  for (int i = 0; i < n; i += %d) tt_store(&r[i], "+vcall+");\n  fwrite(r, 4, n, stdout);\n", lanes, f.fn)
	}
	src.WriteString("  return 0;\n}\n")
	dir := t.TempDir()
	cfile, bin := filepath.Join(dir, "math.c"), filepath.Join(dir, "math")
	if err := os.WriteFile(cfile, []byte(src.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command(cc, "-O3", "-march=native", "-Wall", "-Werror", "-o", bin, cfile).CombinedOutput(); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	specials := []float32{0, float32(math.Copysign(0, -1)), 1, -1, 0.5, -0.5, 2, -2, 3, -3, 0.625, 88.7, 89, -103.9, -104, 1e-45, -1e-45, 1.2e-38,
		float32(math.Inf(1)), float32(math.Inf(-1)), float32(math.NaN()), math.MaxFloat32, -math.MaxFloat32, 1e10, -1e10, 16777216, 0.1, 7.5}
	var xs, ys []float32
	for _, a := range specials {
		for _, b := range specials {
			xs, ys = append(xs, a), append(ys, b)
		}
	}
	rng := rand.New(rand.NewSource(1))
	for len(xs)%lanes != 0 || len(xs) < 20000 {
		xs = append(xs, float32(rng.NormFloat64()*20))
		ys = append(ys, float32(rng.NormFloat64()*4))
	}
	var in bytes.Buffer
	binary.Write(&in, binary.LittleEndian, int32(len(xs)))
	binary.Write(&in, binary.LittleEndian, xs)
	binary.Write(&in, binary.LittleEndian, ys)
	cmd := exec.Command(bin)
	cmd.Stdin = &in
	out, err := cmd.Output()
	if err != nil {
		t.Fatal(err)
	}
	got := make([]float32, len(out)/4)
	binary.Read(bytes.NewReader(out), binary.LittleEndian, got)
	if len(got) != 2*len(fns)*len(xs) {
		t.Fatalf("%d results, want %d", len(got), 2*len(fns)*len(xs))
	}
	for fi, f := range fns {
		for form, name := range []string{"scalar", "vector"} {
			res := got[(2*fi+form)*len(xs):][:len(xs)]
			bad := 0
			for i, x := range xs {
				want := f.ref(x, ys[i])
				if res[i] != want && !(res[i] != res[i] && want != want) {
					if bad < 3 {
						t.Errorf("%s %s(%g, %g) = %g (%08x), want %g (%08x)", name, f.fn, x, ys[i], res[i], math.Float32bits(res[i]), want, math.Float32bits(want))
					}
					bad++
				}
			}
			if bad > 0 {
				t.Errorf("%s %s: %d of %d differ", name, f.fn, bad, len(xs))
			}
		}
	}
}

// TestPrivateBuffers: a global buffer inside a parallel loop is private to
// each thread: on the stack when small, on the heap when large (allocated
// once per thread around the parallel loop, not once per iteration);
// outside parallel loops it lives in scratch.
func TestPrivateBuffers(t *testing.T) {
	cc := gcc(t)
	const n = 20000
	a := &ir.Buffer{Name: "A", Shape: []int64{n}, DType: expr.Float}
	b := &ir.Buffer{Name: "B", Shape: []int64{n}, DType: expr.Float}
	copyVia := func(tmp *ir.Buffer) ir.Stmt {
		j, k := expr.NewVar("j"), expr.NewVar("k")
		ext := tmp.Shape[0]
		return &ir.Alloc{Buf: tmp, Body: ir.MakeSeq(
			&ir.For{Var: j, Extent: ext, Body: &ir.Store{Buf: tmp, Index: []expr.Expr{j}, Value: &expr.Load{Src: a, Index: []expr.Expr{j}}}},
			&ir.For{Var: k, Extent: ext, Body: &ir.Store{Buf: b, Index: []expr.Expr{k}, Value: &expr.Load{Src: tmp, Index: []expr.Expr{k}}}},
		)}
	}
	big := &ir.Buffer{Name: "big", Shape: []int64{n}, DType: expr.Float}
	small := &ir.Buffer{Name: "small", Shape: []int64{16}, DType: expr.Float}
	outside := &ir.Buffer{Name: "outside", Shape: []int64{n}, DType: expr.Float}
	i := expr.NewVar("i")
	f := &ir.Func{Name: "k", Params: []*ir.Buffer{a, b}, Outputs: 1, Body: ir.MakeSeq(
		&ir.For{Var: i, Extent: 2, Kind: ir.Parallel, Body: ir.MakeSeq(copyVia(big), copyVia(small))},
		copyVia(outside),
	)}
	k, err := Compile(f, Options{})
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"#pragma omp parallel\n  {\n    float *restrict big = (float *)malloc(80000); // big, one per thread\n    #pragma omp for\n",
		"    }\n    free(big);\n  }\n", "float small[16] __attribute__((aligned(64)));",
		"float *restrict outside = (float *)(scratch + 0);", "const long kernel_scratch_bytes = 80000;",
	} {
		if !strings.Contains(k.Source, want) {
			t.Errorf("no %q in\n%s", want, k.Source)
		}
	}
	dir := t.TempDir()
	src := filepath.Join(dir, "k.c")
	if err := os.WriteFile(src, []byte(k.Source), 0o600); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command(cc, "-O3", "-march=native", "-fopenmp", "-shared", "-fPIC", "-Wall", "-Werror", "-o", filepath.Join(dir, "k.so"), src).CombinedOutput(); err != nil {
		t.Errorf("%v\n%s", err, out)
	}
}
