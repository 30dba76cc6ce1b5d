package wasmbin

import (
	"bytes"
	"context"
	"errors"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tetratelabs/wazero"

	"github.com/tabtune/tabtune/internal/golden"
	"github.com/tabtune/tabtune/internal/wabt"
)

func TestLEB128(t *testing.T) {
	u32s := []struct {
		v    uint32
		want []byte
	}{
		{0, []byte{0x00}},
		{63, []byte{0x3f}},
		{64, []byte{0x40}},
		{127, []byte{0x7f}},
		{128, []byte{0x80, 0x01}},
		{624485, []byte{0xe5, 0x8e, 0x26}},
		{math.MaxInt32, []byte{0xff, 0xff, 0xff, 0xff, 0x07}},
		{math.MaxUint32, []byte{0xff, 0xff, 0xff, 0xff, 0x0f}},
	}
	for _, c := range u32s {
		got := appendU32(nil, c.v)
		if !bytes.Equal(got, c.want) {
			t.Errorf("appendU32(%d) = % x, want % x", c.v, got, c.want)
		}
		r := reader{buf: got, end: len(got)}
		if back := r.u32(); r.err != nil || back != c.v || r.pos != len(got) {
			t.Errorf("u32(% x) = %d, %v", got, back, r.err)
		}
	}
	s32s := []struct {
		v    int32
		want []byte
	}{
		{0, []byte{0x00}},
		{1, []byte{0x01}},
		{-1, []byte{0x7f}},
		{63, []byte{0x3f}},
		{64, []byte{0xc0, 0x00}}, // bit 6 set would read as negative
		{-64, []byte{0x40}},
		{-65, []byte{0xbf, 0x7f}},
		{-123456, []byte{0xc0, 0xbb, 0x78}},
		{math.MaxInt32, []byte{0xff, 0xff, 0xff, 0xff, 0x07}},
		{math.MinInt32, []byte{0x80, 0x80, 0x80, 0x80, 0x78}},
	}
	for _, c := range s32s {
		got := appendS64(nil, int64(c.v))
		if !bytes.Equal(got, c.want) {
			t.Errorf("appendS64(%d) = % x, want % x", c.v, got, c.want)
		}
		r := reader{buf: got, end: len(got)}
		if back := r.sleb(32); r.err != nil || back != int64(c.v) || r.pos != len(got) {
			t.Errorf("sleb32(% x) = %d, %v", got, back, r.err)
		}
	}
	for _, v := range []int64{math.MaxInt64, math.MinInt64, 1 << 40, -1 << 40} {
		b := appendS64(nil, v)
		r := reader{buf: b, end: len(b)}
		if back := r.sleb(64); r.err != nil || back != v {
			t.Errorf("sleb64 round trip of %d: %d, %v", v, back, r.err)
		}
	}
	// Encodings the decoder must reject: too long, unused bits not zero
	// (unsigned) or not the sign (signed), truncated.
	bad := []struct {
		b    []byte
		bits int // 0 for u32
	}{
		{[]byte{0xff, 0xff, 0xff, 0xff, 0x1f}, 0},       // 2^32+...: over 32 bits
		{[]byte{0x80, 0x80, 0x80, 0x80, 0x80, 0x00}, 0}, // 6 bytes
		{[]byte{0x80}, 0},                          // truncated
		{[]byte{0xff, 0xff, 0xff, 0xff, 0x0f}, 32}, // 0xffffffff is not an s32
		{[]byte{0x80, 0x80, 0x80, 0x80, 0x70}, 32}, // sign bits disagree
		{[]byte{0x80, 0x80, 0x80, 0x80, 0x80, 0x00}, 32},
		{[]byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01}, 64},
	}
	for _, c := range bad {
		r := reader{buf: c.b, end: len(c.b)}
		if c.bits == 0 {
			r.u32()
		} else {
			r.sleb(uint(c.bits))
		}
		if r.err == nil {
			t.Errorf("decoding % x as %d-bit LEB128 succeeded", c.b, c.bits)
		}
	}
	// Non-minimal encodings are valid.
	r := reader{buf: []byte{0x80, 0x80, 0x00, 0xff, 0x7f}, end: 5}
	if v := r.u32(); v != 0 || r.err != nil {
		t.Errorf("non-minimal u32: %d, %v", v, r.err)
	}
	if v := r.sleb(32); v != -1 || r.err != nil {
		t.Errorf("non-minimal s32: %d, %v", v, r.err)
	}
}

