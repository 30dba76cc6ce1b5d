package lower

import (
	"github.com/tabtune/tabtune/compiler/expr"
	"github.com/tabtune/tabtune/compiler/te"
)

// nonPosPass marks the exps whose argument cannot be positive: exp(x - m)
// where m is an element of a max reduction whose values include x (x is
// the reduction's body at some reduction index in range), or exp(m - x)
// with m a min reduction of the same kind, possibly scaled by a positive
// constant. Then x <= m, so the rounded difference is <= 0 (or NaN),
// and so is its rounded product with a positive constant; the call
// becomes expr.ExpNonPos, which the generators compute without exp's
// overflow handling: the exp(x - max(x)) of softmax, log-softmax,
// logsumexp and attention (scaled scores), over any axes.
// The interpreter computes both as exp, so nothing changes but the code.
func nonPosPass(l *lowering) error {
	for _, info := range l.stages {
		if !info.computed() {
			continue
		}
		op := info.stage.Op
		env := expr.Env{}
		for _, ax := range append(append([]te.Axis(nil), op.Axes...), op.ReduceAxes()...) {
			env[ax.Var] = expr.Range{Min: 0, Max: ax.Extent - 1}
		}
		mark := func(e expr.Expr) expr.Expr {
			if e == nil {
				return nil
			}
			return expr.Rewrite(e, func(x expr.Expr) expr.Expr {
				if c, ok := x.(*expr.Call); ok && c.Fn == expr.Exp && len(c.Args) == 1 && l.nonPositive(c.Args[0], env) {
					return &expr.Call{Fn: expr.ExpNonPos, Args: c.Args}
				}
				return x
			})
		}
		info.value, info.init = mark(info.value), mark(info.init)
	}
	return nil
}

// nonPositive reports whether e cannot be positive: x - m with m a max
// reduction over x, m - x with m a min reduction over x, or such a
// difference times or divided by a positive constant (the scale of
// attention's scores).
func (l *lowering) nonPositive(e expr.Expr, env expr.Env) bool {
	d, ok := e.(*expr.Binary)
	if !ok {
		return false
	}
	switch d.Op {
	case expr.Sub:
		if m, ok := d.B.(*expr.Load); ok && l.reducesOver(m, te.MaxReduce, d.A, env) {
			return true
		}
		m, ok := d.A.(*expr.Load)
		return ok && l.reducesOver(m, te.MinReduce, d.B, env)
	case expr.Mul:
		return positive(d.B) && l.nonPositive(d.A, env) || positive(d.A) && l.nonPositive(d.B, env)
	case expr.Div:
		return positive(d.B) && l.nonPositive(d.A, env)
	}
	return false
}

// positive reports whether e is a float constant above 0.
func positive(e expr.Expr) bool {
	c, ok := e.(*expr.FloatImm)
	return ok && c.V > 0
}

// reducesOver reports whether m reads an element of a computed stage that
// reduces with op over values that include x, for every value the
// variables of x take in env: the stage's body, with its spatial axes
// set to m's indices, equals x for reduction indices in their ranges.
func (l *lowering) reducesOver(m *expr.Load, op te.ReduceOp, x expr.Expr, env expr.Env) bool {
	t, ok := m.Src.(*te.Tensor)
	if !ok {
		return false
	}
	p := l.byTensor[t]
	if p == nil || !p.computed() || p.stage.Op.Reduce == nil || p.stage.Op.Reduce.Op != op || len(m.Index) != len(p.stage.Op.Axes) {
		return false
	}
	sub := map[*expr.Var]expr.Expr{}
	for d, ax := range p.stage.Op.Axes {
		sub[ax.Var] = m.Index[d]
	}
	free := map[*expr.Var]int64{}
	for _, ax := range p.stage.Op.ReduceAxes() {
		free[ax.Var] = ax.Extent
	}
	bind := map[*expr.Var]expr.Expr{}
	if !unify(expr.Substitute(p.value, sub), x, free, bind) {
		return false
	}
	for v, e := range bind {
		r, ok := expr.Bounds(e, env)
		if !ok || r.Min < 0 || r.Max >= free[v] {
			return false
		}
	}
	return true
}

// unify reports whether pattern equals e for some values of the free
// variables of pattern, and records them in bind.
func unify(pattern, e expr.Expr, free map[*expr.Var]int64, bind map[*expr.Var]expr.Expr) bool {
	switch p := pattern.(type) {
	case *expr.Var:
		if _, ok := free[p]; !ok {
			return p == e
		}
		if b, ok := bind[p]; ok {
			return expr.Equal(b, e)
		}
		bind[p] = e
		return true
	case *expr.Load:
		x, ok := e.(*expr.Load)
		return ok && x.Src == p.Src && unifyAll(p.Index, x.Index, free, bind)
	case *expr.Binary:
		x, ok := e.(*expr.Binary)
		return ok && x.Op == p.Op && unify(p.A, x.A, free, bind) && unify(p.B, x.B, free, bind)
	case *expr.Call:
		x, ok := e.(*expr.Call)
		return ok && x.Fn == p.Fn && unifyAll(p.Args, x.Args, free, bind)
	case *expr.Select:
		x, ok := e.(*expr.Select)
		return ok && unify(p.Cond, x.Cond, free, bind) && unify(p.T, x.T, free, bind) && unify(p.F, x.F, free, bind)
	case *expr.Cast:
		x, ok := e.(*expr.Cast)
		return ok && x.To == p.To && unify(p.A, x.A, free, bind)
	case *expr.Not:
		x, ok := e.(*expr.Not)
		return ok && unify(p.A, x.A, free, bind)
	}
	return expr.Equal(pattern, e)
}

// unifyAll unifies the patterns with the expressions one by one.
func unifyAll(patterns, es []expr.Expr, free map[*expr.Var]int64, bind map[*expr.Var]expr.Expr) bool {
	if len(patterns) != len(es) {
		return false
	}
	for i := range patterns {
		if !unify(patterns[i], es[i], free, bind) {
			return false
		}
	}
	return true
}
