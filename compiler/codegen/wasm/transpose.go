package wasm

import (
	"github.com/tabtune/tabtune/compiler/codegen"
	"github.com/tabtune/tabtune/compiler/codegen/wasm/wasmbin"
	"github.com/tabtune/tabtune/compiler/expr"
	"github.com/tabtune/tabtune/compiler/ir"
)

// transposeGroup emits a loop the transpose pass marked (codegen.Transpose):
// four iterations i of a four-lane loop over l. An access that moves by
// k >= 4 elements per lane and by one per iteration spans a 4x4 block
// whose rows (one lane, the four iterations) are contiguous.
//
// A load of such a block is four v128.load of the rows and eight
// i8x16.shuffle (the two rounds of unpack-low/high of a 4x4 transpose):
// the column of iteration i is the vector the load gives in iteration i,
// put in the load cache under that load's key, so that vload takes it
// from there. The iterations are then emitted one after the other, each
// an ordinary vector step. A store of such a block (the pass groups it
// only as the body's one store) keeps the four iterations' vectors,
// transposes them, and stores the rows. The rows hold only elements the
// iterations access (the pass groups stores-only bodies, whose selects
// load in bounds for every lane).
func (g *gen) transposeGroup(n *ir.For) {
	lane, ok := n.Body.(*ir.For)
	if !ok || n.Extent != 4 || lane.Kind != ir.Vectorized || !g.lanes[lane.Var] {
		g.fail("transpose group %s is not four iterations of a four-lane loop", n.Var.Name)
	}
	l, i := lane.Var, n.Var
	type block struct {
		b     *ir.Buffer
		row   expr.Expr // the flat index at i = 0
		cols  [4]uint32
		taken [4]bool
	}
	var blocks []*block
	seen := map[string]bool{}
	codegen.ForAccesses(lane.Body, func(b *ir.Buffer, idx []expr.Expr, node any) {
		flat := g.flatIndex(b, idx)
		key := cacheKey("t", b, flat)
		if _, isLoad := node.(*expr.Load); !isLoad || seen[key] {
			return
		}
		if k, ok := g.rowStride(b, idx, l, i); ok {
			seen[key] = true
			blk := &block{b: b, row: g.at(flat, i, 0)}
			blk.cols = g.transpose4(g.loadRows(b, substAll(idx, i, 0, g), l, k))
			blocks = append(blocks, blk)
		}
	})
	st, single := lane.Body.(*ir.Store)
	k, scatter := int64(0), false
	if single {
		k, scatter = g.rowStride(st.Buf, st.Index, l, i)
	}
	var vals [4]uint32
	for it := int64(0); it < 4; it++ {
		body := codegen.Subst(lane.Body, map[*expr.Var]expr.Expr{i: expr.Const(it)}, g.env)
		// Give each column to the loads of this iteration that read it.
		codegen.ForAccesses(body, func(b *ir.Buffer, idx []expr.Expr, node any) {
			if _, isLoad := node.(*expr.Load); !isLoad {
				return
			}
			flat := g.flatIndex(b, idx)
			key := cacheKey("w", b, flat)
			if _, ok := g.cache[key]; ok {
				return
			}
			for _, blk := range blocks {
				d, ok := expr.Simplify(expr.SubE(flat, blk.row), g.env).(*expr.IntImm)
				if blk.b == b && ok && d.V == it && !blk.taken[it] {
					g.cache[key] = cached{buf: b, local: blk.cols[it], t: wasmbin.V128}
					blk.taken[it] = true
					return
				}
			}
		})
		if !scatter {
			g.vstmt(body, l)
			continue
		}
		g.vexpr(body.(*ir.Store).Value, l)
		vals[it] = g.temp(wasmbin.V128)
		g.f.LocalSet(vals[it])
	}
	// Columns no load took go back.
	for _, blk := range blocks {
		for c, taken := range blk.taken {
			if !taken {
				g.release(wasmbin.V128, blk.cols[c])
			}
		}
	}
	if scatter {
		g.forget(st.Buf)
		rows := g.transpose4(vals)
		g.storeRows(st.Buf, substAll(st.Index, i, 0, g), l, k, rows)
	}
}

