//go:build !js

package cpu

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/tabtune/tabtune/compiler/ops"
	"github.com/tabtune/tabtune/targets"
	"github.com/tabtune/tabtune/targets/internal/kerneltest"
	"github.com/tabtune/tabtune/targets/wazero"
)

// The C kernels of the fault suite, over kerneltest.Workload (C = A + B
// over kerneltest.N floats), each a case of kerneltest's wasm suite
// written in C: the conformance suite for the cpu measurer.
const (
	cHead   = "#include <stdlib.h>\nconst long kernel_scratch_bytes = %d;\n"
	cArgs   = "void kernel_args(void **a) { kernel(a[0], a[1], a[2], a[3]); }\n"
	cVecAdd = "void kernel(float *restrict A, float *restrict B, float *restrict C, char *restrict s) {\n" +
		"  for (int i = 0; i < %d; i++) C[i] = A[i] + B[i];\n%s}\n"
)

// kernelC is a C file with the runner's symbols: the vector addition of
// n elements followed by extra statements, and the given scratch size.
func kernelC(n int, extra string, scratch int) string {
	return fmt.Sprintf(cHead, scratch) + fmt.Sprintf(cVecAdd, n, extra) + cArgs
}

func cand(src string) targets.Candidate { return targets.Candidate{Kind: targets.CPU, Source: src} }

// withTimeout gives c a time limit of its own (Candidate.Timeout).
func withTimeout(c targets.Candidate, d time.Duration) targets.Candidate {
	c.Timeout = d
	return c
}

func vecAdd() targets.Candidate { return cand(kernelC(kerneltest.N, "", 0)) }

// faultCases mirror kerneltest.Cases: bad kernels between good ones.
func faultCases() []kerneltest.Case {
	n := kerneltest.N
	return []kerneltest.Case{
		{Name: "compile-error", Cand: cand("void kernel(void) { this is not C }"), Want: targets.CompileError, Msg: "kernel.c"},
		{Name: "vecadd", Cand: vecAdd(), Want: targets.None},
		{Name: "crash", Cand: cand(kernelC(n, "  *(volatile float *)0 = 1;\n", 0)), Want: targets.RuntimeError, Msg: "crashed"},
		{Name: "vecadd-after-crash", Cand: vecAdd(), Want: targets.None},
		{Name: "forever", Cand: cand(kernelC(n, "  for (volatile int x = 0; ; x++) {}\n", 0)), Want: targets.Timeout},
		{Name: "vecadd-after-timeout", Cand: vecAdd(), Want: targets.None},
		{Name: "forever-own-limit", Cand: withTimeout(cand(kernelC(n, "  for (volatile int x = 0; ; x++) {}\n", 0)), 700*time.Millisecond),
			Want: targets.Timeout, Msg: "700ms"},
		{Name: "short", Cand: cand(kernelC(n-4, "", 0)), Want: targets.WrongResult, Msg: "output C[4092]: got NaN"},
		{Name: "subtract", Cand: cand(kernelC(n, fmt.Sprintf("  for (int i = 0; i < %d; i++) C[i] = A[i] - B[i];\n", n), 0)),
			Want: targets.WrongResult, Msg: "output C[0]: got -1, want 1"},
		{Name: "overrun", Cand: cand(kernelC(n, fmt.Sprintf("  C[%d] = 0;\n", n+2), 0)), Want: targets.WrongResult, Msg: "outside its buffers"},
		{Name: "clobber-input", Cand: cand(kernelC(n, "  A[0] = -1;\n", 0)), Want: targets.WrongResult, Msg: "into input A[0]"},
		{Name: "no-symbols", Cand: cand("void kernel(void) {}\n"), Want: targets.CompileError, Msg: "kernel_args"},
		{Name: "scratch", Cand: cand(kernelC(n, fmt.Sprintf("  float *t = (float *)s + %d;\n  for (int i = 0; i < %d; i++) t[i] = C[i];\n  for (int i = 0; i < %d; i++) C[i] = t[i];\n", 65536, n, n), 4*(65536+n))), Want: targets.None},
		{Name: "scratch-overrun", Cand: cand(kernelC(n, "  s[64] = 1;\n", 64)), Want: targets.WrongResult, Msg: "after the scratch area"},
		{Name: "empty", Cand: cand(""), Want: targets.CompileError},
		{Name: "wasm-kind", Cand: targets.Candidate{Wasm: []byte("\x00asm")}, Want: targets.MeasureError},
	}
}

func newMeasurer(t *testing.T) *Measurer {
	return newMeasurerWith(t, kerneltest.Options())
}

// newMeasurerWith returns a measurer closed at the end of the test, or
// skips the test when gcc is missing; under CI=true that fails it.
func newMeasurerWith(t *testing.T, opts targets.Options) *Measurer {
	m := New(Config{Options: opts})
	if err := m.Available(); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("%v; CI=true", err)
		}
		t.Skip(err)
	}
	t.Cleanup(func() { m.Close() })
	return m
}

