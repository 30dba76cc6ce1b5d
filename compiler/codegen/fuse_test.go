package codegen

import (
	"testing"

	"github.com/tabtune/tabtune/compiler/expr"
	"github.com/tabtune/tabtune/compiler/ir"
)

func TestFuseLoops(t *testing.T) {
	i, j := expr.NewVar("i"), expr.NewVar("j")
	tmp := &ir.Buffer{Name: "T", Shape: []int64{16}, DType: expr.Float}
	sum := &ir.Buffer{Name: "S", Shape: []int64{1}, DType: expr.Float}
	reg := &ir.Buffer{Name: "R", Shape: []int64{16}, DType: expr.Float, Scope: ir.Local}
	zero := expr.Const(0)
	one := func(v *expr.Var) expr.Expr { return expr.AddE(v, expr.Const(1)) }
	// produce is T[i] = A[i] * 2.0 over a loop of kind k.
	produce := func(k ir.ForKind) *ir.For {
		return loop(i, 16, k, store(tmp, expr.Bin(expr.Mul, load(bufA, i), expr.F32(2)), i))
	}
	// fold is S[0] = S[0] + T[idx(j)] over a loop of kind k.
	fold := func(k ir.ForKind, idx expr.Expr) *ir.For {
		return loop(j, 16, k, store(sum, expr.AddE(load(sum, zero), load(tmp, idx)), zero))
	}
	with := func(body ir.Stmt, bufs ...*ir.Buffer) *ir.Func {
		for _, b := range bufs {
			body = &ir.Alloc{Buf: b, Body: body}
		}
		return kernel(body)
	}
	testPass(t, FuseLoops, []passCase{
		// softmax's exps and their sum: one vectorized loop, the sum's
		// initialization moved before it.
		{name: "producer and its fold", f: with(ir.MakeSeq(produce(ir.Vectorized), store(sum, expr.F32(0), zero), fold(ir.Vectorized, j)), sum, tmp), before: `
		kernel(A: f32[16], out B: f32[16]) {
		  global T: f32[16];
		  global S: f32[1];
		  vectorized for (i = 0; i < 16; i++) {
		    T[i] = A[i] * 2.0;
		  }
		  S[0] = 0.0;
		  vectorized for (j = 0; j < 16; j++) {
		    S[0] = S[0] + T[j];
		  }
		}`, after: `
		kernel(A: f32[16], out B: f32[16]) {
		  global T: f32[16];
		  global S: f32[1];
		  S[0] = 0.0;
		  vectorized for (i = 0; i < 16; i++) {
		    T[i] = A[i] * 2.0;
		    S[0] = S[0] + T[i];
		  }
		}`},
		// The first loop's pragmas win.
		{name: "pragmas", f: with(ir.MakeSeq(
			loop(i, 16, ir.Serial, store(tmp, load(bufA, i), i), ir.Pragma{Key: ir.AutoUnrollMaxStep, Value: 16}),
			loop(j, 16, ir.Serial, store(bufB, load(tmp, j), j), ir.Pragma{Key: ir.AutoUnrollMaxStep, Value: 64})), tmp), before: `
		kernel(A: f32[16], out B: f32[16]) {
		  global T: f32[16];
		  pragma(auto_unroll_max_step=16) for (i = 0; i < 16; i++) {
		    T[i] = A[i];
		  }
		  pragma(auto_unroll_max_step=64) for (j = 0; j < 16; j++) {
		    B[j] = T[j];
		  }
		}`, after: `
		kernel(A: f32[16], out B: f32[16]) {
		  global T: f32[16];
		  pragma(auto_unroll_max_step=16) for (i = 0; i < 16; i++) {
		    T[i] = A[i];
		    B[i] = T[i];
		  }
		}`},
		// T[j + 1] is written at the next iteration of the first loop.
		{name: "read ahead", f: with(ir.MakeSeq(produce(ir.Serial), loop(j, 16, ir.Serial, store(bufB, load(tmp, expr.Bin(expr.Min, one(j), expr.Const(15))), j))), tmp), before: `
		kernel(A: f32[16], out B: f32[16]) {
		  global T: f32[16];
		  for (i = 0; i < 16; i++) {
		    T[i] = A[i] * 2.0;
		  }
		  for (j = 0; j < 16; j++) {
		    B[j] = T[min(j + 1, 15)];
		  }
		}`},
		// The statement between reads what the first loop writes.
		{name: "reader between", f: with(ir.MakeSeq(produce(ir.Serial), store(sum, load(tmp, zero), zero), fold(ir.Serial, j)), sum, tmp), before: `
		kernel(A: f32[16], out B: f32[16]) {
		  global T: f32[16];
		  global S: f32[1];
		  for (i = 0; i < 16; i++) {
		    T[i] = A[i] * 2.0;
		  }
		  S[0] = T[0];
		  for (j = 0; j < 16; j++) {
		    S[0] = S[0] + T[j];
		  }
		}`},
		// The first loop reads what the second writes.
		{name: "anti dependence", f: with(ir.MakeSeq(loop(i, 16, ir.Serial, store(tmp, load(bufB, i), i)), loop(j, 16, ir.Serial, store(bufB, load(tmp, j), j))), tmp), before: `
		kernel(A: f32[16], out B: f32[16]) {
		  global T: f32[16];
		  for (i = 0; i < 16; i++) {
		    T[i] = B[i];
		  }
		  for (j = 0; j < 16; j++) {
		    B[j] = T[j];
		  }
		}`},
		// Two folds in one vectorized loop: the vectorizer gives only one
		// accumulators.
		{name: "two vector folds", f: with(ir.MakeSeq(
			loop(i, 16, ir.Vectorized, ir.MakeSeq(store(tmp, load(bufA, i), i), store(sum, expr.AddE(load(sum, zero), load(tmp, i)), zero))),
			loop(j, 16, ir.Vectorized, store(bufB, expr.AddE(load(bufB, zero), load(tmp, j)), zero))), sum, tmp), before: `
		kernel(A: f32[16], out B: f32[16]) {
		  global T: f32[16];
		  global S: f32[1];
		  vectorized for (i = 0; i < 16; i++) {
		    T[i] = A[i];
		    S[0] = S[0] + T[i];
		  }
		  vectorized for (j = 0; j < 16; j++) {
		    B[0] = B[0] + T[j];
		  }
		}`},
		// Loops that share nothing are left apart.
		{name: "unrelated", f: with(ir.MakeSeq(produce(ir.Serial), loop(j, 16, ir.Serial, store(bufB, load(bufA, j), j))), tmp), before: `
		kernel(A: f32[16], out B: f32[16]) {
		  global T: f32[16];
		  for (i = 0; i < 16; i++) {
		    T[i] = A[i] * 2.0;
		  }
		  for (j = 0; j < 16; j++) {
		    B[j] = A[j];
		  }
		}`},
		// A register tile and its write-back stay apart.
		{name: "local buffer", f: with(ir.MakeSeq(loop(i, 16, ir.Serial, store(reg, load(bufA, i), i)), loop(j, 16, ir.Serial, store(bufB, load(reg, j), j))), reg), before: `
		kernel(A: f32[16], out B: f32[16]) {
		  local R: f32[16];
		  for (i = 0; i < 16; i++) {
		    R[i] = A[i];
		  }
		  for (j = 0; j < 16; j++) {
		    B[j] = R[j];
		  }
		}`},
		// Different kinds do not fuse.
		{name: "kinds", f: with(ir.MakeSeq(produce(ir.Serial), fold(ir.Vectorized, j)), sum, tmp), before: `
		kernel(A: f32[16], out B: f32[16]) {
		  global T: f32[16];
		  global S: f32[1];
		  for (i = 0; i < 16; i++) {
		    T[i] = A[i] * 2.0;
		  }
		  vectorized for (j = 0; j < 16; j++) {
		    S[0] = S[0] + T[j];
		  }
		}`},
	})
}

