package codegen

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/tabtune/tabtune/compiler/expr"
	"github.com/tabtune/tabtune/compiler/ir"
)

func TestPartition(t *testing.T) {
	i, j := expr.NewVar("i"), expr.NewVar("j")
	negInf := expr.F32(float32(math.Inf(-1)))
	ge := func(a expr.Expr, c int64) expr.Expr { return expr.Bin(expr.GE, a, expr.Const(c)) }
	lt := func(a expr.Expr, c int64) expr.Expr { return expr.Bin(expr.LT, a, expr.Const(c)) }
	and := func(a, b expr.Expr) expr.Expr { return expr.Bin(expr.And, a, b) }
	// pad is B[i] = select(2 <= i < 14, A[i - 2], -inf), a loop of kind k.
	pad := func(k ir.ForKind) *ir.Func {
		return kernel(loop(i, 16, k, store(bufB, &expr.Select{
			Cond: and(ge(i, 2), lt(i, 14)), T: load(bufA, expr.SubE(i, expr.Const(2))), F: negInf}, i)))
	}
	padBefore := `
		kernel(A: f32[16], out B: f32[16]) {
		  %s (i = 0; i < 16; i++) {
		    B[i] = select(i >= 2 && i < 14, A[i - 2], -inf);
		  }
		}`
	// rows is B[j*8 + i] = select(j >= 1 && i >= 2, A[j*8 + i - 10], -inf):
	// the outer loop holds the vectorized one and is split too.
	flat := expr.AddE(expr.MulE(j, expr.Const(8)), i)
	rows := kernel(loop(j, 2, ir.Serial, loop(i, 8, ir.Vectorized, store(bufB, &expr.Select{
		Cond: and(ge(j, 1), ge(i, 2)), T: load(bufA, expr.SubE(flat, expr.Const(10))), F: negInf}, flat))))
	// window's threshold is an outer variable.
	window := kernel(loop(j, 4, ir.Serial, loop(i, 4, ir.Vectorized, store(bufB, &expr.Select{
		Cond: ge(expr.SubE(i, j), 0), T: load(bufA, expr.SubE(i, j)), F: expr.F32(0)}, i))))
	square := kernel(loop(i, 16, ir.Vectorized, store(bufB, &expr.Select{
		Cond: ge(expr.MulE(i, i), 4), T: load(bufA, i), F: expr.F32(0)}, i)))
	small := wasmLike
	small.MaxUnroll = 2
	testPass(t, Partition, []passCase{
		{name: "padding", cfg: wasmLike, f: pad(ir.Vectorized), before: fmt.Sprintf(padBefore, "vectorized for"), after: `
		kernel(A: f32[16], out B: f32[16]) {
		  vectorized for (i = 0; i < 2; i++) {
		    B[i] = -inf;
		  }
		  vectorized for (i = 0; i < 12; i++) {
		    B[i + 2] = A[i];
		  }
		  vectorized for (i = 0; i < 2; i++) {
		    B[i + 14] = -inf;
		  }
		}`},
		{name: "nested", cfg: wasmLike, f: rows, before: `
		kernel(A: f32[16], out B: f32[16]) {
		  for (j = 0; j < 2; j++) {
		    vectorized for (i = 0; i < 8; i++) {
		      B[j * 8 + i] = select(j >= 1 && i >= 2, A[j * 8 + i - 10], -inf);
		    }
		  }
		}`, after: `
		kernel(A: f32[16], out B: f32[16]) {
		  for (j = 0; j < 1; j++) {
		    vectorized for (i = 0; i < 2; i++) {
		      B[j * 8 + i] = -inf;
		    }
		    vectorized for (i = 0; i < 6; i++) {
		      B[j * 8 + i + 2] = -inf;
		    }
		  }
		  for (j = 0; j < 1; j++) {
		    vectorized for (i = 0; i < 2; i++) {
		      B[j * 8 + i + 8] = -inf;
		    }
		    vectorized for (i = 0; i < 6; i++) {
		      B[j * 8 + i + 10] = A[j * 8 + i];
		    }
		  }
		}`},
		// No vector loop to gain: the loop stays.
		{name: "serial", cfg: wasmLike, f: pad(ir.Serial), before: fmt.Sprintf(padBefore, "for")},
		// The threshold moves with the outer variable: the inner loop is
		// left whole, the outer one is cut where the comparison holds
		// for every i.
		{name: "threshold moves", cfg: wasmLike, f: window, before: `
		kernel(A: f32[16], out B: f32[16]) {
		  for (j = 0; j < 4; j++) {
		    vectorized for (i = 0; i < 4; i++) {
		      B[i] = select(i - j >= 0, A[i - j], 0.0);
		    }
		  }
		}`, after: `
		kernel(A: f32[16], out B: f32[16]) {
		  for (j = 0; j < 1; j++) {
		    vectorized for (i = 0; i < 4; i++) {
		      B[i] = A[i - j];
		    }
		  }
		  for (j = 0; j < 3; j++) {
		    vectorized for (i = 0; i < 4; i++) {
		      B[i] = select(i - j - 1 >= 0, A[i - j - 1], 0.0);
		    }
		  }
		}`},
		// Not linear in i: no place to cut.
		{name: "not linear", cfg: wasmLike, f: square, before: `
		kernel(A: f32[16], out B: f32[16]) {
		  vectorized for (i = 0; i < 16; i++) {
		    B[i] = select(i * i >= 4, A[i], 0.0);
		  }
		}`},
		// Three copies of one statement exceed MaxUnroll = 2.
		{name: "too many copies", cfg: small, f: pad(ir.Vectorized), before: fmt.Sprintf(padBefore, "vectorized for")},
	})
}

// TestCompareCut: for random comparisons k*v + r OP c, the cut splits the
// loop's range into two parts (or none) on each of which the simplifier
// finds the comparison constant, and the parts differ.
func TestCompareCut(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	ops := []expr.Op{expr.LT, expr.LE, expr.GT, expr.GE}
	for range 2000 {
		v := expr.NewVar("v")
		extent := 1 + rng.Int64N(20)
		env := expr.Env{v: {Min: 0, Max: extent - 1}}
		k := rng.Int64N(7) - 3
		if k == 0 {
			k = 1
		}
		c := expr.Bin(ops[rng.IntN(len(ops))], expr.AddE(expr.MulE(v, expr.Const(k)), expr.Const(rng.Int64N(41)-20)), expr.Const(rng.Int64N(11)-5))
		truth := func(x int64) bool {
			b, ok := expr.ConstBool(SubstConst(c, v, x, env))
			if !ok {
				t.Fatalf("%s at v = %d does not fold", c, x)
			}
			return b
		}
		cut, ok := extent, false
		if cuts := compareCuts(c, v, extent, nil, env); len(cuts) > 0 {
			cut, ok = cuts[0], true
			if len(cuts) != 2 || cuts[1] != cut {
				t.Fatalf("%s over [0, %d): cuts %v, want one twice", c, extent, cuts)
			}
		}
		if ok && (cut <= 0 || cut >= extent || truth(cut) == truth(0)) {
			t.Fatalf("%s over [0, %d): cut %d", c, extent, cut)
		}
		for x := range extent {
			if truth(x) != (truth(0) == (x < cut)) {
				t.Fatalf("%s over [0, %d): cut %d, but v = %d gives %v", c, extent, cut, x, truth(x))
			}
		}
	}
}
