package wasm

import (
	"github.com/tabtune/tabtune/compiler/expr"
	"github.com/tabtune/tabtune/compiler/ir"
)

// prepare runs the code generator's IR passes: auto-unroll marking,
// vectorize, unroll, and the analysis that promotes buffers to registers.
func (g *gen) prepare(f *ir.Func) (*ir.Func, error) {
	g.lanes = map[*expr.Var]bool{}
	ir.WalkStmt(f.Body, func(s ir.Stmt) bool {
		if l, ok := s.(*ir.For); ok {
			g.env[l.Var] = expr.Range{Min: 0, Max: l.Extent - 1}
		}
		return true
	})
	body := markAutoUnroll(f.Body)
	body = g.vectorize(body)
	body = g.unroll(body)
	out := *f
	out.Body = body
	return &out, nil
}

// markAutoUnroll marks the serial loops inside a loop with an
// auto_unroll_max_step pragma as unrolled when the iterations of their
// whole nest fit in the budget, as TVM does.
func markAutoUnroll(s ir.Stmt) ir.Stmt {
	return ir.RewriteStmt(s, func(s ir.Stmt) ir.Stmt {
		f, ok := s.(*ir.For)
		if !ok {
			return s
		}
		budget := int64(0)
		for _, p := range f.Pragmas {
			if p.Key == "auto_unroll_max_step" {
				budget = p.Value
			}
		}
		if budget <= 0 {
			return s
		}
		c := *f
		c.Body = unrollWithin(f.Body, budget)
		return &c
	})
}

// unrollWithin marks each serial loop of s whose nest runs at most budget
// iterations of its innermost statements.
func unrollWithin(s ir.Stmt, budget int64) ir.Stmt {
	return ir.RewriteStmt(s, func(s ir.Stmt) ir.Stmt {
		f, ok := s.(*ir.For)
		if !ok || f.Kind != ir.Serial {
			return s
		}
		if f.Extent*steps(f.Body) <= budget {
			c := *f
			c.Kind = ir.Unrolled
			return &c
		}
		return s
	})
}

// steps is the most iterations any path of nested loops in s runs.
func steps(s ir.Stmt) int64 {
	n := int64(1)
	switch x := s.(type) {
	case *ir.For:
		return x.Extent * steps(x.Body)
	case *ir.Seq:
		for _, c := range x.Stmts {
			n = max(n, steps(c))
		}
	case *ir.If:
		n = steps(x.Then)
		if x.Else != nil {
			n = max(n, steps(x.Else))
		}
	case *ir.Let:
		return steps(x.Body)
	case *ir.Alloc:
		return steps(x.Body)
	}
	return n
}

// vectorize rewrites the vectorized loops the emitter can run four lanes
// at a time into chunks of four lanes and a scalar tail; the others
// become serial loops.
func (g *gen) vectorize(s ir.Stmt) ir.Stmt {
	return ir.RewriteStmt(s, func(s ir.Stmt) ir.Stmt {
		f, ok := s.(*ir.For)
		if !ok || f.Kind != ir.Vectorized {
			return s
		}
		if f.Extent < 4 || !g.canVectorize(f.Body, f.Var) {
			c := *f
			c.Kind = ir.Serial
			return &c
		}
		m, r := f.Extent/4, f.Extent%4
		c := expr.NewVar(f.Var.Name + ".c")
		l := expr.NewVar(f.Var.Name + ".v")
		g.env[c] = expr.Range{Min: 0, Max: m - 1}
		g.env[l] = expr.Range{Min: 0, Max: 3}
		g.lanes[l] = true
		idx := expr.AddE(expr.MulE(c, expr.Const(4)), l)
		body4 := g.subst(f.Body, map[*expr.Var]expr.Expr{f.Var: idx})
		chunk := &ir.For{Var: c, Extent: m, Kind: ir.Serial, Pragmas: f.Pragmas,
			Body: &ir.For{Var: l, Extent: 4, Kind: ir.Vectorized, Body: body4}}
		if m <= 4 || (m <= 16 && usesLocal(f.Body)) {
			chunk.Kind = ir.Unrolled
		}
		if r == 0 {
			return chunk
		}
		t := expr.NewVar(f.Var.Name + ".t")
		g.env[t] = expr.Range{Min: 0, Max: r - 1}
		tailIdx := expr.AddE(expr.Const(4*m), t)
		tail := &ir.For{Var: t, Extent: r, Kind: ir.Unrolled, Body: g.subst(f.Body, map[*expr.Var]expr.Expr{f.Var: tailIdx})}
		return ir.MakeSeq(chunk, tail)
	})
}