// TestFusedReduction: a fused producer's stores ride along the vector
// accumulator of its fold, which then uses one accumulator.
func TestFusedReduction(t *testing.T) {
	i := expr.NewVar("i")
	tmp := &ir.Buffer{Name: "T", Shape: []int64{16}, DType: expr.Float}
	sum := &ir.Buffer{Name: "S", Shape: []int64{1}, DType: expr.Float}
	zero := expr.Const(0)
	body := ir.MakeSeq(
		store(tmp, expr.Bin(expr.Mul, load(bufA, i), expr.F32(2)), i),
		store(sum, expr.AddE(load(sum, zero), load(tmp, i)), zero))
	f := kernel(&ir.Alloc{Buf: tmp, Body: &ir.Alloc{Buf: sum, Body: loop(i, 8, ir.Vectorized, body)}})
	testPass(t, Vectorize, []passCase{{name: "fused", cfg: wasmLike, f: f, before: `
		kernel(A: f32[16], out B: f32[16]) {
		  global T: f32[16];
		  global S: f32[1];
		  vectorized for (i = 0; i < 8; i++) {
		    T[i] = A[i] * 2.0;
		    S[0] = S[0] + T[i];
		  }
		}`, after: `
		kernel(A: f32[16], out B: f32[16]) {
		  global T: f32[16];
		  global S: f32[1];
		  local S.vacc1: f32[4];
		  vectorized for (i.v = 0; i.v < 4; i.v++) {
		    S.vacc1[i.v] = 0.0;
		  }
		  unrolled for (i.c = 0; i.c < 2; i.c++) {
		    vectorized for (i.v = 0; i.v < 4; i.v++) {
		      T[i.c * 4 + i.v] = A[i.c * 4 + i.v] * 2.0;
		      S.vacc1[i.v] = S.vacc1[i.v] + T[i.c * 4 + i.v];
		    }
		  }
		  S[0] = S[0] + (S.vacc1[0] + S.vacc1[1] + (S.vacc1[2] + S.vacc1[3]));
		}`}})
}
