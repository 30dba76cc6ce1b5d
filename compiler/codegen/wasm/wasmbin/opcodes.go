package wasmbin

import "strconv"

// Op is an instruction opcode without immediates. Prefixed opcodes (0xFC
// miscellaneous, 0xFD SIMD) carry the prefix in bits 16-23 and the
// sub-opcode, written as an unsigned LEB128, in bits 0-15.
type Op uint32

const (
	prefixFC = 0xfc << 16
	prefixFD = 0xfd << 16
)

// Instructions without immediates, written with Func.Emit. Instructions
// with immediates are written with Func methods. Every opcode, with or
// without immediates, has one row in opTable below; the opcode test checks
// that no constant here lacks one.
const (
	Unreachable Op = 0x00 // unreachable: trap
	Nop         Op = 0x01 // nop
	Else        Op = 0x05 // else: starts the false arm of an If
	End         Op = 0x0b // end: closes a Block, Loop or If
	Return      Op = 0x0f // return
	Drop        Op = 0x1a // drop: pops one value
	Select      Op = 0x1b // select: pops c, b, a; pushes a if c != 0 else b

	I32Eqz    Op = 0x45 // i32.eqz
	I32Eq     Op = 0x46 // i32.eq
	I32Ne     Op = 0x47 // i32.ne
	I32LtS    Op = 0x48 // i32.lt_s
	I32LtU    Op = 0x49 // i32.lt_u
	I32GtS    Op = 0x4a // i32.gt_s
	I32GtU    Op = 0x4b // i32.gt_u
	I32LeS    Op = 0x4c // i32.le_s
	I32LeU    Op = 0x4d // i32.le_u
	I32GeS    Op = 0x4e // i32.ge_s
	I32GeU    Op = 0x4f // i32.ge_u
	F32Eq     Op = 0x5b // f32.eq
	F32Ne     Op = 0x5c // f32.ne
	F32Lt     Op = 0x5d // f32.lt
	F32Gt     Op = 0x5e // f32.gt
	F32Le     Op = 0x5f // f32.le
	F32Ge     Op = 0x60 // f32.ge
	I32Clz    Op = 0x67 // i32.clz
	I32Ctz    Op = 0x68 // i32.ctz
	I32Popcnt Op = 0x69 // i32.popcnt
	I32Add    Op = 0x6a // i32.add
	I32Sub    Op = 0x6b // i32.sub
	I32Mul    Op = 0x6c // i32.mul
	I32DivS   Op = 0x6d // i32.div_s
	I32DivU   Op = 0x6e // i32.div_u
	I32RemS   Op = 0x6f // i32.rem_s
	I32RemU   Op = 0x70 // i32.rem_u
	I32And    Op = 0x71 // i32.and
	I32Or     Op = 0x72 // i32.or
	I32Xor    Op = 0x73 // i32.xor
	I32Shl    Op = 0x74 // i32.shl
	I32ShrS   Op = 0x75 // i32.shr_s
	I32ShrU   Op = 0x76 // i32.shr_u
	I32Rotl   Op = 0x77 // i32.rotl
	I32Rotr   Op = 0x78 // i32.rotr
	I64Shl    Op = 0x86 // i64.shl

	F32Abs      Op = 0x8b // f32.abs
	F32Neg      Op = 0x8c // f32.neg
	F32Ceil     Op = 0x8d // f32.ceil
	F32Floor    Op = 0x8e // f32.floor
	F32Trunc    Op = 0x8f // f32.trunc
	F32Nearest  Op = 0x90 // f32.nearest
	F32Sqrt     Op = 0x91 // f32.sqrt
	F32Add      Op = 0x92 // f32.add
	F32Sub      Op = 0x93 // f32.sub
	F32Mul      Op = 0x94 // f32.mul
	F32Div      Op = 0x95 // f32.div
	F32Min      Op = 0x96 // f32.min
	F32Max      Op = 0x97 // f32.max
	F32Copysign Op = 0x98 // f32.copysign
	F64Add      Op = 0xa0 // f64.add
	F64Sub      Op = 0xa1 // f64.sub
	F64Mul      Op = 0xa2 // f64.mul
	F64Div      Op = 0xa3 // f64.div
	F64Min      Op = 0xa4 // f64.min
	F64Max      Op = 0xa5 // f64.max

	I32TruncF32S      Op = 0xa8 // i32.trunc_f32_s (traps on NaN and overflow)
	I32TruncF32U      Op = 0xa9 // i32.trunc_f32_u (traps on NaN and overflow)
	F32ConvertI32S    Op = 0xb2 // f32.convert_i32_s
	F32ConvertI32U    Op = 0xb3 // f32.convert_i32_u
	F32DemoteF64      Op = 0xb6 // f32.demote_f64
	F64PromoteF32     Op = 0xbb // f64.promote_f32
	I32ReinterpretF32 Op = 0xbc // i32.reinterpret_f32
	I64ReinterpretF64 Op = 0xbd // i64.reinterpret_f64
	F32ReinterpretI32 Op = 0xbe // f32.reinterpret_i32
	F64ReinterpretI64 Op = 0xbf // f64.reinterpret_i64
	I32Extend8S       Op = 0xc0 // i32.extend8_s
	I32Extend16S      Op = 0xc1 // i32.extend16_s

	I32TruncSatF32S Op = prefixFC | 0x00 // i32.trunc_sat_f32_s
	I32TruncSatF32U Op = prefixFC | 0x01 // i32.trunc_sat_f32_u

	I8x16Swizzle         Op = prefixFD | 0x0e // i8x16.swizzle
	I32x4Splat           Op = prefixFD | 0x11 // i32x4.splat
	F32x4Splat           Op = prefixFD | 0x13 // f32x4.splat
	I32x4Eq              Op = prefixFD | 0x37 // i32x4.eq
	I32x4Ne              Op = prefixFD | 0x38 // i32x4.ne
	I32x4LtS             Op = prefixFD | 0x39 // i32x4.lt_s
	I32x4LtU             Op = prefixFD | 0x3a // i32x4.lt_u
	I32x4GtS             Op = prefixFD | 0x3b // i32x4.gt_s
	I32x4GtU             Op = prefixFD | 0x3c // i32x4.gt_u
	I32x4LeS             Op = prefixFD | 0x3d // i32x4.le_s
	I32x4LeU             Op = prefixFD | 0x3e // i32x4.le_u
	I32x4GeS             Op = prefixFD | 0x3f // i32x4.ge_s
	I32x4GeU             Op = prefixFD | 0x40 // i32x4.ge_u
	F32x4Eq              Op = prefixFD | 0x41 // f32x4.eq
	F32x4Ne              Op = prefixFD | 0x42 // f32x4.ne
	F32x4Lt              Op = prefixFD | 0x43 // f32x4.lt
	F32x4Gt              Op = prefixFD | 0x44 // f32x4.gt
	F32x4Le              Op = prefixFD | 0x45 // f32x4.le
	F32x4Ge              Op = prefixFD | 0x46 // f32x4.ge
	V128Not              Op = prefixFD | 0x4d // v128.not
	V128And              Op = prefixFD | 0x4e // v128.and
	V128AndNot           Op = prefixFD | 0x4f // v128.andnot: a & ^b
	V128Or               Op = prefixFD | 0x50 // v128.or
	V128Xor              Op = prefixFD | 0x51 // v128.xor
	V128Bitselect        Op = prefixFD | 0x52 // v128.bitselect: pops c, b, a; (a & c) | (b & ^c)
	V128AnyTrue          Op = prefixFD | 0x53 // v128.any_true
	F32x4DemoteF64x2Zero Op = prefixFD | 0x5e // f32x4.demote_f64x2_zero
	F64x2PromoteLowF32x4 Op = prefixFD | 0x5f // f64x2.promote_low_f32x4
	F32x4Ceil            Op = prefixFD | 0x67 // f32x4.ceil
	F32x4Floor           Op = prefixFD | 0x68 // f32x4.floor
	F32x4Trunc           Op = prefixFD | 0x69 // f32x4.trunc
	F32x4Nearest         Op = prefixFD | 0x6a // f32x4.nearest
	I32x4Abs             Op = prefixFD | 0xa0 // i32x4.abs
	I32x4Neg             Op = prefixFD | 0xa1 // i32x4.neg
	I32x4AllTrue         Op = prefixFD | 0xa3 // i32x4.all_true
	I32x4Bitmask         Op = prefixFD | 0xa4 // i32x4.bitmask
	I32x4Shl             Op = prefixFD | 0xab // i32x4.shl (shift count is an i32)
	I32x4ShrS            Op = prefixFD | 0xac // i32x4.shr_s (shift count is an i32)
	I32x4ShrU            Op = prefixFD | 0xad // i32x4.shr_u (shift count is an i32)
	I32x4Add             Op = prefixFD | 0xae // i32x4.add
	I32x4Sub             Op = prefixFD | 0xb1 // i32x4.sub
	I32x4Mul             Op = prefixFD | 0xb5 // i32x4.mul
	I32x4MinS            Op = prefixFD | 0xb6 // i32x4.min_s
	I32x4MinU            Op = prefixFD | 0xb7 // i32x4.min_u
	I32x4MaxS            Op = prefixFD | 0xb8 // i32x4.max_s
	I32x4MaxU            Op = prefixFD | 0xb9 // i32x4.max_u
	I64x2Shl             Op = prefixFD | 0xcb // i64x2.shl (shift count is an i32)
	F32x4Abs             Op = prefixFD | 0xe0 // f32x4.abs
	F32x4Neg             Op = prefixFD | 0xe1 // f32x4.neg
	F32x4Sqrt            Op = prefixFD | 0xe3 // f32x4.sqrt
	F32x4Add             Op = prefixFD | 0xe4 // f32x4.add
	F32x4Sub             Op = prefixFD | 0xe5 // f32x4.sub
	F32x4Mul             Op = prefixFD | 0xe6 // f32x4.mul
	F32x4Div             Op = prefixFD | 0xe7 // f32x4.div
	F32x4Min             Op = prefixFD | 0xe8 // f32x4.min (IEEE min, NaN-propagating)
	F32x4Max             Op = prefixFD | 0xe9 // f32x4.max (IEEE max, NaN-propagating)
	F32x4PMin            Op = prefixFD | 0xea // f32x4.pmin: b < a ? b : a
	F32x4PMax            Op = prefixFD | 0xeb // f32x4.pmax: a < b ? b : a
	F64x2Add             Op = prefixFD | 0xf0 // f64x2.add
	F64x2Sub             Op = prefixFD | 0xf1 // f64x2.sub
	F64x2Mul             Op = prefixFD | 0xf2 // f64x2.mul
	F64x2Div             Op = prefixFD | 0xf3 // f64x2.div
	F64x2PMin            Op = prefixFD | 0xf6 // f64x2.pmin: b < a ? b : a
	F64x2PMax            Op = prefixFD | 0xf7 // f64x2.pmax: a < b ? b : a
	I32x4TruncSatF32x4S  Op = prefixFD | 0xf8 // i32x4.trunc_sat_f32x4_s
	I32x4TruncSatF32x4U  Op = prefixFD | 0xf9 // i32x4.trunc_sat_f32x4_u
	F32x4ConvertI32x4S   Op = prefixFD | 0xfa // f32x4.convert_i32x4_s
	F32x4ConvertI32x4U   Op = prefixFD | 0xfb // f32x4.convert_i32x4_u

	// Relaxed SIMD (WebAssembly 3.0). Not every engine has it: wazero
	// v1.12 rejects modules that use it.
	I8x16RelaxedSwizzle     Op = prefixFD | 0x100 // i8x16.relaxed_swizzle
	I32x4RelaxedTruncF32x4S Op = prefixFD | 0x101 // i32x4.relaxed_trunc_f32x4_s
	I32x4RelaxedTruncF32x4U Op = prefixFD | 0x102 // i32x4.relaxed_trunc_f32x4_u
	F32x4RelaxedMadd        Op = prefixFD | 0x105 // f32x4.relaxed_madd: pops c, b, a; a*b + c, fused or not
	F32x4RelaxedNmadd       Op = prefixFD | 0x106 // f32x4.relaxed_nmadd: pops c, b, a; -(a*b) + c, fused or not
	I32x4RelaxedLaneselect  Op = prefixFD | 0x10b // i32x4.relaxed_laneselect
	F32x4RelaxedMin         Op = prefixFD | 0x10d // f32x4.relaxed_min
	F32x4RelaxedMax         Op = prefixFD | 0x10e // f32x4.relaxed_max
)

