package codegen

import (
	"testing"

	"github.com/tabtune/tabtune/compiler/expr"
	"github.com/tabtune/tabtune/compiler/ir"
)

func TestUnroll(t *testing.T) {
	i, j := expr.NewVar("i"), expr.NewVar("j")
	small := wasmLike
	small.MaxUnroll = 5
	nested := kernel(loop(i, 2, ir.Unrolled, loop(j, 3, ir.Unrolled, copyStore(expr.AddE(expr.MulE(i, expr.Const(3)), j)))))
	testPass(t, Unroll, []passCase{
		{name: "expand", cfg: wasmLike, f: kernel(loop(i, 3, ir.Unrolled, copyStore(i))), before: `
		kernel(A: f32[16], out B: f32[16]) {
		  unrolled for (i = 0; i < 3; i++) {
		    B[i] = A[i] * 2.0;
		  }
		}`, after: `
		kernel(A: f32[16], out B: f32[16]) {
		  B[0] = A[0] * 2.0;
		  B[1] = A[1] * 2.0;
		  B[2] = A[2] * 2.0;
		}`},
		// A condition that each copy decides keeps only its live branch.
		{name: "decided conditions", cfg: wasmLike, f: kernel(loop(i, 3, ir.Unrolled, ir.MakeSeq(
			&ir.If{Cond: expr.Bin(expr.GE, i, expr.Const(1)), Then: copyStore(i), Else: copyStore(expr.AddE(i, expr.Const(8)))},
			&ir.If{Cond: expr.Bin(expr.LT, i, expr.Const(2)), Then: copyStore(expr.AddE(i, expr.Const(4)))}))), before: `
		kernel(A: f32[16], out B: f32[16]) {
		  unrolled for (i = 0; i < 3; i++) {
		    if (i >= 1) {
		      B[i] = A[i] * 2.0;
		    } else {
		      B[i + 8] = A[i + 8] * 2.0;
		    }
		    if (i < 2) {
		      B[i + 4] = A[i + 4] * 2.0;
		    }
		  }
		}`, after: `
		kernel(A: f32[16], out B: f32[16]) {
		  B[8] = A[8] * 2.0;
		  B[4] = A[4] * 2.0;
		  B[1] = A[1] * 2.0;
		  B[5] = A[5] * 2.0;
		  B[2] = A[2] * 2.0;
		}`},
		// Inside out: j first, then i over the three copies; the indices
		// fold to constants.
		{name: "nested", cfg: wasmLike, f: nested, before: `
		kernel(A: f32[16], out B: f32[16]) {
		  unrolled for (i = 0; i < 2; i++) {
		    unrolled for (j = 0; j < 3; j++) {
		      B[i * 3 + j] = A[i * 3 + j] * 2.0;
		    }
		  }
		}`, after: `
		kernel(A: f32[16], out B: f32[16]) {
		  B[0] = A[0] * 2.0;
		  B[1] = A[1] * 2.0;
		  B[2] = A[2] * 2.0;
		  B[3] = A[3] * 2.0;
		  B[4] = A[4] * 2.0;
		  B[5] = A[5] * 2.0;
		}`},
		// With room for five statements, j expands (3) but i over it
		// would make 6: i stays a loop, now serial.
		{name: "too large", cfg: small, f: nested, before: `
		kernel(A: f32[16], out B: f32[16]) {
		  unrolled for (i = 0; i < 2; i++) {
		    unrolled for (j = 0; j < 3; j++) {
		      B[i * 3 + j] = A[i * 3 + j] * 2.0;
		    }
		  }
		}`, after: `
		kernel(A: f32[16], out B: f32[16]) {
		  for (i = 0; i < 2; i++) {
		    B[i * 3] = A[i * 3] * 2.0;
		    B[i * 3 + 1] = A[i * 3 + 1] * 2.0;
		    B[i * 3 + 2] = A[i * 3 + 2] * 2.0;
		  }
		}`},
		// A lane loop is one vector step, not unrolled.
		{name: "lane loop kept", cfg: wasmLike, f: kernel(loop(i, 2, ir.Unrolled, loop(j, 4, ir.Vectorized,
			copyStore(expr.AddE(expr.MulE(i, expr.Const(4)), j))))), before: `
		kernel(A: f32[16], out B: f32[16]) {
		  unrolled for (i = 0; i < 2; i++) {
		    vectorized for (j = 0; j < 4; j++) {
		      B[i * 4 + j] = A[i * 4 + j] * 2.0;
		    }
		  }
		}`, after: `
		kernel(A: f32[16], out B: f32[16]) {
		  vectorized for (j = 0; j < 4; j++) {
		    B[j] = A[j] * 2.0;
		  }
		  vectorized for (j = 0; j < 4; j++) {
		    B[j + 4] = A[j + 4] * 2.0;
		  }
		}`},
		{name: "nothing to unroll", cfg: wasmLike, f: kernel(loop(i, 3, ir.Serial, copyStore(i))), before: `
		kernel(A: f32[16], out B: f32[16]) {
		  for (i = 0; i < 3; i++) {
		    B[i] = A[i] * 2.0;
		  }
		}`},
	})
}
