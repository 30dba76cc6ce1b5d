// Package kerneltest builds small WebAssembly kernels, good and bad, with
// wasmbin, and runs the conformance suite that every wasm measurer must
// pass: each bad kernel gets the right ErrorKind, the next candidate of
// the same batch is still measured, and good kernels get positive times
// whose median is right. It is used by the measurers' tests only.
package kerneltest

import (
	"context"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/tabtune/tabtune/compiler/codegen/wasm/wasmbin"
	"github.com/tabtune/tabtune/targets"
)

// N is the number of elements of the vectors the kernels add.
const N = 4096

// Workload is C = A + B over N float32 elements, with inputs A[i] = i/8,
// B[i] = 1 - i/16.
func Workload() *targets.Workload {
	a, b, c := make([]float32, N), make([]float32, N), make([]float32, N)
	for i := range a {
		a[i] = float32(i) / 8
		b[i] = 1 - float32(i)/16
		c[i] = a[i] + b[i]
	}
	return &targets.Workload{
		Key:       "vecadd-4096",
		Inputs:    []targets.Tensor{{Name: "A", Shape: []int64{N}, DType: targets.F32}, {Name: "B", Shape: []int64{N}, DType: targets.F32}},
		Outputs:   []targets.Tensor{{Name: "C", Shape: []int64{N}, DType: targets.F32}},
		InputData: [][]byte{targets.EncodeF32(a), targets.EncodeF32(b)},
		Want:      [][]float32{c},
		Atol:      1e-6,
		Rtol:      1e-5,
	}
}

// kernel builds a module with the conventional imports and exports, a
// kernel of nparams i32 parameters whose body body writes, and the given
// scratch_bytes. Parameters are 0: A, 1: B, 2: C, 3: scratch.
func kernel(nparams int, scratch int32, body func(f *wasmbin.Func)) []byte {
	m := wasmbin.NewModule()
	m.ImportMemory("env", "memory", 1)
	g := m.AddGlobal(false, scratch)
	m.ExportGlobal("scratch_bytes", g)
	params := make([]wasmbin.ValType, nparams)
	for i := range params {
		params[i] = wasmbin.I32
	}
	f := m.AddFunc(params, nil)
	body(f)
	m.ExportFunc("kernel", f)
	return m.Bytes()
}

// loop runs body for i = 0, 16, ... below end (bytes); i is a local.
func loop(f *wasmbin.Func, i uint32, end int32, body func()) {
	f.Block(wasmbin.Void)
	f.Loop(wasmbin.Void)
	body()
	f.LocalGet(i)
	f.I32Const(16)
	f.Emit(wasmbin.I32Add)
	f.LocalTee(i)
	f.I32Const(end)
	f.Emit(wasmbin.I32LtU)
	f.BrIf(0)
	f.Emit(wasmbin.End, wasmbin.End)
}

// addr pushes param p + local i.
func addr(f *wasmbin.Func, p, i uint32) {
	f.LocalGet(p)
	f.LocalGet(i)
	f.Emit(wasmbin.I32Add)
}

// vecAdd writes dst[i] = A[i] + B[i] for the first `bytes` bytes;
// dst is pushed by dstAddr.
func vecAdd(f *wasmbin.Func, i uint32, bytes int32, dstAddr func()) {
	loop(f, i, bytes, func() {
		dstAddr()
		addr(f, 0, i)
		f.V128Load(4, 0)
		addr(f, 1, i)
		f.V128Load(4, 0)
		f.Emit(wasmbin.F32x4Add)
		f.V128Store(4, 0)
	})
}

// VecAdd is a correct SIMD kernel: C = A + B.
func VecAdd() []byte {
	return kernel(4, 0, func(f *wasmbin.Func) {
		i := f.AddLocal(wasmbin.I32)
		vecAdd(f, i, 4*N, func() { addr(f, 2, i) })
	})
}

// Relaxed computes C = relaxed_madd(A, 1, B) = A + B with relaxed SIMD.
func Relaxed() []byte {
	return kernel(4, 0, func(f *wasmbin.Func) {
		i := f.AddLocal(wasmbin.I32)
		loop(f, i, 4*N, func() {
			addr(f, 2, i)
			addr(f, 0, i)
			f.V128Load(4, 0)
			f.V128ConstF32([4]float32{1, 1, 1, 1})
			addr(f, 1, i)
			f.V128Load(4, 0)
			f.Emit(wasmbin.F32x4RelaxedMadd)
			f.V128Store(4, 0)
		})
	})
}

// Scratch adds A and B into the far end of a 256 KiB + 4N-byte scratch
// area (so the memory must have grown for it), then copies that to C.
func Scratch() []byte {
	const extra = 256 << 10
	return kernel(4, extra+4*N, func(f *wasmbin.Func) {
		i := f.AddLocal(wasmbin.I32)
		tmp := f.AddLocal(wasmbin.I32)
		f.LocalGet(3)
		f.I32Const(extra)
		f.Emit(wasmbin.I32Add)
		f.LocalSet(tmp)
		vecAdd(f, i, 4*N, func() { addr(f, tmp, i) })
		f.I32Const(0)
		f.LocalSet(i)
		loop(f, i, 4*N, func() {
			addr(f, 2, i)
			addr(f, tmp, i)
			f.V128Load(4, 0)
			f.V128Store(4, 0)
		})
	})
}