// Opcodes with immediates; Func methods write them.
const (
	opBlock      Op = 0x02
	opLoop       Op = 0x03
	opIf         Op = 0x04
	opBr         Op = 0x0c
	opBrIf       Op = 0x0d
	opBrTable    Op = 0x0e
	opCall       Op = 0x10
	opSelectT    Op = 0x1c
	opLocalGet   Op = 0x20
	opLocalSet   Op = 0x21
	opLocalTee   Op = 0x22
	opGlobalGet  Op = 0x23
	opGlobalSet  Op = 0x24
	opI32Load    Op = 0x28
	opF32Load    Op = 0x2a
	opI32Load8S  Op = 0x2c
	opI32Load8U  Op = 0x2d
	opI32Load16S Op = 0x2e
	opI32Load16U Op = 0x2f
	opI32Store   Op = 0x36
	opF32Store   Op = 0x38
	opI32Store8  Op = 0x3a
	opI32Store16 Op = 0x3b
	opMemorySize Op = 0x3f
	opMemoryGrow Op = 0x40
	opI32Const   Op = 0x41
	opI64Const   Op = 0x42
	opF32Const   Op = 0x43
	opF64Const   Op = 0x44

	opMemoryCopy Op = prefixFC | 0x0a
	opMemoryFill Op = prefixFC | 0x0b

	opV128Load         Op = prefixFD | 0x00
	opV128Load32Splat  Op = prefixFD | 0x09
	opV128Load64Splat  Op = prefixFD | 0x0a
	opV128Store        Op = prefixFD | 0x0b
	opV128Const        Op = prefixFD | 0x0c
	opI8x16Shuffle     Op = prefixFD | 0x0d
	opI32x4ExtractLane Op = prefixFD | 0x1b
	opI32x4ReplaceLane Op = prefixFD | 0x1c
	opF32x4ExtractLane Op = prefixFD | 0x1f
	opF32x4ReplaceLane Op = prefixFD | 0x20
	opV128Load32Lane   Op = prefixFD | 0x56
	opV128Load64Lane   Op = prefixFD | 0x57
	opV128Store32Lane  Op = prefixFD | 0x5a
	opV128Store64Lane  Op = prefixFD | 0x5b
	opV128Load32Zero   Op = prefixFD | 0x5c
	opV128Load64Zero   Op = prefixFD | 0x5d
)

