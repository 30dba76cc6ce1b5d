package codegen

import (
	"github.com/tabtune/tabtune/compiler/expr"
	"github.com/tabtune/tabtune/compiler/ir"
)

// Vectorize is the vectorize pass. A vectorized loop v of extent n whose
// body can run Lanes iterations at a time becomes
//
//	for (v.c = 0; v.c < n/Lanes; v.c++)           // unrolled when short
//	  vectorized for (v.v = 0; v.v < Lanes; v.v++) // one vector step
//	    body[v := v.c*Lanes + v.v]
//	unrolled for (v.t = 0; v.t < n%Lanes; v.t++)   // the scalar tail
//	  body[v := n/Lanes*Lanes + v.t]
//
// A loop whose body folds values into one element (a sum, max or min
// along v) becomes vector accumulators instead (reduce.go).
//
// The chunk loop keeps the loop's pragmas; it is marked unrolled when it
// has at most ChunkUnroll chunks, or LocalChunkUnroll when the body stores
// to a local buffer. Every other vectorized loop becomes serial, so that
// afterwards a vectorized loop is always a lane loop.
//
// A body can run lane by lane at once when it is a sequence of f32 stores
// at indices linear in v with a nonzero coefficient (lanes write distinct
// elements) and of conditionals whose lane-dependent conditions are
// conjunctions of comparisons linear in v (true on an interval of lanes:
// the generators run a chunk where it holds at both ends all at once, and
// the others lane by lane, else branch included). Values may use f32
// loads, integer expressions linear in v, their conversion to f32, selects
// whose both branches load in bounds for every lane, and intrinsics the
// target computes on lanes (Config.VectorCall). A body that cannot only
// because a select loads out of bounds when its condition is false (a
// padding inlined into a window) is unswitched first (unswitch).
func Vectorize(f *ir.Func, cfg Config) (*ir.Func, error) {
	v := &vectorizer{cfg: cfg, env: Ranges(f.Body)}
	return withBody(f, ir.RewriteStmt(f.Body, v.loop)), nil
}

// vectorizer holds the loop ranges, to which it adds the variables it
// makes, and counts the reduction accumulators it allocates (to name them).
type vectorizer struct {
	cfg  Config
	env  expr.Env
	accs int
}

// loop rewrites one loop, if it is vectorized.
func (z *vectorizer) loop(s ir.Stmt) ir.Stmt {
	f, ok := s.(*ir.For)
	if !ok || f.Kind != ir.Vectorized {
		return s
	}
	lanes := z.cfg.Lanes
	serial := func() ir.Stmt {
		c := *f
		c.Kind = ir.Serial
		return &c
	}
	if lanes < 2 || f.Extent < lanes {
		return serial()
	}
	if !z.canVectorize(f.Body, f.Var) {
		if b := z.unswitch(f.Body, f.Var); b != f.Body && z.canVectorize(b, f.Var) {
			g := *f
			g.Body = b
			return z.loop(&g)
		}
		// A reduction into one element (reduce.go), or a serial loop.
		if r, ok := findReduction(f.Body, f.Var); ok {
			if s := z.vectorReduction(f, r); s != nil {
				return s
			}
		}
		return serial()
	}
	m, r := f.Extent/lanes, f.Extent%lanes
	c := expr.NewVar(f.Var.Name + ".c")
	l := expr.NewVar(f.Var.Name + ".v")
	z.env[c] = expr.Range{Min: 0, Max: m - 1}
	z.env[l] = expr.Range{Min: 0, Max: lanes - 1}
	idx := expr.AddE(expr.MulE(c, expr.Const(lanes)), l)
	body := Subst(f.Body, map[*expr.Var]expr.Expr{f.Var: idx}, z.env)
	chunk := &ir.For{Var: c, Extent: m, Kind: ir.Serial, Pragmas: f.Pragmas,
		Body: &ir.For{Var: l, Extent: lanes, Kind: ir.Vectorized, Body: body}}
	if m <= z.cfg.ChunkUnroll || (m <= z.cfg.LocalChunkUnroll && storesLocal(f.Body)) {
		chunk.Kind = ir.Unrolled
	}
	if r == 0 {
		return chunk
	}
	t := expr.NewVar(f.Var.Name + ".t")
	z.env[t] = expr.Range{Min: 0, Max: r - 1}
	tailIdx := expr.AddE(expr.Const(lanes*m), t)
	tail := &ir.For{Var: t, Extent: r, Kind: ir.Unrolled, Body: Subst(f.Body, map[*expr.Var]expr.Expr{f.Var: tailIdx}, z.env)}
	return ir.MakeSeq(chunk, tail)
}

// storesLocal reports whether s stores to a buffer in local scope.
func storesLocal(s ir.Stmt) bool {
	found := false
	ir.WalkStmt(s, func(s ir.Stmt) bool {
		if st, ok := s.(*ir.Store); ok && st.Buf.Scope == ir.Local {
			found = true
		}
		return !found
	})
	return found
}