// usesLocal reports whether s touches a buffer in local scope.
func usesLocal(s ir.Stmt) bool {
	found := false
	ir.WalkStmt(s, func(s ir.Stmt) bool {
		if st, ok := s.(*ir.Store); ok && st.Buf.Scope == ir.Local {
			found = true
		}
		return !found
	})
	return found
}

// subst substitutes variables in every expression of s and simplifies.
func (g *gen) subst(s ir.Stmt, m map[*expr.Var]expr.Expr) ir.Stmt {
	return ir.RewriteExprs(s, func(e expr.Expr) expr.Expr {
		return expr.Simplify(expr.Substitute(e, m), g.env)
	})
}

// unroll expands unrolled loops whose expansion stays within MaxUnroll
// statements; larger ones stay loops.
func (g *gen) unroll(s ir.Stmt) ir.Stmt {
	return ir.RewriteStmt(s, func(s ir.Stmt) ir.Stmt {
		f, ok := s.(*ir.For)
		if !ok || f.Kind != ir.Unrolled {
			return s
		}
		if f.Extent*int64(size(f.Body)) > int64(g.opts.MaxUnroll) {
			c := *f
			c.Kind = ir.Serial
			return &c
		}
		copies := make([]ir.Stmt, f.Extent)
		for i := range copies {
			copies[i] = g.subst(f.Body, map[*expr.Var]expr.Expr{f.Var: expr.Const(int64(i))})
		}
		return ir.MakeSeq(copies...)
	})
}

// size counts the statements of s.
func size(s ir.Stmt) int {
	n := 0
	ir.WalkStmt(s, func(ir.Stmt) bool { n++; return true })
	return n
}

// coef returns k when e is linear in v with the constant coefficient k.
func (g *gen) coef(e expr.Expr, v *expr.Var) (int64, bool) {
	if !expr.Uses(e, func(x *expr.Var) bool { return x == v }) {
		return 0, true
	}
	next := expr.Substitute(e, map[*expr.Var]expr.Expr{v: expr.AddE(v, expr.Const(1))})
	d, ok := expr.Simplify(expr.SubE(next, e), g.env).(*expr.IntImm)
	if !ok {
		return 0, false
	}
	// A constant difference at every v means linear only if e has no
	// floor division or modulo of v; check at the ends of v's range.
	r := g.env[v]
	at := func(x int64) expr.Expr {
		return expr.Simplify(expr.Substitute(e, map[*expr.Var]expr.Expr{v: expr.Const(x)}), g.env)
	}
	lo := at(r.Min)
	hi := at(r.Max)
	diff, ok := expr.Simplify(expr.SubE(hi, lo), g.env).(*expr.IntImm)
	if !ok || diff.V != d.V*(r.Max-r.Min) {
		return 0, false
	}
	return d.V, true
}

// depends reports whether e uses v.
func depends(e expr.Expr, v *expr.Var) bool {
	return expr.Uses(e, func(x *expr.Var) bool { return x == v })
}

// flatIndex is the element offset of an access.
func (g *gen) flatIndex(b *ir.Buffer, idx []expr.Expr) expr.Expr {
	st := b.EffectiveStrides()
	var e expr.Expr = expr.Const(0)
	for d, ix := range idx {
		e = expr.AddE(e, expr.MulE(ix, expr.Const(st[d])))
	}
	return expr.Simplify(e, g.env)
}

