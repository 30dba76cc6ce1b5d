package wasm

import (
	"github.com/tabtune/tabtune/compiler/codegen"
	"github.com/tabtune/tabtune/compiler/codegen/wasm/wasmbin"
	"github.com/tabtune/tabtune/compiler/expr"
	"github.com/tabtune/tabtune/compiler/ir"
)

// vstmt emits the body of a four-lane loop over lane variable l as f32x4
// instructions.
func (g *gen) vstmt(s ir.Stmt, l *expr.Var) {
	switch n := s.(type) {
	case *ir.Seq:
		for _, c := range n.Stmts {
			g.vstmt(c, l)
		}
	case *ir.If:
		if !codegen.Depends(n.Cond, l) {
			g.sexpr(n.Cond)
			g.forget(nil)
			g.f.If(wasmbin.Void)
			g.branch(n, true, func() { g.vstmt(n.Then, l) })
			g.forget(nil)
			if n.Else != nil {
				g.f.Emit(wasmbin.Else)
				g.branch(n, false, func() { g.vstmt(n.Else, l) })
				g.forget(nil)
			}
			g.f.Emit(wasmbin.End)
			return
		}
		// A guard linear in the lane: when it holds at both ends of the
		// chunk it holds for all four lanes; else go lane by lane.
		at := func(lane int64) expr.Expr {
			return g.at(n.Cond, l, lane)
		}
		g.sexpr(expr.AndE(at(0), at(3)))
		g.forget(nil)
		g.f.If(wasmbin.Void)
		g.vstmt(n.Then, l)
		g.forget(nil)
		g.f.Emit(wasmbin.Else)
		for lane := int64(0); lane < 4; lane++ {
			g.stmt(codegen.Subst(n, map[*expr.Var]expr.Expr{l: expr.Const(lane)}, g.env))
		}
		g.forget(nil)
		g.f.Emit(wasmbin.End)
	case *ir.Store:
		g.vstore(n, l)
	default:
		g.fail("statement %T in a vector loop", s)
	}
}

func (g *gen) vstore(n *ir.Store, l *expr.Var) {
	g.value = n.Value
	defer func() { g.value = nil }()
	if _, ok := g.regs[n.Buf]; ok {
		flat := g.flatIndex(n.Buf, n.Index)
		base := g.at(flat, l, 0).(*expr.IntImm)
		g.vexpr(n.Value, l)
		g.f.LocalSet(g.regVector(n.Buf, base.V))
		return
	}
	if h, ok := g.hoistedAt(n.Buf, n.Index, l); ok {
		g.vexpr(n.Value, l)
		g.forget(n.Buf)
		g.f.LocalSet(h)
		return
	}
	flat := g.flatIndex(n.Buf, n.Index)
	k, lin := g.coef(flat, l)
	if lin && k == 1 {
		off := g.address(n.Buf, n.Index, n, l, 0)
		g.vexpr(n.Value, l)
		g.forget(n.Buf)
		// The value stored is what a load of the same lanes reads next
		// (a fused producer's value, summed by its consumer): the load
		// cache keeps it.
		g.toCache(cacheKey("v", n.Buf, flat), n.Buf, wasmbin.V128)
		g.f.V128Store(2, off)
		return
	}
	// Scatter: one lane at a time.
	t := g.temp(wasmbin.V128)
	g.vexpr(n.Value, l)
	g.f.LocalSet(t)
	g.forget(n.Buf)
	for lane := int64(0); lane < 4; lane++ {
		off := g.address(n.Buf, n.Index, n, l, lane)
		g.f.LocalGet(t)
		g.f.F32x4ExtractLane(byte(lane))
		g.f.F32Store(off)
	}
	g.release(wasmbin.V128, t)
}

var vfloatOps = map[expr.Op]wasmbin.Op{
	expr.Add: wasmbin.F32x4Add, expr.Sub: wasmbin.F32x4Sub, expr.Mul: wasmbin.F32x4Mul, expr.Div: wasmbin.F32x4Div,
	expr.Min: wasmbin.F32x4PMin, expr.Max: wasmbin.F32x4PMax, // expr.MinF32, expr.MaxF32
	expr.LT: wasmbin.F32x4Lt, expr.LE: wasmbin.F32x4Le, expr.GT: wasmbin.F32x4Gt, expr.GE: wasmbin.F32x4Ge,
	expr.EQ: wasmbin.F32x4Eq, expr.NE: wasmbin.F32x4Ne,
}

