package wasmbin

import (
	"math"
	"testing"
)

// fmaReluKernel builds kernel(a, b, out, nbytes i32, bias f32) -> f32:
// out[i] = max(a[i]*b[i] + bias, 0) four lanes at a time, returning the
// sum of the lanes of the last vector written. nbytes must be a positive
// multiple of 16.
func fmaReluKernel() []byte {
	m := NewModule()
	m.ImportMemory("env", "memory", 1)
	m.ExportGlobal("scratch_bytes", m.AddGlobal(false, 0))
	f := m.AddFunc([]ValType{I32, I32, I32, I32, F32}, []ValType{F32})
	i := f.AddLocal(I32)
	bias := f.AddLocal(V128)
	acc := f.AddLocal(V128)
	f.LocalGet(4)
	f.Emit(F32x4Splat)
	f.LocalSet(bias)
	f.Block(Void)
	f.Loop(Void)
	f.LocalGet(2) // &out[i]
	f.LocalGet(i)
	f.Emit(I32Add)
	f.LocalGet(0) // a[i]
	f.LocalGet(i)
	f.Emit(I32Add)
	f.V128Load(4, 0)
	f.LocalGet(1) // b[i]
	f.LocalGet(i)
	f.Emit(I32Add)
	f.V128Load(2, 0)
	f.Emit(F32x4Mul)
	f.LocalGet(bias)
	f.Emit(F32x4Add)
	f.V128ConstF32([4]float32{0, 0, 0, 0})
	f.Emit(F32x4Max)
	f.LocalTee(acc)
	f.V128Store(4, 0)
	f.LocalGet(i)
	f.I32Const(16)
	f.Emit(I32Add)
	f.LocalTee(i)
	f.LocalGet(3)
	f.Emit(I32LtU)
	f.BrIf(0)
	f.Emit(End, End)
	for l := byte(0); l < 4; l++ {
		f.LocalGet(acc)
		f.F32x4ExtractLane(l)
		if l > 0 {
			f.Emit(F32Add)
		}
	}
	m.ExportFunc("kernel", f)
	return m.Bytes()
}

// TestRunKernel runs a SIMD kernel in wazero and checks its results.
func TestRunKernel(t *testing.T) {
	const n = 64
	a, b := make([]float32, n), make([]float32, n)
	for i := range a {
		a[i] = float32(i) - 20
		b[i] = 0.5 + float32(i%7)
	}
	const bias = 1.25
	const offA, offB, offOut = 64, 64 + 4*n, 64 + 8*n
	mem, res := runKernel(t, fmaReluKernel(), 1, map[uint32][]float32{offA: a, offB: b},
		offA, offB, offOut, 4*n, uint64(math.Float32bits(bias)))
	got := readF32s(t, mem, offOut, n)
	for i := range got {
		want := max(a[i]*b[i]+bias, 0)
		if got[i] != want {
			t.Errorf("out[%d] = %v, want %v", i, got[i], want)
		}
	}
	var sum float32
	for _, v := range got[n-4:] {
		sum += v
	}
	if r := math.Float32frombits(uint32(res[0])); r != sum {
		t.Errorf("kernel returned %v, want %v", r, sum)
	}
}

// TestV128ConstBits checks that v128.const lanes keep their exact bits
// (signalling NaN patterns included) and that lane 0 is stored first.
func TestV128ConstBits(t *testing.T) {
	m := NewModule()
	m.ImportMemory("env", "memory", 1)
	f := m.AddFunc(nil, nil)
	f.I32Const(0)
	f.V128ConstI32([4]int32{0x7f800001, -1, 0, 0x12345678})
	f.V128Store(4, 0)
	f.I32Const(0)
	f.V128ConstF32([4]float32{math.Float32frombits(0xffa00001), 1, -2.5, float32(math.Inf(-1))})
	f.V128Store(4, 16)
	f.I32Const(0)
	var raw [16]byte
	for i := range raw {
		raw[i] = byte(i)
	}
	f.V128Const(raw)
	f.V128Store(4, 32)
	m.ExportFunc("kernel", f)
	mem, _ := runKernel(t, m.Bytes(), 1, nil)
	got, _ := mem.Read(0, 48)
	want := []uint32{0x7f800001, 0xffffffff, 0, 0x12345678, 0xffa00001, 0x3f800000, 0xc0200000, 0xff800000, 0x03020100, 0x07060504, 0x0b0a0908, 0x0f0e0d0c}
	for i, w := range want {
		g := uint32(got[4*i]) | uint32(got[4*i+1])<<8 | uint32(got[4*i+2])<<16 | uint32(got[4*i+3])<<24
		if g != w {
			t.Errorf("word %d = %#08x, want %#08x", i, g, w)
		}
	}
}

// TestLanesAndSelect runs lane, shuffle, select and memory-size
// instructions whose results are easy to predict.
func TestLanesAndSelect(t *testing.T) {
	m := NewModule()
	m.ImportMemory("env", "memory", 2)
	f := m.AddFunc([]ValType{I32}, []ValType{I32})
	v := f.AddLocal(V128)
	f.V128ConstI32([4]int32{10, 20, 30, 40})
	f.I32Const(99)
	f.I32x4ReplaceLane(2) // 10 20 99 40
	f.LocalTee(v)
	f.LocalGet(v)
	// lanes 3,2,1,0 of the first operand, by bytes
	f.I8x16Shuffle([16]byte{12, 13, 14, 15, 8, 9, 10, 11, 4, 5, 6, 7, 0, 1, 2, 3})
	f.LocalSet(v) // 40 99 20 10
	f.I32Const(0)
	f.LocalGet(v)
	f.V128Store(4, 0)
	f.LocalGet(v)
	f.I32x4ExtractLane(1) // 99
	f.MemorySize()        // 2
	f.LocalGet(0)
	f.SelectT(I32) // param != 0 ? 99 : 2
	m.ExportFunc("kernel", f)
	bin := m.Bytes()
	for _, tc := range []struct{ arg, want uint64 }{{1, 99}, {0, 2}} {
		mem, res := runKernel(t, bin, 2, nil, tc.arg)
		if res[0] != tc.want {
			t.Errorf("kernel(%d) = %d, want %d", tc.arg, res[0], tc.want)
		}
		got, _ := mem.Read(0, 16)
		for i, w := range []byte{40, 99, 20, 10} {
			if got[4*i] != w {
				t.Errorf("lane %d = %d, want %d", i, got[4*i], w)
			}
		}
	}
}
