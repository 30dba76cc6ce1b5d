package wmath

import (
	"math"

	"github.com/tabtune/tabtune/compiler/codegen/polymath"
	"github.com/tabtune/tabtune/compiler/codegen/wasm/wasmbin"
	"github.com/tabtune/tabtune/compiler/expr"
)

// Lib emits the math functions into one module, each at most once per
// form (scalar, f32x4).
type Lib struct {
	m     *wasmbin.Module
	funcs map[libKey]uint32
}

type libKey struct {
	fn     expr.Intrinsic
	vector bool
}

// NewLib returns a Lib that adds its functions to m.
func NewLib(m *wasmbin.Module) *Lib {
	return &Lib{m: m, funcs: map[libKey]uint32{}}
}

// Supported reports whether fn is implemented here (as a function) rather
// than by a single wasm instruction: true for exp (and exp_nonpos), log, tanh, sigmoid and
// pow; false for sqrt and abs (f32.sqrt, f32.abs, f32x4.sqrt, f32x4.abs).
func Supported(fn expr.Intrinsic) bool {
	switch fn {
	case expr.Exp, expr.ExpNonPos, expr.Log, expr.Tanh, expr.Sigmoid, expr.Pow:
		return true
	}
	return false
}

// Func returns the index of the function computing fn, emitting it into
// the module on first use. The scalar form has type (f32) -> f32, the
// vector form (v128) -> v128 on f32x4 lanes; pow takes two arguments, x
// then y: (f32 f32) -> f32, (v128 v128) -> v128. Both forms, and the Go
// function of the same name, give bit-identical results (NaN payloads
// aside). ok is false when fn is not Supported.
func (l *Lib) Func(fn expr.Intrinsic, vector bool) (idx uint32, ok bool) {
	if !Supported(fn) {
		return 0, false
	}
	k := libKey{fn, vector}
	if idx, ok := l.funcs[k]; ok {
		return idx, true
	}
	t := wasmbin.F32
	if vector {
		t = wasmbin.V128
	}
	params := []wasmbin.ValType{t}
	if fn == expr.Pow {
		params = append(params, t)
	}
	f := l.m.AddFunc(params, []wasmbin.ValType{t})
	b := alg{&builder{f: f, vec: vector}}
	args := []val{b.param(0)}
	if fn == expr.Pow {
		args = append(args, b.param(1))
	}
	body(b, fn, args).emit()
	l.funcs[k] = f.Index
	return f.Index, true
}

// Inline emits fn into f where a call to its function would be: it takes
// the arguments from the stack into new locals of f and leaves the result
// there, with the same instructions as the function's body (so the same
// bits). Inside a loop, the engine then keeps the constants of the
// polynomial in registers across iterations instead of making them again
// in every call. ok is false when fn is not Supported.
//
// With relaxed, the f32x4 form computes each product added to or
// subtracted from a value with one f32x4.relaxed_madd or relaxed_nmadd
// (relaxed SIMD), fused or not as the engine decides: the bits then
// differ from the Go functions' (by rounding only; TestRelaxedExp bounds
// exp's error in node). The scalar form is the same either way.
func Inline(f *wasmbin.Func, fn expr.Intrinsic, vector, relaxed bool) (ok bool) {
	if !Supported(fn) {
		return false
	}
	b := alg{&builder{f: f, vec: vector, relaxed: relaxed && vector}}
	n := 1
	if fn == expr.Pow {
		n = 2
	}
	args := make([]val, n)
	for i := n - 1; i >= 0; i-- {
		l := f.AddLocal(b.valType(tF32))
		f.LocalSet(l)
		args[i] = val{t: tF32, emit: func() { f.LocalGet(l) }}
	}
	body(b, fn, args).emit()
	return true
}

// body is the algorithm of fn on args.
func body(b alg, fn expr.Intrinsic, args []val) val {
	x := args[0]
	switch fn {
	case expr.Exp:
		return polymath.Exp(b, x)
	case expr.ExpNonPos:
		return polymath.ExpNonPos(b, x)
	case expr.Log:
		return polymath.Log(b, x)
	case expr.Tanh:
		return polymath.Tanh(b, x)
	case expr.Sigmoid:
		return polymath.Sigmoid(b, x)
	}
	return polymath.Pow(b, x, args[1])
}

