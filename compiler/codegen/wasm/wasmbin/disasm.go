package wasmbin

import (
	"encoding/binary"
	"fmt"
	"math"
	"strconv"
	"strings"
	"unicode/utf8"
)

// DecodeError is the error Disassemble returns for bytes it cannot read:
// malformed or truncated input, or constructs outside what it supports.
type DecodeError struct {
	Offset int    // byte offset in the module where decoding failed
	Msg    string // what is wrong there
}

// Error returns "wasmbin: offset 0x...: msg".
func (e *DecodeError) Error() string {
	return fmt.Sprintf("wasmbin: offset %#x: %s", e.Offset, e.Msg)
}

// Limits that keep the output proportional to reasonable inputs.
const (
	maxParams      = 1000    // per function type, as in V8
	maxLocals      = 50000   // per function, as in V8
	maxTotalLocals = 1 << 20 // over the module
	maxOutput      = 64 << 20
)

// Disassemble decodes a module in the binary format and prints it as
// WAT-like text, one instruction a line, indented by block nesting:
//
//	(module
//	  (type $t0 (func (param i32 i32) (result)))
//	  (import "env" "memory" (memory 1))
//	  (global $g0 i32 (i32.const 0))
//	  (export "kernel" (func 0))
//	  (func $f0 (type 0) (param i32 i32)
//	    (local i32 v128)
//	    block
//	      loop
//	        local.get 0
//	        v128.load offset=16 align=4
//	        br_if 0
//	      end
//	    end
//	  )
//	)
//
// Type lines always show (param ...) and (result ...); function headers
// only the non-empty ones. Immediates are printed as in WAT: a memarg as
// offset=N and align=M in bytes, each left out when it is the default (0,
// and the natural alignment); f32.const and f64.const with strconv's 'g'
// format (shortest representation), and inf, -inf, nan or nan:0x... for
// non-finite values; v128.const as four i32x4 lanes in hex, lane 0 first;
// branch depths, indices and lane numbers in decimal. Custom sections are
// shown as comments.
//
// It reads the sections and instructions this package writes (type,
// import of functions, memories and globals, function, memory, global,
// export, code, custom) and returns a *DecodeError naming the byte offset
// for anything else, or for malformed or truncated input. It does not
// validate types or indices beyond what printing needs.
func Disassemble(bin []byte) (string, error) {
	d := &decoder{r: reader{buf: bin, end: len(bin)}}
	d.module()
	if d.r.err != nil {
		return "", d.r.err
	}
	return d.out.String(), nil
}

// reader reads from buf up to end, recording the first error; after one,
// every read returns zero values.
type reader struct {
	buf []byte
	pos int
	end int
	err *DecodeError
}

func (r *reader) failAt(off int, format string, args ...any) {
	if r.err == nil {
		r.err = &DecodeError{Offset: off, Msg: fmt.Sprintf(format, args...)}
	}
}

func (r *reader) ok() bool { return r.err == nil }

func (r *reader) more() bool { return r.err == nil && r.pos < r.end }

func (r *reader) byte() byte {
	if r.err != nil {
		return 0
	}
	if r.pos >= r.end {
		r.failAt(r.pos, "unexpected end")
		return 0
	}
	b := r.buf[r.pos]
	r.pos++
	return b
}

func (r *reader) bytes(n uint32) []byte {
	if r.err != nil {
		return nil
	}
	if uint64(n) > uint64(r.end-r.pos) {
		r.failAt(r.pos, "unexpected end: %d bytes wanted, %d left", n, r.end-r.pos)
		return nil
	}
	b := r.buf[r.pos : r.pos+int(n)]
	r.pos += int(n)
	return b
}

// u32 reads an unsigned LEB128 of at most 32 bits.
func (r *reader) u32() uint32 {
	start := r.pos
	var v uint32
	for i := 0; i < 5; i++ {
		b := r.byte()
		if r.err != nil {
			return 0
		}
		if i == 4 && b&0xf0 != 0 {
			r.failAt(start, "integer too large for u32")
			return 0
		}
		v |= uint32(b&0x7f) << (7 * i)
		if b&0x80 == 0 {
			return v
		}
	}
	return v // not reached: the fifth byte has no continuation bit
}

// count reads a vector length, each element taking at least one byte.
func (r *reader) count() uint32 {
	start := r.pos
	n := r.u32()
	if r.err == nil && uint64(n) > uint64(r.end-r.pos) {
		r.failAt(start, "count %d exceeds the %d bytes left", n, r.end-r.pos)
		return 0
	}
	return n
}

