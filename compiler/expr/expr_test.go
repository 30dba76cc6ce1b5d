package expr

import (
	"testing"
)

func TestSimplify(t *testing.T) {
	i0, i1, f, j, n := NewVar("i.0"), NewVar("i.1"), NewVar("f"), NewVar("j"), NewVar("n")
	l, b := NewVar("l"), NewVar("b")
	env := Env{i0: {0, 7}, i1: {0, 15}, f: {0, 63}, j: {0, 7}, l: {0, 3}, b: {0, 1}}
	c := func(v int64) Expr { return Const(v) }
	add := func(a, b Expr) Expr { return Bin(Add, a, b) }
	mul := func(a, b Expr) Expr { return Bin(Mul, a, b) }
	div := func(a, b Expr) Expr { return Bin(FloorDiv, a, b) }
	mod := func(a, b Expr) Expr { return Bin(FloorMod, a, b) }
	split := add(mul(i0, c(16)), i1) // i = i.0*16 + i.1
	cases := []struct {
		in   Expr
		want string
	}{
		{div(split, c(16)), "i.0"},
		{mod(split, c(16)), "i.1"},
		{div(split, c(4)), "i.0 * 4 + i.1 // 4"},
		{mod(split, c(4)), "i.1 % 4"},
		{div(mod(f, c(8)), c(8)), "0"},
		{div(div(f, c(2)), c(4)), "f // 8"},
		{add(mul(div(f, c(8)), c(8)), mod(f, c(8))), "f"}, // fusing two loops and splitting them back,
		{Bin(Sub, add(split, c(3)), split), "3"},
		{add(mul(c(2), add(j, c(1))), Bin(Sub, c(0), j)), "j + 2"},
		{Bin(LT, split, c(128)), "0 == 0"},
		{Bin(LT, split, c(100)), "i.0 * 16 + i.1 < 100"},
		{Bin(GE, split, c(0)), "0 == 0"},
		{Bin(And, Bin(LT, j, c(8)), Bin(LT, n, c(3))), "n < 3"},
		{Bin(Min, j, c(9)), "j"},
		{Bin(Max, j, c(9)), "9"},
		{&Select{Cond: Bin(LT, j, c(8)), T: F32(1), F: F32(2)}, "1.0"},
		{div(n, c(4)), "n // 4"},
		{mod(add(mul(n, c(4)), c(6)), c(4)), "2"},
		{div(add(mul(n, c(4)), c(6)), c(4)), "n + 1"},
		// A run of lanes aligned within a block: (8*i.0 + 4*j + l) // 32
		// with 4*j + l < 8 is i.0 // 4, whatever i.0's range.
		{div(add(add(mul(n, c(8)), mul(b, c(4))), l), c(32)), "n // 4"},
		{mod(add(add(mul(n, c(8)), mul(b, c(4))), l), c(32)), "n % 4 * 8 + b * 4 + l"},
		{div(add(mul(n, c(4)), l), c(32)), "n // 8"},
		{div(add(add(mul(n, c(4)), l), c(2)), c(32)), "(n * 4 + l + 2) // 32"},
		{div(add(mul(n, c(16)), j), c(32)), "n // 2"},
	}
	for _, tc := range cases {
		if got := String(Simplify(tc.in, env)); got != tc.want {
			t.Errorf("Simplify(%s) = %s, want %s", String(tc.in), got, tc.want)
		}
	}
}

func TestSimplifyKeepsUnchanged(t *testing.T) {
	j := NewVar("j")
	e := Bin(Mul, F32(2), &Load{Src: fakeSrc{}, Index: []Expr{j}})
	if Simplify(e, Env{j: {0, 3}}) != e {
		t.Error("Simplify copied an expression it did not change")
	}
}

type fakeSrc struct{}

func (fakeSrc) SourceName() string { return "T" }
func (fakeSrc) ElemType() Type     { return Float }

func TestBounds(t *testing.T) {
	i, j := NewVar("i"), NewVar("j")
	env := Env{i: {0, 9}, j: {-2, 3}}
	cases := []struct {
		in     Expr
		lo, hi int64
	}{
		{Bin(Add, i, j), -2, 12},
		{Bin(Sub, i, j), -3, 11},
		{Bin(Mul, i, j), -18, 27},
		{Bin(FloorDiv, i, Const(4)), 0, 2},
		{Bin(FloorMod, i, Const(4)), 0, 3},
		{Bin(FloorMod, j, Const(16)), 0, 15},
		{Bin(FloorMod, Bin(Add, i, Const(4)), Const(16)), 4, 13},
		{Bin(Min, i, j), -2, 3},
	}
	for _, c := range cases {
		r, ok := Bounds(c.in, env)
		if !ok || r.Min != c.lo || r.Max != c.hi {
			t.Errorf("Bounds(%s) = %v %v, want [%d, %d]", String(c.in), r, ok, c.lo, c.hi)
		}
	}
	if _, ok := Bounds(Bin(Add, i, NewVar("k")), env); ok {
		t.Error("an unbound variable has bounds")
	}
}