// builder writes straight-line code for one form. A val is an expression
// tree emitted on demand; let evaluates one into a local so that it can
// be used more than once.
type builder struct {
	f   *wasmbin.Func
	vec bool
	// relaxed: fuse an f32x4 product into the add or sub that takes it
	// (Inline).
	relaxed bool
}

type vtype uint8

const (
	tF32  vtype = iota
	tI32        // i32, or i32x4 lanes
	tF64        // f64, or one f64x2 half of an f32x4 (pow only)
	tMask       // a comparison: i32 0/1, or lanes of all ones/zeros
)

type val struct {
	t    vtype
	emit func()
	// prod holds the operands of an f32 product not yet evaluated, which
	// a relaxed add or sub takes instead.
	prod *[2]val
}

func (b *builder) valType(t vtype) wasmbin.ValType {
	switch {
	case b.vec:
		return wasmbin.V128
	case t == tF32:
		return wasmbin.F32
	case t == tF64:
		return wasmbin.F64
	}
	return wasmbin.I32
}

// op emits the scalar or the vector instruction.
func (b *builder) op(scalar, vector wasmbin.Op) {
	if b.vec {
		b.f.Emit(vector)
	} else {
		b.f.Emit(scalar)
	}
}

func (b *builder) param(i uint32) val {
	return val{t: tF32, emit: func() { b.f.LocalGet(i) }}
}

func (b *builder) let(x val) val {
	l := b.f.AddLocal(b.valType(x.t))
	x.emit()
	b.f.LocalSet(l)
	return val{t: x.t, emit: func() { b.f.LocalGet(l) }}
}

// fc is an f32 constant.
func (b *builder) fc(c float32) val {
	return val{t: tF32, emit: func() {
		if b.vec {
			b.f.V128ConstF32([4]float32{c, c, c, c})
		} else {
			b.f.F32Const(c)
		}
	}}
}

// ic is an i32 constant.
func (b *builder) ic(c int32) val {
	return val{t: tI32, emit: func() {
		if b.vec {
			b.f.V128ConstI32([4]int32{c, c, c, c})
		} else {
			b.f.I32Const(c)
		}
	}}
}

// dc is an f64 constant.
func (b *builder) dc(c float64) val {
	return val{t: tF64, emit: func() {
		if b.vec {
			u := math.Float64bits(c)
			lo, hi := int32(uint32(u)), int32(uint32(u>>32))
			b.f.V128ConstI32([4]int32{lo, hi, lo, hi})
		} else {
			b.f.F64Const(c)
		}
	}}
}

func mustType(t vtype, xs ...val) {
	for _, x := range xs {
		if x.t != t {
			panic("wmath: operand type mismatch")
		}
	}
}

// ops picks an opcode by operand type: f32, f64, i32 (scalar, vector).
type ops struct{ f32, f32x4, f64, f64x2, i32, i32x4 wasmbin.Op }

func (b *builder) typed(o ops, t vtype) {
	switch t {
	case tF32:
		b.op(o.f32, o.f32x4)
	case tF64:
		b.op(o.f64, o.f64x2)
	default:
		b.op(o.i32, o.i32x4)
	}
}

func (b *builder) bin(o ops, rt vtype, x, y val) val {
	mustType(x.t, y)
	return val{t: rt, emit: func() { x.emit(); y.emit(); b.typed(o, x.t) }}
}

func (b *builder) un(scalar, vector wasmbin.Op, rt vtype, x val) val {
	return val{t: rt, emit: func() { x.emit(); b.op(scalar, vector) }}
}

// madd is a*b + c (nmadd: -(a*b) + c) in one relaxed instruction.
func (b *builder) madd(op wasmbin.Op, p *[2]val, c val) val {
	mustType(tF32, p[0], p[1], c)
	return val{t: tF32, emit: func() { p[0].emit(); p[1].emit(); c.emit(); b.f.Emit(op) }}
}