// sleb reads a signed LEB128 of at most bits bits.
func (r *reader) sleb(bits uint) int64 {
	start := r.pos
	var v int64
	var shift uint
	for {
		b := r.byte()
		if r.err != nil {
			return 0
		}
		if shift+7 >= bits { // the last byte allowed
			n := bits - shift // value bits in this byte, 1..7
			hi := (b & 0x7f) >> (n - 1)
			if b&0x80 != 0 || (hi != 0 && hi != 0x7f>>(n-1)) {
				r.failAt(start, "integer too large for s%d", bits)
				return 0
			}
		}
		v |= int64(b&0x7f) << shift
		shift += 7
		if b&0x80 == 0 {
			if shift < 64 && b&0x40 != 0 {
				v |= -1 << shift
			}
			return v
		}
	}
}

func (r *reader) name() string {
	start := r.pos
	n := r.u32()
	b := r.bytes(n)
	if r.err == nil && !utf8.Valid(b) {
		r.failAt(start, "name is not UTF-8")
	}
	return string(b)
}

func (r *reader) valType() ValType {
	start := r.pos
	t := ValType(r.byte())
	switch t {
	case I32, I64, F32, F64, V128:
		return t
	}
	r.failAt(start, "unknown value type 0x%02x", byte(t))
	return 0
}

type decoder struct {
	r   reader
	out strings.Builder

	types       []funcType
	funcTypes   []uint32 // type index of each function, imports first
	nFuncImport int
	nGlobals    int
	nCode       int
	totalLocals int
}

func (d *decoder) line(indent int, s string) {
	if d.out.Len() > maxOutput {
		d.r.failAt(d.r.pos, "output too large")
		return
	}
	for range indent {
		d.out.WriteString("  ")
	}
	d.out.WriteString(s)
	d.out.WriteByte('\n')
}

// Section ids in the order they must appear (custom sections, id 0, may
// appear anywhere).
var sectionOrder = map[byte]int{1: 1, 2: 2, 3: 3, 4: 4, 5: 5, 6: 6, 7: 7, 8: 8, 9: 9, 12: 10, 10: 11, 11: 12}

func (d *decoder) module() {
	r := &d.r
	if len(r.buf) < 8 || string(r.buf[:4]) != "\x00asm" {
		r.failAt(0, "not a WebAssembly module (bad magic)")
		return
	}
	if v := binary.LittleEndian.Uint32(r.buf[4:8]); v != 1 {
		r.failAt(4, "unsupported binary version %d", v)
		return
	}
	r.pos = 8
	d.line(0, "(module")
	last := 0
	nFuncs := -1 // functions declared by the function section; -1 before it
	for r.more() {
		start := r.pos
		id := r.byte()
		size := r.u32()
		if !r.ok() {
			return
		}
		if uint64(size) > uint64(r.end-r.pos) {
			r.failAt(start, "section %d size %d exceeds the %d bytes left", id, size, r.end-r.pos)
			return
		}
		if id != 0 {
			order, known := sectionOrder[id]
			if !known {
				r.failAt(start, "unknown section id %d", id)
				return
			}
			if order <= last {
				r.failAt(start, "section %d out of order or repeated", id)
				return
			}
			last = order
		}
		outer := r.end
		r.end = r.pos + int(size)
		switch id {
		case 0:
			name := r.name()
			if r.ok() {
				d.line(1, fmt.Sprintf(";; custom section %s, %d bytes", quote(name), r.end-r.pos))
			}
			r.pos = r.end
		case 1:
			d.typeSection()
		case 2:
			d.importSection()
		case 3:
			n := r.count()
			for i := uint32(0); i < n && r.ok(); i++ {
				d.funcTypes = append(d.funcTypes, d.typeIdx())
			}
			nFuncs = int(n)
		case 5:
			n := r.count()
			for i := uint32(0); i < n && r.ok(); i++ {
				d.line(1, "(memory "+d.limits()+")")
			}
		case 6:
			d.globalSection()
		case 7:
			d.exportSection()
		case 10:
			n := r.count()
			if r.ok() && int(n) != max(nFuncs, 0) {
				r.failAt(start, "code section has %d bodies for %d functions", n, max(nFuncs, 0))
			}
			for i := uint32(0); i < n && r.ok(); i++ {
				d.body()
			}
		default:
			r.failAt(start, "unsupported section id %d", id)
		}
		if r.ok() && r.pos != r.end {
			r.failAt(r.pos, "section %d: %d bytes left over", id, r.end-r.pos)
		}
		r.end = outer
	}
	if r.ok() && nFuncs > 0 && d.nCode == 0 {
		r.failAt(r.pos, "%d functions declared without a code section", nFuncs)
	}
	d.line(0, ")")
}

