package c

import (
	"fmt"
	"strings"

	"github.com/tabtune/tabtune/compiler/codegen"
	"github.com/tabtune/tabtune/compiler/expr"
	"github.com/tabtune/tabtune/compiler/ir"
)

// laneLoop renders a lane loop (a loop the vectorize pass left marked
// vectorized, of extent Lanes) as vector statements.
func (g *gen) laneLoop(l *ir.For) error {
	if l.Extent != g.lanes {
		return fmt.Errorf("vectorized loop %s has extent %d, not %d lanes", l.Var.Name, l.Extent, g.lanes)
	}
	g.vectorLoops[l.Var] = true
	return g.vecStmt(l.Body, l.Var)
}

// vecStmt renders the body of a lane loop of variable v.
func (g *gen) vecStmt(s ir.Stmt, v *expr.Var) error {
	w := &g.w
	switch n := s.(type) {
	case *ir.Seq:
		for _, c := range n.Stmts {
			if err := g.vecStmt(c, v); err != nil {
				return err
			}
		}
	case *ir.Store:
		val, err := g.vector(n.Value, v)
		if err != nil {
			return err
		}
		flat := codegen.FlatIndex(n.Buf, n.Index, g.env)
		k, lin := codegen.Linear(flat, v, g.env)
		base := codegen.SubstConst(flat, v, 0, g.env)
		if regs, ok := g.regs[n.Buf]; ok {
			w.line("%s = %s;", regs[base.(*expr.IntImm).V/g.lanes], trimParens(val))
			return nil
		}
		if lin && k == 1 {
			i, _ := g.scalar(base)
			w.line("tt_store(&%s[%s], %s);", g.bufName(n.Buf), trimParens(i), trimParens(val))
			return nil
		}
		// A scatter, lane by lane.
		w.open("{")
		w.line("tt_vf tt_s = %s;", trimParens(val))
		for lane := range g.lanes {
			i, _ := g.scalar(codegen.SubstConst(flat, v, lane, g.env))
			w.line("%s[%s] = tt_s[%d];", g.bufName(n.Buf), trimParens(i), lane)
		}
		w.close("}")
	case *ir.If:
		if !codegen.Depends(n.Cond, v) {
			return g.ifElse(n, func(s ir.Stmt) error { return g.vecStmt(s, v) })
		}
		// The condition holds on an interval of lanes (vectorize checked
		// it): both ends true means every lane.
		lo, err1 := g.scalar(codegen.SubstConst(n.Cond, v, 0, g.env))
		hi, err2 := g.scalar(codegen.SubstConst(n.Cond, v, g.lanes-1, g.env))
		if err := firstErr(err1, err2); err != nil {
			return err
		}
		w.open("if (%s && %s) {", lo, hi)
		if err := g.vecStmt(n.Then, v); err != nil {
			return err
		}
		w.indent--
		w.open("} else {")
		name := g.varName(v)
		w.open("for (long %s = 0; %s < %d; %s++) {", name, name, g.lanes, name)
		if err := g.stmt(n, true); err != nil {
			return err
		}
		w.close("}")
		w.close("}")
	default:
		return fmt.Errorf("statement %T in a vectorized loop", s)
	}
	return nil
}

// vector renders e for all lanes of v: a tt_vf for floats, a tt_vi for
// integers and conditions (masks of all ones or zeros).
func (g *gen) vector(e expr.Expr, v *expr.Var) (string, error) {
	if !codegen.Depends(e, v) {
		s, err := g.scalar(e)
		if err != nil {
			return "", err
		}
		switch e.Type() {
		case expr.Float:
			return "tt_splat(" + trimParens(s) + ")", nil
		case expr.Bool:
			return "tt_splati(-(int)" + s + ")", nil
		}
		return "tt_splati((int)" + s + ")", nil
	}
	if e.Type() == expr.Int {
		return g.intLanes(e, v)
	}
	switch n := e.(type) {
	case *expr.Load:
		b, ok := n.Src.(*ir.Buffer)
		if !ok || b.DType != expr.Float {
			return "", fmt.Errorf("lane-dependent load %s", expr.String(e))
		}
		flat := codegen.FlatIndex(b, n.Index, g.env)
		k, lin := codegen.Linear(flat, v, g.env)
		base := codegen.SubstConst(flat, v, 0, g.env)
		if regs, ok := g.regs[b]; ok {
			return regs[base.(*expr.IntImm).V/g.lanes], nil
		}
		if lin && k == 1 {
			i, _ := g.scalar(base)
			return fmt.Sprintf("tt_load(&%s[%s])", g.bufName(b), trimParens(i)), nil
		}
		lanes := make([]string, g.lanes)
		for lane := range g.lanes {
			i, _ := g.scalar(codegen.SubstConst(flat, v, lane, g.env))
			lanes[lane] = fmt.Sprintf("%s[%s]", g.bufName(b), trimParens(i))
		}
		return "((tt_vf){" + strings.Join(lanes, ", ") + "})", nil
	case *expr.Binary:
		a, err1 := g.vector(n.A, v)
		b, err2 := g.vector(n.B, v)
		if err := firstErr(err1, err2); err != nil {
			return "", err
		}
		switch n.Op {
		case expr.Min, expr.Max:
			return fmt.Sprintf("tt_v%s(%s, %s)", n.Op, trimParens(a), trimParens(b)), nil
		case expr.And:
			return "(" + a + " & " + b + ")", nil
		case expr.Or:
			return "(" + a + " | " + b + ")", nil
		}
		op, ok := cOps[n.Op]
		if !ok || n.Op.IsLogic() {
			return "", fmt.Errorf("operator %s on vectors", n.Op)
		}
		return fmt.Sprintf("(%s %s %s)", a, op, b), nil
	case *expr.Not:
		a, err := g.vector(n.A, v)
		return "(~" + a + ")", err
	case *expr.Select:
		c, err1 := g.vector(n.Cond, v)
		t, err2 := g.vector(n.T, v)
		f, err3 := g.vector(n.F, v)
		return fmt.Sprintf("tt_vsel(%s, %s, %s)", trimParens(c), trimParens(t), trimParens(f)), firstErr(err1, err2, err3)
	case *expr.Cast:
		if n.To != expr.Float || n.A.Type() != expr.Int {
			return "", fmt.Errorf("lane-dependent cast %s", expr.String(e))
		}
		a, err := g.intLanes(n.A, v)
		return "__builtin_convertvector(" + trimParens(a) + ", tt_vf)", err
	case *expr.Call:
		return g.callWith(n, true, func(x expr.Expr) (string, error) { return g.vector(x, v) })
	}
	return "", fmt.Errorf("lane-dependent expression %s", expr.String(e))
}