func (b *builder) add(x, y val) val {
	if b.relaxed && x.t == tF32 {
		switch {
		case x.prod != nil:
			return b.madd(wasmbin.F32x4RelaxedMadd, x.prod, y)
		case y.prod != nil:
			return b.madd(wasmbin.F32x4RelaxedMadd, y.prod, x)
		}
	}
	return b.bin(ops{wasmbin.F32Add, wasmbin.F32x4Add, wasmbin.F64Add, wasmbin.F64x2Add, wasmbin.I32Add, wasmbin.I32x4Add}, x.t, x, y)
}

func (b *builder) sub(x, y val) val {
	if b.relaxed && x.t == tF32 && y.prod != nil {
		return b.madd(wasmbin.F32x4RelaxedNmadd, y.prod, x)
	}
	return b.bin(ops{wasmbin.F32Sub, wasmbin.F32x4Sub, wasmbin.F64Sub, wasmbin.F64x2Sub, wasmbin.I32Sub, wasmbin.I32x4Sub}, x.t, x, y)
}

func (b *builder) mul(x, y val) val {
	mustFloat(x)
	v := b.bin(ops{f32: wasmbin.F32Mul, f32x4: wasmbin.F32x4Mul, f64: wasmbin.F64Mul, f64x2: wasmbin.F64x2Mul}, x.t, x, y)
	if b.relaxed && x.t == tF32 {
		v.prod = &[2]val{x, y}
	}
	return v
}

func (b *builder) div(x, y val) val {
	mustFloat(x)
	return b.bin(ops{f32: wasmbin.F32Div, f32x4: wasmbin.F32x4Div, f64: wasmbin.F64Div, f64x2: wasmbin.F64x2Div}, x.t, x, y)
}

func mustFloat(x val) {
	if x.t != tF32 && x.t != tF64 {
		panic("wmath: float operation on a non-float")
	}
}

// minC is min(x, c) and maxC max(x, c) for a constant c that is not zero
// or NaN: f32.min / f64.min in the scalar form, pmin in the vector form
// (x first, so a NaN x is kept), which then agree exactly.
func (b *builder) minC(x val, c float64) val {
	return b.bin(ops{f32: wasmbin.F32Min, f32x4: wasmbin.F32x4PMin, f64: wasmbin.F64Min, f64x2: wasmbin.F64x2PMin}, x.t, x, b.constOf(x.t, c))
}

func (b *builder) maxC(x val, c float64) val {
	return b.bin(ops{f32: wasmbin.F32Max, f32x4: wasmbin.F32x4PMax, f64: wasmbin.F64Max, f64x2: wasmbin.F64x2PMax}, x.t, x, b.constOf(x.t, c))
}

func (b *builder) constOf(t vtype, c float64) val {
	if c == 0 || c != c {
		panic("wmath: minC/maxC constant must be nonzero")
	}
	if t == tF64 {
		return b.dc(c)
	}
	return b.fc(float32(c))
}

func (b *builder) cmp(scalar, vector wasmbin.Op, x, y val) val {
	mustType(tF32, x, y)
	return val{t: tMask, emit: func() { x.emit(); y.emit(); b.op(scalar, vector) }}
}

func (b *builder) lt(x, y val) val { return b.cmp(wasmbin.F32Lt, wasmbin.F32x4Lt, x, y) }
func (b *builder) gt(x, y val) val { return b.cmp(wasmbin.F32Gt, wasmbin.F32x4Gt, x, y) }
func (b *builder) eq(x, y val) val { return b.cmp(wasmbin.F32Eq, wasmbin.F32x4Eq, x, y) }
func (b *builder) ne(x, y val) val { return b.cmp(wasmbin.F32Ne, wasmbin.F32x4Ne, x, y) }

// and, or: of two masks, or of two i32.
func (b *builder) and(x, y val) val {
	return b.bin(ops{i32: wasmbin.I32And, i32x4: wasmbin.V128And}, x.t, x, y)
}

func (b *builder) or(x, y val) val {
	return b.bin(ops{i32: wasmbin.I32Or, i32x4: wasmbin.V128Or}, x.t, x, y)
}

