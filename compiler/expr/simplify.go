package expr

import (
	"cmp"
	"math"
	"slices"
)

// Range is a closed integer interval [Min, Max].
type Range struct {
	Min, Max int64
}

// Extent is the number of integers in the range.
func (r Range) Extent() int64 { return r.Max - r.Min + 1 }

// Env gives the ranges of the variables in scope (loop variables, axes).
// A variable missing from it is unbounded.
type Env map[*Var]Range

// Bounds returns a constant interval that holds every value the integer
// expression e takes while its variables stay within env. ok is false when
// some part is unbounded.
func Bounds(e Expr, env Env) (r Range, ok bool) {
	switch n := e.(type) {
	case *IntImm:
		return Range{n.V, n.V}, true
	case *Var:
		r, ok = env[n]
		return r, ok
	case *Binary:
		a, ok1 := Bounds(n.A, env)
		if !ok1 {
			return Range{}, false
		}
		b, ok2 := Bounds(n.B, env)
		if !ok2 {
			return Range{}, false
		}
		switch n.Op {
		case Add:
			return Range{a.Min + b.Min, a.Max + b.Max}, true
		case Sub:
			return Range{a.Min - b.Max, a.Max - b.Min}, true
		case Mul:
			p := [4]int64{a.Min * b.Min, a.Min * b.Max, a.Max * b.Min, a.Max * b.Max}
			lo, hi := p[0], p[0]
			for _, v := range p[1:] {
				lo, hi = min(lo, v), max(hi, v)
			}
			return Range{lo, hi}, true
		case FloorDiv:
			if b.Min == b.Max && b.Min > 0 {
				return Range{FloorDivInt(a.Min, b.Min), FloorDivInt(a.Max, b.Min)}, true
			}
		case FloorMod:
			if b.Min == b.Max && b.Min > 0 {
				c := b.Min
				if FloorDivInt(a.Min, c) == FloorDivInt(a.Max, c) {
					return Range{FloorModInt(a.Min, c), FloorModInt(a.Max, c)}, true
				}
				return Range{0, c - 1}, true
			}
		case Min:
			return Range{min(a.Min, b.Min), min(a.Max, b.Max)}, true
		case Max:
			return Range{max(a.Min, b.Min), max(a.Max, b.Max)}, true
		}
	case *Select:
		a, ok1 := Bounds(n.T, env)
		b, ok2 := Bounds(n.F, env)
		if ok1 && ok2 {
			return Range{min(a.Min, b.Min), max(a.Max, b.Max)}, true
		}
	}
	return Range{math.MinInt64, math.MaxInt64}, false
}

// term is coef*atom in a linear form.
type term struct {
	atom Expr
	coef int64
}

// linear is sum(terms) + c, the normal form of integer arithmetic.
type linear struct {
	terms []term
	c     int64
}

func (l *linear) add(atom Expr, coef int64) {
	if coef == 0 {
		return
	}
	for i := range l.terms {
		if sameAtom(l.terms[i].atom, atom) {
			l.terms[i].coef += coef
			if l.terms[i].coef == 0 {
				l.terms = append(l.terms[:i], l.terms[i+1:]...)
			}
			return
		}
	}
	l.terms = append(l.terms, term{atom, coef})
}

func sameAtom(a, b Expr) bool {
	if va, ok := a.(*Var); ok {
		return va == b
	}
	return Equal(a, b)
}

func (l *linear) addScaled(o linear, k int64) {
	for _, t := range o.terms {
		l.add(t.atom, t.coef*k)
	}
	l.c += o.c * k
}

func (l linear) isConst() bool { return len(l.terms) == 0 }

// foldDivMod puts back together the k*c*(x // c) + k*(x % c) that fusing
// two loops leaves in a flat index: it is k*x.
func (l *linear) foldDivMod() {
	for i := 0; i < len(l.terms); i++ {
		m, ok := l.terms[i].atom.(*Binary)
		if !ok || m.Op != FloorMod {
			continue
		}
		c, ok := m.B.(*IntImm)
		if !ok || c.V <= 0 {
			continue
		}
		k := l.terms[i].coef
		for j := range l.terms {
			d, ok := l.terms[j].atom.(*Binary)
			if !ok || d.Op != FloorDiv || l.terms[j].coef != k*c.V || !Equal(d.B, m.B) || !Equal(d.A, m.A) {
				continue
			}
			x := m.A
			l.terms = slices.Delete(l.terms, max(i, j), max(i, j)+1)
			l.terms = slices.Delete(l.terms, min(i, j), min(i, j)+1)
			var s simplifier
			l.addScaled(s.lin(x), k)
			i = -1
			break
		}
	}
}

// expr turns a linear form back into an expression: positive terms first,
// in order of appearance, then negative ones, then the constant.
func (l linear) expr() Expr {
	var out Expr
	for _, t := range l.terms {
		if t.coef > 0 {
			out = addTerm(out, t.atom, t.coef)
		}
	}
	for _, t := range l.terms {
		if t.coef < 0 {
			if out == nil {
				out = MulE(t.atom, Const(t.coef))
				continue
			}
			out = Bin(Sub, out, MulE(t.atom, Const(-t.coef)))
		}
	}
	switch {
	case out == nil:
		return Const(l.c)
	case l.c > 0:
		return Bin(Add, out, Const(l.c))
	case l.c < 0:
		return Bin(Sub, out, Const(-l.c))
	}
	return out
}

