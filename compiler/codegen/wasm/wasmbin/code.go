package wasmbin

import (
	"encoding/binary"
	"math"
)

// Func is a function being written. Instructions are appended in order;
// the final end is added by Module.Bytes.
//
// Methods panic on arguments that cannot be encoded validly (an opcode
// with immediates passed to Emit, a lane index out of range, an alignment
// above the natural one): those are bugs in the code generator.
type Func struct {
	// Index is the function's index in the module.
	Index   uint32
	typ     uint32
	nparams uint32
	locals  []ValType
	code    []byte
}

// AddLocal declares a local of type t and returns its index (parameters
// come first in the local index space).
func (f *Func) AddLocal(t ValType) uint32 {
	f.locals = append(f.locals, t)
	return f.nparams + uint32(len(f.locals)-1)
}

// Len is the size of the code written so far, in bytes.
func (f *Func) Len() int { return len(f.code) }

func (f *Func) encodeLocals() []byte {
	// Runs of one type share an entry.
	var groups [][2]uint32
	for _, t := range f.locals {
		if n := len(groups); n > 0 && ValType(groups[n-1][1]) == t {
			groups[n-1][0]++
			continue
		}
		groups = append(groups, [2]uint32{1, uint32(t)})
	}
	b := appendU32(nil, uint32(len(groups)))
	for _, g := range groups {
		b = appendU32(b, g[0])
		b = append(b, byte(g[1]))
	}
	return b
}

// Emit appends instructions without immediates (the Op constants). It
// panics on an opcode this package does not know or one that takes
// immediates.
func (f *Func) Emit(ops ...Op) {
	for _, op := range ops {
		info := opIndex[op]
		if info == nil || info.imm != immNone {
			panic("wasmbin: Emit of " + op.String() + ", which is unknown or takes immediates")
		}
		f.code = appendOp(f.code, op)
	}
}

// BlockType is the result of a block: none (Void), or one value type
// (BlockResult).
type BlockType byte

// Void is the empty block type.
const Void BlockType = 0x40

// BlockResult is the block type of a block that leaves one value of type t.
func BlockResult(t ValType) BlockType { return BlockType(t) }

// Block opens a block; Br to it jumps past its end.
func (f *Func) Block(t BlockType) { f.code = append(appendOp(f.code, opBlock), byte(t)) }

// Loop opens a loop; Br to it jumps back to its start.
func (f *Func) Loop(t BlockType) { f.code = append(appendOp(f.code, opLoop), byte(t)) }

// If opens a conditional on the i32 on the stack; Emit(Else) starts the
// false arm and Emit(End) closes it.
func (f *Func) If(t BlockType) { f.code = append(appendOp(f.code, opIf), byte(t)) }

// Br branches to the label depth levels out (0 is the innermost block).
func (f *Func) Br(depth uint32) { f.u32Op(opBr, depth) }

// BrIf pops an i32 and branches to the label depth levels out when it is
// not zero.
func (f *Func) BrIf(depth uint32) { f.u32Op(opBrIf, depth) }

// BrTable pops an i32 i and branches to targets[i], or to def when i is
// out of range. Depths count as for Br.
func (f *Func) BrTable(targets []uint32, def uint32) {
	f.code = appendU32(appendOp(f.code, opBrTable), uint32(len(targets)))
	for _, t := range targets {
		f.code = appendU32(f.code, t)
	}
	f.code = appendU32(f.code, def)
}

// Call calls function idx.
func (f *Func) Call(idx uint32) { f.u32Op(opCall, idx) }

// SelectT is select with an explicit result type (select (result t));
// Emit(Select) is the untyped form, valid for numeric and v128 operands.
func (f *Func) SelectT(t ValType) {
	f.code = append(appendU32(appendOp(f.code, opSelectT), 1), byte(t))
}

// LocalGet pushes local i.
func (f *Func) LocalGet(i uint32) { f.u32Op(opLocalGet, i) }

// LocalSet pops into local i.
func (f *Func) LocalSet(i uint32) { f.u32Op(opLocalSet, i) }

// LocalTee stores into local i and keeps the value.
func (f *Func) LocalTee(i uint32) { f.u32Op(opLocalTee, i) }

// GlobalGet pushes global i.
func (f *Func) GlobalGet(i uint32) { f.u32Op(opGlobalGet, i) }

// GlobalSet pops into global i, which must be mutable.
func (f *Func) GlobalSet(i uint32) { f.u32Op(opGlobalSet, i) }

func (f *Func) u32Op(op Op, v uint32) { f.code = appendU32(appendOp(f.code, op), v) }

