package features

import (
	"slices"

	"github.com/tabtune/tabtune/compiler/codegen"
	"github.com/tabtune/tabtune/compiler/expr"
	"github.com/tabtune/tabtune/compiler/ir"
)

// This file mirrors the code generators' decision whether a vectorized
// loop runs Machine.Lanes lanes at a time (canVectorize in
// compiler/codegen: vectorize.go and autounroll.go; vector accumulators
// for a reduction: reduce.go), with linearity decided syntactically on the
// simplified indices instead of by re-simplifying.

// canVectorize reports whether the generator can run body for all lanes
// of v at once: straight-line float stores whose index moves with v,
// conditions linear in v (with or without an else), values it can compute
// per lane.
func (x *extractor) canVectorize(body ir.Stmt, v *expr.Var) bool {
	switch n := body.(type) {
	case *ir.Seq:
		for _, c := range n.Stmts {
			if !x.canVectorize(c, v) {
				return false
			}
		}
		return true
	case *ir.Store:
		if n.Buf == nil || n.Buf.DType != expr.Float {
			return false
		}
		// Unswitched, a select may load out of bounds where its condition
		// is false (unswitch in compiler/codegen); the check with unswitch
		// set accepts all the check without it does, so it runs alone.
		x.unswitch = true
		ok := x.vexprOK(n.Value, v)
		x.unswitch = false
		if !ok {
			return false
		}
		k, lin := flatLinV(n.Buf, n.Index, v)
		return lin && k != 0 // lanes must write distinct places
	case *ir.If:
		if dependsOn(n.Cond, v) && !linearConds(n.Cond, v) {
			return false
		}
		return x.canVectorize(n.Then, v) && (n.Else == nil || x.canVectorize(n.Else, v))
	}
	return false
}

// vexprOK reports whether e can be computed for all lanes of v at once.
func (x *extractor) vexprOK(e expr.Expr, v *expr.Var) bool {
	if !dependsOn(e, v) {
		return true
	}
	switch n := e.(type) {
	case *expr.Var:
		return true
	case *expr.Load:
		return n.Src.ElemType() == expr.Float
	case *expr.Binary:
		if n.Type() == expr.Int {
			_, ok := linV(e, v)
			return ok
		}
		if n.Op.IsCompare() && n.A.Type() == expr.Int {
			_, ok1 := linV(n.A, v)
			_, ok2 := linV(n.B, v)
			return ok1 && ok2
		}
		return x.vexprOK(n.A, v) && x.vexprOK(n.B, v)
	case *expr.Not:
		return x.vexprOK(n.A, v)
	case *expr.Select:
		return x.vexprOK(n.Cond, v) && x.vexprOK(n.T, v) && x.vexprOK(n.F, v) &&
			(x.loadsInBounds(n.T) && x.loadsInBounds(n.F) || x.unswitch && linearConds(n.Cond, v))
	case *expr.Cast:
		if n.A.Type() == expr.Int && n.To == expr.Float {
			_, ok := linV(n.A, v)
			return ok
		}
		return false
	case *expr.Call:
		// Every intrinsic has a four-lane form (wasm/wmath, sqrt, abs).
		for _, a := range n.Args {
			if !x.vexprOK(a, v) {
				return false
			}
		}
		return true
	}
	return false
}

// loadsInBounds reports whether every load of e stays inside its buffer
// for all values of the enclosing loops.
func (x *extractor) loadsInBounds(e expr.Expr) bool {
	switch n := e.(type) {
	case *expr.Load:
		b, isBuf := n.Src.(*ir.Buffer)
		if !isBuf || len(n.Index) != len(b.Shape) {
			return false
		}
		for d, ix := range n.Index {
			lo, hi, bounded := x.iv(ix, 0)
			if !bounded || lo < 0 || hi >= b.Shape[d] || !x.loadsInBounds(ix) {
				return false
			}
		}
	case *expr.Binary:
		return x.loadsInBounds(n.A) && x.loadsInBounds(n.B)
	case *expr.Not:
		return x.loadsInBounds(n.A)
	case *expr.Select:
		return x.loadsInBounds(n.Cond) && x.loadsInBounds(n.T) && x.loadsInBounds(n.F)
	case *expr.Cast:
		return x.loadsInBounds(n.A)
	case *expr.Call:
		for _, a := range n.Args {
			if !x.loadsInBounds(a) {
				return false
			}
		}
	}
	return true
}