// immKind is the shape of an instruction's immediates.
type immKind uint8

const (
	immNone    immKind = iota
	immBlock           // block type: 0x40, a value type, or a type index (s33)
	immLabel           // u32 label depth
	immBrTable         // vec(u32) label depths, then the default u32
	immFunc            // u32 function index
	immLocal           // u32 local index
	immGlobal          // u32 global index
	immSelectT         // vec(value type)
	immI32             // s32
	immI64             // s64
	immF32             // 4 bytes, little-endian IEEE 754
	immF64             // 8 bytes, little-endian IEEE 754
	immMem             // memarg: u32 log2 alignment, u32 offset
	immMemLane         // memarg, then a lane byte
	immLane            // lane byte
	immV128            // 16 bytes
	immShuffle         // 16 lane bytes
	immMemIdx          // u32 memory index (0x00 before multi-memory)
	immMemIdx2         // two u32 memory indices (destination, source)
)

// opInfo describes one opcode: its text name, the shape of its
// immediates, its natural alignment (log2 bytes, memory accesses only),
// and its stack signature for the plain ones, operand and result types as
// letters (i i32, l i64, f f32, d f64, v v128) around a colon; "" where it is not fixed.
type opInfo struct {
	op    Op
	name  string
	imm   immKind
	align uint8
	sig   string
}