var vintCompare = map[expr.Op]wasmbin.Op{
	expr.LT: wasmbin.I32x4LtS, expr.LE: wasmbin.I32x4LeS, expr.GT: wasmbin.I32x4GtS, expr.GE: wasmbin.I32x4GeS,
	expr.EQ: wasmbin.I32x4Eq, expr.NE: wasmbin.I32x4Ne,
}

// vexpr pushes the four lanes of e for lane variable l: f32x4 for floats,
// i32x4 for integers, an all-ones or all-zeros mask per lane for
// conditions.
func (g *gen) vexpr(e expr.Expr, l *expr.Var) {
	if !codegen.Depends(e, l) {
		g.splat(e)
		return
	}
	switch n := e.(type) {
	case *expr.Load:
		g.vload(n, l)
	case *expr.Binary:
		switch {
		case n.Type() == expr.Int:
			g.vint(e, l)
		case n.Op.IsCompare() && n.A.Type() == expr.Int:
			g.vint(n.A, l)
			g.vint(n.B, l)
			g.f.Emit(vintCompare[n.Op])
		case n.Op == expr.And || n.Op == expr.Or:
			g.vexpr(n.A, l)
			g.vexpr(n.B, l)
			if n.Op == expr.And {
				g.f.Emit(wasmbin.V128And)
			} else {
				g.f.Emit(wasmbin.V128Or)
			}
		default:
			if g.opts.Relaxed && n.Op == expr.Add {
				// a*b + c, in either order: one relaxed multiply-add.
				for _, pair := range [2][2]expr.Expr{{n.A, n.B}, {n.B, n.A}} {
					if m, ok := pair[0].(*expr.Binary); ok && m.Op == expr.Mul {
						g.vexpr(m.A, l)
						g.vexpr(m.B, l)
						g.vexpr(pair[1], l)
						g.f.Emit(wasmbin.F32x4RelaxedMadd)
						return
					}
				}
			}
			op, ok := vfloatOps[n.Op]
			if !ok {
				g.fail("%s on float lanes", n.Op)
			}
			g.vexpr(n.A, l)
			g.vexpr(n.B, l)
			g.f.Emit(op)
		}
	case *expr.Var:
		g.vint(e, l)
	case *expr.Not:
		g.vexpr(n.A, l)
		g.f.Emit(wasmbin.V128Not)
	case *expr.Select:
		g.vexpr(n.T, l)
		g.vexpr(n.F, l)
		g.vexpr(n.Cond, l)
		g.f.Emit(wasmbin.V128Bitselect)
	case *expr.Cast:
		g.vint(n.A, l)
		g.f.Emit(wasmbin.F32x4ConvertI32x4S)
	case *expr.Call:
		for _, a := range n.Args {
			g.vexpr(a, l)
		}
		switch n.Fn {
		case expr.Sqrt:
			g.f.Emit(wasmbin.F32x4Sqrt)
		case expr.Abs:
			g.f.Emit(wasmbin.F32x4Abs)
		default:
			if !inlineMath(g.f, n.Fn, true, g.opts.Relaxed) {
				g.fail("no wasm code for %s", n.Fn)
			}
		}
	default:
		g.fail("expression %T in a vector loop", e)
	}
}

// splat pushes a lane-invariant value in all four lanes.
func (g *gen) splat(e expr.Expr) {
	switch e.Type() {
	case expr.Float:
		if c, ok := e.(*expr.FloatImm); ok {
			g.f.V128ConstF32([4]float32{c.V, c.V, c.V, c.V})
			return
		}
		if ld, ok := e.(*expr.Load); ok {
			if b, ok := ld.Src.(*ir.Buffer); ok {
				if _, reg := g.regs[b]; !reg {
					key := cacheKey("p", b, g.flatIndex(b, ld.Index))
					if g.fromCache(key) {
						return
					}
					if h, ok := g.hoistedAt(b, ld.Index, nil); ok {
						g.f.LocalGet(h)
						g.f.Emit(wasmbin.F32x4Splat)
					} else {
						off := g.address(b, ld.Index, ld, nil, 0)
						g.f.V128Load32Splat(off)
					}
					g.toCache(key, b, wasmbin.V128)
					return
				}
			}
		}
		g.sexpr(e)
		g.f.Emit(wasmbin.F32x4Splat)
	case expr.Int:
		g.sexpr(e)
		g.f.Emit(wasmbin.I32x4Splat)
	default: // a condition: 1 -> all ones
		g.f.I32Const(0)
		g.sexpr(e)
		g.f.Emit(wasmbin.I32Sub)
		g.f.Emit(wasmbin.I32x4Splat)
	}
}

