package wmath

import (
	"context"
	"encoding/binary"
	"fmt"
	"math"
	"strings"
	"testing"

	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/api"

	"github.com/tabtune/tabtune/compiler/codegen/wasm/wasmbin"
	"github.com/tabtune/tabtune/compiler/expr"
)

// The emitted wasm, run in wazero, must equal the Go reference bit for
// bit (NaN payloads aside), in both forms.

const memPages = 512 // 32 MiB

// envModule is (module (memory (export "memory") 512)).
var envModule = []byte{
	0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
	0x05, 0x04, 0x01, 0x00, 0x80, 0x04, // memory section: min 512 pages
	0x07, 0x0a, 0x01, 0x06, 'm', 'e', 'm', 'o', 'r', 'y', 0x02, 0x00,
}

// addLoop exports name(in0, [in1,] out, n): out[i] = fn(in0[i], [in1[i]])
// for i < n, n a multiple of 4, calling fn per f32 or per f32x4.
func addLoop(m *wasmbin.Module, name string, fn uint32, arity int, vector bool) {
	params := []wasmbin.ValType{wasmbin.I32, wasmbin.I32, wasmbin.I32}
	if arity == 2 {
		params = append(params, wasmbin.I32)
	}
	out, n := uint32(arity), uint32(arity+1)
	f := m.AddFunc(params, nil)
	i := f.AddLocal(wasmbin.I32)
	step := int32(4)
	if vector {
		step = 16
	}
	f.Block(wasmbin.Void)
	f.Loop(wasmbin.Void)
	f.LocalGet(i)
	f.LocalGet(n)
	f.I32Const(4)
	f.Emit(wasmbin.I32Mul, wasmbin.I32GeU)
	f.BrIf(1)
	f.LocalGet(out)
	f.LocalGet(i)
	f.Emit(wasmbin.I32Add)
	for a := range uint32(arity) {
		f.LocalGet(a)
		f.LocalGet(i)
		f.Emit(wasmbin.I32Add)
		if vector {
			f.V128Load(2, 0)
		} else {
			f.F32Load(0)
		}
	}
	f.Call(fn)
	if vector {
		f.V128Store(2, 0)
	} else {
		f.F32Store(0)
	}
	f.LocalGet(i)
	f.I32Const(step)
	f.Emit(wasmbin.I32Add)
	f.LocalSet(i)
	f.Br(0)
	f.Emit(wasmbin.End, wasmbin.End)
	m.ExportFunc(name, f)
}

type wasmRunner struct {
	ctx context.Context
	mod api.Module
	mem api.Memory
}

var allFns = []expr.Intrinsic{expr.Exp, expr.ExpNonPos, expr.Log, expr.Tanh, expr.Sigmoid, expr.Pow}

func newRunner(t *testing.T) *wasmRunner {
	t.Helper()
	m := wasmbin.NewModule()
	m.ImportMemory("env", "memory", memPages)
	lib := NewLib(m)
	for _, fn := range allFns {
		for _, vec := range []bool{false, true} {
			idx, ok := lib.Func(fn, vec)
			if !ok {
				t.Fatalf("Func(%v, %v) not ok", fn, vec)
			}
			addLoop(m, fmt.Sprintf("%v_%v", fn, vec), idx, fn.Arity(), vec)
			// The same code inlined (Inline), in a function of its own.
			vt := wasmbin.F32
			if vec {
				vt = wasmbin.V128
			}
			params := []wasmbin.ValType{vt, vt}[:fn.Arity()]
			f := m.AddFunc(params, []wasmbin.ValType{vt})
			for i := range params {
				f.LocalGet(uint32(i))
			}
			if !Inline(f, fn, vec, false) {
				t.Fatalf("Inline(%v, %v) not ok", fn, vec)
			}
			addLoop(m, fmt.Sprintf("%v_%v_inline", fn, vec), f.Index, fn.Arity(), vec)
		}
	}
	ctx := context.Background()
	r := wazero.NewRuntime(ctx)
	t.Cleanup(func() { r.Close(ctx) })
	env, err := r.InstantiateWithConfig(ctx, envModule, wazero.NewModuleConfig().WithName("env"))
	if err != nil {
		t.Fatal(err)
	}
	mod, err := r.Instantiate(ctx, m.Bytes())
	if err != nil {
		t.Fatalf("instantiate: %v", err)
	}
	return &wasmRunner{ctx, mod, env.Memory()}
}

// run evaluates fn over the inputs in wasm (len a multiple of 4), by
// calls to its function or, with inline, by its code inlined.
func (w *wasmRunner) run(t *testing.T, fn expr.Intrinsic, vector, inline bool, args ...[]float32) []float32 {
	t.Helper()
	name := fmt.Sprintf("%v_%v", fn, vector)
	if inline {
		name += "_inline"
	}
	n := len(args[0])
	var params []uint64
	for i, a := range args {
		buf := make([]byte, 4*n)
		for j, v := range a {
			binary.LittleEndian.PutUint32(buf[4*j:], math.Float32bits(v))
		}
		w.mem.Write(uint32(i*4*n), buf)
		params = append(params, uint64(i*4*n))
	}
	out := uint32(len(args) * 4 * n)
	params = append(params, uint64(out), uint64(n))
	if _, err := w.mod.ExportedFunction(name).Call(w.ctx, params...); err != nil {
		t.Fatal(err)
	}
	buf, ok := w.mem.Read(out, uint32(4*n))
	if !ok {
		t.Fatal("memory read out of range")
	}
	res := make([]float32, n)
	for j := range res {
		res[j] = math.Float32frombits(binary.LittleEndian.Uint32(buf[4*j:]))
	}
	return res
}