// Trap loads 16 bytes at address 0xfffffff0: out of bounds.
func Trap() []byte {
	return kernel(4, 0, func(f *wasmbin.Func) {
		f.I32Const(-16)
		f.V128Load(4, 0)
		f.Emit(wasmbin.Drop)
	})
}

// Forever loops forever.
func Forever() []byte {
	return kernel(4, 0, func(f *wasmbin.Func) {
		f.Loop(wasmbin.Void)
		f.Br(0)
		f.Emit(wasmbin.End)
	})
}

// Short adds all but the last 4 elements: C[N-4] keeps its poison (NaN).
func Short() []byte {
	return kernel(4, 0, func(f *wasmbin.Func) {
		i := f.AddLocal(wasmbin.I32)
		vecAdd(f, i, 4*N-16, func() { addr(f, 2, i) })
	})
}

// Bulky is VecAdd beside a long branch that never runs (its scratch
// parameter is never 1): quick to run, slow to compile, as a large
// unrolled kernel is.
func Bulky() []byte {
	return kernel(4, 0, func(f *wasmbin.Func) {
		i := f.AddLocal(wasmbin.I32)
		v := f.AddLocal(wasmbin.V128)
		vecAdd(f, i, 4*N, func() { addr(f, 2, i) })
		f.LocalGet(3)
		f.I32Const(1)
		f.Emit(wasmbin.I32Eq)
		f.If(wasmbin.Void)
		for k := range 2000 {
			f.LocalGet(v)
			f.LocalGet(0)
			f.V128Load(4, uint32(16*(k%64)))
			f.Emit(wasmbin.F32x4Mul)
			f.LocalSet(v)
		}
		f.LocalGet(2)
		f.LocalGet(v)
		f.V128Store(4, 0)
		f.Emit(wasmbin.End)
	})
}

// Subtract computes C = A - B: a wrong result everywhere but where B = 0.
func Subtract() []byte {
	return kernel(4, 0, func(f *wasmbin.Func) {
		i := f.AddLocal(wasmbin.I32)
		loop(f, i, 4*N, func() {
			addr(f, 2, i)
			addr(f, 0, i)
			f.V128Load(4, 0)
			addr(f, 1, i)
			f.V128Load(4, 0)
			f.Emit(wasmbin.F32x4Sub)
			f.V128Store(4, 0)
		})
	})
}

// Overrun is VecAdd that also writes 16 bytes just past the end of C.
func Overrun() []byte {
	return kernel(4, 0, func(f *wasmbin.Func) {
		i := f.AddLocal(wasmbin.I32)
		vecAdd(f, i, 4*N+16, func() { addr(f, 2, i) })
	})
}

// ClobberInput is VecAdd that then writes -1 into A[0].
func ClobberInput() []byte {
	return kernel(4, 0, func(f *wasmbin.Func) {
		i := f.AddLocal(wasmbin.I32)
		vecAdd(f, i, 4*N, func() { addr(f, 2, i) })
		f.LocalGet(0)
		f.F32Const(-1)
		f.F32Store(0)
	})
}

// Invalid follows the calling convention but does not validate: it adds
// f32s that are not there.
func Invalid() []byte {
	return kernel(4, 0, func(f *wasmbin.Func) { f.Emit(wasmbin.F32Add, wasmbin.Drop) })
}

// ThreeParams is a kernel with a parameter too few.
func ThreeParams() []byte {
	return kernel(3, 0, func(f *wasmbin.Func) {})
}

// Case is one candidate of the suite and what it must give.
type Case struct {
	Name string
	Cand targets.Candidate
	Want targets.ErrorKind
	// Msg is a substring the result's message must contain.
	Msg string
}

// Cases is the suite's batch: bad kernels between good ones, so that each
// failure is followed by a candidate that must still be measured.
func Cases() []Case {
	w := func(b []byte) targets.Candidate { return targets.Candidate{Wasm: b} }
	return []Case{
		{"garbage", w([]byte("not wasm at all")), targets.CompileError, ""},
		{"vecadd", w(VecAdd()), targets.None, ""},
		{"trap", w(Trap()), targets.RuntimeError, "out of bounds"},
		{"vecadd-after-trap", w(VecAdd()), targets.None, ""},
		{"forever", w(Forever()), targets.Timeout, ""},
		{"vecadd-after-timeout", w(VecAdd()), targets.None, ""},
		// A candidate's own longer limit replaces Options.Timeout.
		{"forever-own-limit", targets.Candidate{Wasm: Forever(), Timeout: 700 * time.Millisecond}, targets.Timeout, "700ms"},
		{"short", w(Short()), targets.WrongResult, "output C[4092]: got NaN"},
		{"subtract", w(Subtract()), targets.WrongResult, "output C[0]: got -1, want 1"},
		{"overrun", w(Overrun()), targets.WrongResult, "outside its buffers"},
		{"clobber-input", w(ClobberInput()), targets.WrongResult, "into input A[0]"},
		{"invalid", w(Invalid()), targets.CompileError, ""},
		{"three-params", w(ThreeParams()), targets.CompileError, "parameters"},
		{"scratch", w(Scratch()), targets.None, ""},
		{"not-wasm-kind", targets.Candidate{Kind: targets.CPU, Source: "void kernel(){}"}, targets.MeasureError, ""},
	}
}

