package codegen

import (
	"fmt"

	"github.com/tabtune/tabtune/compiler/expr"
	"github.com/tabtune/tabtune/compiler/ir"
)

// Unroll is the unroll pass: an unrolled loop whose expansion stays within
// MaxUnroll statements is replaced by one copy of its body per iteration,
// with the loop variable set to the iteration's number, and a conditional
// whose condition that decides keeps only its live branch (foldIfs); a
// larger one becomes a serial loop. Loops are expanded from the inside out, so an
// expanded loop's size counts the copies of the loops inside it.
func Unroll(f *ir.Func, cfg Config) (*ir.Func, error) {
	var bad *ir.For
	ir.WalkStmt(f.Body, func(s ir.Stmt) bool {
		if l, ok := s.(*ir.For); ok && l.Extent < 0 && bad == nil {
			bad = l
		}
		return bad == nil
	})
	if bad != nil {
		return nil, fmt.Errorf("loop %s has negative extent %d", bad.Var.Name, bad.Extent)
	}
	env := Ranges(f.Body)
	return withBody(f, ir.RewriteStmt(f.Body, func(s ir.Stmt) ir.Stmt {
		l, ok := s.(*ir.For)
		if !ok || l.Kind != ir.Unrolled {
			return s
		}
		if l.Extent*int64(size(l.Body)) > cfg.MaxUnroll {
			c := *l
			c.Kind = ir.Serial
			return &c
		}
		copies := make([]ir.Stmt, l.Extent)
		for i := range copies {
			copies[i] = foldIfs(Subst(l.Body, map[*expr.Var]expr.Expr{l.Var: expr.Const(int64(i))}, env))
		}
		return ir.MakeSeq(copies...)
	})), nil
}

// size counts the statements of s.
func size(s ir.Stmt) int {
	n := 0
	ir.WalkStmt(s, func(ir.Stmt) bool { n++; return true })
	return n
}

// foldIfs replaces each conditional of s whose condition is a constant by
// the branch it takes (nothing, when that is a missing else): a padding
// guard unswitched by vectorize (unswitch) and decided by an unrolled
// iteration costs neither a branch nor the generators' load reuse, which
// stops at a conditional.
func foldIfs(s ir.Stmt) ir.Stmt {
	return ir.RewriteStmt(s, func(s ir.Stmt) ir.Stmt {
		n, ok := s.(*ir.If)
		if !ok {
			return s
		}
		v, ok := expr.ConstBool(n.Cond)
		switch {
		case !ok:
			return s
		case v:
			return n.Then
		case n.Else != nil:
			return n.Else
		}
		return ir.MakeSeq()
	})
}
