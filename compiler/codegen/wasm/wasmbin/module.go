// Package wasmbin writes WebAssembly modules in the binary format: a small
// builder for the sections tabtune's kernels need (types, an imported
// memory, functions, globals, exports, code) and an encoder of the
// instructions they use, SIMD128 included. It knows nothing of tensors;
// package wasm (the code generator) drives it. The encoding follows the
// WebAssembly core specification 2.0 (binary format, chapter 5), whose
// SIMD128 it includes, and the relaxed SIMD proposal (WebAssembly 3.0) for
// the few relaxed instructions it has. Disassemble prints module bytes
// back as WAT-like text.
//
// All opcodes are listed once, in opcodes.go: a constant and a row of
// opTable (text name, immediates, natural alignment, stack signature)
// that both the encoder and Disassemble use.
package wasmbin

import "strconv"

// ValType is a value type.
type ValType byte

// The value types, by their binary encoding.
const (
	I32  ValType = 0x7f // i32
	I64  ValType = 0x7e // i64
	F32  ValType = 0x7d // f32
	F64  ValType = 0x7c // f64
	V128 ValType = 0x7b // v128 (SIMD)
)

// String returns the type's text name.
func (t ValType) String() string {
	switch t {
	case I32:
		return "i32"
	case I64:
		return "i64"
	case F32:
		return "f32"
	case F64:
		return "f64"
	case V128:
		return "v128"
	}
	return "ValType(0x" + strconv.FormatUint(uint64(t), 16) + ")"
}

type funcType struct {
	params, results []ValType
}

type global struct {
	t       ValType
	mutable bool
	init    int64
}

type export struct {
	name string
	kind byte // 0 func, 3 global
	idx  uint32
}

// Module is a module being built.
type Module struct {
	types     []funcType
	memModule string
	memName   string
	memMin    uint32
	hasMemory bool
	funcs     []*Func
	globals   []global
	exports   []export
}

// NewModule returns an empty module.
func NewModule() *Module { return &Module{} }

// ImportMemory imports a memory of at least minPages 64 KiB pages.
func (m *Module) ImportMemory(module, name string, minPages uint32) {
	m.memModule, m.memName, m.memMin, m.hasMemory = module, name, minPages, true
}

// AddGlobal adds an i32 global with a constant initial value and returns
// its index.
func (m *Module) AddGlobal(mutable bool, init int32) uint32 {
	m.globals = append(m.globals, global{t: I32, mutable: mutable, init: int64(init)})
	return uint32(len(m.globals) - 1)
}

// ExportGlobal exports global idx under name.
func (m *Module) ExportGlobal(name string, idx uint32) {
	m.exports = append(m.exports, export{name: name, kind: 3, idx: idx})
}

// AddFunc adds a function and returns it for its body to be written.
func (m *Module) AddFunc(params, results []ValType) *Func {
	f := &Func{Index: uint32(len(m.funcs)), typ: m.typeIndex(params, results), nparams: uint32(len(params))}
	m.funcs = append(m.funcs, f)
	return f
}

// ExportFunc exports f under name.
func (m *Module) ExportFunc(name string, f *Func) {
	m.exports = append(m.exports, export{name: name, kind: 0, idx: f.Index})
}

func (m *Module) typeIndex(params, results []ValType) uint32 {
	for i, t := range m.types {
		if equalTypes(t.params, params) && equalTypes(t.results, results) {
			return uint32(i)
		}
	}
	m.types = append(m.types, funcType{append([]ValType(nil), params...), append([]ValType(nil), results...)})
	return uint32(len(m.types) - 1)
}

func equalTypes(a, b []ValType) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// Bytes encodes the module.
func (m *Module) Bytes() []byte {
	out := []byte{0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00}
	section := func(id byte, body []byte) {
		out = append(out, id)
		out = appendU32(out, uint32(len(body)))
		out = append(out, body...)
	}
	if len(m.types) > 0 {
		b := appendU32(nil, uint32(len(m.types)))
		for _, t := range m.types {
			b = append(b, 0x60)
			b = appendU32(b, uint32(len(t.params)))
			for _, p := range t.params {
				b = append(b, byte(p))
			}
			b = appendU32(b, uint32(len(t.results)))
			for _, r := range t.results {
				b = append(b, byte(r))
			}
		}
		section(1, b)
	}
	if m.hasMemory {
		b := appendU32(nil, 1)
		b = appendName(b, m.memModule)
		b = appendName(b, m.memName)
		b = append(b, 0x02, 0x00) // memory, limits without a maximum
		b = appendU32(b, m.memMin)
		section(2, b)
	}
	if len(m.funcs) > 0 {
		b := appendU32(nil, uint32(len(m.funcs)))
		for _, f := range m.funcs {
			b = appendU32(b, f.typ)
		}
		section(3, b)
	}
	if len(m.globals) > 0 {
		b := appendU32(nil, uint32(len(m.globals)))
		for _, g := range m.globals {
			b = append(b, byte(g.t))
			if g.mutable {
				b = append(b, 1)
			} else {
				b = append(b, 0)
			}
			b = append(b, 0x41) // i32.const
			b = appendS64(b, g.init)
			b = append(b, 0x0b)
		}
		section(6, b)
	}
	if len(m.exports) > 0 {
		b := appendU32(nil, uint32(len(m.exports)))
		for _, e := range m.exports {
			b = appendName(b, e.name)
			b = append(b, e.kind)
			b = appendU32(b, e.idx)
		}
		section(7, b)
	}
	if len(m.funcs) > 0 {
		b := appendU32(nil, uint32(len(m.funcs)))
		for _, f := range m.funcs {
			body := f.encodeLocals()
			body = append(body, f.code...)
			body = append(body, 0x0b) // end of the function
			b = appendU32(b, uint32(len(body)))
			b = append(b, body...)
		}
		section(10, b)
	}
	return out
}

func appendName(b []byte, s string) []byte {
	b = appendU32(b, uint32(len(s)))
	return append(b, s...)
}

// appendU32 appends an unsigned LEB128.
func appendU32(b []byte, v uint32) []byte {
	for {
		c := byte(v & 0x7f)
		v >>= 7
		if v != 0 {
			b = append(b, c|0x80)
			continue
		}
		return append(b, c)
	}
}

// appendS64 appends a signed LEB128.
func appendS64(b []byte, v int64) []byte {
	for {
		c := byte(v & 0x7f)
		v >>= 7
		if (v == 0 && c&0x40 == 0) || (v == -1 && c&0x40 != 0) {
			return append(b, c)
		}
		b = append(b, c|0x80)
	}
}