// TestFaults: every bad kernel costs one result of the right kind, and the
// next candidate is still measured.
func TestFaults(t *testing.T) {
	m := newMeasurer(t)
	cases := faultCases()
	cands := make([]targets.Candidate, len(cases))
	for i, c := range cases {
		cands[i] = c.Cand
	}
	start := time.Now()
	rs := m.Measure(context.Background(), kerneltest.Workload(), cands)
	t.Logf("%d candidates in %v", len(cands), time.Since(start))
	if len(rs) != len(cases) {
		t.Fatalf("%d results for %d candidates", len(rs), len(cases))
	}
	for i, c := range cases {
		kerneltest.CheckResult(t, c.Name, rs[i], c.Want, c.Msg)
	}
	// Cutoff: a kernel slower than its cutoff is timed by one run.
	rs = m.Measure(context.Background(), kerneltest.Workload(), []targets.Candidate{
		{Kind: targets.CPU, Source: vecAdd().Source, Cutoff: time.Nanosecond},
		{Kind: targets.CPU, Source: vecAdd().Source, Cutoff: time.Minute},
	})
	if r := rs[0]; !r.OK() || len(r.Times) != 1 {
		t.Errorf("slower than its cutoff: got %+v, want one time", r)
	}
	kerneltest.CheckResult(t, "faster than its cutoff", rs[1], targets.None, "")
}

// TestTempDirsRemoved: a batch's directory is removed after it, the
// measurer's own by Close; a closed measurer measures nothing.
func TestTempDirsRemoved(t *testing.T) {
	m := newMeasurer(t)
	if r := m.Measure(context.Background(), kerneltest.Workload(), []targets.Candidate{vecAdd()})[0]; !r.OK() {
		t.Fatalf("%v: %s", r.Err, r.Msg)
	}
	entries, err := os.ReadDir(m.dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if e.IsDir() {
			t.Errorf("batch directory %s left behind", e.Name())
		}
	}
	dir := m.dir
	m.Close()
	if _, err := os.Stat(dir); !os.IsNotExist(err) {
		t.Errorf("%s not removed by Close: %v", dir, err)
	}
	if r := m.Measure(context.Background(), kerneltest.Workload(), []targets.Candidate{vecAdd()})[0]; r.Err != targets.MeasureError {
		t.Errorf("closed measurer: %v", r.Err)
	}
}

// TestNoCompiler: without the compiler every candidate is a MeasureError
// that says what to install.
func TestNoCompiler(t *testing.T) {
	m := New(Config{Compiler: "no-such-cc-tabtune"})
	defer m.Close()
	if err := m.Available(); err == nil {
		t.Fatal("Available: no error for a missing compiler")
	}
	r := m.Measure(context.Background(), kerneltest.Workload(), []targets.Candidate{vecAdd()})[0]
	kerneltest.CheckResult(t, "no compiler", r, targets.MeasureError, "install gcc")
}

// TestCancel: cancelling the context stops a kernel that hangs at once,
// and the candidate is a MeasureError (to measure again), not a Timeout.
func TestCancel(t *testing.T) {
	opts := kerneltest.Options()
	opts.Timeout = time.Minute
	m := newMeasurerWith(t, opts)
	ctx, cancel := context.WithCancel(context.Background())
	hang := cand(kernelC(kerneltest.N, "  for (volatile int x = 0; ; x++) {}\n", 0))
	go func() {
		time.Sleep(300 * time.Millisecond)
		cancel()
	}()
	start := time.Now()
	rs := m.Measure(ctx, kerneltest.Workload(), []targets.Candidate{hang, vecAdd()})
	if took := time.Since(start); took > 20*time.Second {
		t.Errorf("cancelled batch took %v", took)
	}
	for i, r := range rs {
		if r.Err != targets.MeasureError {
			t.Errorf("candidate %d: %v (%s), want a measure error", i, r.Err, r.Msg)
		}
	}
}

// TestReference: for a program too large for the interpreter, the
// reference from the naive kernel compiled to C agrees with the one from
// the naive kernel in wazero.
func TestReference(t *testing.T) {
	m := newMeasurer(t)
	opts := kerneltest.Options()
	opts.Timeout = time.Minute
	m.opts = opts.WithDefaults()
	d, err := ops.BuildSpec("gmm:M=256,N=256,K=256")
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	got, err := m.Workload(ctx, d, 3)
	if err != nil {
		t.Fatal(err)
	}
	wz := wazero.New(wazero.Config{})
	defer wz.Close()
	want, err := wz.Workload(ctx, d, 3)
	if err != nil {
		t.Fatal(err)
	}
	if len(got.Want) != 1 || len(want.Want) != 1 {
		t.Fatalf("outputs: %d and %d", len(got.Want), len(want.Want))
	}
	if err := targets.Compare(got.Outputs[0], got.Want[0], want.Want[0], want.Atol, want.Rtol); err != nil {
		t.Error(err)
	}
	if _, err := m.Reference(ctx, got, "not C"); err == nil {
		t.Error("a reference kernel that does not compile gave no error")
	}
}