// rowStride returns k when an access of b at idx moves by k >= 4 elements
// per lane l and by one per iteration i: it spans a block of contiguous
// rows. Register and hoisted buffers have none.
func (g *gen) rowStride(b *ir.Buffer, idx []expr.Expr, l, i *expr.Var) (int64, bool) {
	if _, reg := g.regs[b]; reg || g.hoistBufs[b] {
		return 0, false
	}
	flat := g.flatIndex(b, idx)
	k, lin := g.coef(flat, l)
	ki, linI := g.coef(flat, i)
	return k, lin && linI && k >= 4 && ki == 1
}

// rowsAddress sets a borrowed local to the address of row 0 of the block
// of b at idx (lane l at 0) and returns it with the memarg offset of each
// row, k elements apart.
func (g *gen) rowsAddress(b *ir.Buffer, idx []expr.Expr, l *expr.Var, k int64) (uint32, [4]uint32) {
	ptr := g.temp(wasmbin.I32)
	off := g.address(b, idx, nil, l, 0)
	g.f.LocalSet(ptr)
	var offs [4]uint32
	for r := range offs {
		o := int64(off) + 4*k*int64(r)
		if o > 1<<32-1 {
			g.fail("row offset %d of a transpose is too large", o)
		}
		offs[r] = uint32(o)
	}
	return ptr, offs
}

// loadRows loads the four rows of the block of b at idx (lane l at 0, the
// rows k elements apart) into borrowed v128 locals.
func (g *gen) loadRows(b *ir.Buffer, idx []expr.Expr, l *expr.Var, k int64) [4]uint32 {
	ptr, offs := g.rowsAddress(b, idx, l, k)
	var rows [4]uint32
	for r := range rows {
		g.f.LocalGet(ptr)
		g.f.V128Load(2, offs[r])
		rows[r] = g.temp(wasmbin.V128)
		g.f.LocalSet(rows[r])
	}
	g.release(wasmbin.I32, ptr)
	return rows
}

// storeRows stores four rows, borrowed v128 locals it gives back, as the
// block of b at idx (lane l at 0, the rows k elements apart).
func (g *gen) storeRows(b *ir.Buffer, idx []expr.Expr, l *expr.Var, k int64, rows [4]uint32) {
	ptr, offs := g.rowsAddress(b, idx, l, k)
	for r, row := range rows {
		g.f.LocalGet(ptr)
		g.f.LocalGet(row)
		g.f.V128Store(2, offs[r])
		g.release(wasmbin.V128, row)
	}
	g.release(wasmbin.I32, ptr)
}

// transpose4 transposes the 4x4 block whose rows are in four borrowed
// v128 locals, which it gives back, and returns its columns in four it
// borrows.
func (g *gen) transpose4(rows [4]uint32) [4]uint32 {
	// Round one interleaves rows 0 and 1, 2 and 3 (lo: elements 0 and 1,
	// hi: 2 and 3); round two takes 64-bit halves of those.
	lo, hi := lanes32(0, 4, 1, 5), lanes32(2, 6, 3, 7)
	var mid [4]uint32
	for p, s := range [4]struct {
		a, b int
		mask [16]byte
	}{{0, 1, lo}, {0, 1, hi}, {2, 3, lo}, {2, 3, hi}} {
		g.f.LocalGet(rows[s.a])
		g.f.LocalGet(rows[s.b])
		g.f.I8x16Shuffle(s.mask)
		mid[p] = g.temp(wasmbin.V128)
		g.f.LocalSet(mid[p])
	}
	for _, r := range rows {
		g.release(wasmbin.V128, r)
	}
	// Column c: elements c of the four rows.
	first, second := lanes32(0, 1, 4, 5), lanes32(2, 3, 6, 7)
	var cols [4]uint32
	for c, src := range [4][2]int{{0, 2}, {0, 2}, {1, 3}, {1, 3}} {
		g.f.LocalGet(mid[src[0]])
		g.f.LocalGet(mid[src[1]])
		if c%2 == 0 {
			g.f.I8x16Shuffle(first)
		} else {
			g.f.I8x16Shuffle(second)
		}
		cols[c] = g.temp(wasmbin.V128)
		g.f.LocalSet(cols[c])
	}
	for _, m := range mid {
		g.release(wasmbin.V128, m)
	}
	return cols
}

// lanes32 is the i8x16.shuffle mask that picks the 32-bit lanes a, b, c,
// d of two vectors (0-3 the first, 4-7 the second).
func lanes32(a, b, c, d byte) [16]byte {
	var m [16]byte
	for i, x := range [4]byte{a, b, c, d} {
		for j := range byte(4) {
			m[4*i+int(j)] = 4*x + j
		}
	}
	return m
}
