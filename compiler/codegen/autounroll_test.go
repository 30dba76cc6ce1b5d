package codegen

import (
	"testing"

	"github.com/tabtune/tabtune/compiler/expr"
	"github.com/tabtune/tabtune/compiler/ir"
)

func TestAutoUnroll(t *testing.T) {
	o, i, j := expr.NewVar("o"), expr.NewVar("i"), expr.NewVar("j")
	idx := expr.AddE(expr.MulE(i, expr.Const(4)), j)
	nest := func(budget int64, inner ir.ForKind) *ir.Func {
		return kernel(loop(o, 2, ir.Parallel,
			loop(i, 2, ir.Serial, loop(j, 4, inner, copyStore(idx))),
			ir.Pragma{Key: ir.AutoUnrollMaxStep, Value: budget}))
	}
	testPass(t, AutoUnroll, []passCase{
		{name: "whole nest fits", f: nest(8, ir.Serial), before: `
		kernel(A: f32[16], out B: f32[16]) {
		  parallel pragma(auto_unroll_max_step=8) for (o = 0; o < 2; o++) {
		    for (i = 0; i < 2; i++) {
		      for (j = 0; j < 4; j++) {
		        B[i * 4 + j] = A[i * 4 + j] * 2.0;
		      }
		    }
		  }
		}`, after: `
		kernel(A: f32[16], out B: f32[16]) {
		  parallel pragma(auto_unroll_max_step=8) for (o = 0; o < 2; o++) {
		    unrolled for (i = 0; i < 2; i++) {
		      unrolled for (j = 0; j < 4; j++) {
		        B[i * 4 + j] = A[i * 4 + j] * 2.0;
		      }
		    }
		  }
		}`},
		{name: "inner loop fits", f: nest(4, ir.Serial), before: `
		kernel(A: f32[16], out B: f32[16]) {
		  parallel pragma(auto_unroll_max_step=4) for (o = 0; o < 2; o++) {
		    for (i = 0; i < 2; i++) {
		      for (j = 0; j < 4; j++) {
		        B[i * 4 + j] = A[i * 4 + j] * 2.0;
		      }
		    }
		  }
		}`, after: `
		kernel(A: f32[16], out B: f32[16]) {
		  parallel pragma(auto_unroll_max_step=4) for (o = 0; o < 2; o++) {
		    for (i = 0; i < 2; i++) {
		      unrolled for (j = 0; j < 4; j++) {
		        B[i * 4 + j] = A[i * 4 + j] * 2.0;
		      }
		    }
		  }
		}`},
		// Only serial loops are marked; a vectorized one keeps its kind
		// but counts its iterations.
		{name: "vectorized inner loop", f: nest(4, ir.Vectorized), before: `
		kernel(A: f32[16], out B: f32[16]) {
		  parallel pragma(auto_unroll_max_step=4) for (o = 0; o < 2; o++) {
		    for (i = 0; i < 2; i++) {
		      vectorized for (j = 0; j < 4; j++) {
		        B[i * 4 + j] = A[i * 4 + j] * 2.0;
		      }
		    }
		  }
		}`},
		{name: "budget too small", f: nest(3, ir.Serial), before: `
		kernel(A: f32[16], out B: f32[16]) {
		  parallel pragma(auto_unroll_max_step=3) for (o = 0; o < 2; o++) {
		    for (i = 0; i < 2; i++) {
		      for (j = 0; j < 4; j++) {
		        B[i * 4 + j] = A[i * 4 + j] * 2.0;
		      }
		    }
		  }
		}`},
		// The longest path through a sequence counts: i runs 2 x 4.
		{name: "sequence", f: kernel(loop(o, 2, ir.Serial,
			loop(i, 2, ir.Serial, ir.MakeSeq(copyStore(i), loop(j, 4, ir.Serial, copyStore(j)))),
			ir.Pragma{Key: ir.AutoUnrollMaxStep, Value: 6})), before: `
		kernel(A: f32[16], out B: f32[16]) {
		  pragma(auto_unroll_max_step=6) for (o = 0; o < 2; o++) {
		    for (i = 0; i < 2; i++) {
		      B[i] = A[i] * 2.0;
		      for (j = 0; j < 4; j++) {
		        B[j] = A[j] * 2.0;
		      }
		    }
		  }
		}`, after: `
		kernel(A: f32[16], out B: f32[16]) {
		  pragma(auto_unroll_max_step=6) for (o = 0; o < 2; o++) {
		    for (i = 0; i < 2; i++) {
		      B[i] = A[i] * 2.0;
		      unrolled for (j = 0; j < 4; j++) {
		        B[j] = A[j] * 2.0;
		      }
		    }
		  }
		}`},
		// A loop of extent 1 with the pragma is unrolled itself: its
		// variable becomes 0, the indices inside constants.
		{name: "unit loop with the pragma", f: kernel(loop(o, 1, ir.Serial,
			loop(i, 2, ir.Serial, loop(j, 4, ir.Serial, copyStore(expr.AddE(o, idx)))),
			ir.Pragma{Key: ir.AutoUnrollMaxStep, Value: 4})), before: `
		kernel(A: f32[16], out B: f32[16]) {
		  pragma(auto_unroll_max_step=4) for (o = 0; o < 1; o++) {
		    for (i = 0; i < 2; i++) {
		      for (j = 0; j < 4; j++) {
		        B[o + (i * 4 + j)] = A[o + (i * 4 + j)] * 2.0;
		      }
		    }
		  }
		}`, after: `
		kernel(A: f32[16], out B: f32[16]) {
		  unrolled pragma(auto_unroll_max_step=4) for (o = 0; o < 1; o++) {
		    for (i = 0; i < 2; i++) {
		      unrolled for (j = 0; j < 4; j++) {
		        B[o + (i * 4 + j)] = A[o + (i * 4 + j)] * 2.0;
		      }
		    }
		  }
		}`},
		{name: "no pragma", f: kernel(loop(i, 2, ir.Serial, loop(j, 4, ir.Serial, copyStore(idx)))), before: `
		kernel(A: f32[16], out B: f32[16]) {
		  for (i = 0; i < 2; i++) {
		    for (j = 0; j < 4; j++) {
		      B[i * 4 + j] = A[i * 4 + j] * 2.0;
		    }
		  }
		}`},
	})
}
