package interp

import (
	"math/rand/v2"
	"testing"

	"github.com/tabtune/tabtune/compiler/expr"
	"github.com/tabtune/tabtune/compiler/ir"
)

// The interpreter defines what expressions mean, so it can check that
// expr.Simplify keeps that meaning: random index expressions over two loop
// variables are evaluated at every point of their ranges before and after
// simplification.
func TestSimplifyPreservesMeaning(t *testing.T) {
	i, j := expr.NewVar("i"), expr.NewVar("j")
	const ni, nj = 9, 5
	env := expr.Env{i: {Min: 0, Max: ni - 1}, j: {Min: 0, Max: nj - 1}}
	rng := rand.New(rand.NewPCG(1, 2))
	var gen func(depth int) expr.Expr
	gen = func(depth int) expr.Expr {
		if depth == 0 || rng.IntN(4) == 0 {
			switch rng.IntN(3) {
			case 0:
				return i
			case 1:
				return j
			}
			return expr.Const(rng.Int64N(13) - 4)
		}
		a := gen(depth - 1)
		switch rng.IntN(8) {
		case 0:
			return expr.Bin(expr.Add, a, gen(depth-1))
		case 1:
			return expr.Bin(expr.Sub, a, gen(depth-1))
		case 2:
			return expr.Bin(expr.Mul, a, expr.Const(rng.Int64N(7)-2))
		case 3:
			return expr.Bin(expr.FloorDiv, a, expr.Const(rng.Int64N(6)+1))
		case 4:
			return expr.Bin(expr.FloorMod, a, expr.Const(rng.Int64N(6)+1))
		case 5:
			return expr.Bin(expr.Min, a, gen(depth-1))
		case 6:
			return expr.Bin(expr.Max, a, gen(depth-1))
		}
		ops := []expr.Op{expr.LT, expr.LE, expr.GT, expr.GE, expr.EQ, expr.NE}
		return &expr.Select{Cond: expr.Bin(ops[rng.IntN(len(ops))], a, gen(depth-1)), T: gen(depth - 1), F: gen(depth - 1)}
	}
	out := buffer("out", expr.Int, ni, nj)
	eval := func(e expr.Expr) ([]int32, error) {
		f := &ir.Func{Name: "e", Params: []*ir.Buffer{out}, Outputs: 1,
			Body: loop(i, ni, loop(j, nj, store(out, e, i, j)))}
		res := NewData(expr.Int, ni*nj)
		return res.I32, Run(f, []Data{res})
	}
	for n := 0; n < 2000; n++ {
		e := gen(4)
		s := expr.Simplify(e, env)
		want, err1 := eval(e)
		got, err2 := eval(s)
		if err1 != nil || err2 != nil {
			t.Fatalf("%s: %v / %s: %v", expr.String(e), err1, expr.String(s), err2)
		}
		for k := range want {
			if got[k] != want[k] {
				t.Fatalf("Simplify changed the meaning of %s\n  into %s\n  at i=%d, j=%d: %d, want %d",
					expr.String(e), expr.String(s), k/nj, k%nj, got[k], want[k])
			}
		}
	}
}
