package wasm

import (
	"github.com/tabtune/tabtune/compiler/codegen/wasm/wasmbin"
	"github.com/tabtune/tabtune/compiler/expr"
	"github.com/tabtune/tabtune/compiler/ir"
)

// Horizontal reductions in the vector unit. The end of a vectorized
// reduction (codegen's vectorReduction) folds the four lanes of its
// accumulator, kept in a v128 local, as a balanced tree:
//
//	op(op(acc[0], acc[1]), op(acc[2], acc[3]))    // op: float +, min or max
//
// Emitted as scalars that is four extract_lane and three scalar ops, and
// a scalar float min or max is a compare and a select, which V8 compiles
// to a branch: one mispredicted about every other row on random data.
// horizontal emits the tree as two shuffles and two f32x4 ops instead,
// then extracts lane 0:
//
//	w = op(v, v[1, 0, 3, 2])    // w[0] = op(v[0], v[1]), w[2] = op(v[2], v[3])
//	r = op(w, w[2, 3, 0, 1])    // r[0] = op(w[0], w[2])
//
// Each lane of f32x4.add, pmin and pmax computes what f32.add and
// expr.MinF32, expr.MaxF32 compute, with the operands in the tree's
// order, so lane 0 holds the same bits as the scalar tree.

// horizontal emits n when it is such a tree over the lanes of one
// register vector, and reports whether it did.
func (g *gen) horizontal(n *expr.Binary) bool {
	if n.Op != expr.Add && n.Op != expr.Min && n.Op != expr.Max || n.Type() != expr.Float {
		return false
	}
	l, ok1 := n.A.(*expr.Binary)
	r, ok2 := n.B.(*expr.Binary)
	if !ok1 || !ok2 || l.Op != n.Op || r.Op != n.Op {
		return false
	}
	reg, ok := uint32(0), true
	for lane, e := range []expr.Expr{l.A, l.B, r.A, r.B} {
		v, at, isLane := g.regLane(e)
		ok = ok && isLane && at == int64(lane) && (lane == 0 || v == reg)
		reg = v
	}
	if !ok {
		return false
	}
	op := vfloatOps[n.Op]
	w := g.temp(wasmbin.V128)
	g.f.LocalGet(reg)
	g.f.LocalGet(reg)
	g.f.LocalGet(reg)
	g.f.I8x16Shuffle(lanes32(1, 0, 3, 2))
	g.f.Emit(op)
	g.f.LocalTee(w)
	g.f.LocalGet(w)
	g.f.LocalGet(w)
	g.f.I8x16Shuffle(lanes32(2, 3, 0, 1))
	g.f.Emit(op)
	g.f.F32x4ExtractLane(0)
	g.release(wasmbin.V128, w)
	return true
}

// regLane returns the v128 local and the lane (0-3) of a load of a
// register buffer at a constant element that is in it.
func (g *gen) regLane(e expr.Expr) (uint32, int64, bool) {
	ld, ok := e.(*expr.Load)
	if !ok {
		return 0, 0, false
	}
	b, ok := ld.Src.(*ir.Buffer)
	if !ok {
		return 0, 0, false
	}
	regs, ok := g.regs[b]
	if !ok {
		return 0, 0, false
	}
	flat, ok := g.flatIndex(b, ld.Index).(*expr.IntImm)
	if !ok || flat.V < 0 || flat.V >= 4*int64(len(regs)) {
		return 0, 0, false
	}
	return regs[flat.V/4], flat.V % 4, true
}