func (d *decoder) typeIdx() uint32 {
	start := d.r.pos
	t := d.r.u32()
	if d.r.ok() && int64(t) >= int64(len(d.types)) {
		d.r.failAt(start, "type index %d out of range", t)
	}
	return t
}

func (d *decoder) valTypes(max int) []ValType {
	start := d.r.pos
	n := d.r.count()
	if int64(n) > int64(max) {
		d.r.failAt(start, "%d value types, more than %d", n, max)
		return nil
	}
	var ts []ValType
	for i := uint32(0); i < n && d.r.ok(); i++ {
		ts = append(ts, d.r.valType())
	}
	return ts
}

func typeList(ts []ValType) string {
	var b strings.Builder
	for i, t := range ts {
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(t.String())
	}
	return b.String()
}

func (d *decoder) typeSection() {
	r := &d.r
	n := r.count()
	for i := uint32(0); i < n && r.ok(); i++ {
		start := r.pos
		if form := r.byte(); r.ok() && form != 0x60 {
			r.failAt(start, "unsupported type form 0x%02x", form)
			return
		}
		params := d.valTypes(maxParams)
		results := d.valTypes(maxParams)
		if !r.ok() {
			return
		}
		d.types = append(d.types, funcType{params, results})
		d.line(1, fmt.Sprintf("(type $t%d (func (param%s) (result%s)))", i, spaced(typeList(params)), spaced(typeList(results))))
	}
}

func spaced(s string) string {
	if s == "" {
		return ""
	}
	return " " + s
}

func (d *decoder) limits() string {
	r := &d.r
	start := r.pos
	switch flags := r.byte(); flags {
	case 0:
		return strconv.FormatUint(uint64(r.u32()), 10)
	case 1:
		lo := r.u32()
		hi := r.u32()
		return fmt.Sprintf("%d %d", lo, hi)
	default:
		r.failAt(start, "unsupported limits flags 0x%02x", flags)
		return ""
	}
}

func (d *decoder) globalType() string {
	t := d.r.valType()
	start := d.r.pos
	switch mut := d.r.byte(); mut {
	case 0:
		return t.String()
	case 1:
		return "(mut " + t.String() + ")"
	default:
		d.r.failAt(start, "bad global mutability 0x%02x", mut)
		return ""
	}
}

func (d *decoder) importSection() {
	r := &d.r
	n := r.count()
	for i := uint32(0); i < n && r.ok(); i++ {
		mod := r.name()
		name := r.name()
		start := r.pos
		var desc string
		switch kind := r.byte(); kind {
		case 0:
			t := d.typeIdx()
			desc = fmt.Sprintf("(func $f%d (type %d))", len(d.funcTypes), t)
			d.funcTypes = append(d.funcTypes, t)
			d.nFuncImport++
		case 2:
			desc = "(memory " + d.limits() + ")"
		case 3:
			desc = fmt.Sprintf("(global $g%d %s)", d.nGlobals, d.globalType())
			d.nGlobals++
		default:
			r.failAt(start, "unsupported import kind 0x%02x", kind)
		}
		if r.ok() {
			d.line(1, fmt.Sprintf("(import %s %s %s)", quote(mod), quote(name), desc))
		}
	}
}

func (d *decoder) globalSection() {
	r := &d.r
	n := r.count()
	for i := uint32(0); i < n && r.ok(); i++ {
		t := d.globalType()
		start := r.pos
		info := d.opcode()
		if !r.ok() {
			return
		}
		switch info.op {
		case opI32Const, opI64Const, opF32Const, opF64Const, opV128Const, opGlobalGet:
		default:
			r.failAt(start, "unsupported constant expression %s", info.name)
			return
		}
		init := d.instr(info)
		if end := d.opcode(); r.ok() && end.op != End {
			r.failAt(r.pos, "constant expression not ended by end")
			return
		}
		if r.ok() {
			d.line(1, fmt.Sprintf("(global $g%d %s (%s))", d.nGlobals, t, init))
		}
		d.nGlobals++
	}
}

var exportKinds = [...]string{"func", "table", "memory", "global"}