// localFor maps a signature letter to the allOps function's parameter of
// that type.
var localFor = map[byte]uint32{'i': 0, 'l': 1, 'f': 2, 'd': 3, 'v': 4}

// allOpsModule builds a module that uses every instruction of opTable and
// every emitter method, in valid sequences; relaxed SIMD ones only when
// relaxed is set.
func allOpsModule(relaxed bool) []byte {
	m := NewModule()
	m.ImportMemory("env", "memory", 1)
	g := m.AddGlobal(true, -7)
	m.ExportGlobal("counter", g)
	m.ExportGlobal("scratch_bytes", m.AddGlobal(false, 1<<20))

	callee := m.AddFunc([]ValType{I32}, []ValType{I32})
	callee.LocalGet(0)

	f := m.AddFunc([]ValType{I32, I64, F32, F64, V128}, []ValType{F32})
	f.AddLocal(I32)
	f.AddLocal(V128)
	f.AddLocal(V128)
	f.AddLocal(F32)

	// Control.
	f.Block(Void)
	f.Loop(BlockResult(I32))
	f.LocalGet(0)
	f.BrIf(1)
	f.I32Const(1)
	f.Emit(End)
	f.Emit(Drop)
	f.Block(BlockResult(F32))
	f.F32Const(1.5)
	f.LocalGet(0)
	f.BrTable([]uint32{0, 0}, 0)
	f.Emit(End)
	f.Emit(Drop)
	f.LocalGet(0)
	f.If(BlockResult(I32))
	f.I32Const(1)
	f.Emit(Else)
	f.I32Const(2)
	f.Emit(End)
	f.Call(callee.Index)
	f.LocalSet(5)
	f.LocalGet(0)
	f.If(Void)
	f.Emit(Unreachable)
	f.Emit(End)
	f.LocalGet(0)
	f.If(Void)
	f.F32Const(0)
	f.Emit(Return)
	f.Emit(End)
	f.Emit(Nop)
	f.Br(0)
	f.Emit(End)

	// Variables and parametric instructions.
	f.LocalGet(0)
	f.LocalTee(5)
	f.Emit(Drop)
	f.GlobalGet(g)
	f.GlobalSet(g)
	f.LocalGet(0)
	f.LocalGet(5)
	f.LocalGet(0)
	f.Emit(Select)
	f.Emit(Drop)
	f.LocalGet(4)
	f.LocalGet(6)
	f.LocalGet(0)
	f.SelectT(V128)
	f.Emit(Drop)

	// Constants.
	f.I32Const(math.MinInt32)
	f.Emit(Drop)
	f.I64Const(math.MinInt64)
	f.Emit(Drop)
	f.F32Const(-0.1)
	f.Emit(Drop)
	f.F32Const(float32(math.NaN()))
	f.Emit(Drop)
	f.F32Const(float32(math.Inf(1)))
	f.Emit(Drop)
	f.F32Const(math.Float32frombits(0xffa00001))
	f.Emit(Drop)
	f.F64Const(1e100)
	f.Emit(Drop)
	f.V128ConstF32([4]float32{1, -2, 0.5, 3e38})
	f.Emit(Drop)
	f.V128ConstI32([4]int32{-1, 0, 0x7f800001, 42})
	f.Emit(Drop)
	f.V128Const([16]byte{0: 1, 15: 0xff})
	f.Emit(Drop)

	// Memory.
	loads := []func(uint32){f.I32Load, f.F32Load, f.I32Load8S, f.I32Load8U, f.I32Load16S, f.I32Load16U,
		f.V128Load32Splat, f.V128Load64Splat, f.V128Load32Zero, f.V128Load64Zero}
	for k, load := range loads {
		f.LocalGet(0)
		load(uint32(4 * k))
		f.Emit(Drop)
	}
	f.LocalGet(0)
	f.V128Load(4, 16)
	f.Emit(Drop)
	f.LocalGet(0)
	f.V128Load(2, 0)
	f.Emit(Drop)
	for k, store := range []func(uint32){f.I32Store, f.I32Store8, f.I32Store16} {
		f.LocalGet(0)
		f.LocalGet(0)
		store(uint32(k))
	}
	f.LocalGet(0)
	f.LocalGet(2)
	f.F32Store(8)
	f.LocalGet(0)
	f.LocalGet(4)
	f.V128Store(4, 0)
	f.LocalGet(0)
	f.LocalGet(4)
	f.V128Store(0, 3)
	for k, ld := range []func(uint32, byte){f.V128Load32Lane, f.V128Load64Lane} {
		f.LocalGet(0)
		f.LocalGet(4)
		ld(uint32(8*k), byte(k))
		f.Emit(Drop)
	}
	for k, st := range []func(uint32, byte){f.V128Store32Lane, f.V128Store64Lane} {
		f.LocalGet(0)
		f.LocalGet(4)
		st(uint32(8*k+4), 1)
	}
	f.MemorySize()
	f.Emit(Drop)
	f.I32Const(1)
	f.MemoryGrow()
	f.Emit(Drop)
	f.LocalGet(0)
	f.I32Const(0)
	f.I32Const(64)
	f.MemoryFill()
	f.LocalGet(0)
	f.LocalGet(0)
	f.I32Const(64)
	f.MemoryCopy()

	// Lanes.
	f.LocalGet(4)
	f.F32x4ExtractLane(3)
	f.Emit(Drop)
	f.LocalGet(4)
	f.I32x4ExtractLane(0)
	f.Emit(Drop)
	f.LocalGet(4)
	f.LocalGet(2)
	f.F32x4ReplaceLane(1)
	f.LocalSet(6)
	f.LocalGet(4)
	f.LocalGet(0)
	f.I32x4ReplaceLane(2)
	f.LocalSet(7)
	f.LocalGet(6)
	f.LocalGet(7)
	f.I8x16Shuffle([16]byte{0, 1, 2, 3, 16, 17, 18, 19, 4, 5, 6, 7, 31, 30, 29, 28})
	f.Emit(Drop)

	// Every instruction without immediates and with a fixed signature.
	for _, info := range opTable {
		if info.imm != immNone || info.sig == "" || (!relaxed && info.op.isRelaxed()) {
			continue
		}
		in, out, _ := strings.Cut(info.sig, ":")
		for i := 0; i < len(in); i++ {
			f.LocalGet(localFor[in[i]])
		}
		f.Emit(info.op)
		for range out {
			f.Emit(Drop)
		}
	}
	f.LocalGet(2)
	m.ExportFunc("kernel", f)
	return m.Bytes()
}