// linearConds reports whether c is a conjunction of integer comparisons
// (not !=) linear in v.
func linearConds(c expr.Expr, v *expr.Var) bool {
	b, ok := c.(*expr.Binary)
	if !ok {
		return false
	}
	if b.Op == expr.And {
		return linearConds(b.A, v) && linearConds(b.B, v)
	}
	if !b.Op.IsCompare() || b.Op == expr.NE || b.A.Type() != expr.Int {
		return !dependsOn(c, v)
	}
	_, ok1 := linV(b.A, v)
	_, ok2 := linV(b.B, v)
	return ok1 && ok2
}

// linV returns k when the integer expression e is linear in v with the
// constant coefficient k (0 when e does not use v).
func linV(e expr.Expr, v *expr.Var) (int64, bool) {
	switch n := e.(type) {
	case *expr.Var:
		if n == v {
			return 1, true
		}
		return 0, true
	case *expr.IntImm:
		return 0, true
	case *expr.Binary:
		switch n.Op {
		case expr.Add, expr.Sub:
			a, ok1 := linV(n.A, v)
			b, ok2 := linV(n.B, v)
			if n.Op == expr.Sub {
				b = -b
			}
			return a + b, ok1 && ok2
		case expr.Mul:
			a, ok1 := linV(n.A, v)
			b, ok2 := linV(n.B, v)
			if !ok1 || !ok2 {
				return 0, false
			}
			if c, isConst := n.B.(*expr.IntImm); isConst {
				return a * c.V, true
			}
			if c, isConst := n.A.(*expr.IntImm); isConst {
				return b * c.V, true
			}
			if !dependsOn(n.A, v) && !dependsOn(n.B, v) {
				return 0, true
			}
			return 0, false
		}
	}
	if !dependsOn(e, v) {
		return 0, true
	}
	return 0, false
}

// flatLinV is the coefficient of v in the element offset of an access.
func flatLinV(b *ir.Buffer, index []expr.Expr, v *expr.Var) (int64, bool) {
	if len(index) != len(b.Shape) {
		return 0, false
	}
	sum := int64(0)
	for d, ix := range index {
		k, ok := linV(ix, v)
		if !ok {
			return flatFolded(b, index, v)
		}
		sum += k * strideOf(b, d)
	}
	return sum, true
}

// flatFolded is flatLinV for an index that is not linear dimension by
// dimension: a fused loop's (f // c, f % c), which the simplifier folds
// back to f in the flat index, as the generators see it.
func flatFolded(b *ir.Buffer, index []expr.Expr, v *expr.Var) (int64, bool) {
	return linV(codegen.FlatIndex(b, index, expr.Env{}), v)
}

// dependsOn reports whether e mentions v.
func dependsOn(e expr.Expr, v *expr.Var) bool {
	switch n := e.(type) {
	case *expr.Var:
		return n == v
	case *expr.IntImm, *expr.FloatImm:
		return false
	case *expr.Binary:
		return dependsOn(n.A, v) || dependsOn(n.B, v)
	case *expr.Not:
		return dependsOn(n.A, v)
	case *expr.Select:
		return dependsOn(n.Cond, v) || dependsOn(n.T, v) || dependsOn(n.F, v)
	case *expr.Cast:
		return dependsOn(n.A, v)
	case *expr.Call:
		for _, a := range n.Args {
			if dependsOn(a, v) {
				return true
			}
		}
	case *expr.Load:
		for _, a := range n.Index {
			if dependsOn(a, v) {
				return true
			}
		}
	}
	return false
}