// vint pushes the lanes of an integer expression linear in l.
func (g *gen) vint(e expr.Expr, l *expr.Var) {
	k, ok := g.coef(e, l)
	if !ok {
		g.fail("integer %s is not linear in %s", expr.String(e), l.Name)
	}
	g.splat(g.at(e, l, 0))
	if k != 0 {
		if k*3 > 1<<31-1 || k*3 < -(1<<31) {
			g.fail("lane stride %d is too large", k)
		}
		g.f.V128ConstI32([4]int32{0, int32(k), int32(2 * k), int32(3 * k)})
		g.f.Emit(wasmbin.I32x4Add)
	}
}

// vload pushes four lanes of a load: one v128.load when the lanes are
// contiguous, two wide loads and a shuffle when they are a small constant
// stride apart (a stride-2 convolution's input), else a gather. Loads
// that do not move with the lane are splat by vexpr (v128.load32_splat).
func (g *gen) vload(n *expr.Load, l *expr.Var) {
	b := n.Src.(*ir.Buffer)
	flat := g.flatIndex(b, n.Index)
	if _, ok := g.regs[b]; ok {
		k, lin := g.coef(flat, l)
		base, isConst := g.at(flat, l, 0).(*expr.IntImm)
		if lin && k == 1 && isConst && base.V%4 == 0 {
			g.f.LocalGet(g.regVector(b, base.V))
			return
		}
	}
	if h, ok := g.hoistedAt(b, n.Index, l); ok {
		g.f.LocalGet(h)
		return
	}
	if k, lin := g.coef(flat, l); lin {
		if _, ok := g.regs[b]; !ok {
			kind := "w" // strided
			if k == 1 {
				kind = "v"
			}
			key := cacheKey(kind, b, flat)
			if g.fromCache(key) {
				return
			}
			switch {
			case k == 1:
				off := g.address(b, n.Index, n, l, 0)
				g.f.V128Load(2, off)
			case k != 0 && k >= -3 && k <= 3:
				g.vloadShuffle(b, n, l, k)
			default:
				g.vloadLanes(b, n, l)
			}
			g.toCache(key, b, wasmbin.V128)
			return
		}
	}
	g.vloadLanes(b, n, l)
}

// vloadShuffle pushes the four lanes of a load whose element moves by k
// per lane, 1 < |k| <= 3 or k = -1, with at most two v128 loads and one
// i8x16.shuffle: one load starts at the lowest element the lanes read,
// the other ends at the highest, so nothing outside the elements between
// them is read (no access leaves its buffer, whatever its edge). For
// stride 2 the loads are elements 0-3 and 3-6 and the shuffle takes lanes
// 0, 2, 5, 7; for stride -1, one load reversed.
func (g *gen) vloadShuffle(b *ir.Buffer, n *expr.Load, l *expr.Var, k int64) {
	if k == 2 && g.vloadPair(b, n, l) {
		return
	}
	low, high := int64(0), int64(3) // the lanes at the lowest and highest element
	if k < 0 {
		low, high = 3, 0
	}
	step := max(k, -k)
	g.f.V128Load(2, g.address(b, n.Index, n, l, low))
	second := 3*step - 3 // where the second load starts, from the lowest element
	if step == 1 {
		t := g.temp(wasmbin.V128)
		g.f.LocalTee(t)
		g.f.LocalGet(t)
		g.release(wasmbin.V128, t)
	} else {
		g.f.V128Load(2, g.addressPlus(b, n.Index, n, l, high, -3))
	}
	var src [4]byte
	for lane := int64(0); lane < 4; lane++ {
		r := (lane - low) * k // elements above the lowest
		if r > 3 {
			r = 4 + r - second
		}
		src[lane] = byte(r)
	}
	g.f.I8x16Shuffle(lanes32(src[0], src[1], src[2], src[3]))
}

