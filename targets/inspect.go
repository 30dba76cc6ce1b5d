package targets

import (
	"errors"
	"fmt"
)

// ModuleInfo is what Inspect finds in a kernel module.
type ModuleInfo struct {
	// MemoryMin is the minimum size in pages that the module's env.memory
	// import asks for; the memory it is given has at least that many.
	MemoryMin uint32
	// MemoryMax is the import's maximum in pages, if HasMemoryMax.
	MemoryMax uint32
	// HasMemoryMax says whether the import declares a maximum; the
	// memory given must then declare one no larger.
	HasMemoryMax bool
	// KernelParams is the number of i32 parameters of the exported
	// kernel: one per tensor, plus the scratch offset.
	KernelParams int
}

// Inspect reads the sections of a WebAssembly module that the calling
// convention is about (types, imports, functions, memories, globals,
// exports) and checks it:
//
//   - the only import is the memory env.memory (32-bit, not shared), and
//     the module defines no memory of its own;
//   - it exports a function kernel whose parameters are all i32 and that
//     returns nothing;
//   - it exports an i32 global scratch_bytes.
//
// An error says what is wrong; measurers report it as a CompileError.
// Inspect does not validate function bodies: the engine does that.
func Inspect(wasm []byte) (ModuleInfo, error) {
	r := &reader{b: wasm}
	if len(wasm) < 8 || string(wasm[:4]) != "\x00asm" {
		return ModuleInfo{}, errors.New("not a WebAssembly module (bad magic number)")
	}
	if wasm[4] != 1 || wasm[5] != 0 || wasm[6] != 0 || wasm[7] != 0 {
		return ModuleInfo{}, fmt.Errorf("unsupported WebAssembly binary version %d", wasm[4])
	}
	r.pos = 8
	var (
		info       ModuleInfo
		types      [][2][]byte // params, results
		funcTypes  []uint32    // type index of each function, imports first
		globalType []byte      // value type of each global, imports first
		memImport  bool
		ownMemory  bool
		kernelIdx  = -1
		scratchIdx = -1
	)
	for r.pos < len(r.b) && r.err == nil {
		id := r.byte()
		size := r.u32()
		if r.err != nil {
			break
		}
		end := r.pos + int(size)
		if end > len(r.b) || end < r.pos {
			return info, fmt.Errorf("section %d runs past the end of the module", id)
		}
		sec := &reader{b: r.b[:end], pos: r.pos}
		switch id {
		case 1: // types
			for n := sec.u32(); n > 0 && sec.err == nil; n-- {
				if sec.byte() != 0x60 {
					sec.fail("type section: not a function type")
					break
				}
				params := sec.bytes(int(sec.u32()))
				results := sec.bytes(int(sec.u32()))
				types = append(types, [2][]byte{params, results})
			}
		case 2: // imports
			for n := sec.u32(); n > 0 && sec.err == nil; n-- {
				mod, name := sec.name(), sec.name()
				kind := sec.byte()
				what := [...]string{"function", "table", "memory", "global"}
				if sec.err != nil {
					break
				}
				switch kind {
				case 0:
					funcTypes = append(funcTypes, sec.u32())
				case 1:
					sec.byte()
					sec.limits()
				case 2:
					flags := sec.byte()
					if flags > 1 {
						return info, fmt.Errorf("memory import %s.%s: shared or 64-bit memory (limits flags %#x) is not supported", mod, name, flags)
					}
					info.MemoryMin = sec.u32()
					if flags == 1 {
						info.HasMemoryMax, info.MemoryMax = true, sec.u32()
					}
				case 3:
					globalType = append(globalType, sec.byte())
					sec.byte()
				default:
					sec.fail(fmt.Sprintf("import %s.%s: unknown kind %d", mod, name, kind))
				}
				if sec.err != nil {
					break
				}
				if kind != 2 || mod != "env" || name != "memory" {
					return info, fmt.Errorf("module imports %s %s.%s: a kernel may import only the memory env.memory", what[kind], mod, name)
				}
				memImport = true
			}
		case 3: // functions
			for n := sec.u32(); n > 0 && sec.err == nil; n-- {
				funcTypes = append(funcTypes, sec.u32())
			}
		case 5: // memories
			if sec.u32() > 0 {
				ownMemory = true
			}
		case 6: // globals
			for n := sec.u32(); n > 0 && sec.err == nil; n-- {
				globalType = append(globalType, sec.byte())
				sec.byte()
				sec.constExpr()
			}
		case 7: // exports
			for n := sec.u32(); n > 0 && sec.err == nil; n-- {
				name := sec.name()
				kind := sec.byte()
				idx := sec.u32()
				switch {
				case name == "kernel" && kind == 0:
					kernelIdx = int(idx)
				case name == "kernel":
					return info, errors.New("module exports kernel, but not as a function")
				case name == "scratch_bytes" && kind == 3:
					scratchIdx = int(idx)
				case name == "scratch_bytes":
					return info, errors.New("module exports scratch_bytes, but not as a global")
				}
			}
		}
		if sec.err != nil {
			return info, fmt.Errorf("section %d: %v", id, sec.err)
		}
		r.pos = end
	}
	if r.err != nil {
		return info, r.err
	}
	switch {
	case ownMemory:
		return info, errors.New("module defines its own memory; a kernel must import its memory as env.memory")
	case !memImport:
		return info, errors.New("module does not import its memory as env.memory")
	case kernelIdx < 0:
		return info, errors.New("module does not export a function named kernel")
	case scratchIdx < 0:
		return info, errors.New("module does not export the i32 global scratch_bytes")
	case kernelIdx >= len(funcTypes) || int(funcTypes[kernelIdx]) >= len(types):
		return info, errors.New("exported kernel: bad function or type index")
	case scratchIdx >= len(globalType):
		return info, errors.New("exported scratch_bytes: bad global index")
	case globalType[scratchIdx] != 0x7f:
		return info, errors.New("exported global scratch_bytes is not an i32")
	}
	sig := types[funcTypes[kernelIdx]]
	for _, p := range sig[0] {
		if p != 0x7f {
			return info, errors.New("kernel has a parameter that is not an i32")
		}
	}
	if len(sig[1]) != 0 {
		return info, errors.New("kernel returns a value; it must return nothing")
	}
	info.KernelParams = len(sig[0])
	return info, nil
}