// canVectorize reports whether the emitter can run body for four lanes of
// v at once.
func (g *gen) canVectorize(body ir.Stmt, v *expr.Var) bool {
	ok := true
	var visit func(s ir.Stmt)
	visit = func(s ir.Stmt) {
		if !ok {
			return
		}
		switch n := s.(type) {
		case *ir.Seq:
			for _, c := range n.Stmts {
				visit(c)
			}
		case *ir.Store:
			if n.Buf.DType != expr.Float || !g.vexprOK(n.Value, v) {
				ok = false
				return
			}
			// Lanes must write distinct places: an index that is not
			// linear in v (v // 4) or ignores it (a reduction) would make
			// lanes collide.
			k, lin := g.coef(g.flatIndex(n.Buf, n.Index), v)
			if !lin || k == 0 {
				ok = false
			}
		case *ir.If:
			if depends(n.Cond, v) && (n.Else != nil || !g.linearConds(n.Cond, v)) {
				ok = false
				return
			}
			visit(n.Then)
			if n.Else != nil {
				visit(n.Else)
			}
		default:
			ok = false
		}
	}
	visit(body)
	return ok
}

// linearConds reports whether c is a conjunction of integer comparisons
// linear in v: true on an interval of v, so checking both ends of a chunk
// decides it for the whole chunk.
func (g *gen) linearConds(c expr.Expr, v *expr.Var) bool {
	b, ok := c.(*expr.Binary)
	if !ok {
		return false
	}
	if b.Op == expr.And {
		return g.linearConds(b.A, v) && g.linearConds(b.B, v)
	}
	if !b.Op.IsCompare() || b.Op == expr.NE || b.A.Type() != expr.Int {
		return !depends(c, v)
	}
	_, ok = g.coef(expr.SubE(b.A, b.B), v)
	return ok
}

// vexprOK reports whether e can be computed for four lanes of v.
func (g *gen) vexprOK(e expr.Expr, v *expr.Var) bool {
	if !depends(e, v) {
		return true
	}
	switch n := e.(type) {
	case *expr.Var:
		return true // an integer, handled linearly
	case *expr.Load:
		return n.Src.ElemType() == expr.Float
	case *expr.Binary:
		if n.Type() == expr.Int || (n.Op.IsCompare() && n.A.Type() == expr.Int) {
			_, ok := g.coef(expr.SubE(n.A, n.B), v)
			if n.Type() == expr.Int {
				_, ok = g.coef(e, v)
			}
			return ok
		}
		return g.vexprOK(n.A, v) && g.vexprOK(n.B, v)
	case *expr.Not:
		return g.vexprOK(n.A, v)
	case *expr.Select:
		if !g.vexprOK(n.Cond, v) || !g.vexprOK(n.T, v) || !g.vexprOK(n.F, v) {
			return false
		}
		// Both branches run for every lane: their loads must stay in
		// bounds whatever the condition says.
		return g.loadsInBounds(n.T) && g.loadsInBounds(n.F)
	case *expr.Cast:
		if n.A.Type() == expr.Int && n.To == expr.Float {
			_, ok := g.coef(n.A, v)
			return ok
		}
		return false
	case *expr.Call:
		if !vectorCall(n.Fn) {
			return false
		}
		for _, a := range n.Args {
			if !g.vexprOK(a, v) {
				return false
			}
		}
		return true
	}
	return false
}

func vectorCall(fn expr.Intrinsic) bool {
	switch fn {
	case expr.Sqrt, expr.Abs:
		return true
	}
	return wmathSupported(fn)
}

// loadsInBounds reports whether every load in e provably stays inside its
// buffer for all values of the loop variables.
func (g *gen) loadsInBounds(e expr.Expr) bool {
	ok := true
	expr.Walk(e, func(x expr.Expr) bool {
		l, isLoad := x.(*expr.Load)
		if !isLoad || !ok {
			return ok
		}
		b, isBuf := l.Src.(*ir.Buffer)
		if !isBuf {
			ok = false
			return false
		}
		for d, ix := range l.Index {
			r, bounded := expr.Bounds(ix, g.env)
			if !bounded || r.Min < 0 || r.Max >= b.Shape[d] {
				ok = false
			}
		}
		return ok
	})
	return ok
}