// Options are short limits for tests.
func Options() targets.Options {
	return targets.Options{
		Warmup:     2,
		WarmupTime: 2 * time.Millisecond,
		Repeats:    3,
		MinTime:    5 * time.Millisecond,
		MaxRepeats: 20,
		Timeout:    400 * time.Millisecond,
	}
}

// Run measures Cases in one batch with m and checks every result.
func Run(t *testing.T, m targets.Measurer) {
	t.Helper()
	cases := Cases()
	cands := make([]targets.Candidate, len(cases))
	for i, c := range cases {
		cands[i] = c.Cand
	}
	start := time.Now()
	rs := m.Measure(context.Background(), Workload(), cands)
	t.Logf("%s: %d candidates in %v", m.Name(), len(cands), time.Since(start))
	if len(rs) != len(cases) {
		t.Fatalf("%d results for %d candidates", len(rs), len(cases))
	}
	for i, c := range cases {
		CheckResult(t, c.Name, rs[i], c.Want, c.Msg)
	}
	RunCutoff(t, m)
	RunPoison(t, m)
}

// RunPoison checks that the measurer poisons with the workload's poison
// (targets.Workload.Poison), not always NaN: the element Short leaves
// unwritten holds +Inf under PoisonMax.
func RunPoison(t *testing.T, m targets.Measurer) {
	t.Helper()
	w := Workload()
	w.Key += "-poison-max"
	w.Poison = targets.PoisonMax
	rs := m.Measure(context.Background(), w, []targets.Candidate{{Wasm: Short()}, {Wasm: VecAdd()}})
	CheckResult(t, "short, poisoned with +Inf", rs[0], targets.WrongResult, "output C[4092]: got +Inf")
	CheckResult(t, "vecadd, poisoned with +Inf", rs[1], targets.None, "")
}

// RunCutoff checks Candidate.Cutoff: a kernel slower than its cutoff is
// verified and timed by one run; one faster than it is timed as usual.
func RunCutoff(t *testing.T, m targets.Measurer) {
	t.Helper()
	rs := m.Measure(context.Background(), Workload(), []targets.Candidate{
		{Wasm: VecAdd(), Cutoff: time.Nanosecond},
		{Wasm: VecAdd(), Cutoff: time.Minute},
		{Wasm: Subtract(), Cutoff: time.Nanosecond},
	})
	if r := rs[0]; !r.OK() || len(r.Times) != 1 || r.Median != r.Times[0] || !(r.Median > 0) {
		t.Errorf("slower than its cutoff: got %+v, want one time", r)
	}
	CheckResult(t, "faster than its cutoff", rs[1], targets.None, "")
	if rs[2].Err != targets.WrongResult {
		t.Errorf("a wrong kernel slower than its cutoff: got %v (%s), want %v", rs[2].Err, rs[2].Msg, targets.WrongResult)
	}
}

// CheckResult checks one result: its kind, its message, and for a
// success its times and median.
func CheckResult(t *testing.T, name string, r targets.Result, want targets.ErrorKind, msg string) {
	t.Helper()
	if r.Err != want {
		t.Errorf("%s: got %v (%s), want %v", name, r.Err, r.Msg, want)
		return
	}
	if !strings.Contains(r.Msg, msg) {
		t.Errorf("%s: message %q does not contain %q", name, r.Msg, msg)
	}
	if want != targets.None {
		if r.Msg == "" || len(r.Times) != 0 || r.Median != 0 {
			t.Errorf("%s: a %v must have a message and no times: %+v", name, want, r)
		}
		t.Logf("%s: %v: %s", name, r.Err, r.Msg)
		return
	}
	if len(r.Times) < 3 {
		t.Errorf("%s: %d times, want at least 3", name, len(r.Times))
	}
	lo, hi := math.Inf(1), 0.0
	for _, x := range r.Times {
		if !(x > 0) || x > 1 {
			t.Errorf("%s: time %g s out of range", name, x)
		}
		lo, hi = math.Min(lo, x), math.Max(hi, x)
	}
	if r.Median != targets.Median(r.Times) || r.Median < lo || r.Median > hi {
		t.Errorf("%s: median %g of %v", name, r.Median, r.Times)
	}
	t.Logf("%s: median %.3g us over %d samples", name, r.Median*1e6, len(r.Times))
}
