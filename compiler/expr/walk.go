package expr

// Walk calls f on e and, while f returns true, on each of its operands,
// depth first.
func Walk(e Expr, f func(Expr) bool) {
	if e == nil || !f(e) {
		return
	}
	switch n := e.(type) {
	case *Binary:
		Walk(n.A, f)
		Walk(n.B, f)
	case *Not:
		Walk(n.A, f)
	case *Select:
		Walk(n.Cond, f)
		Walk(n.T, f)
		Walk(n.F, f)
	case *Cast:
		Walk(n.A, f)
	case *Call:
		for _, a := range n.Args {
			Walk(a, f)
		}
	case *Load:
		for _, a := range n.Index {
			Walk(a, f)
		}
	}
}

// Rewrite rebuilds e bottom-up: operands first, then f on the node with its
// rewritten operands. f returns its argument unchanged to keep a node. A
// node whose operands did not change is not copied, so a rewrite that
// changes nothing returns e itself.
func Rewrite(e Expr, f func(Expr) Expr) Expr {
	switch n := e.(type) {
	case *Binary:
		a, b := Rewrite(n.A, f), Rewrite(n.B, f)
		if a != n.A || b != n.B {
			e = &Binary{Op: n.Op, A: a, B: b}
		}
	case *Not:
		if a := Rewrite(n.A, f); a != n.A {
			e = &Not{A: a}
		}
	case *Select:
		c, t, fl := Rewrite(n.Cond, f), Rewrite(n.T, f), Rewrite(n.F, f)
		if c != n.Cond || t != n.T || fl != n.F {
			e = &Select{Cond: c, T: t, F: fl}
		}
	case *Cast:
		if a := Rewrite(n.A, f); a != n.A {
			e = &Cast{To: n.To, A: a}
		}
	case *Call:
		if args, changed := rewriteList(n.Args, f); changed {
			e = &Call{Fn: n.Fn, Args: args}
		}
	case *Load:
		if idx, changed := rewriteList(n.Index, f); changed {
			e = &Load{Src: n.Src, Index: idx}
		}
	}
	return f(e)
}

// RewriteList applies Rewrite to each expression of a list and reports
// whether any changed; an unchanged list is returned as is.
func rewriteList(list []Expr, f func(Expr) Expr) ([]Expr, bool) {
	var out []Expr
	for i, a := range list {
		b := Rewrite(a, f)
		if b != a && out == nil {
			out = make([]Expr, len(list))
			copy(out, list[:i])
		}
		if out != nil {
			out[i] = b
		}
	}
	if out == nil {
		return list, false
	}
	return out, true
}

// Substitute replaces variables by expressions.
func Substitute(e Expr, m map[*Var]Expr) Expr {
	if len(m) == 0 {
		return e
	}
	return Rewrite(e, func(x Expr) Expr {
		if v, ok := x.(*Var); ok {
			if r, ok := m[v]; ok {
				return r
			}
		}
		return x
	})
}

// Uses reports whether e mentions any variable for which in returns true.
func Uses(e Expr, in func(*Var) bool) bool {
	found := false
	Walk(e, func(x Expr) bool {
		if found {
			return false
		}
		if v, ok := x.(*Var); ok && in(v) {
			found = true
		}
		return true
	})
	return found
}

// Equal reports whether two expressions are the same tree (variables and
// sources by identity).
func Equal(a, b Expr) bool {
	if a == b {
		return true
	}
	switch x := a.(type) {
	case *IntImm:
		y, ok := b.(*IntImm)
		return ok && x.V == y.V
	case *FloatImm:
		y, ok := b.(*FloatImm)
		return ok && x.V == y.V
	case *Var:
		return false
	case *Binary:
		y, ok := b.(*Binary)
		return ok && x.Op == y.Op && Equal(x.A, y.A) && Equal(x.B, y.B)
	case *Not:
		y, ok := b.(*Not)
		return ok && Equal(x.A, y.A)
	case *Select:
		y, ok := b.(*Select)
		return ok && Equal(x.Cond, y.Cond) && Equal(x.T, y.T) && Equal(x.F, y.F)
	case *Cast:
		y, ok := b.(*Cast)
		return ok && x.To == y.To && Equal(x.A, y.A)
	case *Call:
		y, ok := b.(*Call)
		return ok && x.Fn == y.Fn && equalList(x.Args, y.Args)
	case *Load:
		y, ok := b.(*Load)
		return ok && x.Src == y.Src && equalList(x.Index, y.Index)
	}
	return false
}

func equalList(a, b []Expr) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if !Equal(a[i], b[i]) {
			return false
		}
	}
	return true
}