// canVectorize reports whether body can run for all lanes of v at once.
func (z *vectorizer) canVectorize(body ir.Stmt, v *expr.Var) bool {
	switch n := body.(type) {
	case *ir.Seq:
		for _, c := range n.Stmts {
			if !z.canVectorize(c, v) {
				return false
			}
		}
		return true
	case *ir.Store:
		if n.Buf.DType != expr.Float || !z.laneExpr(n.Value, v) {
			return false
		}
		// Lanes must write distinct places: an index that is not linear
		// in v (v // 4) or ignores it (a reduction) would make lanes
		// collide.
		k, lin := Linear(FlatIndex(n.Buf, n.Index, z.env), v, z.env)
		return lin && k != 0
	case *ir.If:
		if Depends(n.Cond, v) && !z.linearConds(n.Cond, v) {
			return false
		}
		return z.canVectorize(n.Then, v) && (n.Else == nil || z.canVectorize(n.Else, v))
	}
	return false
}

// unswitch rewrites the stores of body whose value selects a load that
// may leave its buffer (a padding inlined into a window: select(x*2 + rx
// >= 1, data[x*2 + rx - 1], 0)) under a condition true on an interval of
// lanes of v (linearConds) into a conditional: if the condition holds,
// the store of the loading branch, else that of the other. Each branch
// then computes all lanes at once where the condition holds at both ends
// of a chunk, and lane by lane elsewhere (the generators' lane guards), and
// the loading branch runs only where its loads are in bounds. It returns
// body itself when no store changed; at most four selects per store are
// taken out, and only the outermost of nested ones.
func (z *vectorizer) unswitch(body ir.Stmt, v *expr.Var) ir.Stmt {
	return ir.RewriteStmt(body, func(s ir.Stmt) ir.Stmt {
		st, ok := s.(*ir.Store)
		if !ok {
			return s
		}
		return z.unswitchStore(st, v, 4)
	})
}

// unswitchStore takes the first unsafe select out of st's value (see
// unswitch), then those of the two stores it makes, up to depth selects.
func (z *vectorizer) unswitchStore(st *ir.Store, v *expr.Var, depth int) ir.Stmt {
	if depth == 0 {
		return st
	}
	var sel *expr.Select
	expr.Walk(st.Value, func(x expr.Expr) bool {
		if c, ok := x.(*expr.Select); ok && sel == nil && z.linearConds(c.Cond, v) &&
			(!z.loadsInBounds(c.T) || !z.loadsInBounds(c.F)) {
			sel = c
		}
		return sel == nil
	})
	if sel == nil {
		return st
	}
	branch := func(e expr.Expr) ir.Stmt {
		val := expr.Rewrite(st.Value, func(x expr.Expr) expr.Expr {
			if x == expr.Expr(sel) {
				return e
			}
			return x
		})
		c := *st
		c.Value = val
		return z.unswitchStore(&c, v, depth-1)
	}
	return &ir.If{Cond: sel.Cond, Then: branch(sel.T), Else: branch(sel.F)}
}

// linearConds reports whether c is a conjunction of integer comparisons
// linear in v: true on an interval of v, so checking both ends of a chunk
// decides it for the whole chunk.
func (z *vectorizer) linearConds(c expr.Expr, v *expr.Var) bool {
	b, ok := c.(*expr.Binary)
	if !ok {
		return false
	}
	if b.Op == expr.And {
		return z.linearConds(b.A, v) && z.linearConds(b.B, v)
	}
	if !b.Op.IsCompare() || b.Op == expr.NE || b.A.Type() != expr.Int {
		return !Depends(c, v)
	}
	_, ok = Linear(expr.SubE(b.A, b.B), v, z.env)
	return ok
}

// laneExpr reports whether e can be computed for all lanes of v at once.
func (z *vectorizer) laneExpr(e expr.Expr, v *expr.Var) bool {
	if !Depends(e, v) {
		return true
	}
	switch n := e.(type) {
	case *expr.Var:
		return true // an integer, handled linearly
	case *expr.Load:
		return n.Src.ElemType() == expr.Float
	case *expr.Binary:
		if n.Type() == expr.Int || (n.Op.IsCompare() && n.A.Type() == expr.Int) {
			_, ok := Linear(expr.SubE(n.A, n.B), v, z.env)
			if n.Type() == expr.Int {
				_, ok = Linear(e, v, z.env)
			}
			return ok
		}
		return z.laneExpr(n.A, v) && z.laneExpr(n.B, v)
	case *expr.Not:
		return z.laneExpr(n.A, v)
	case *expr.Select:
		// Both branches run for every lane: their loads must stay in
		// bounds whatever the condition says.
		return z.laneExpr(n.Cond, v) && z.laneExpr(n.T, v) && z.laneExpr(n.F, v) &&
			z.loadsInBounds(n.T) && z.loadsInBounds(n.F)
	case *expr.Cast:
		if n.A.Type() == expr.Int && n.To == expr.Float {
			_, ok := Linear(n.A, v, z.env)
			return ok
		}
		return false
	case *expr.Call:
		if z.cfg.VectorCall == nil || !z.cfg.VectorCall(n.Fn) {
			return false
		}
		for _, a := range n.Args {
			if !z.laneExpr(a, v) {
				return false
			}
		}
		return true
	}
	return false
}

// loadsInBounds reports whether every load in e provably stays inside its
// buffer for all values of the loop variables.
func (z *vectorizer) loadsInBounds(e expr.Expr) bool {
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
			r, bounded := expr.Bounds(ix, z.env)
			if !bounded || r.Min < 0 || r.Max >= b.Shape[d] {
				ok = false
			}
		}
		return ok
	})
	return ok
}
