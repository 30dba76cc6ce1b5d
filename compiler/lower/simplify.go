package lower

import (
	"github.com/tabtune/tabtune/compiler/expr"
	"github.com/tabtune/tabtune/compiler/ir"
)

// simplifyPass simplifies every expression with the ranges of the loops
// and drops the conditionals that become constant.
func simplifyPass(l *lowering) error {
	body := ir.RewriteExprs(l.fn.Body, func(e expr.Expr) expr.Expr { return expr.Simplify(e, l.env) })
	body = ir.RewriteStmt(body, func(s ir.Stmt) ir.Stmt {
		if n, ok := s.(*ir.If); ok {
			if v, ok := expr.ConstBool(n.Cond); ok {
				if v {
					return n.Then
				}
				if n.Else != nil {
					return n.Else
				}
				return ir.MakeSeq()
			}
		}
		return s
	})
	l.setBody(body)
	return nil
}

// unitLoopsPass removes loops of extent 1 that run on the CPU and carry no
// pragma, replacing their variable by 0.
func unitLoopsPass(l *lowering) error {
	zero := map[*expr.Var]expr.Expr{}
	body := ir.RewriteStmt(l.fn.Body, func(s ir.Stmt) ir.Stmt {
		// A loop that carries a pragma stays: the pragma speaks of the
		// loops inside it.
		if f, ok := s.(*ir.For); ok && f.Extent == 1 && f.Kind != ir.ThreadBound && len(f.Pragmas) == 0 {
			zero[f.Var] = expr.Const(0)
			return f.Body
		}
		return s
	})
	if len(zero) > 0 {
		body = ir.RewriteExprs(body, func(e expr.Expr) expr.Expr {
			return expr.Substitute(e, zero)
		})
	}
	l.setBody(body)
	return nil
}

// setBody replaces the function's body, copying the function so that a
// traced earlier version stays as it was.
func (l *lowering) setBody(body ir.Stmt) {
	if body == l.fn.Body {
		return
	}
	f := *l.fn
	f.Body = body
	l.fn = &f
}