// CheckArity reports whether the kernel takes one i32 per tensor of w
// plus the scratch offset.
func (m ModuleInfo) CheckArity(w *Workload) error {
	want := len(w.Inputs) + len(w.Outputs) + 1
	if m.KernelParams != want {
		return fmt.Errorf("kernel takes %d parameters; workload %q needs %d: one per tensor (%d in, %d out) and the scratch offset",
			m.KernelParams, w.Key, want, len(w.Inputs), len(w.Outputs))
	}
	return nil
}

// reader decodes the binary format; the first error sticks.
type reader struct {
	b   []byte
	pos int
	err error
}

func (r *reader) fail(msg string) {
	if r.err == nil {
		r.err = errors.New(msg)
	}
}

func (r *reader) byte() byte {
	if r.err != nil {
		return 0
	}
	if r.pos >= len(r.b) {
		r.fail("unexpected end of module")
		return 0
	}
	c := r.b[r.pos]
	r.pos++
	return c
}

func (r *reader) bytes(n int) []byte {
	if r.err != nil {
		return nil
	}
	if n < 0 || r.pos+n > len(r.b) {
		r.fail("unexpected end of module")
		return nil
	}
	b := r.b[r.pos : r.pos+n]
	r.pos += n
	return b
}

// u32 reads an unsigned LEB128 of at most 5 bytes.
func (r *reader) u32() uint32 {
	var v uint64
	for shift := 0; shift < 35; shift += 7 {
		c := r.byte()
		v |= uint64(c&0x7f) << shift
		if c&0x80 == 0 {
			if v > 1<<32-1 {
				r.fail("integer too large")
			}
			return uint32(v)
		}
	}
	r.fail("integer too long")
	return 0
}

// sleb skips a signed LEB128 of at most n bytes.
func (r *reader) sleb(n int) {
	for i := 0; i < n; i++ {
		if r.byte()&0x80 == 0 {
			return
		}
	}
	r.fail("integer too long")
}

func (r *reader) name() string { return string(r.bytes(int(r.u32()))) }

func (r *reader) limits() {
	hasMax := r.byte()&1 != 0
	r.u32()
	if hasMax {
		r.u32()
	}
}

// constExpr skips a constant expression up to its end.
func (r *reader) constExpr() {
	for r.err == nil {
		switch op := r.byte(); op {
		case 0x0b:
			return
		case 0x41:
			r.sleb(5)
		case 0x42:
			r.sleb(10)
		case 0x43:
			r.bytes(4)
		case 0x44:
			r.bytes(8)
		case 0x23, 0xd2:
			r.u32()
		case 0xd0:
			r.byte()
		case 0x6a, 0x6b, 0x6c, 0x7c, 0x7d, 0x7e:
		case 0xfd:
			if r.u32() != 12 {
				r.fail("unsupported instruction in a constant expression")
			}
			r.bytes(16)
		default:
			r.fail(fmt.Sprintf("unsupported instruction %#x in a constant expression", op))
		}
	}
}