func pad4(xs []float32) []float32 {
	for len(xs)%4 != 0 {
		xs = append(xs, 0)
	}
	return xs
}

// forms are the ways the wasm code runs: scalar or f32x4, called or
// inlined.
var forms = []struct{ vec, inline bool }{{false, false}, {true, false}, {false, true}, {true, true}}

func TestWasmBitIdentical(t *testing.T) {
	w := newRunner(t)
	xs := pad4(unaryInputs())
	for _, u := range []struct {
		fn expr.Intrinsic
		f  func(float32) float32
	}{{expr.Exp, Exp}, {expr.ExpNonPos, ExpNonPos}, {expr.Log, Log}, {expr.Tanh, Tanh}, {expr.Sigmoid, Sigmoid}} {
		for _, form := range forms {
			got := w.run(t, u.fn, form.vec, form.inline, xs)
			bad := 0
			for i, x := range xs {
				if want := u.f(x); !sameBits(got[i], want) {
					if bad++; bad <= 5 {
						t.Errorf("%v (%+v): wasm(%g [%#x]) = %g [%#x], Go %g [%#x]", u.fn, form,
							x, math.Float32bits(x), got[i], math.Float32bits(got[i]), want, math.Float32bits(want))
					}
				}
			}
			if bad > 0 {
				t.Errorf("%v (%+v): %d of %d differ", u.fn, form, bad, len(xs))
			}
		}
	}

	px, py := powInputs(200000, 5)
	// All pairs of specials too.
	for _, x := range powSpecials {
		for _, y := range powSpecials {
			px, py = append(px, x), append(py, y)
		}
	}
	px, py = pad4(px), pad4(py)
	for _, form := range forms {
		got := w.run(t, expr.Pow, form.vec, form.inline, px, py)
		bad := 0
		for i := range px {
			if want := Pow(px[i], py[i]); !sameBits(got[i], want) {
				if bad++; bad <= 5 {
					t.Errorf("pow (%+v): wasm(%g, %g) = %g [%#x], Go %g [%#x]", form,
						px[i], py[i], got[i], math.Float32bits(got[i]), want, math.Float32bits(want))
				}
			}
		}
		if bad > 0 {
			t.Errorf("pow (%+v): %d of %d differ", form, bad, len(px))
		}
	}
}

func TestLib(t *testing.T) {
	m := wasmbin.NewModule()
	lib := NewLib(m)
	for _, fn := range []expr.Intrinsic{expr.Sqrt, expr.Abs} {
		if Supported(fn) {
			t.Errorf("Supported(%v)", fn)
		}
		if _, ok := lib.Func(fn, false); ok {
			t.Errorf("Func(%v) ok", fn)
		}
	}
	seen := map[uint32]bool{}
	for _, fn := range allFns {
		if !Supported(fn) {
			t.Errorf("!Supported(%v)", fn)
		}
		for _, vec := range []bool{false, true} {
			a, _ := lib.Func(fn, vec)
			b, _ := lib.Func(fn, vec)
			if a != b || seen[a] {
				t.Errorf("Func(%v, %v): %d then %d (seen %v)", fn, vec, a, b, seen[a])
			}
			seen[a] = true
		}
	}
	// Without relaxed SIMD: the module compiles in wazero's interpreter
	// too, which validates it independently of the compiler.
	ctx := context.Background()
	r := wazero.NewRuntimeWithConfig(ctx, wazero.NewRuntimeConfigInterpreter())
	defer r.Close(ctx)
	if _, err := r.CompileModule(ctx, m.Bytes()); err != nil {
		t.Fatal(err)
	}
}

// TestExpVectorSize counts the vector instructions of the f32x4 exp, which
// softmax spends most of its time in: 22 and 12 constants with XNNPACK's
// degree-5 polynomial and the scaling by 2^(k-1) doubled (Cephes'
// polynomial scaled by 2^k, then by the 1 or 2 a clamp took off, took 29
// and 16; the two-step scaling of subnormal results before it 32).
func TestExpVectorSize(t *testing.T) {
	m := wasmbin.NewModule()
	NewLib(m).Func(expr.Exp, true)
	wat, err := wasmbin.Disassemble(m.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	ops, consts := 0, 0
	for _, line := range strings.Split(wat, "\n") {
		f := strings.Fields(line)
		switch {
		case len(f) == 0:
		case f[0] == "v128.const":
			consts++
		case strings.Contains(f[0], "x4."):
			ops++
		}
	}
	t.Logf("f32x4 exp: %d vector instructions, %d v128.const", ops, consts)
	if ops > 22 || consts > 12 {
		t.Errorf("f32x4 exp: %d vector instructions and %d constants, want at most 22 and 12:\n%s", ops, consts, wat)
	}
}