// I32Const pushes an i32 constant.
func (f *Func) I32Const(v int32) { f.code = appendS64(appendOp(f.code, opI32Const), int64(v)) }

// I64Const pushes an i64 constant.
func (f *Func) I64Const(v int64) { f.code = appendS64(appendOp(f.code, opI64Const), v) }

// F64Const pushes an f64 constant.
func (f *Func) F64Const(v float64) {
	f.code = binary.LittleEndian.AppendUint64(appendOp(f.code, opF64Const), math.Float64bits(v))
}

// F32Const pushes an f32 constant.
func (f *Func) F32Const(v float32) { f.code = appendF32(appendOp(f.code, opF32Const), v) }

// V128Const pushes a v128 constant given as its 16 bytes in memory order
// (byte 0 is the low byte of lane 0).
func (f *Func) V128Const(b [16]byte) { f.code = append(appendOp(f.code, opV128Const), b[:]...) }

// V128ConstF32 pushes a v128 constant of four f32 lanes, lanes[0] being
// lane 0 (the lowest addressed when stored). The bits of each float are
// written as they are, NaN payloads included.
func (f *Func) V128ConstF32(lanes [4]float32) {
	f.code = appendOp(f.code, opV128Const)
	for _, l := range lanes {
		f.code = appendF32(f.code, l)
	}
}

// V128ConstI32 pushes a v128 constant of four i32 lanes, lanes[0] being
// lane 0 (the lowest addressed when stored).
func (f *Func) V128ConstI32(lanes [4]int32) {
	f.code = appendOp(f.code, opV128Const)
	for _, l := range lanes {
		f.code = binary.LittleEndian.AppendUint32(f.code, uint32(l))
	}
}

// I8x16Shuffle pops b, a and pushes the vector whose byte i is byte
// lanes[i] of the 32-byte concatenation a|b. Each index must be below 32.
func (f *Func) I8x16Shuffle(lanes [16]byte) {
	for _, l := range lanes {
		checkLane(l, 32)
	}
	f.code = append(appendOp(f.code, opI8x16Shuffle), lanes[:]...)
}

// memOp appends a memory access with a memarg: alignment (log2 bytes)
// first, then the offset, both unsigned LEB128.
func (f *Func) memOp(op Op, align, offset uint32) {
	if natural := uint32(opIndex[op].align); align > natural {
		panic("wasmbin: alignment 2^" + itoa(int64(align)) + " above the natural 2^" + itoa(int64(natural)) + " of " + op.String())
	}
	f.code = appendU32(appendU32(appendOp(f.code, op), align), offset)
}

// I32Load pops an address and loads the i32 at address+offset.
func (f *Func) I32Load(offset uint32) { f.memOp(opI32Load, 2, offset) }

// F32Load pops an address and loads the f32 at address+offset.
func (f *Func) F32Load(offset uint32) { f.memOp(opF32Load, 2, offset) }

// I32Load8S loads the byte at address+offset, sign-extended to i32.
func (f *Func) I32Load8S(offset uint32) { f.memOp(opI32Load8S, 0, offset) }

// I32Load8U loads the byte at address+offset, zero-extended to i32.
func (f *Func) I32Load8U(offset uint32) { f.memOp(opI32Load8U, 0, offset) }

// I32Load16S loads the 16 bits at address+offset, sign-extended to i32.
func (f *Func) I32Load16S(offset uint32) { f.memOp(opI32Load16S, 1, offset) }

// I32Load16U loads the 16 bits at address+offset, zero-extended to i32.
func (f *Func) I32Load16U(offset uint32) { f.memOp(opI32Load16U, 1, offset) }

// I32Store pops a value and an address and stores the i32 at
// address+offset.
func (f *Func) I32Store(offset uint32) { f.memOp(opI32Store, 2, offset) }

// F32Store pops a value and an address and stores the f32 at
// address+offset.
func (f *Func) F32Store(offset uint32) { f.memOp(opF32Store, 2, offset) }

// I32Store8 stores the low byte of an i32 at address+offset.
func (f *Func) I32Store8(offset uint32) { f.memOp(opI32Store8, 0, offset) }

// I32Store16 stores the low 16 bits of an i32 at address+offset.
func (f *Func) I32Store16(offset uint32) { f.memOp(opI32Store16, 1, offset) }

// MemorySize pushes the size of memory 0 in 64 KiB pages.
func (f *Func) MemorySize() { f.u32Op(opMemorySize, 0) }

