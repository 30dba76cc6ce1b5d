package wasm

import (
	"github.com/tabtune/tabtune/compiler/codegen"
	"github.com/tabtune/tabtune/compiler/codegen/wasm/wasmbin"
	"github.com/tabtune/tabtune/compiler/expr"
	"github.com/tabtune/tabtune/compiler/ir"
)

// transposeGroup emits a loop the transpose pass marked (codegen.Transpose):
// four iterations i of a four-lane loop over l. A load that moves by k >= 4
// elements per lane and by one per iteration reads a 4x4 block whose
// rows (one lane, the four iterations) are contiguous: four v128.load of
// the rows, eight i8x16.shuffle (the two rounds of unpack-low/high of a
// 4x4 transpose), and the column of iteration i is the vector the load
// gives in iteration i, put in the load cache under that load's key, so
// that vload takes it from there. The iterations are then emitted one
// after the other, each an ordinary vector step. The rows read only the
// elements the iterations read (the pass groups stores-only bodies, whose
// selects load in bounds for every lane).
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
	forAccesses(lane.Body, func(b *ir.Buffer, idx []expr.Expr, node any) {
		ld, isLoad := node.(*expr.Load)
		if !isLoad || g.hoistBufs[b] {
			return
		}
		if _, reg := g.regs[b]; reg {
			return
		}
		flat := g.flatIndex(b, idx)
		k, lin := g.coef(flat, l)
		ki, linI := g.coef(flat, i)
		key := cacheKey("t", b, flat)
		if !lin || !linI || k < 4 || ki != 1 || seen[key] {
			return
		}
		seen[key] = true
		at0 := make([]expr.Expr, len(ld.Index))
		for d, ix := range ld.Index {
			at0[d] = codegen.SubstConst(ix, i, 0, g.env)
		}
		blk := &block{b: b, row: g.at(flat, i, 0)}
		g.transpose4(b, at0, l, k, &blk.cols)
		blocks = append(blocks, blk)
	})
	for it := int64(0); it < 4; it++ {
		body := codegen.Subst(lane.Body, map[*expr.Var]expr.Expr{i: expr.Const(it)}, g.env)
		// Give each column to the loads of this iteration that read it.
		forAccesses(body, func(b *ir.Buffer, idx []expr.Expr, node any) {
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
		g.vstmt(body, l)
	}
	// Columns no load took go back.
	for _, blk := range blocks {
		for c, taken := range blk.taken {
			if !taken {
				g.release(wasmbin.V128, blk.cols[c])
			}
		}
	}
}

// transpose4 loads the rows of the 4x4 block of b at index idx (lane l
// at 0, the rows k elements apart, k > 0) and leaves its columns in four
// v128 locals it borrows (cols).
func (g *gen) transpose4(b *ir.Buffer, idx []expr.Expr, l *expr.Var, k int64, cols *[4]uint32) {
	var rows [4]uint32
	ptr := g.temp(wasmbin.I32)
	off := g.address(b, idx, nil, l, 0)
	g.f.LocalSet(ptr)
	for r := range rows {
		g.f.LocalGet(ptr)
		o := int64(off) + 4*k*int64(r)
		if o > 1<<32-1 {
			g.fail("row offset %d of a transpose is too large", o)
		}
		g.f.V128Load(2, uint32(o))
		rows[r] = g.temp(wasmbin.V128)
		g.f.LocalSet(rows[r])
	}
	g.release(wasmbin.I32, ptr)
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