// TestLibraries: a kernel that calls a function of a library is linked
// with it when Config.Libraries names it, and fails to load without it;
// a name that would be another compiler flag is refused.
func TestLibraries(t *testing.T) {
	m := newMeasurer(t) // skips without gcc
	dir := t.TempDir()
	lib := dir + "/libtabtuneadd.so"
	buildAdd(t, m.cfg.Compiler, lib, "-shared", "-fPIC")
	t.Setenv("LIBRARY_PATH", dir)    // where the compiler finds -ltabtuneadd
	t.Setenv("LD_LIBRARY_PATH", dir) // where the runner's dlopen finds it
	kernel := addKernel()
	w := kerneltest.Workload()

	r := m.Measure(context.Background(), w, []targets.Candidate{kernel})[0]
	kerneltest.CheckResult(t, "without the library", r, targets.CompileError, "tabtune_add")

	linked := New(Config{Options: kerneltest.Options(), Libraries: []string{"tabtuneadd"}})
	defer linked.Close()
	r = linked.Measure(context.Background(), w, []targets.Candidate{kernel})[0]
	kerneltest.CheckResult(t, "with the library", r, targets.None, "")

	if got := CompileFlags("native", "k.c", "k.so", nil, []string{"openblas"}); !slices.Contains(got, "-lopenblas") {
		t.Errorf("CompileFlags with openblas: %q has no -lopenblas", got)
	}
	for _, bad := range []string{"-o/tmp/x", "", "a b", "m;rm"} {
		bm := New(Config{Options: kerneltest.Options(), Libraries: []string{bad}})
		r := bm.Measure(context.Background(), w, []targets.Candidate{vecAdd()})[0]
		bm.Close()
		kerneltest.CheckResult(t, "library "+bad, r, targets.MeasureError, "want a name such as openblas")
	}
}

// TestObjects: a kernel that calls a function of an object file or a
// static library is linked with it when Config.Objects names it, and
// fails to load without it; an object that is not an absolute path is
// refused.
func TestObjects(t *testing.T) {
	m := newMeasurer(t) // skips without gcc
	dir := t.TempDir()
	obj, arch := dir+"/add.o", dir+"/libadd.a"
	buildAdd(t, m.cfg.Compiler, obj, "-c", "-fPIC")
	if out, err := exec.Command("ar", "rcs", arch, obj).CombinedOutput(); err != nil {
		t.Fatalf("archiving the object: %v: %s", err, out)
	}
	kernel := addKernel()
	w := kerneltest.Workload()

	r := m.Measure(context.Background(), w, []targets.Candidate{kernel})[0]
	kerneltest.CheckResult(t, "without the object", r, targets.CompileError, "tabtune_add")
	for _, o := range []string{obj, arch} {
		linked := New(Config{Options: kerneltest.Options(), Objects: []string{o}})
		r = linked.Measure(context.Background(), w, []targets.Candidate{kernel})[0]
		linked.Close()
		kerneltest.CheckResult(t, "with "+filepath.Base(o), r, targets.None, "")
	}
	for _, bad := range []string{"add.o", "-o/tmp/x", ""} {
		bm := New(Config{Options: kerneltest.Options(), Objects: []string{bad}})
		r := bm.Measure(context.Background(), w, []targets.Candidate{vecAdd()})[0]
		bm.Close()
		kerneltest.CheckResult(t, "object "+bad, r, targets.MeasureError, "want an absolute path")
	}
}

// buildAdd compiles a C file that defines tabtune_add into out with cc
// and the given flags.
func buildAdd(t *testing.T, cc, out string, flags ...string) {
	t.Helper()
	src := filepath.Join(filepath.Dir(out), "add.c")
	if err := os.WriteFile(src, []byte("float tabtune_add(float a, float b) { return a + b; }\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if b, err := exec.Command(cc, append(flags, "-o", out, src)...).CombinedOutput(); err != nil {
		t.Fatalf("building %s: %v: %s", filepath.Base(out), err, b)
	}
}

// addKernel is the vector addition through tabtune_add, a function that
// only a library or an object linked with the kernel defines.
func addKernel() targets.Candidate {
	return cand("float tabtune_add(float, float);\n" + fmt.Sprintf(cHead, 0) +
		strings.Replace(fmt.Sprintf(cVecAdd, kerneltest.N, ""), "A[i] + B[i]", "tabtune_add(A[i], B[i])", 1) + cArgs)
}
