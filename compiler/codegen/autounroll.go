package codegen

import "github.com/tabtune/tabtune/compiler/ir"

// AutoUnroll is the auto-unroll pass: inside a loop with an
// auto_unroll_max_step pragma, each serial loop whose nest runs at most
// that many iterations of its innermost statements is marked unrolled, as
// TVM does. The unroll pass expands them. A serial loop of extent 1 that
// carries the pragma is marked unrolled too (expanding it only sets its
// variable to 0), so that the indices inside it become constants: a
// register tile under it (a stage computed inside a tile whose outer
// loops the tile bounds to one iteration) is held in registers.
func AutoUnroll(f *ir.Func, _ Config) (*ir.Func, error) {
	return withBody(f, ir.RewriteStmt(f.Body, func(s ir.Stmt) ir.Stmt {
		l, ok := s.(*ir.For)
		if !ok {
			return s
		}
		budget := autoUnrollBudget(l)
		if budget <= 0 {
			return s
		}
		body := unrollWithin(l.Body, budget)
		unit := l.Kind == ir.Serial && l.Extent == 1
		if body == l.Body && !unit {
			return s
		}
		c := *l
		c.Body = body
		if unit {
			c.Kind = ir.Unrolled
		}
		return &c
	})), nil
}

// autoUnrollBudget is the auto_unroll_max_step of a loop, 0 when none.
func autoUnrollBudget(l *ir.For) int64 {
	budget := int64(0)
	for _, p := range l.Pragmas {
		if p.Key == ir.AutoUnrollMaxStep {
			budget = p.Value
		}
	}
	return budget
}

// unrollWithin marks each serial loop of s whose nest runs at most budget
// iterations of its innermost statements.
func unrollWithin(s ir.Stmt, budget int64) ir.Stmt {
	return ir.RewriteStmt(s, func(s ir.Stmt) ir.Stmt {
		l, ok := s.(*ir.For)
		if !ok || l.Kind != ir.Serial || l.Extent*steps(l.Body) > budget {
			return s
		}
		c := *l
		c.Kind = ir.Unrolled
		return &c
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