// vloadPair pushes the four lanes of a stride-2 load that pairs with its
// neighbour: when the statement, or a four-lane loop that runs next in the
// same straight-line block, also reads the element one further on at the
// same stride (the taps x*2 and x*2 + 1 of a pool's window, or of a
// depthwise conv's unrolled taps), the first
// of the two loads the eight elements both read with two v128 loads, kept
// for the second, and each takes its lanes with one shuffle (the even
// ones, then the odd ones): two loads for both instead of two each. The
// second element's load reads the eighth, so no access leaves its buffer.
// It reports false, pushing nothing, when the load has no partner.
func (g *gen) vloadPair(b *ir.Buffer, n *expr.Load, l *expr.Var) bool {
	flat := expr.Simplify(g.flatIndex(b, n.Index), g.env)
	prev := expr.Simplify(expr.AddE(flat, expr.Const(-1)), g.env)
	_, lo := g.cache[cacheKey("plo", b, prev)]
	_, hi := g.cache[cacheKey("phi", b, prev)]
	if lo && hi {
		g.fromCache(cacheKey("plo", b, prev))
		g.fromCache(cacheKey("phi", b, prev))
		g.f.I8x16Shuffle(pairLanes(1))
		return true
	}
	if !g.hasPartner(b, expr.Simplify(expr.AddE(flat, expr.Const(1)), g.env), l) {
		return false
	}
	g.f.V128Load(2, g.address(b, n.Index, n, l, 0))
	g.toCache(cacheKey("plo", b, flat), b, wasmbin.V128)
	g.f.V128Load(2, g.addressPlus(b, n.Index, n, l, 0, 4))
	g.toCache(cacheKey("phi", b, flat), b, wasmbin.V128)
	g.f.I8x16Shuffle(pairLanes(0))
	return true
}

// hasPartner reports whether the value of the store being emitted, or of
// a store of the four-lane loops that follow it (g.next, up to
// maxPartnerLookahead, not inside a conditional), reads buffer b at flat
// index next, moving by 2 per lane of l, outside the branches of a select.
func (g *gen) hasPartner(b *ir.Buffer, next expr.Expr, l *expr.Var) bool {
	want := expr.String(next)
	found := false
	var walk func(e expr.Expr)
	walk = func(e expr.Expr) {
		expr.Walk(e, func(x expr.Expr) bool {
			switch x := x.(type) {
			case *expr.Select:
				walk(x.Cond)
				return false
			case *expr.Load:
				if x.Src == expr.Source(b) {
					f := expr.Simplify(g.flatIndex(b, x.Index), g.env)
					if k, ok := g.coef(f, l); ok && k == 2 && expr.String(f) == want {
						found = true
					}
				}
			}
			return !found
		})
	}
	if g.value != nil {
		walk(g.value)
	}
	// The four-lane loops that follow in the same straight-line block
	// run next, each with its own lane variable (the taps of a window
	// unrolled into one statement each).
	for i, s := range g.next {
		f, ok := s.(*ir.For)
		if found || i == maxPartnerLookahead || !ok || f.Kind != ir.Vectorized || !g.lanes[f.Var] {
			break
		}
		body := codegen.Subst(f.Body, map[*expr.Var]expr.Expr{f.Var: l}, g.env)
		ir.WalkStmt(body, func(s ir.Stmt) bool {
			if st, ok := s.(*ir.Store); ok && !found {
				walk(st.Value)
			}
			_, isIf := s.(*ir.If)
			return !found && !isIf
		})
	}
	return found
}

// maxPartnerLookahead bounds the four-lane loops after a stride-2 load
// that hasPartner searches.
const maxPartnerLookahead = 16

// pairLanes is the shuffle of lanes first, first+2, first+4 and first+6
// of two vectors.
func pairLanes(first byte) [16]byte {
	return lanes32(first, first+2, first+4, first+6)
}

// vloadLanes pushes the four lanes of a load one at a time (a gather):
// a splat load of lane 0, then lane inserts.
func (g *gen) vloadLanes(b *ir.Buffer, n *expr.Load, l *expr.Var) {
	_, reg := g.regs[b]
	for lane := int64(0); lane < 4; lane++ {
		switch {
		case reg:
			g.load(&expr.Load{Src: b, Index: substAll(n.Index, l, lane, g)})
		case lane == 0:
			g.f.V128Load32Splat(g.address(b, n.Index, n, l, lane))
			continue
		default:
			g.f.F32Load(g.address(b, n.Index, n, l, lane))
		}
		if lane == 0 {
			g.f.Emit(wasmbin.F32x4Splat)
		} else {
			g.f.F32x4ReplaceLane(byte(lane))
		}
	}
}

func substAll(idx []expr.Expr, l *expr.Var, lane int64, g *gen) []expr.Expr {
	out := make([]expr.Expr, len(idx))
	for i, e := range idx {
		out[i] = g.at(e, l, lane)
	}
	return out
}