// TestAllOps compiles the every-instruction module in wazero, checks its
// text against testdata/allops.wat, and checks that every row of opTable
// shows up in it.
func TestAllOps(t *testing.T) {
	ctx := context.Background()
	r := wazero.NewRuntime(ctx)
	defer r.Close(ctx)
	if _, err := r.CompileModule(ctx, allOpsModule(false)); err != nil {
		t.Fatalf("wazero compile: %v", err)
	}

	text, err := Disassemble(allOpsModule(true))
	if err != nil {
		t.Fatal(err)
	}
	golden.CheckString(t, filepath.Join("testdata", "allops.wat"), text)

	seen := map[string]bool{}
	for _, l := range strings.Split(text, "\n") {
		l = strings.TrimSpace(l)
		name, rest, _ := strings.Cut(l, " ")
		if name == "select" && strings.HasPrefix(rest, "(result") {
			name = "select (result"
		}
		seen[name] = true
	}
	for _, info := range opTable {
		name := info.name
		if info.imm == immSelectT {
			name = "select (result"
		}
		if !seen[name] {
			t.Errorf("%s is not exercised by allOpsModule", name)
		}
	}
}

// TestKernelText checks the text of a small SIMD kernel.
func TestKernelText(t *testing.T) {
	text, err := Disassemble(fmaReluKernel())
	if err != nil {
		t.Fatal(err)
	}
	golden.CheckString(t, filepath.Join("testdata", "kernel.wat"), text)
}

// TestRelaxedRejectedByWazero documents that wazero v1.12 has no relaxed
// SIMD: modules that use it cannot run in wazero-based tests and need a
// browser (or another engine). The error does not name the instruction:
// wazero reads the SIMD sub-opcode as one byte instead of a LEB128, so
// f32x4.relaxed_madd (fd 85 02) reads as i16x8.narrow_i32x4_s (fd 85)
// followed by block (02) with block type 0x0b, and the error is
//
//	invalid function[0]: read block: type index out of range: 11
//
// (For sub-opcodes 0x80-0xff the second LEB128 byte is 01, which wazero
// then reads as nop, which is why the rest of SIMD works there.)
func TestRelaxedRejectedByWazero(t *testing.T) {
	m := NewModule()
	f := m.AddFunc([]ValType{V128, V128, V128}, []ValType{V128})
	f.LocalGet(0)
	f.LocalGet(1)
	f.LocalGet(2)
	f.Emit(F32x4RelaxedMadd)
	bin := m.Bytes()
	ctx := context.Background()
	r := wazero.NewRuntime(ctx)
	defer r.Close(ctx)
	_, err := r.CompileModule(ctx, bin)
	if err == nil {
		t.Fatal("wazero compiled f32x4.relaxed_madd; relaxed SIMD support arrived, update the tests")
	}
	t.Logf("wazero: %v", err)
	validate(t, bin, "--enable-relaxed-simd")
}

