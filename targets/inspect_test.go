package targets

import (
	"strings"
	"testing"

	"github.com/tabtune/tabtune/compiler/codegen/wasm/wasmbin"
)

// section encodes a section (bodies here are shorter than 128 bytes).
func section(id byte, body ...byte) []byte { return append([]byte{id, byte(len(body))}, body...) }

func name(s string) []byte { return append([]byte{byte(len(s))}, s...) }

func cat(parts ...[]byte) []byte {
	var b []byte
	for _, p := range parts {
		b = append(b, p...)
	}
	return b
}

// parts of a kernel module with 2 i32 params, to vary one at a time.
type modParts struct {
	typ, imp, fn, mem, glob, exp []byte
}

func goodParts() modParts {
	return modParts{
		typ:  section(1, 1, 0x60, 2, 0x7f, 0x7f, 0),
		imp:  section(2, cat([]byte{1}, name("env"), name("memory"), []byte{2, 0x01, 2, 10})...),
		fn:   section(3, 1, 0),
		glob: section(6, 1, 0x7f, 0, 0x41, 0x80, 0x01, 0x0b),
		exp:  section(7, cat([]byte{2}, name("kernel"), []byte{0, 0}, name("scratch_bytes"), []byte{3, 0})...),
	}
}

func (p modParts) bytes() []byte {
	return cat([]byte("\x00asm\x01\x00\x00\x00"), p.typ, p.imp, p.fn, p.mem, p.glob, p.exp, section(10, 1, 2, 0, 0x0b))
}

func TestInspectGood(t *testing.T) {
	info, err := Inspect(goodParts().bytes())
	if err != nil {
		t.Fatal(err)
	}
	if info != (ModuleInfo{MemoryMin: 2, MemoryMax: 10, HasMemoryMax: true, KernelParams: 2}) {
		t.Errorf("%+v", info)
	}

	// A module from wasmbin, as the code generator writes them.
	m := wasmbin.NewModule()
	m.ImportMemory("env", "memory", 3)
	g := m.AddGlobal(false, 1<<20)
	m.AddGlobal(true, -5)
	m.ExportGlobal("scratch_bytes", g)
	f := m.AddFunc([]wasmbin.ValType{wasmbin.I32, wasmbin.I32, wasmbin.I32, wasmbin.I32}, nil)
	m.AddFunc([]wasmbin.ValType{wasmbin.F32}, []wasmbin.ValType{wasmbin.F32}).Emit(wasmbin.Unreachable)
	m.ExportFunc("kernel", f)
	info, err = Inspect(m.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	if info != (ModuleInfo{MemoryMin: 3, KernelParams: 4}) {
		t.Errorf("%+v", info)
	}
	w := testWorkload() // 3 tensors and the scratch offset
	if err := info.CheckArity(w); err != nil {
		t.Errorf("CheckArity: %v", err)
	}
	if err := (ModuleInfo{KernelParams: 3}).CheckArity(w); err == nil || !strings.Contains(err.Error(), "kernel takes 3 parameters; workload \"w\" needs 4") {
		t.Errorf("CheckArity: %v", err)
	}
}

func TestInspectErrors(t *testing.T) {
	for _, c := range []struct {
		name string
		edit func(p *modParts)
		msg  string
	}{
		{"func import", func(p *modParts) {
			p.imp = section(2, cat([]byte{2}, name("env"), name("memory"), []byte{2, 0, 1}, name("env"), name("expf"), []byte{0, 0})...)
		}, "imports function env.expf: a kernel may import only the memory env.memory"},
		{"other memory name", func(p *modParts) {
			p.imp = section(2, cat([]byte{1}, name("js"), name("mem"), []byte{2, 0, 1})...)
		}, "imports memory js.mem"},
		{"shared memory", func(p *modParts) {
			p.imp = section(2, cat([]byte{1}, name("env"), name("memory"), []byte{2, 3, 1, 2})...)
		}, "shared or 64-bit"},
		{"no memory", func(p *modParts) { p.imp = nil }, "does not import its memory"},
		{"own memory", func(p *modParts) { p.imp, p.mem = nil, section(5, 1, 0, 1) }, "defines its own memory"},
		{"no kernel", func(p *modParts) {
			p.exp = section(7, cat([]byte{1}, name("scratch_bytes"), []byte{3, 0})...)
		}, "does not export a function named kernel"},
		{"no scratch", func(p *modParts) { p.exp = section(7, cat([]byte{1}, name("kernel"), []byte{0, 0})...) }, "scratch_bytes"},
		{"scratch f32", func(p *modParts) {
			p.glob = section(6, 1, 0x7d, 0, 0x43, 0, 0, 0, 0, 0x0b)
		}, "is not an i32"},
		{"kernel global", func(p *modParts) {
			p.exp = section(7, cat([]byte{2}, name("kernel"), []byte{3, 0}, name("scratch_bytes"), []byte{3, 0})...)
		}, "not as a function"},
		{"f32 param", func(p *modParts) { p.typ = section(1, 1, 0x60, 2, 0x7f, 0x7d, 0) }, "not an i32"},
		{"result", func(p *modParts) { p.typ = section(1, 1, 0x60, 2, 0x7f, 0x7f, 1, 0x7f) }, "returns a value"},
	} {
		p := goodParts()
		c.edit(&p)
		_, err := Inspect(p.bytes())
		if err == nil || !strings.Contains(err.Error(), c.msg) {
			t.Errorf("%s: %v, want %q", c.name, err, c.msg)
		}
	}
	good := goodParts().bytes()
	if _, err := Inspect(good[:len(good)-2]); err == nil || !strings.Contains(err.Error(), "section 10 runs past the end") {
		t.Errorf("truncated: %v", err)
	}
	for _, b := range [][]byte{nil, []byte("\x00asm"), []byte("\x00asn\x01\x00\x00\x00"), []byte("\x00asm\x02\x00\x00\x00")} {
		if _, err := Inspect(b); err == nil {
			t.Errorf("%q: no error", b)
		}
	}
}

// FuzzInspect: Inspect never panics, whatever the bytes.
func FuzzInspect(f *testing.F) {
	f.Add(goodParts().bytes())
	f.Add([]byte("\x00asm\x01\x00\x00\x00\x02\x05"))
	f.Fuzz(func(t *testing.T, b []byte) {
		Inspect(b)
	})
}
