package wasm

import (
	"github.com/tabtune/tabtune/compiler/codegen"
	"github.com/tabtune/tabtune/compiler/codegen/wasm/wasmbin"
	"github.com/tabtune/tabtune/compiler/expr"
	"github.com/tabtune/tabtune/compiler/ir"
)

// Scalar replacement of loop-invariant memory, as LLVM's LICM promotion
// does: in an innermost loop, a buffer whose every access is at an address
// that does not change with the loop (and is not under a condition) is
// read into locals before the loop, used there, and written back after it.
// The accumulators of a tile that stays in memory across the outer
// reduction loops (Ansor's SSRSRS structure with a local cache attached
// outside the reduction) become registers across the inner one.

// hoisted is one value kept in a local across a loop.
type hoisted struct {
	buf     *ir.Buffer
	idx     []expr.Expr // the indices, with the lane variable at 0
	vector  bool
	local   uint32
	written bool
}

type hoistAccess struct {
	buf   *ir.Buffer
	idx   []expr.Expr
	lane  *expr.Var
	store bool
	cond  bool
}

// hoistInvariant finds the buffers of an innermost loop that can live in
// locals during it, loads them, and returns them for writing back.
func (g *gen) hoistInvariant(n *ir.For) []*hoisted {
	var accesses []hoistAccess
	var visit func(s ir.Stmt, cond bool, lane *expr.Var)
	// add records the loads of e; those that run only under a condition
	// (a branch of a select, the right side of && and ||) are marked so.
	var add func(e expr.Expr, cond bool, lane *expr.Var)
	add = func(e expr.Expr, cond bool, lane *expr.Var) {
		switch x := e.(type) {
		case *expr.Load:
			if b, ok := x.Src.(*ir.Buffer); ok {
				accesses = append(accesses, hoistAccess{buf: b, idx: x.Index, lane: lane, cond: cond})
			}
			for _, ix := range x.Index {
				add(ix, cond, lane)
			}
		case *expr.Select:
			add(x.Cond, cond, lane)
			add(x.T, true, lane)
			add(x.F, true, lane)
		case *expr.Binary:
			add(x.A, cond, lane)
			add(x.B, cond || x.Op == expr.And || x.Op == expr.Or, lane)
		case *expr.Not:
			add(x.A, cond, lane)
		case *expr.Cast:
			add(x.A, cond, lane)
		case *expr.Call:
			for _, a := range x.Args {
				add(a, cond, lane)
			}
		}
	}
	bad := map[*ir.Buffer]bool{}
	visit = func(s ir.Stmt, cond bool, lane *expr.Var) {
		switch x := s.(type) {
		case *ir.Seq:
			for _, c := range x.Stmts {
				visit(c, cond, lane)
			}
		case *ir.For:
			if x.Kind == ir.Vectorized && g.lanes[x.Var] {
				visit(x.Body, cond, x.Var)
			}
		case *ir.If:
			add(x.Cond, cond, lane)
			visit(x.Then, true, lane)
			if x.Else != nil {
				visit(x.Else, true, lane)
			}
		case *ir.Let:
			// A let variable may change within the loop: the buffers read
			// with it are not invariant; keep it simple and hoist nothing.
			for _, a := range accesses {
				bad[a.buf] = true
			}
			add(x.Value, cond, lane)
			visit(x.Body, true, lane)
		case *ir.Store:
			add(x.Value, cond, lane)
			accesses = append(accesses, hoistAccess{buf: x.Buf, idx: x.Index, lane: lane, store: true, cond: cond})
		case *ir.Alloc:
			visit(x.Body, cond, lane)
		}
	}
	visit(n.Body, false, nil)

	type entry struct {
		flat expr.Expr
		h    *hoisted
	}
	perBuf := map[*ir.Buffer][]entry{}
	kind := map[*ir.Buffer]int{} // 1 scalar, 2 vector
	var order []*ir.Buffer
	for _, a := range accesses {
		b := a.buf
		if _, reg := g.regs[b]; reg || bad[b] {
			continue
		}
		if _, seen := perBuf[b]; !seen && !bad[b] {
			order = append(order, b)
			perBuf[b] = nil
		}
		flat := g.flatIndex(b, a.idx)
		k := 1
		idx := a.idx
		if a.lane != nil && codegen.Depends(flat, a.lane) {
			c, lin := g.coef(flat, a.lane)
			if !lin || c != 1 {
				bad[b] = true
				continue
			}
			k = 2
			flat = g.at(flat, a.lane, 0)
			idx = substAll(a.idx, a.lane, 0, g)
		}
		if a.cond || b.DType != expr.Float || codegen.Depends(flat, n.Var) || (kind[b] != 0 && kind[b] != k) {
			bad[b] = true
			continue
		}
		kind[b] = k
		found := false
		for _, e := range perBuf[b] {
			d, ok := expr.Simplify(expr.SubE(flat, e.flat), g.env).(*expr.IntImm)
			switch {
			case !ok:
				bad[b] = true
			case d.V == 0:
				found = true
				e.h.written = e.h.written || a.store
			case k == 2 && d.V > -4 && d.V < 4:
				bad[b] = true // overlapping four-lane runs
			}
		}
		if !found && !bad[b] {
			perBuf[b] = append(perBuf[b], entry{flat, &hoisted{buf: b, idx: idx, vector: k == 2, written: a.store}})
		}
	}
	var out []*hoisted
	for _, b := range order {
		if bad[b] || len(perBuf[b]) == 0 || len(out)+len(perBuf[b]) > 24 {
			continue
		}
		for _, e := range perBuf[b] {
			h := e.h
			if h.vector {
				h.local = g.temp(wasmbin.V128)
				off := g.address(b, h.idx, nil, nil, 0)
				g.f.V128Load(2, off)
			} else {
				h.local = g.temp(wasmbin.F32)
				off := g.address(b, h.idx, nil, nil, 0)
				g.f.F32Load(off)
			}
			g.f.LocalSet(h.local)
			g.hoist[hoistKey(h.vector, b, e.flat)] = h
			out = append(out, h)
		}
		g.hoistBufs[b] = true
	}
	return out
}