// validate runs wabt's wasm-validate on bin. Without wabt it checks
// nothing, or fails the test when CI=true (package wabt).
func validate(t *testing.T, bin []byte, flags ...string) {
	t.Helper()
	wabt.Validate(t, bin, flags...)
}

func TestWabtValidate(t *testing.T) {
	wabt.Tool(t, "wasm-validate")
	validate(t, allOpsModule(false))
	validate(t, allOpsModule(true), "--enable-relaxed-simd")
	validate(t, fmaReluKernel())
}

// TestWasm2watMnemonics compares the instruction names Disassemble prints
// with those of wabt's wasm2wat.
func TestWasm2watMnemonics(t *testing.T) {
	tool := wabt.Tool(t, "wasm2wat")
	bin := allOpsModule(true)
	path := filepath.Join(t.TempDir(), "m.wasm")
	if err := os.WriteFile(path, bin, 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(tool, "--enable-relaxed-simd", path).CombinedOutput()
	if err != nil {
		t.Fatalf("wasm2wat: %v\n%s", err, out)
	}
	ours, err := Disassemble(bin)
	if err != nil {
		t.Fatal(err)
	}
	a, b := instrLines(string(out)), instrLines(ours)
	if len(a) != len(b) {
		t.Fatalf("wasm2wat prints %d instructions, Disassemble %d", len(a), len(b))
	}
	for i := range a {
		if a[i] != b[i] {
			t.Errorf("instruction %d: wasm2wat %q, Disassemble %q", i, a[i], b[i])
		}
	}
}

// instrLines returns the instructions of function bodies in WAT text,
// comments, float constants and the trailing function ) dropped.
func instrLines(text string) []string {
	var out []string
	for _, l := range strings.Split(text, "\n") {
		if i := strings.Index(l, ";;"); i >= 0 {
			l = l[:i]
		}
		for {
			i := strings.Index(l, "(;")
			j := strings.Index(l, ";)")
			if i < 0 || j < i {
				break
			}
			l = l[:i] + l[j+2:]
		}
		l = strings.Join(strings.Fields(l), " ")
		if l == "" || strings.HasPrefix(l, "(") || strings.HasPrefix(l, ")") {
			continue
		}
		if strings.HasPrefix(l, "f32.const") || strings.HasPrefix(l, "f64.const") {
			l = l[:9] // wasm2wat prints hex floats
		}
		for strings.Count(l, ")") > strings.Count(l, "(") { // a function's closing )
			l = strings.TrimSpace(strings.TrimSuffix(l, ")"))
		}
		out = append(out, l)
	}
	return out
}

// TestDisassembleOtherSections covers what Disassemble reads beyond what
// Module writes: function and global imports, a memory section with a
// maximum, a custom section, non-finite and f64 constants, a block typed
// by a type index, escaped names.
func TestDisassembleOtherSections(t *testing.T) {
	sec := func(id byte, body ...byte) []byte {
		return append(appendU32([]byte{id}, uint32(len(body))), body...)
	}
	bin := []byte("\x00asm\x01\x00\x00\x00")
	bin = append(bin, sec(0, append([]byte{4}, "meta\x01\x02"...)...)...)
	bin = append(bin, sec(1, 2, 0x60, 0, 0, 0x60, 1, 0x7c, 1, 0x7d)...)
	imp := appendName(appendName([]byte{2}, "m"), "f")
	imp = append(imp, 0, 0) // func, type 0
	imp = appendName(appendName(imp, "m"), "g\"\n")
	imp = append(imp, 3, 0x7d, 1) // global (mut f32)
	bin = append(bin, sec(2, imp...)...)
	bin = append(bin, sec(3, 1, 1)...)
	bin = append(bin, sec(5, 1, 1, 1, 2)...)
	bin = append(bin, sec(6, 2, 0x7d, 0, 0x43, 0x01, 0x00, 0xa0, 0xff, 0x0b, 0x7c, 0, 0x44, 0, 0, 0, 0, 0, 0, 0xf0, 0x7f, 0x0b)...)
	bin = append(bin, sec(7, 1, 3, 'm', 'e', 'm', 2, 0)...)
	body := []byte{0, // no locals
		0x10, 0x00, // call 0
		0x20, 0x00, // local.get 0
		0x02, 0x01, 0xb6, 0x0b, // block (type 1) f32.demote_f64 end
		0x0b}
	bin = append(bin, sec(10, append([]byte{1, byte(len(body))}, body...)...)...)
	bin = append(bin, sec(0, append([]byte{3}, "end"...)...)...)
	got, err := Disassemble(bin)
	if err != nil {
		t.Fatal(err)
	}
	want := `(module
  ;; custom section "meta", 2 bytes
  (type $t0 (func (param) (result)))
  (type $t1 (func (param f64) (result f32)))
  (import "m" "f" (func $f0 (type 0)))
  (import "m" "g\22\0a" (global $g0 (mut f32)))
  (memory 1 2)
  (global $g1 f32 (f32.const -nan:0x200001))
  (global $g2 f64 (f64.const inf))
  (export "mem" (memory 0))
  (func $f1 (type 1) (param f64) (result f32)
    call 0
    local.get 0
    block (type 1)
      f32.demote_f64
    end
  )
  ;; custom section "end", 0 bytes
)
`
	if got != want {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}
	validate(t, bin)
}

// TestDisassembleErrors checks that malformed input gives a DecodeError
// naming the right place.
func TestDisassembleErrors(t *testing.T) {
	good := fmaReluKernel()
	for n := 0; n < len(good); n++ {
		_, err := Disassemble(good[:n])
		var de *DecodeError
		if err != nil && !errors.As(err, &de) {
			t.Fatalf("prefix %d: error %v is not a DecodeError", n, err)
		}
	}
	// Every prefix that ends inside a section must fail.
	for n := 9; n < len(good); n++ {
		if !atSectionBoundary(good, n) {
			if _, err := Disassemble(good[:n]); err == nil {
				t.Errorf("prefix of %d bytes decoded without error", n)
			}
		}
	}

	m := NewModule()
	f := m.AddFunc(nil, nil)
	f.I32Const(1)
	f.Emit(Drop)
	bin := m.Bytes()
	opAt := bytes.Index(bin, []byte{0x41, 0x01, 0x1a})
	cases := []struct {
		name string
		bin  []byte
		msg  string
		off  int
	}{
		{"magic", []byte("\x00asn\x01\x00\x00\x00"), "bad magic", 0},
		{"version", []byte("\x00asm\x02\x00\x00\x00"), "version", 4},
		{"unknown opcode", patch(bin, opAt, 0xd7), "unknown opcode 0xd7", opAt},
		{"unknown simd opcode", patch(patch(bin, opAt, 0xfd), opAt+1, 0x7f), "unknown opcode 0xfd 0x7f", opAt},
		{"stray else", patch(bin, opAt+2, 0x05), "else without if", opAt + 2},
		{"unknown section", append(bin[:len(bin):len(bin)], 13, 0), "unknown section id 13", len(bin)},
	}
	for _, c := range cases {
		_, err := Disassemble(c.bin)
		var de *DecodeError
		if !errors.As(err, &de) {
			t.Errorf("%s: got %v, want a DecodeError", c.name, err)
			continue
		}
		if !strings.Contains(de.Msg, c.msg) || de.Offset != c.off {
			t.Errorf("%s: got %v, want %q at %#x", c.name, err, c.msg, c.off)
		}
	}
}

func patch(b []byte, at int, v byte) []byte {
	b = bytes.Clone(b)
	b[at] = v
	return b
}

// atSectionBoundary reports whether n is the offset of a section start in
// the well-formed module bin.
func atSectionBoundary(bin []byte, n int) bool {
	pos := 8
	for pos < len(bin) {
		if pos == n {
			return true
		}
		r := reader{buf: bin, pos: pos + 1, end: len(bin)}
		size := r.u32()
		pos = r.pos + int(size)
	}
	return pos == n
}

// TestEmitRejectsImmediates checks that Emit refuses opcodes that need
// immediates or that it does not know.
func TestEmitRejectsImmediates(t *testing.T) {
	for _, op := range []Op{opLocalGet, opV128Load, Op(0xd7), prefixFD | 0x7f} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("Emit(%v) did not panic", op)
				}
			}()
			new(Func).Emit(op)
		}()
	}
}