func (b *builder) not(m val) val {
	mustType(tMask, m)
	return b.un(wasmbin.I32Eqz, wasmbin.V128Not, tMask, m)
}

// sel is m ? x : y, lane by lane (select, or v128.bitselect).
func (b *builder) sel(m, x, y val) val {
	mustType(tMask, m)
	mustType(x.t, y)
	return val{t: x.t, emit: func() {
		x.emit()
		y.emit()
		m.emit()
		b.op(wasmbin.Select, wasmbin.V128Bitselect)
	}}
}

func (b *builder) shift(scalar, vector wasmbin.Op, x val, n int32) val {
	mustType(tI32, x)
	return val{t: tI32, emit: func() { x.emit(); b.f.I32Const(n); b.op(scalar, vector) }}
}

func (b *builder) shl(x val, n int32) val  { return b.shift(wasmbin.I32Shl, wasmbin.I32x4Shl, x, n) }
func (b *builder) shrS(x val, n int32) val { return b.shift(wasmbin.I32ShrS, wasmbin.I32x4ShrS, x, n) }
func (b *builder) shrU(x val, n int32) val { return b.shift(wasmbin.I32ShrU, wasmbin.I32x4ShrU, x, n) }

func (b *builder) f32un(scalar, vector wasmbin.Op, x val) val {
	mustType(tF32, x)
	return b.un(scalar, vector, tF32, x)
}

func (b *builder) abs(x val) val   { return b.f32un(wasmbin.F32Abs, wasmbin.F32x4Abs, x) }
func (b *builder) neg(x val) val   { return b.f32un(wasmbin.F32Neg, wasmbin.F32x4Neg, x) }
func (b *builder) trunc(x val) val { return b.f32un(wasmbin.F32Trunc, wasmbin.F32x4Trunc, x) }

// copysign is |x| with the sign of y.
func (b *builder) copysign(x, y val) val {
	mustType(tF32, x, y)
	if b.vec {
		return val{t: tF32, emit: func() {
			y.emit()
			x.emit()
			b.f.V128ConstI32([4]int32{signBit, signBit, signBit, signBit})
			b.f.Emit(wasmbin.V128Bitselect)
		}}
	}
	return val{t: tF32, emit: func() { x.emit(); y.emit(); b.f.Emit(wasmbin.F32Copysign) }}
}

// bitsOf reinterprets an f32 as i32; fromBits the reverse.
func (b *builder) bitsOf(x val) val {
	mustType(tF32, x)
	return val{t: tI32, emit: func() {
		x.emit()
		if !b.vec {
			b.f.Emit(wasmbin.I32ReinterpretF32)
		}
	}}
}

func (b *builder) fromBits(x val) val {
	mustType(tI32, x)
	return val{t: tF32, emit: func() {
		x.emit()
		if !b.vec {
			b.f.Emit(wasmbin.F32ReinterpretI32)
		}
	}}
}

// cvt converts an i32 to f32.
func (b *builder) cvt(x val) val {
	mustType(tI32, x)
	return b.un(wasmbin.F32ConvertI32S, wasmbin.F32x4ConvertI32x4S, tF32, x)
}

// promoteLo widens f32 to f64: the scalar, or lanes 0 and 1 of an f32x4.
func (b *builder) promoteLo(x val) val {
	mustType(tF32, x)
	return b.un(wasmbin.F64PromoteF32, wasmbin.F64x2PromoteLowF32x4, tF64, x)
}

// promoteHi widens lanes 2 and 3 of an f32x4 (x must be cheap to emit
// twice: a local).
func (b *builder) promoteHi(x val) val {
	mustType(tF32, x)
	return val{t: tF64, emit: func() {
		x.emit()
		x.emit()
		b.f.I8x16Shuffle([16]byte{8, 9, 10, 11, 12, 13, 14, 15, 8, 9, 10, 11, 12, 13, 14, 15})
		b.f.Emit(wasmbin.F64x2PromoteLowF32x4)
	}}
}