// vectorReduction reports whether the generator gives a vectorized loop
// over v that folds values into one element vector accumulators: body is
// sequences and conditions without else around one float store
// S[idx] = op(S[idx], value), op +, max or min, idx without v, S read
// nowhere else, the value and the conditions computable for all lanes.
// The other stores move with v and run lane by lane (a producer fused
// into the loop: codegen's fuse); with them, fused is true and the
// generator folds into one accumulator.
func (x *extractor) vectorReduction(body ir.Stmt, v *expr.Var) (ok, fused bool) {
	var st *ir.Store
	var side []*ir.Store
	stores := 0
	ok = true
	var exprs []expr.Expr
	ir.WalkStmt(body, func(s ir.Stmt) bool {
		switch n := s.(type) {
		case *ir.Store:
			if slices.ContainsFunc(n.Index, func(ix expr.Expr) bool { return dependsOn(ix, v) }) {
				side = append(side, n)
				break
			}
			stores++
			st = n
		case *ir.If:
			ok = ok && n.Else == nil && (!dependsOn(n.Cond, v) || linearConds(n.Cond, v))
			exprs = append(exprs, n.Cond)
		case *ir.Seq:
		default:
			ok = false
		}
		return ok
	})
	if !ok || stores != 1 || st.Buf == nil || st.Buf.DType != expr.Float {
		return false, false
	}
	b, isBin := st.Value.(*expr.Binary)
	if !isBin || (b.Op != expr.Add && b.Op != expr.Max && b.Op != expr.Min) {
		return false, false
	}
	self := &expr.Load{Src: st.Buf, Index: st.Index}
	value := b.B
	switch {
	case expr.Equal(b.A, self):
	case expr.Equal(b.B, self) && b.Op == expr.Add: // as codegen's reduce: max(f, S) is none
		value = b.A
	default:
		return false, false
	}
	exprs = append(append(exprs, st.Index...), value)
	for _, n := range side {
		if n.Buf == st.Buf || !x.canVectorize(n, v) {
			return false, false
		}
		exprs = append(append(exprs, n.Index...), n.Value)
	}
	for _, e := range exprs {
		if readsBuffer(e, st.Buf) {
			return false, false
		}
	}
	return x.vexprOK(value, v), len(side) > 0
}

// readsBuffer reports whether e loads from b.
func readsBuffer(e expr.Expr, b *ir.Buffer) bool {
	found := false
	expr.Walk(e, func(x expr.Expr) bool {
		if l, ok := x.(*expr.Load); ok {
			if src, isBuf := l.Src.(*ir.Buffer); isBuf && src == b {
				found = true
			}
		}
		return !found
	})
	return found
}

// reductionSize is the extent of a vectorized reduction's chunk loop when
// the generator unrolls it (else 0) and the statements the reduction
// becomes, for a loop of extent ext whose body has size statements:
// accumulators set, the chunk loop of accumulators lane loops, the chunks
// left over, the accumulators folded together, the horizontal store and
// the scalar tail.
func reductionSize(ext, lanes, size int64, fused bool) (chunk, total int64) {
	m, rem := ext/lanes, ext%lanes
	u := min(int64(accumulators), m)
	if fused {
		u = 1
	}
	lane := satAdd(size, 1)
	body := satAdd(satMul(u, lane), 1)
	loop := satAdd(body, 1)
	if m/u <= 4 && satMul(m/u, body) <= MaxUnroll {
		chunk = m / u
		loop = satAdd(satMul(m/u, body), 1)
	}
	total = satAdd(satAdd(4*u+2, loop), satMul(m%u, lane))
	if rem > 0 {
		tail := satAdd(size, 1)
		if satMul(rem, size) <= MaxUnroll {
			tail = satAdd(satMul(rem, size), 1)
		}
		total = satAdd(satAdd(total, tail), 1)
	}
	return chunk, total
}