// MemoryGrow pops a page count, grows memory 0 by it and pushes the old
// size in pages, or -1 on failure.
func (f *Func) MemoryGrow() { f.u32Op(opMemoryGrow, 0) }

// MemoryCopy pops n, src, dst and copies n bytes within memory 0 (the
// regions may overlap).
func (f *Func) MemoryCopy() { f.code = appendU32(appendU32(appendOp(f.code, opMemoryCopy), 0), 0) }

// MemoryFill pops n, value, dst and sets n bytes at dst to the low byte of
// value.
func (f *Func) MemoryFill() { f.u32Op(opMemoryFill, 0) }

// V128Load pops an address and loads 16 bytes from address+offset. align
// is log2 of the alignment promised, at most 4 (4 for 16 bytes, 2 where
// only 4 is known). Alignment is a hint: misaligned accesses still work.
func (f *Func) V128Load(align, offset uint32) { f.memOp(opV128Load, align, offset) }

// V128Store pops a v128 and an address and stores 16 bytes at
// address+offset; align as for V128Load.
func (f *Func) V128Store(align, offset uint32) { f.memOp(opV128Store, align, offset) }

// V128Load32Splat loads an f32 (or i32) and fills four lanes with it.
func (f *Func) V128Load32Splat(offset uint32) { f.memOp(opV128Load32Splat, 2, offset) }

// V128Load64Splat loads 8 bytes and fills both 64-bit halves with them.
func (f *Func) V128Load64Splat(offset uint32) { f.memOp(opV128Load64Splat, 3, offset) }

// V128Load32Zero loads 4 bytes into lane 0 and zeroes lanes 1-3.
func (f *Func) V128Load32Zero(offset uint32) { f.memOp(opV128Load32Zero, 2, offset) }

// V128Load64Zero loads 8 bytes into lanes 0-1 and zeroes lanes 2-3.
func (f *Func) V128Load64Zero(offset uint32) { f.memOp(opV128Load64Zero, 3, offset) }

func (f *Func) memLaneOp(op Op, offset uint32, l, lanes byte) {
	checkLane(l, lanes)
	f.memOp(op, uint32(opIndex[op].align), offset)
	f.code = append(f.code, l)
}

// V128Load32Lane pops a v128 and an address and replaces 32-bit lane l
// (0-3) with the 4 bytes at address+offset.
func (f *Func) V128Load32Lane(offset uint32, l byte) { f.memLaneOp(opV128Load32Lane, offset, l, 4) }

// V128Load64Lane pops a v128 and an address and replaces 64-bit lane l
// (0-1) with the 8 bytes at address+offset.
func (f *Func) V128Load64Lane(offset uint32, l byte) { f.memLaneOp(opV128Load64Lane, offset, l, 2) }

// V128Store32Lane pops a v128 and an address and stores its 32-bit lane l
// (0-3) at address+offset.
func (f *Func) V128Store32Lane(offset uint32, l byte) { f.memLaneOp(opV128Store32Lane, offset, l, 4) }

// V128Store64Lane pops a v128 and an address and stores its 64-bit lane l
// (0-1) at address+offset.
func (f *Func) V128Store64Lane(offset uint32, l byte) { f.memLaneOp(opV128Store64Lane, offset, l, 2) }

func (f *Func) laneOp(op Op, l byte) {
	checkLane(l, 4)
	f.code = append(appendOp(f.code, op), l)
}

// F32x4ExtractLane pops a v128 and pushes its f32 lane l (0-3).
func (f *Func) F32x4ExtractLane(l byte) { f.laneOp(opF32x4ExtractLane, l) }

// F32x4ReplaceLane pops an f32 and a v128 and pushes the v128 with lane l
// (0-3) replaced by the f32.
func (f *Func) F32x4ReplaceLane(l byte) { f.laneOp(opF32x4ReplaceLane, l) }

// I32x4ExtractLane pops a v128 and pushes its i32 lane l (0-3).
func (f *Func) I32x4ExtractLane(l byte) { f.laneOp(opI32x4ExtractLane, l) }

// I32x4ReplaceLane pops an i32 and a v128 and pushes the v128 with lane l
// (0-3) replaced by the i32.
func (f *Func) I32x4ReplaceLane(l byte) { f.laneOp(opI32x4ReplaceLane, l) }

func checkLane(l, lanes byte) {
	if l >= lanes {
		panic("wasmbin: lane index " + itoa(int64(l)) + " out of range [0, " + itoa(int64(lanes)) + ")")
	}
}

func appendF32(b []byte, v float32) []byte {
	return binary.LittleEndian.AppendUint32(b, math.Float32bits(v))
}
