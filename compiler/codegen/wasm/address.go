package wasm

import (
	"fmt"

	"github.com/tabtune/tabtune/compiler/codegen"
	"github.com/tabtune/tabtune/compiler/codegen/wasm/wasmbin"
	"github.com/tabtune/tabtune/compiler/expr"
	"github.com/tabtune/tabtune/compiler/ir"
)

// increment is a pointer local of an innermost loop: advanced by step
// bytes each iteration, and the accesses that use it.
type increment struct {
	ptr   uint32
	step  int64
	nodes []any
}

// strengthReduce gives the memory accesses of an innermost loop pointer
// locals: an access whose element offset is r + k*v + c (r does not
// change in the loop) reads at pointer + 4(c - m), the pointer starting at
// base + 4(r + m) (m: lift) and advancing by 4k. Accesses that differ
// only in c share a pointer. It emits the pointers' initialization and
// returns them.
func (g *gen) strengthReduce(n *ir.For) []increment {
	bound := map[*expr.Var]bool{}
	ir.WalkStmt(n.Body, func(s ir.Stmt) bool {
		if l, ok := s.(*ir.Let); ok {
			bound[l.Var] = true
		}
		return true
	})
	groups := map[string]*increment{}
	var order []string
	codegen.ForAccesses(n.Body, func(b *ir.Buffer, idx []expr.Expr, node any) {
		if _, promoted := g.regs[b]; promoted || g.hoistBufs[b] {
			return
		}
		flat := g.withoutLanes(g.flatIndex(b, idx))
		if flat == nil || expr.Uses(flat, func(v *expr.Var) bool { return bound[v] }) {
			return
		}
		k, ok := g.coef(flat, n.Var)
		if !ok {
			return
		}
		rest := g.at(flat, n.Var, 0)
		// The pointer starts at element start, the access reads at
		// element offset c from it.
		start, c := rest, int64(0)
		r, rc := splitConst(rest)
		if m, ok := g.lift(r, k*(n.Extent-1)); ok && rc >= m {
			start, c = expr.Simplify(expr.AddE(r, expr.Const(m)), g.env), rc-m
		}
		key := fmt.Sprintf("%s|%s|%d", b.Name, expr.String(start), k)
		inc, seen := groups[key]
		if !seen {
			inc = &increment{ptr: g.temp(wasmbin.I32), step: 4 * k}
			groups[key] = inc
			order = append(order, key)
			g.f.LocalGet(g.bufBase(b))
			if !isZero(start) {
				g.sexpr(start)
				g.f.I32Const(2)
				g.f.Emit(wasmbin.I32Shl)
				g.f.Emit(wasmbin.I32Add)
			}
			g.f.LocalSet(inc.ptr)
		}
		inc.nodes = append(inc.nodes, node)
		g.ptrs[node] = access{ptr: inc.ptr, offset: 4 * c}
	})
	out := make([]increment, 0, len(order))
	for _, k := range order {
		out = append(out, *groups[k])
	}
	return out
}

// withoutLanes sets the lane variables of a flat index to 0, or returns
// nil when the index does not move by a constant per lane.
func (g *gen) withoutLanes(flat expr.Expr) expr.Expr {
	sub := map[*expr.Var]expr.Expr{}
	ok := true
	expr.Walk(flat, func(x expr.Expr) bool {
		if v, isVar := x.(*expr.Var); isVar && g.lanes[v] {
			if _, lin := g.coef(flat, v); !lin {
				ok = false
			}
			sub[v] = expr.Const(0)
		}
		return ok
	})
	if !ok {
		return nil
	}
	if len(sub) == 0 {
		return flat
	}
	return expr.Simplify(expr.Substitute(flat, sub), g.env)
}

// lift is the least m >= 0 that keeps the element offset r + m, moved by
// up to move elements (a pointer's whole travel in its loop), at or above
// 0 for every value of the loops (nonNegative), or false when r has no
// bounds. The accesses r + c with c >= m share a pointer that starts at
// r + m and read at the constant offsets c - m. r may dip below 0 where it
// holds a floor division that the constant made up for: the phases of a
// transposed convolution read pad[.., y + (2 - py) // 2 + ry, ..], whose
// flat index simplifies to .. + py * (-1) // 2 + c; without the lift,
// every tap of an unrolled tile took a pointer of its own, more than the
// registers (t2d: 1.5x slower with the padding computed at the root).
func (g *gen) lift(r expr.Expr, move int64) (int64, bool) {
	b, ok := expr.Bounds(r, g.env)
	if !ok {
		return 0, false
	}
	return max(0, -(b.Min + min(move, 0))), true
}

// nonNegative reports whether the element offset r, moved by up to move
// elements (a pointer's whole travel in its loop), stays at or above 0
// for every value of the loops. An address below the buffer cannot be
// brought back by a constant memarg offset: wasm adds the offset to the
// address as an unsigned number, so a "negative" address traps whatever
// the offset (a reversed access, A[n - 1 - i], of a tensor placed near 0).
func (g *gen) nonNegative(r expr.Expr, move int64) bool {
	m, ok := g.lift(r, move)
	return ok && m == 0
}

func isZero(e expr.Expr) bool {
	c, ok := e.(*expr.IntImm)
	return ok && c.V == 0
}