func hoistKey(vector bool, b *ir.Buffer, flat expr.Expr) string {
	if vector {
		return cacheKey("hv", b, flat)
	}
	return cacheKey("hs", b, flat)
}

// unhoist writes the hoisted values back after the loop and frees them.
func (g *gen) unhoist(hs []*hoisted) {
	for _, h := range hs {
		if h.written {
			off := g.address(h.buf, h.idx, nil, nil, 0)
			g.f.LocalGet(h.local)
			if h.vector {
				g.f.V128Store(2, off)
			} else {
				g.f.F32Store(off)
			}
		}
		t := wasmbin.F32
		if h.vector {
			t = wasmbin.V128
		}
		g.release(t, h.local)
		delete(g.hoistBufs, h.buf)
		delete(g.hoist, hoistKey(h.vector, h.buf, g.flatIndex(h.buf, h.idx)))
	}
}

// hoistedAt returns the local of a hoisted access: vector with lane
// variable l (the four-lane run at l = 0), or scalar.
func (g *gen) hoistedAt(b *ir.Buffer, idx []expr.Expr, l *expr.Var) (uint32, bool) {
	if !g.hoistBufs[b] {
		return 0, false
	}
	flat := g.flatIndex(b, idx)
	vector := l != nil && codegen.Depends(flat, l)
	if vector {
		flat = g.at(flat, l, 0)
	}
	h, ok := g.hoist[hoistKey(vector, b, flat)]
	if !ok {
		g.fail("hoisted buffer %s has no value for %s", b.Name, expr.String(flat))
	}
	return h.local, true
}