func addTerm(out, atom Expr, coef int64) Expr {
	t := MulE(atom, Const(coef))
	if out == nil {
		return t
	}
	return Bin(Add, out, t)
}

// Simplify returns an equivalent expression with integer arithmetic in a
// normal form: like terms collected, constants folded, and floor division
// and modulo removed where the bounds in env decide them (the
// (i.0*f + i.1) // f noise of split and fuse). Conditions that the bounds
// decide fold to True or False; selects and logic on constant conditions
// fold away. Float arithmetic is left as written.
func Simplify(e Expr, env Env) Expr {
	s := simplifier{env: env}
	return s.simplify(e)
}

type simplifier struct {
	env Env
}

func (s *simplifier) simplify(e Expr) Expr {
	switch n := e.(type) {
	case *IntImm, *FloatImm, *Var:
		return e
	case *Binary:
		if n.Type() == Int {
			return s.lin(e).expr()
		}
		return s.simplifyBool(n)
	case *Not:
		a := s.simplify(n.A)
		if v, ok := ConstBool(a); ok {
			return boolConst(!v)
		}
		if a == n.A {
			return e
		}
		return &Not{A: a}
	case *Select:
		c := s.simplify(n.Cond)
		if v, ok := ConstBool(c); ok {
			if v {
				return s.simplify(n.T)
			}
			return s.simplify(n.F)
		}
		t, f := s.simplify(n.T), s.simplify(n.F)
		if c == n.Cond && t == n.T && f == n.F {
			return e
		}
		return &Select{Cond: c, T: t, F: f}
	case *Cast:
		a := s.simplify(n.A)
		if i, ok := a.(*IntImm); ok && n.To == Float {
			// An integer constant becomes the nearest f32, so that no
			// code generator needs to hold an integer wider than i32.
			return F32(float32(i.V))
		}
		if a == n.A {
			return e
		}
		return &Cast{To: n.To, A: a}
	case *Call:
		args, changed := s.list(n.Args)
		if !changed {
			return e
		}
		return &Call{Fn: n.Fn, Args: args}
	case *Load:
		idx, changed := s.list(n.Index)
		if !changed {
			return e
		}
		return &Load{Src: n.Src, Index: idx}
	}
	return e
}