// splitConst splits a simplified integer expression into x + c.
func splitConst(e expr.Expr) (expr.Expr, int64) {
	switch n := e.(type) {
	case *expr.IntImm:
		return expr.Const(0), n.V
	case *expr.Binary:
		if c, ok := n.B.(*expr.IntImm); ok {
			switch n.Op {
			case expr.Add:
				return n.A, c.V
			case expr.Sub:
				return n.A, -c.V
			}
		}
	}
	return e, 0
}

// bufBase is the local that holds a memory buffer's byte address.
func (g *gen) bufBase(b *ir.Buffer) uint32 {
	l, ok := g.base[b]
	if !ok {
		g.fail("buffer %s is not in scope", b.Name)
	}
	return l
}

// address pushes the byte address of an access and returns the constant
// byte offset to put in the memarg. With a lane variable, the address is
// that of lane lane.
func (g *gen) address(b *ir.Buffer, idx []expr.Expr, node any, lane *expr.Var, at int64) uint32 {
	return g.addressPlus(b, idx, node, lane, at, 0)
}

// addressPlus is address moved by extra elements (a wide load that ends
// at an access rather than starts there).
func (g *gen) addressPlus(b *ir.Buffer, idx []expr.Expr, node any, lane *expr.Var, at, extra int64) uint32 {
	flat := g.flatIndex(b, idx)
	if lane != nil {
		flat = g.at(flat, lane, at)
	}
	if extra != 0 {
		flat = expr.Simplify(expr.AddE(flat, expr.Const(extra)), g.env)
	}
	if a, ok := g.ptrs[node]; ok {
		delta := extra
		if lane != nil {
			k, _ := g.coef(g.flatIndex(b, idx), lane)
			delta += k * at
		}
		off := a.offset + 4*delta
		g.f.LocalGet(a.ptr)
		if off < 0 {
			g.i32const(off)
			g.f.Emit(wasmbin.I32Add)
			return 0
		}
		return uint32(off)
	}
	r, c := splitConst(flat)
	if c < 0 || !g.nonNegative(r, 0) {
		r, c = flat, 0
	}
	g.f.LocalGet(g.bufBase(b))
	if !isZero(r) {
		g.sexpr(r)
		g.f.I32Const(2)
		g.f.Emit(wasmbin.I32Shl)
		g.f.Emit(wasmbin.I32Add)
	}
	return uint32(4 * c)
}

// regAt returns the v128 local and lane of a constant element of a
// promoted buffer.
func (g *gen) regAt(b *ir.Buffer, idx []expr.Expr) (uint32, byte) {
	flat, ok := g.flatIndex(b, idx).(*expr.IntImm)
	if !ok {
		g.fail("register buffer %s indexed by %s", b.Name, expr.String(g.flatIndex(b, idx)))
	}
	return g.regVector(b, flat.V), byte((flat.V%4 + 4) % 4)
}

// regVector returns the v128 local of a promoted buffer that holds
// element e. An element outside the buffer can only be in code that never
// runs: in a branch known dead (branch) it gets a spare local; anywhere
// else it is an error, not a panic.
func (g *gen) regVector(b *ir.Buffer, e int64) uint32 {
	regs := g.regs[b]
	if e >= 0 && e < 4*int64(len(regs)) {
		return regs[e/4]
	}
	if g.dead == 0 {
		g.fail("register buffer %s of %d elements accessed at %d", b.Name, b.Elems(), e)
	}
	if !g.hasSpare {
		g.spare, g.hasSpare = g.f.AddLocal(wasmbin.V128), true
	}
	return g.spare
}

// store emits a scalar store.
func (g *gen) store(n *ir.Store) {
	if _, ok := g.regs[n.Buf]; ok {
		reg, lane := g.regAt(n.Buf, n.Index)
		g.f.LocalGet(reg)
		g.sexpr(n.Value)
		g.f.F32x4ReplaceLane(lane)
		g.f.LocalSet(reg)
		return
	}
	if l, ok := g.hoistedAt(n.Buf, n.Index, nil); ok {
		g.sexpr(n.Value)
		// Splats of the old value may be cached (splat).
		g.forget(n.Buf)
		g.f.LocalSet(l)
		return
	}
	off := g.address(n.Buf, n.Index, n, nil, 0)
	g.sexpr(n.Value)
	g.forget(n.Buf)
	if n.Buf.DType == expr.Int {
		g.f.I32Store(off)
		return
	}
	g.f.F32Store(off)
}

// load emits a scalar load.
func (g *gen) load(n *expr.Load) {
	b, ok := n.Src.(*ir.Buffer)
	if !ok {
		g.fail("load of %s, which is not a buffer", n.Src.SourceName())
	}
	if _, ok := g.regs[b]; ok {
		reg, lane := g.regAt(b, n.Index)
		g.f.LocalGet(reg)
		g.f.F32x4ExtractLane(lane)
		return
	}
	if l, ok := g.hoistedAt(b, n.Index, nil); ok {
		g.f.LocalGet(l)
		return
	}
	key := cacheKey("s", b, g.flatIndex(b, n.Index))
	if g.fromCache(key) {
		return
	}
	off := g.address(b, n.Index, n, nil, 0)
	if b.DType == expr.Int {
		g.f.I32Load(off)
		g.toCache(key, b, wasmbin.I32)
		return
	}
	g.f.F32Load(off)
	g.toCache(key, b, wasmbin.F32)
}