func (d *decoder) exportSection() {
	r := &d.r
	n := r.count()
	for i := uint32(0); i < n && r.ok(); i++ {
		name := r.name()
		start := r.pos
		kind := r.byte()
		idx := r.u32()
		if !r.ok() {
			return
		}
		if int(kind) >= len(exportKinds) {
			r.failAt(start, "unknown export kind 0x%02x", kind)
			return
		}
		d.line(1, fmt.Sprintf("(export %s (%s %d))", quote(name), exportKinds[kind], idx))
	}
}

// body prints one function from the code section.
func (d *decoder) body() {
	r := &d.r
	start := r.pos
	size := r.u32()
	if !r.ok() {
		return
	}
	if uint64(size) > uint64(r.end-r.pos) {
		r.failAt(start, "function body size %d exceeds the %d bytes left", size, r.end-r.pos)
		return
	}
	outer := r.end
	r.end = r.pos + int(size)
	defer func() { r.end = outer }()

	idx := d.nFuncImport + d.nCode
	d.nCode++
	typ := d.funcTypes[idx] // the code section checked the count
	header := fmt.Sprintf("(func $f%d (type %d)", idx, typ)
	if t := d.types[typ]; len(t.params) > 0 || len(t.results) > 0 {
		if len(t.params) > 0 {
			header += " (param " + typeList(t.params) + ")"
		}
		if len(t.results) > 0 {
			header += " (result " + typeList(t.results) + ")"
		}
	}
	d.line(1, header)

	var locals []ValType
	groups := r.count()
	for i := uint32(0); i < groups && r.ok(); i++ {
		at := r.pos
		n := r.u32()
		t := r.valType()
		if !r.ok() {
			return
		}
		if uint64(len(locals))+uint64(n) > maxLocals || d.totalLocals+len(locals)+int(n) > maxTotalLocals {
			r.failAt(at, "too many locals")
			return
		}
		for range n {
			locals = append(locals, t)
		}
	}
	d.totalLocals += len(locals)
	if len(locals) > 0 {
		d.line(2, "(local "+typeList(locals)+")")
	}

	// kinds holds the open blocks: the opening opcode, and whether an if
	// has had its else.
	type open struct {
		op      Op
		hadElse bool
	}
	var kinds []open
	for r.more() {
		at := r.pos
		info := d.opcode()
		if !r.ok() {
			return
		}
		depth := len(kinds)
		switch info.op {
		case End:
			if depth == 0 {
				if r.pos != r.end {
					r.failAt(r.pos, "%d bytes after the function's end", r.end-r.pos)
				} else {
					d.line(1, ")")
				}
				return
			}
			kinds = kinds[:depth-1]
			d.line(depth+1, "end")
			continue
		case Else:
			if depth == 0 || kinds[depth-1].op != opIf || kinds[depth-1].hadElse {
				r.failAt(at, "else without if")
				return
			}
			kinds[depth-1].hadElse = true
			d.line(depth+1, "else")
			continue
		}
		text := d.instr(info)
		if !r.ok() {
			return
		}
		d.line(depth+2, text)
		if info.imm == immBlock {
			kinds = append(kinds, open{op: info.op})
		}
	}
	if r.ok() {
		r.failAt(r.pos, "function body ends without end")
	}
}

// opcode reads an opcode and returns its row in opTable.
func (d *decoder) opcode() *opInfo {
	r := &d.r
	at := r.pos
	b := r.byte()
	if !r.ok() {
		return nil
	}
	op := Op(b)
	if b == 0xfc || b == 0xfd {
		sub := r.u32()
		if !r.ok() {
			return nil
		}
		if sub > 0xffff {
			r.failAt(at, "unknown opcode 0x%02x %#x", b, sub)
			return nil
		}
		op = Op(b)<<16 | Op(sub)
	}
	info := opIndex[op]
	if info == nil {
		if op>>16 != 0 {
			r.failAt(at, "unknown opcode 0x%02x %#x", byte(op>>16), uint32(op&0xffff))
		} else {
			r.failAt(at, "unknown opcode 0x%02x", b)
		}
	}
	return info
}