// intLanes renders an integer expression linear in v as base + k·lane
// (32-bit lanes: it is only converted to float or compared).
func (g *gen) intLanes(e expr.Expr, v *expr.Var) (string, error) {
	k, ok := codegen.Linear(e, v, g.env)
	if !ok {
		return "", fmt.Errorf("integer %s is not linear in lane %s", expr.String(e), v.Name)
	}
	base, err := g.scalar(codegen.SubstConst(e, v, 0, g.env))
	if err != nil {
		return "", err
	}
	return fmt.Sprintf("(tt_splati((int)%s) + %d * tt_iota)", base, k), nil
}

// promote picks the local buffers kept in vector variables: those whose
// every access has a constant flat index, and whose lane-loop accesses
// have lane stride 1 and start at a multiple of Lanes.
func (g *gen) promote(body ir.Stmt) {
	const maxRegs = 64
	ok := map[*ir.Buffer]bool{}
	ir.WalkStmt(body, func(s ir.Stmt) bool {
		if a, is := s.(*ir.Alloc); is && a.Buf.Scope == ir.Local && a.Buf.DType == expr.Float &&
			a.Buf.Elems()%g.lanes == 0 && a.Buf.Elems()/g.lanes <= maxRegs && g.lanes > 1 {
			ok[a.Buf] = true
		}
		return true
	})
	check := func(b *ir.Buffer, idx []expr.Expr, lane *expr.Var) {
		if !ok[b] {
			return
		}
		flat := codegen.FlatIndex(b, idx, g.env)
		if lane != nil && codegen.Depends(flat, lane) {
			k, lin := codegen.Linear(flat, lane, g.env)
			base, isConst := codegen.SubstConst(flat, lane, 0, g.env).(*expr.IntImm)
			ok[b] = lin && k == 1 && isConst && base.V%g.lanes == 0
			return
		}
		if lane != nil {
			ok[b] = false // a splat of one element: keep it simple
			return
		}
		_, isConst := flat.(*expr.IntImm)
		ok[b] = isConst
	}
	var walk func(s ir.Stmt, lane *expr.Var)
	walk = func(s ir.Stmt, lane *expr.Var) {
		ir.WalkStmt(s, func(s ir.Stmt) bool {
			switch n := s.(type) {
			case *ir.For:
				if n.Kind == ir.Vectorized {
					walk(n.Body, n.Var)
					return false
				}
			case *ir.Store:
				check(n.Buf, n.Index, lane)
				g.loads(n.Value, lane, check)
				for _, i := range n.Index {
					g.loads(i, lane, check)
				}
			case *ir.If:
				// A lane-dependent guard runs its body lane by lane too.
				if lane != nil && codegen.Depends(n.Cond, lane) {
					walk(n.Then, nil)
				}
				g.loads(n.Cond, lane, check)
			case *ir.Let:
				g.loads(n.Value, lane, check)
			}
			return true
		})
	}
	walk(body, nil)
	// In allocation order, so that names are deterministic.
	ir.WalkStmt(body, func(s ir.Stmt) bool {
		if a, is := s.(*ir.Alloc); is && ok[a.Buf] {
			base := g.bufName(a.Buf)
			regs := make([]string, a.Buf.Elems()/g.lanes)
			for i := range regs {
				regs[i] = g.name(&regs[i], fmt.Sprintf("%s_%d", base, i))
			}
			g.regs[a.Buf] = regs
		}
		return true
	})
}

// loads calls check on every load of a buffer in e.
func (g *gen) loads(e expr.Expr, lane *expr.Var, check func(*ir.Buffer, []expr.Expr, *expr.Var)) {
	expr.Walk(e, func(x expr.Expr) bool {
		if l, ok := x.(*expr.Load); ok {
			if b, ok := l.Src.(*ir.Buffer); ok {
				check(b, l.Index, lane)
			}
		}
		return true
	})
}