func TestPrintPrecedence(t *testing.T) {
	a, b, c := NewVar("a"), NewVar("b"), NewVar("c")
	cases := []struct {
		in   Expr
		want string
	}{
		{Bin(Mul, Bin(Add, a, b), c), "(a + b) * c"},
		{Bin(Add, a, Bin(Mul, b, c)), "a + b * c"},
		{Bin(Sub, a, Bin(Sub, b, c)), "a - (b - c)"},
		{Bin(Sub, Bin(Sub, a, b), c), "a - b - c"},
		{Bin(FloorDiv, a, Bin(FloorDiv, b, c)), "a // (b // c)"},
		{Bin(And, Bin(LT, a, b), Bin(Or, Bin(GE, b, c), Bin(NE, a, c))), "a < b && (b >= c || a != c)"},
		{&Not{A: Bin(EQ, a, b)}, "!(a == b)"},
		{Bin(Mul, a, Const(-3)), "a * (-3)"},
		{Bin(Max, F32(0), F32(-1.5)), "max(0.0, -1.5)"},
		{&Cast{To: Float, A: a}, "f32(a)"},
		{&Call{Fn: Pow, Args: []Expr{F32(2), F32(1e-7)}}, "pow(2.0, 1e-07)"},
		{&Select{Cond: Bin(LT, a, b), T: F32(1), F: F32(float32(negInf()))}, "select(a < b, 1.0, -inf)"},
	}
	for _, c := range cases {
		if got := String(c.in); got != c.want {
			t.Errorf("got %s, want %s", got, c.want)
		}
	}
}

func TestFloorDivMod(t *testing.T) {
	for a := int64(-9); a <= 9; a++ {
		for _, b := range []int64{-4, -3, 3, 4} {
			q, r := FloorDivInt(a, b), FloorModInt(a, b)
			if q*b+r != a || (r != 0 && (r < 0) != (b < 0)) {
				t.Errorf("%d /%% %d = %d, %d", a, b, q, r)
			}
		}
	}
}

func TestRewriteSharesUnchanged(t *testing.T) {
	a, b := NewVar("a"), NewVar("b")
	var e Expr = Bin(Add, Bin(Mul, a, Const(2)), b)
	same := Rewrite(e, func(x Expr) Expr { return x })
	if same != e {
		t.Error("identity rewrite copied the tree")
	}
	sub := Substitute(e, map[*Var]Expr{b: Const(5)})
	if String(sub) != "a * 2 + 5" || sub.(*Binary).A != e.(*Binary).A {
		t.Errorf("substitute: %s, left operand shared: %v", String(sub), sub.(*Binary).A == e.(*Binary).A)
	}
}

// TestSimplifyCastOfConstant checks that f32(integer constant) folds to an
// f32 constant, however wide the integer.
func TestSimplifyCastOfConstant(t *testing.T) {
	for _, v := range []int64{0, 7, -9223372036854775808, 9223372036854775807} {
		got := Simplify(&Cast{To: Float, A: Const(v)}, nil)
		f, ok := got.(*FloatImm)
		if !ok || f.V != float32(v) {
			t.Errorf("f32(%d) simplifies to %s", v, String(got))
		}
	}
	x := NewVar("x")
	if c, ok := Simplify(&Cast{To: Float, A: x}, nil).(*Cast); !ok || c.A != Expr(x) {
		t.Errorf("f32(x) changed")
	}
}

// TestSimplifyDivModBlocks: (a*x + b*y + k) // c and % c, simplified with
// y's range only (x unbounded, of either sign), equal their value at every
// point, for the coefficients and divisors where blocks apply and where
// they do not.
func TestSimplifyDivModBlocks(t *testing.T) {
	x, y := NewVar("x"), NewVar("y")
	eval := func(e Expr, xv, yv int64) int64 {
		v := Simplify(Substitute(e, map[*Var]Expr{x: Const(xv), y: Const(yv)}), Env{})
		imm, ok := v.(*IntImm)
		if !ok {
			t.Fatalf("%s at x=%d, y=%d is not a constant: %s", String(e), xv, yv, String(v))
		}
		return imm.V
	}
	for _, a := range []int64{1, 4, 6, 8, 24} {
		for _, b := range []int64{1, 2, 3, 4} {
			for _, ymax := range []int64{0, 1, 3, 5, 7} {
				for _, k := range []int64{0, 1, 3} {
					for _, c := range []int64{4, 8, 12, 32} {
						for _, op := range []Op{FloorDiv, FloorMod} {
							e := Bin(op, Bin(Add, Bin(Add, Bin(Mul, x, Const(a)), Bin(Mul, y, Const(b))), Const(k)), Const(c))
							s := Simplify(e, Env{y: {0, ymax}})
							for xv := int64(-20); xv <= 20; xv++ {
								for yv := int64(0); yv <= ymax; yv++ {
									if got, want := eval(s, xv, yv), eval(e, xv, yv); got != want {
										t.Fatalf("%s simplified to %s: %d at x=%d, y=%d, want %d", String(e), String(s), got, xv, yv, want)
									}
								}
							}
						}
					}
				}
			}
		}
	}
}