func (s *simplifier) list(list []Expr) ([]Expr, bool) {
	var out []Expr
	for i, a := range list {
		b := s.simplify(a)
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

func boolConst(v bool) Expr {
	if v {
		return True
	}
	return False
}

func (s *simplifier) simplifyBool(n *Binary) Expr {
	a, b := s.simplify(n.A), s.simplify(n.B)
	switch {
	case n.Op.IsCompare() && a.Type() == Int:
		var d linear
		d.addScaled(s.lin(a), 1)
		d.addScaled(s.lin(b), -1)
		if r, ok := Bounds(d.expr(), s.env); ok {
			if v, decided := decide(n.Op, r); decided {
				return boolConst(v)
			}
		}
	case n.Op == And:
		va, oka := ConstBool(a)
		vb, okb := ConstBool(b)
		switch {
		case oka && !va, okb && !vb:
			return False
		case oka:
			return b
		case okb:
			return a
		}
	case n.Op == Or:
		va, oka := ConstBool(a)
		vb, okb := ConstBool(b)
		switch {
		case oka && va, okb && vb:
			return True
		case oka:
			return b
		case okb:
			return a
		}
	}
	if a == n.A && b == n.B {
		return n
	}
	return &Binary{Op: n.Op, A: a, B: b}
}

// decide reports the value of (d op 0) when every d in r gives the same.
func decide(op Op, r Range) (value, decided bool) {
	lo, hi := compareInts(op, r.Min, 0), compareInts(op, r.Max, 0)
	switch op {
	case EQ:
		if r.Min == 0 && r.Max == 0 {
			return true, true
		}
		if r.Min > 0 || r.Max < 0 {
			return false, true
		}
		return false, false
	case NE:
		if r.Min == 0 && r.Max == 0 {
			return false, true
		}
		if r.Min > 0 || r.Max < 0 {
			return true, true
		}
		return false, false
	}
	if lo == hi {
		return lo, true
	}
	return false, false
}

// lin puts an integer expression in linear normal form.
func (s *simplifier) lin(e Expr) linear {
	var l linear
	switch n := e.(type) {
	case *IntImm:
		l.c = n.V
		return l
	case *Var:
		l.add(n, 1)
		return l
	case *Binary:
		switch n.Op {
		case Add, Sub:
			a, b := s.lin(n.A), s.lin(n.B)
			k := int64(1)
			if n.Op == Sub {
				k = -1
			}
			a.addScaled(b, k)
			a.foldDivMod()
			return a
		case Mul:
			a, b := s.lin(n.A), s.lin(n.B)
			if b.isConst() {
				var out linear
				out.addScaled(a, b.c)
				return out
			}
			if a.isConst() {
				var out linear
				out.addScaled(b, a.c)
				return out
			}
			l.add(Bin(Mul, a.expr(), b.expr()), 1)
			return l
		case FloorDiv, FloorMod:
			a, b := s.lin(n.A), s.lin(n.B)
			if b.isConst() && b.c > 0 {
				return s.divMod(n.Op, a, b.c)
			}
			l.add(Bin(n.Op, a.expr(), b.expr()), 1)
			return l
		case Min, Max:
			a, b := s.lin(n.A), s.lin(n.B)
			if a.isConst() && b.isConst() {
				if (n.Op == Min) == (a.c < b.c) {
					return a
				}
				return b
			}
			var d linear
			d.addScaled(a, 1)
			d.addScaled(b, -1)
			if r, ok := Bounds(d.expr(), s.env); ok {
				switch {
				case r.Max <= 0: // a <= b
					if n.Op == Min {
						return a
					}
					return b
				case r.Min >= 0: // a >= b
					if n.Op == Min {
						return b
					}
					return a
				}
			}
			l.add(Bin(n.Op, a.expr(), b.expr()), 1)
			return l
		}
	}
	l.add(s.simplify(e), 1)
	return l
}

// divMod simplifies a // c or a % c for a constant c > 0. The terms of a
// whose coefficients c divides pass through the division whole; the rest,
// r, is decided by its bounds when r // c is the same for all its values.
func (s *simplifier) divMod(op Op, a linear, c int64) linear {
	var q, r linear
	for _, t := range a.terms {
		if t.coef%c == 0 {
			q.add(t.atom, t.coef)
		} else {
			r.add(t.atom, t.coef)
		}
	}
	q.c = FloorDivInt(a.c, c) * c
	r.c = a.c - q.c
	var out linear
	if op == FloorDiv {
		out.addScaled(q, 1)
		for i := range out.terms {
			out.terms[i].coef /= c
		}
		out.c /= c
	}
	if r.isConst() {
		if op == FloorDiv {
			out.c += FloorDivInt(r.c, c)
		} else {
			out.c += FloorModInt(r.c, c)
		}
		return out
	}
	re := r.expr()
	if rr, ok := Bounds(re, s.env); ok {
		t := FloorDivInt(rr.Min, c)
		if t == FloorDivInt(rr.Max, c) {
			if op == FloorDiv {
				out.c += t
			} else {
				out.addScaled(r, 1)
				out.c -= t * c
			}
			return out
		}
	}
	if l, ok := s.divModBlocks(op, r, c); ok {
		out.addScaled(l, 1)
		return out
	}
	// (x // a) // c == x // (a*c) for positive a, c.
	if op == FloorDiv && len(r.terms) == 1 && r.terms[0].coef == 1 && r.c == 0 {
		if inner, ok := r.terms[0].atom.(*Binary); ok && inner.Op == FloorDiv {
			if ia, ok := inner.B.(*IntImm); ok && ia.V > 0 {
				out.add(Bin(FloorDiv, inner.A, Const(ia.V*c)), 1)
				return out
			}
		}
	}
	out.add(Bin(op, re, Const(c)), 1)
	return out
}

// divModBlocks simplifies r // c or r % c when r = m*x + y for some m
// that divides c and a y bounded in [0, m): y never carries into the next
// multiple of m, so r // c == x // (c/m) and r % c == m*(x % (c/m)) + y.
// This is how a vector of lanes aligned on a multiple of m, m dividing c,
// is seen to read one element of v // c (a grouped convolution's input
// channel, (8*a + 4*c + l) // 32 with l < 4 and c < 2 is a // 4). It
// tries the factors m that c shares with r's coefficients, largest first.
func (s *simplifier) divModBlocks(op Op, r linear, c int64) (linear, bool) {
	var ms []int64
	for _, t := range r.terms {
		if m := gcd(max(t.coef, -t.coef), c); m > 1 && m < c && !slices.Contains(ms, m) {
			ms = append(ms, m)
		}
	}
	slices.SortFunc(ms, func(a, b int64) int { return cmp.Compare(b, a) })
	for _, m := range ms {
		var x, y linear
		for _, t := range r.terms {
			if t.coef%m == 0 {
				x.add(t.atom, t.coef/m)
			} else {
				y.add(t.atom, t.coef)
			}
		}
		x.c = FloorDivInt(r.c, m)
		y.c = r.c - x.c*m
		yr, ok := Bounds(y.expr(), s.env)
		if !ok || yr.Min < 0 || yr.Max >= m {
			continue
		}
		var out linear
		if op == FloorDiv {
			out.addScaled(s.divMod(FloorDiv, x, c/m), 1)
		} else {
			out.addScaled(s.divMod(FloorMod, x, c/m), m)
			out.addScaled(y, 1)
		}
		return out, true
	}
	return linear{}, false
}

// gcd is the greatest common divisor of a and b, both nonnegative.
func gcd(a, b int64) int64 {
	for b != 0 {
		a, b = b, a%b
	}
	return a
}