func plain(op Op, name, sig string) opInfo         { return opInfo{op: op, name: name, sig: sig} }
func withImm(op Op, name string, k immKind) opInfo { return opInfo{op: op, name: name, imm: k} }
func mem(op Op, name string, align uint8, sig string) opInfo {
	return opInfo{op: op, name: name, imm: immMem, align: align, sig: sig}
}
func memLane(op Op, name string, align uint8, sig string) opInfo {
	return opInfo{op: op, name: name, imm: immMemLane, align: align, sig: sig}
}
func lane(op Op, name, sig string) opInfo {
	return opInfo{op: op, name: name, imm: immLane, sig: sig}
}

// opTable is the one list of opcodes the encoder writes and Disassemble
// reads. To add an opcode, declare its constant above and add its row here.
var opTable = []opInfo{
	plain(Unreachable, "unreachable", ""),
	plain(Nop, "nop", ":"),
	withImm(opBlock, "block", immBlock),
	withImm(opLoop, "loop", immBlock),
	withImm(opIf, "if", immBlock),
	plain(Else, "else", ""),
	plain(End, "end", ""),
	withImm(opBr, "br", immLabel),
	withImm(opBrIf, "br_if", immLabel),
	withImm(opBrTable, "br_table", immBrTable),
	plain(Return, "return", ""),
	withImm(opCall, "call", immFunc),
	plain(Drop, "drop", ""),
	plain(Select, "select", ""),
	withImm(opSelectT, "select", immSelectT),
	withImm(opLocalGet, "local.get", immLocal),
	withImm(opLocalSet, "local.set", immLocal),
	withImm(opLocalTee, "local.tee", immLocal),
	withImm(opGlobalGet, "global.get", immGlobal),
	withImm(opGlobalSet, "global.set", immGlobal),

	mem(opI32Load, "i32.load", 2, "i:i"),
	mem(opF32Load, "f32.load", 2, "i:f"),
	mem(opI32Load8S, "i32.load8_s", 0, "i:i"),
	mem(opI32Load8U, "i32.load8_u", 0, "i:i"),
	mem(opI32Load16S, "i32.load16_s", 1, "i:i"),
	mem(opI32Load16U, "i32.load16_u", 1, "i:i"),
	mem(opI32Store, "i32.store", 2, "ii:"),
	mem(opF32Store, "f32.store", 2, "if:"),
	mem(opI32Store8, "i32.store8", 0, "ii:"),
	mem(opI32Store16, "i32.store16", 1, "ii:"),
	withImm(opMemorySize, "memory.size", immMemIdx),
	withImm(opMemoryGrow, "memory.grow", immMemIdx),
	withImm(opI32Const, "i32.const", immI32),
	withImm(opI64Const, "i64.const", immI64),
	withImm(opF32Const, "f32.const", immF32),
	withImm(opF64Const, "f64.const", immF64),

	plain(I32Eqz, "i32.eqz", "i:i"),
	plain(I32Eq, "i32.eq", "ii:i"),
	plain(I32Ne, "i32.ne", "ii:i"),
	plain(I32LtS, "i32.lt_s", "ii:i"),
	plain(I32LtU, "i32.lt_u", "ii:i"),
	plain(I32GtS, "i32.gt_s", "ii:i"),
	plain(I32GtU, "i32.gt_u", "ii:i"),
	plain(I32LeS, "i32.le_s", "ii:i"),
	plain(I32LeU, "i32.le_u", "ii:i"),
	plain(I32GeS, "i32.ge_s", "ii:i"),
	plain(I32GeU, "i32.ge_u", "ii:i"),
	plain(F32Eq, "f32.eq", "ff:i"),
	plain(F32Ne, "f32.ne", "ff:i"),
	plain(F32Lt, "f32.lt", "ff:i"),
	plain(F32Gt, "f32.gt", "ff:i"),
	plain(F32Le, "f32.le", "ff:i"),
	plain(F32Ge, "f32.ge", "ff:i"),
	plain(I32Clz, "i32.clz", "i:i"),
	plain(I32Ctz, "i32.ctz", "i:i"),
	plain(I32Popcnt, "i32.popcnt", "i:i"),
	plain(I32Add, "i32.add", "ii:i"),
	plain(I32Sub, "i32.sub", "ii:i"),
	plain(I32Mul, "i32.mul", "ii:i"),
	plain(I32DivS, "i32.div_s", "ii:i"),
	plain(I32DivU, "i32.div_u", "ii:i"),
	plain(I32RemS, "i32.rem_s", "ii:i"),
	plain(I32RemU, "i32.rem_u", "ii:i"),
	plain(I32And, "i32.and", "ii:i"),
	plain(I32Or, "i32.or", "ii:i"),
	plain(I32Xor, "i32.xor", "ii:i"),
	plain(I32Shl, "i32.shl", "ii:i"),
	plain(I32ShrS, "i32.shr_s", "ii:i"),
	plain(I32ShrU, "i32.shr_u", "ii:i"),
	plain(I32Rotl, "i32.rotl", "ii:i"),
	plain(I32Rotr, "i32.rotr", "ii:i"),
	plain(I64Shl, "i64.shl", "ll:l"),
	plain(F32Abs, "f32.abs", "f:f"),
	plain(F32Neg, "f32.neg", "f:f"),
	plain(F32Ceil, "f32.ceil", "f:f"),
	plain(F32Floor, "f32.floor", "f:f"),
	plain(F32Trunc, "f32.trunc", "f:f"),
	plain(F32Nearest, "f32.nearest", "f:f"),
	plain(F32Sqrt, "f32.sqrt", "f:f"),
	plain(F32Add, "f32.add", "ff:f"),
	plain(F32Sub, "f32.sub", "ff:f"),
	plain(F32Mul, "f32.mul", "ff:f"),
	plain(F32Div, "f32.div", "ff:f"),
	plain(F32Min, "f32.min", "ff:f"),
	plain(F32Max, "f32.max", "ff:f"),
	plain(F32Copysign, "f32.copysign", "ff:f"),
	plain(F64Add, "f64.add", "dd:d"),
	plain(F64Sub, "f64.sub", "dd:d"),
	plain(F64Mul, "f64.mul", "dd:d"),
	plain(F64Div, "f64.div", "dd:d"),
	plain(F64Min, "f64.min", "dd:d"),
	plain(F64Max, "f64.max", "dd:d"),
	plain(I32TruncF32S, "i32.trunc_f32_s", "f:i"),
	plain(I32TruncF32U, "i32.trunc_f32_u", "f:i"),
	plain(F32ConvertI32S, "f32.convert_i32_s", "i:f"),
	plain(F32ConvertI32U, "f32.convert_i32_u", "i:f"),
	plain(F32DemoteF64, "f32.demote_f64", "d:f"),
	plain(F64PromoteF32, "f64.promote_f32", "f:d"),
	plain(I32ReinterpretF32, "i32.reinterpret_f32", "f:i"),
	plain(I64ReinterpretF64, "i64.reinterpret_f64", "d:l"),
	plain(F32ReinterpretI32, "f32.reinterpret_i32", "i:f"),
	plain(F64ReinterpretI64, "f64.reinterpret_i64", "l:d"),
	plain(I32Extend8S, "i32.extend8_s", "i:i"),
	plain(I32Extend16S, "i32.extend16_s", "i:i"),

	plain(I32TruncSatF32S, "i32.trunc_sat_f32_s", "f:i"),
	plain(I32TruncSatF32U, "i32.trunc_sat_f32_u", "f:i"),
	withImm(opMemoryCopy, "memory.copy", immMemIdx2),
	withImm(opMemoryFill, "memory.fill", immMemIdx),

	mem(opV128Load, "v128.load", 4, "i:v"),
	mem(opV128Load32Splat, "v128.load32_splat", 2, "i:v"),
	mem(opV128Load64Splat, "v128.load64_splat", 3, "i:v"),
	mem(opV128Store, "v128.store", 4, "iv:"),
	withImm(opV128Const, "v128.const", immV128),
	withImm(opI8x16Shuffle, "i8x16.shuffle", immShuffle),
	plain(I8x16Swizzle, "i8x16.swizzle", "vv:v"),
	plain(I32x4Splat, "i32x4.splat", "i:v"),
	plain(F32x4Splat, "f32x4.splat", "f:v"),
	lane(opI32x4ExtractLane, "i32x4.extract_lane", "v:i"),
	lane(opI32x4ReplaceLane, "i32x4.replace_lane", "vi:v"),
	lane(opF32x4ExtractLane, "f32x4.extract_lane", "v:f"),
	lane(opF32x4ReplaceLane, "f32x4.replace_lane", "vf:v"),
	plain(I32x4Eq, "i32x4.eq", "vv:v"),
	plain(I32x4Ne, "i32x4.ne", "vv:v"),
	plain(I32x4LtS, "i32x4.lt_s", "vv:v"),
	plain(I32x4LtU, "i32x4.lt_u", "vv:v"),
	plain(I32x4GtS, "i32x4.gt_s", "vv:v"),
	plain(I32x4GtU, "i32x4.gt_u", "vv:v"),
	plain(I32x4LeS, "i32x4.le_s", "vv:v"),
	plain(I32x4LeU, "i32x4.le_u", "vv:v"),
	plain(I32x4GeS, "i32x4.ge_s", "vv:v"),
	plain(I32x4GeU, "i32x4.ge_u", "vv:v"),
	plain(F32x4Eq, "f32x4.eq", "vv:v"),
	plain(F32x4Ne, "f32x4.ne", "vv:v"),
	plain(F32x4Lt, "f32x4.lt", "vv:v"),
	plain(F32x4Gt, "f32x4.gt", "vv:v"),
	plain(F32x4Le, "f32x4.le", "vv:v"),
	plain(F32x4Ge, "f32x4.ge", "vv:v"),
	plain(V128Not, "v128.not", "v:v"),
	plain(V128And, "v128.and", "vv:v"),
	plain(V128AndNot, "v128.andnot", "vv:v"),
	plain(V128Or, "v128.or", "vv:v"),
	plain(V128Xor, "v128.xor", "vv:v"),
	plain(V128Bitselect, "v128.bitselect", "vvv:v"),
	plain(V128AnyTrue, "v128.any_true", "v:i"),
	plain(F32x4DemoteF64x2Zero, "f32x4.demote_f64x2_zero", "v:v"),
	plain(F64x2PromoteLowF32x4, "f64x2.promote_low_f32x4", "v:v"),
	memLane(opV128Load32Lane, "v128.load32_lane", 2, "iv:v"),
	memLane(opV128Load64Lane, "v128.load64_lane", 3, "iv:v"),
	memLane(opV128Store32Lane, "v128.store32_lane", 2, "iv:"),
	memLane(opV128Store64Lane, "v128.store64_lane", 3, "iv:"),
	mem(opV128Load32Zero, "v128.load32_zero", 2, "i:v"),
	mem(opV128Load64Zero, "v128.load64_zero", 3, "i:v"),
	plain(F32x4Ceil, "f32x4.ceil", "v:v"),
	plain(F32x4Floor, "f32x4.floor", "v:v"),
	plain(F32x4Trunc, "f32x4.trunc", "v:v"),
	plain(F32x4Nearest, "f32x4.nearest", "v:v"),
	plain(I32x4Abs, "i32x4.abs", "v:v"),
	plain(I32x4Neg, "i32x4.neg", "v:v"),
	plain(I32x4AllTrue, "i32x4.all_true", "v:i"),
	plain(I32x4Bitmask, "i32x4.bitmask", "v:i"),
	plain(I32x4Shl, "i32x4.shl", "vi:v"),
	plain(I32x4ShrS, "i32x4.shr_s", "vi:v"),
	plain(I32x4ShrU, "i32x4.shr_u", "vi:v"),
	plain(I32x4Add, "i32x4.add", "vv:v"),
	plain(I32x4Sub, "i32x4.sub", "vv:v"),
	plain(I32x4Mul, "i32x4.mul", "vv:v"),
	plain(I32x4MinS, "i32x4.min_s", "vv:v"),
	plain(I32x4MinU, "i32x4.min_u", "vv:v"),
	plain(I32x4MaxS, "i32x4.max_s", "vv:v"),
	plain(I32x4MaxU, "i32x4.max_u", "vv:v"),
	plain(I64x2Shl, "i64x2.shl", "vi:v"),
	plain(F32x4Abs, "f32x4.abs", "v:v"),
	plain(F32x4Neg, "f32x4.neg", "v:v"),
	plain(F32x4Sqrt, "f32x4.sqrt", "v:v"),
	plain(F32x4Add, "f32x4.add", "vv:v"),
	plain(F32x4Sub, "f32x4.sub", "vv:v"),
	plain(F32x4Mul, "f32x4.mul", "vv:v"),
	plain(F32x4Div, "f32x4.div", "vv:v"),
	plain(F32x4Min, "f32x4.min", "vv:v"),
	plain(F32x4Max, "f32x4.max", "vv:v"),
	plain(F32x4PMin, "f32x4.pmin", "vv:v"),
	plain(F32x4PMax, "f32x4.pmax", "vv:v"),
	plain(F64x2Add, "f64x2.add", "vv:v"),
	plain(F64x2Sub, "f64x2.sub", "vv:v"),
	plain(F64x2Mul, "f64x2.mul", "vv:v"),
	plain(F64x2Div, "f64x2.div", "vv:v"),
	plain(F64x2PMin, "f64x2.pmin", "vv:v"),
	plain(F64x2PMax, "f64x2.pmax", "vv:v"),
	plain(I32x4TruncSatF32x4S, "i32x4.trunc_sat_f32x4_s", "v:v"),
	plain(I32x4TruncSatF32x4U, "i32x4.trunc_sat_f32x4_u", "v:v"),
	plain(F32x4ConvertI32x4S, "f32x4.convert_i32x4_s", "v:v"),
	plain(F32x4ConvertI32x4U, "f32x4.convert_i32x4_u", "v:v"),

	plain(I8x16RelaxedSwizzle, "i8x16.relaxed_swizzle", "vv:v"),
	plain(I32x4RelaxedTruncF32x4S, "i32x4.relaxed_trunc_f32x4_s", "v:v"),
	plain(I32x4RelaxedTruncF32x4U, "i32x4.relaxed_trunc_f32x4_u", "v:v"),
	plain(F32x4RelaxedMadd, "f32x4.relaxed_madd", "vvv:v"),
	plain(F32x4RelaxedNmadd, "f32x4.relaxed_nmadd", "vvv:v"),
	plain(I32x4RelaxedLaneselect, "i32x4.relaxed_laneselect", "vvv:v"),
	plain(F32x4RelaxedMin, "f32x4.relaxed_min", "vv:v"),
	plain(F32x4RelaxedMax, "f32x4.relaxed_max", "vv:v"),
}

// opIndex maps each opcode to its row in opTable.
var opIndex = func() map[Op]*opInfo {
	m := make(map[Op]*opInfo, len(opTable))
	for i := range opTable {
		info := &opTable[i]
		if _, dup := m[info.op]; dup {
			panic("wasmbin: duplicate opcode " + info.name)
		}
		m[info.op] = info
	}
	return m
}()

// String returns the opcode's text-format name, e.g. "f32x4.add", or
// "Op(0x...)" for an opcode this package does not know.
func (op Op) String() string {
	if info := opIndex[op]; info != nil {
		return info.name
	}
	return "Op(0x" + strconv.FormatUint(uint64(op), 16) + ")"
}

// isRelaxed reports whether op belongs to the relaxed SIMD proposal.
func (op Op) isRelaxed() bool { return op >= prefixFD|0x100 && op <= prefixFD|0x113 }

// appendOp appends the encoding of op without immediates.
func appendOp(b []byte, op Op) []byte {
	if p := op >> 16; p != 0 {
		return appendU32(append(b, byte(p)), uint32(op&0xffff))
	}
	return append(b, byte(op))
}

func itoa(v int64) string { return strconv.FormatInt(v, 10) }