// demote narrows a scalar f64 to f32.
func (b *builder) demote(x val) val {
	mustType(tF64, x)
	return b.un(wasmbin.F32DemoteF64, 0, tF32, x)
}

// demote2 narrows two f64x2 halves into one f32x4.
func (b *builder) demote2(lo, hi val) val {
	mustType(tF64, lo, hi)
	return val{t: tF32, emit: func() {
		lo.emit()
		b.f.Emit(wasmbin.F32x4DemoteF64x2Zero)
		hi.emit()
		b.f.Emit(wasmbin.F32x4DemoteF64x2Zero)
		b.f.I8x16Shuffle([16]byte{0, 1, 2, 3, 4, 5, 6, 7, 16, 17, 18, 19, 20, 21, 22, 23})
	}}
}

// pow2k is the f64 whose bits are those of x shifted left by 52.
func (b *builder) pow2k(x val) val {
	mustType(tF64, x)
	return val{t: tF64, emit: func() {
		x.emit()
		if b.vec {
			b.f.I32Const(52)
			b.f.Emit(wasmbin.I64x2Shl)
		} else {
			b.f.Emit(wasmbin.I64ReinterpretF64)
			b.f.I64Const(52)
			b.f.Emit(wasmbin.I64Shl, wasmbin.F64ReinterpretI64)
		}
	}}
}

// alg renders the algorithms of package polymath with a builder.
type alg struct{ *builder }

func (b alg) Let(x val) val             { return b.let(x) }
func (b alg) F32(c float32) val         { return b.fc(c) }
func (b alg) I32(c int32) val           { return b.ic(c) }
func (b alg) F64(c float64) val         { return b.dc(c) }
func (b alg) Add(x, y val) val          { return b.add(x, y) }
func (b alg) Sub(x, y val) val          { return b.sub(x, y) }
func (b alg) Mul(x, y val) val          { return b.mul(x, y) }
func (b alg) Div(x, y val) val          { return b.div(x, y) }
func (b alg) MinC(x val, c float64) val { return b.minC(x, c) }
func (b alg) MaxC(x val, c float64) val { return b.maxC(x, c) }
func (b alg) Lt(x, y val) val           { return b.lt(x, y) }
func (b alg) Gt(x, y val) val           { return b.gt(x, y) }
func (b alg) Eq(x, y val) val           { return b.eq(x, y) }
func (b alg) Ne(x, y val) val           { return b.ne(x, y) }
func (b alg) And(x, y val) val          { return b.and(x, y) }
func (b alg) Or(x, y val) val           { return b.or(x, y) }
func (b alg) Not(m val) val             { return b.not(m) }
func (b alg) Sel(m, x, y val) val       { return b.sel(m, x, y) }
func (b alg) Shl(x val, n int32) val    { return b.shl(x, n) }
func (b alg) ShrS(x val, n int32) val   { return b.shrS(x, n) }
func (b alg) ShrU(x val, n int32) val   { return b.shrU(x, n) }
func (b alg) Abs(x val) val             { return b.abs(x) }
func (b alg) Neg(x val) val             { return b.neg(x) }
func (b alg) Trunc(x val) val           { return b.trunc(x) }
func (b alg) Copysign(x, y val) val     { return b.copysign(x, y) }
func (b alg) BitsOf(x val) val          { return b.bitsOf(x) }
func (b alg) FromBits(x val) val        { return b.fromBits(x) }
func (b alg) Cvt(x val) val             { return b.cvt(x) }
func (b alg) Pow2k(x val) val           { return b.pow2k(x) }

// Wide runs f in f64: on the scalars promoted, or, for f32x4, on lanes
// 0-1 then 2-3 as two f64x2 halves (the arguments must be locals).
func (b alg) Wide(f func([]val) val, args ...val) val {
	half := func(promote func(val) val) []val {
		out := make([]val, len(args))
		for i, a := range args {
			out[i] = promote(a)
		}
		return out
	}
	if !b.vec {
		return b.demote(f(half(b.promoteLo)))
	}
	lo := b.let(f(half(b.promoteLo)))
	hi := b.let(f(half(b.promoteHi)))
	return b.demote2(lo, hi)
}
