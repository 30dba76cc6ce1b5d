package codegen

import (
	"github.com/tabtune/tabtune/compiler/expr"
	"github.com/tabtune/tabtune/compiler/ir"
)

// The index arithmetic the passes and the generators share: loop ranges,
// flat element offsets and linearity in a loop variable, all simplified
// with the ranges of the loops around.

// Ranges returns the range of every loop variable of s, 0 to extent-1.
func Ranges(s ir.Stmt) expr.Env {
	env := expr.Env{}
	ir.WalkStmt(s, func(s ir.Stmt) bool {
		if l, ok := s.(*ir.For); ok {
			env[l.Var] = expr.Range{Min: 0, Max: l.Extent - 1}
		}
		return true
	})
	return env
}

// LaneVars returns the variables of the lane loops of a function the
// vectorize pass has run on: after it, a loop marked vectorized is one
// vector step.
func LaneVars(s ir.Stmt) map[*expr.Var]bool {
	lanes := map[*expr.Var]bool{}
	ir.WalkStmt(s, func(s ir.Stmt) bool {
		if l, ok := s.(*ir.For); ok && l.Kind == ir.Vectorized {
			lanes[l.Var] = true
		}
		return true
	})
	return lanes
}

// Subst substitutes variables in every expression of s and simplifies
// them with env.
func Subst(s ir.Stmt, m map[*expr.Var]expr.Expr, env expr.Env) ir.Stmt {
	return ir.RewriteExprs(s, func(e expr.Expr) expr.Expr {
		return expr.Simplify(expr.Substitute(e, m), env)
	})
}

// SubstConst returns e with v set to c, simplified with env.
func SubstConst(e expr.Expr, v *expr.Var, c int64, env expr.Env) expr.Expr {
	return expr.Simplify(expr.Substitute(e, map[*expr.Var]expr.Expr{v: expr.Const(c)}), env)
}

// Depends reports whether e uses v.
func Depends(e expr.Expr, v *expr.Var) bool {
	return expr.Uses(e, func(x *expr.Var) bool { return x == v })
}

// FlatIndex is the element offset of an access of b at idx.
func FlatIndex(b *ir.Buffer, idx []expr.Expr, env expr.Env) expr.Expr {
	st := b.EffectiveStrides()
	var e expr.Expr = expr.Const(0)
	for d, ix := range idx {
		e = expr.AddE(e, expr.MulE(ix, expr.Const(st[d])))
	}
	return expr.Simplify(e, env)
}

// Linear returns k when e is linear in v with the constant coefficient k
// over v's range in env (0 when e does not use v).
func Linear(e expr.Expr, v *expr.Var, env expr.Env) (int64, bool) {
	if !Depends(e, v) {
		return 0, true
	}
	next := expr.Substitute(e, map[*expr.Var]expr.Expr{v: expr.AddE(v, expr.Const(1))})
	d, ok := expr.Simplify(expr.SubE(next, e), env).(*expr.IntImm)
	if !ok {
		return 0, false
	}
	// A constant difference at every v means linear only if e has no
	// floor division or modulo of v; check at the ends of v's range.
	r := env[v]
	lo := SubstConst(e, v, r.Min, env)
	hi := SubstConst(e, v, r.Max, env)
	diff, ok := expr.Simplify(expr.SubE(hi, lo), env).(*expr.IntImm)
	if !ok || diff.V != d.V*(r.Max-r.Min) {
		return 0, false
	}
	return d.V, true
}

// ForAccesses calls f for every load and store in s, with the node that
// identifies it (the *expr.Load or the *ir.Store).
func ForAccesses(s ir.Stmt, f func(b *ir.Buffer, idx []expr.Expr, node any)) {
	walkExprs := func(e expr.Expr) {
		expr.Walk(e, func(x expr.Expr) bool {
			if l, ok := x.(*expr.Load); ok {
				if b, ok := l.Src.(*ir.Buffer); ok {
					f(b, l.Index, l)
				}
			}
			return true
		})
	}
	ir.WalkStmt(s, func(s ir.Stmt) bool {
		switch n := s.(type) {
		case *ir.Store:
			walkExprs(n.Value)
			for _, ix := range n.Index {
				walkExprs(ix)
			}
			f(n.Buf, n.Index, n)
		case *ir.If:
			walkExprs(n.Cond)
		case *ir.Let:
			walkExprs(n.Value)
		}
		return true
	})
}