// instr reads the immediates of info and returns the instruction's text.
func (d *decoder) instr(info *opInfo) string {
	r := &d.r
	s := info.name
	switch info.imm {
	case immNone:
	case immBlock:
		at := r.pos
		if r.more() && r.buf[r.pos] == byte(Void) {
			r.pos++
			break
		}
		if r.more() && r.buf[r.pos]&0xc0 == 0x40 { // one-byte negative s33: a value type
			return s + " (result " + r.valType().String() + ")"
		}
		t := r.sleb(33)
		if r.ok() && (t < 0 || t >= int64(len(d.types))) {
			r.failAt(at, "bad block type %d", t)
		}
		s += fmt.Sprintf(" (type %d)", t)
	case immLabel, immFunc, immLocal, immGlobal:
		s += " " + strconv.FormatUint(uint64(r.u32()), 10)
	case immBrTable:
		n := r.count()
		var b strings.Builder
		b.WriteString(s)
		for i := uint32(0); i <= n && r.ok(); i++ { // n targets, then the default
			b.WriteByte(' ')
			b.WriteString(strconv.FormatUint(uint64(r.u32()), 10))
		}
		s = b.String()
	case immSelectT:
		s += " (result " + typeList(d.valTypes(maxParams)) + ")"
	case immI32:
		s += " " + strconv.FormatInt(r.sleb(32), 10)
	case immI64:
		s += " " + strconv.FormatInt(r.sleb(64), 10)
	case immF32:
		if b := r.bytes(4); b != nil {
			s += " " + formatF32(binary.LittleEndian.Uint32(b))
		}
	case immF64:
		if b := r.bytes(8); b != nil {
			s += " " + formatF64(binary.LittleEndian.Uint64(b))
		}
	case immMem, immMemLane:
		at := r.pos
		align := r.u32()
		offset := r.u32()
		if !r.ok() {
			break
		}
		if align >= 32 {
			r.failAt(at, "alignment exponent %d too large", align)
			break
		}
		if offset != 0 {
			s += " offset=" + strconv.FormatUint(uint64(offset), 10)
		}
		if align != uint32(info.align) {
			s += " align=" + strconv.FormatUint(1<<align, 10)
		}
		if info.imm == immMemLane {
			s += " " + strconv.Itoa(int(r.byte()))
		}
	case immLane:
		s += " " + strconv.Itoa(int(r.byte()))
	case immV128:
		if b := r.bytes(16); b != nil {
			s += " i32x4"
			for i := 0; i < 16; i += 4 {
				s += fmt.Sprintf(" 0x%08x", binary.LittleEndian.Uint32(b[i:]))
			}
		}
	case immShuffle:
		if b := r.bytes(16); b != nil {
			for _, l := range b {
				s += " " + strconv.Itoa(int(l))
			}
		}
	case immMemIdx:
		if m := r.u32(); m != 0 {
			s += " " + strconv.FormatUint(uint64(m), 10)
		}
	case immMemIdx2:
		dst, src := r.u32(), r.u32()
		if dst != 0 || src != 0 {
			s += fmt.Sprintf(" %d %d", dst, src)
		}
	default:
		panic("wasmbin: no decoder for immediates of " + info.name)
	}
	return s
}

// formatF32 prints an f32 as WAT would read it back: the shortest decimal
// for finite values; inf, nan, nan:0x... (non-canonical payload) otherwise.
func formatF32(bits uint32) string {
	v := math.Float32frombits(bits)
	if !math.IsNaN(float64(v)) && !math.IsInf(float64(v), 0) {
		return strconv.FormatFloat(float64(v), 'g', -1, 32)
	}
	return formatNonFinite(bits>>31 != 0, uint64(bits&(1<<23-1)), 1<<22)
}

// formatF64 is formatF32 for f64.
func formatF64(bits uint64) string {
	v := math.Float64frombits(bits)
	if !math.IsNaN(v) && !math.IsInf(v, 0) {
		return strconv.FormatFloat(v, 'g', -1, 64)
	}
	return formatNonFinite(bits>>63 != 0, bits&(1<<52-1), 1<<51)
}

func formatNonFinite(neg bool, payload, canonical uint64) string {
	s := ""
	if neg {
		s = "-"
	}
	switch payload {
	case 0:
		return s + "inf"
	case canonical:
		return s + "nan"
	}
	return s + "nan:0x" + strconv.FormatUint(payload, 16)
}

// quote writes s as a WAT string: printable ASCII as is except " and \,
// every other byte as \hh.
func quote(s string) string {
	const hex = "0123456789abcdef"
	var b strings.Builder
	b.WriteByte('"')
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 0x20 && c < 0x7f && c != '"' && c != '\\' {
			b.WriteByte(c)
			continue
		}
		b.WriteByte('\\')
		b.WriteByte(hex[c>>4])
		b.WriteByte(hex[c&15])
	}
	b.WriteByte('"')
	return b.String()
}
