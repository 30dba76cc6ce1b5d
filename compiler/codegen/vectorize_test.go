package codegen

import (
	"testing"

	"github.com/tabtune/tabtune/compiler/expr"
	"github.com/tabtune/tabtune/compiler/ir"
)

// twoAccumulators is wasmLike with reductions into two vectors.
var twoAccumulators = func() Config {
	c := wasmLike
	c.Accumulators = 2
	return c
}()

func TestVectorize(t *testing.T) {
	i := expr.NewVar("i")
	vec := func(extent int64, body ir.Stmt) *ir.Func { return kernel(loop(i, extent, ir.Vectorized, body)) }
	// fill is a 32-element buffer of scope s with B[i] = f32(i).
	fill := func(s ir.Scope) *ir.Func {
		b := &ir.Buffer{Name: "T", Shape: []int64{32}, DType: expr.Float, Scope: s}
		return kernel(&ir.Alloc{Buf: b, Body: loop(i, 32, ir.Vectorized, store(b, &expr.Cast{A: i, To: expr.Float}, i))})
	}
	noLanes := wasmLike
	noLanes.Lanes = 0
	testPass(t, Vectorize, []passCase{
		{name: "chunks and tail", cfg: wasmLike, f: vec(10, copyStore(i)), before: `
		kernel(A: f32[16], out B: f32[16]) {
		  vectorized for (i = 0; i < 10; i++) {
		    B[i] = A[i] * 2.0;
		  }
		}`, after: `
		kernel(A: f32[16], out B: f32[16]) {
		  unrolled for (i.c = 0; i.c < 2; i.c++) {
		    vectorized for (i.v = 0; i.v < 4; i.v++) {
		      B[i.c * 4 + i.v] = A[i.c * 4 + i.v] * 2.0;
		    }
		  }
		  unrolled for (i.t = 0; i.t < 2; i.t++) {
		    B[i.t + 8] = A[i.t + 8] * 2.0;
		  }
		}`},
		// Eight chunks: more than ChunkUnroll, the chunk loop stays a loop.
		{name: "many chunks", cfg: wasmLike, f: fill(ir.Global), before: `
		kernel(A: f32[16], out B: f32[16]) {
		  global T: f32[32];
		  vectorized for (i = 0; i < 32; i++) {
		    T[i] = f32(i);
		  }
		}`, after: `
		kernel(A: f32[16], out B: f32[16]) {
		  global T: f32[32];
		  for (i.c = 0; i.c < 8; i.c++) {
		    vectorized for (i.v = 0; i.v < 4; i.v++) {
		      T[i.c * 4 + i.v] = f32(i.c * 4 + i.v);
		    }
		  }
		}`},
		// The same into a local buffer: within LocalChunkUnroll.
		{name: "local tile", cfg: wasmLike, f: fill(ir.Local), before: `
		kernel(A: f32[16], out B: f32[16]) {
		  local T: f32[32];
		  vectorized for (i = 0; i < 32; i++) {
		    T[i] = f32(i);
		  }
		}`, after: `
		kernel(A: f32[16], out B: f32[16]) {
		  local T: f32[32];
		  unrolled for (i.c = 0; i.c < 8; i.c++) {
		    vectorized for (i.v = 0; i.v < 4; i.v++) {
		      T[i.c * 4 + i.v] = f32(i.c * 4 + i.v);
		    }
		  }
		}`},
		{name: "guard linear in the lane", cfg: wasmLike, f: vec(8, &ir.If{
			Cond: expr.Bin(expr.LT, expr.AddE(i, expr.Const(3)), expr.Const(9)), Then: copyStore(i)}), before: `
		kernel(A: f32[16], out B: f32[16]) {
		  vectorized for (i = 0; i < 8; i++) {
		    if (i + 3 < 9) {
		      B[i] = A[i] * 2.0;
		    }
		  }
		}`, after: `
		kernel(A: f32[16], out B: f32[16]) {
		  unrolled for (i.c = 0; i.c < 2; i.c++) {
		    vectorized for (i.v = 0; i.v < 4; i.v++) {
		      if (i.c * 4 + i.v + 3 < 9) {
		        B[i.c * 4 + i.v] = A[i.c * 4 + i.v] * 2.0;
		      }
		    }
		  }
		}`},
		{name: "sqrt on lanes", cfg: wasmLike, f: vec(4, store(bufB, &expr.Call{Fn: expr.Sqrt, Args: []expr.Expr{load(bufA, i)}}, i)), before: `
		kernel(A: f32[16], out B: f32[16]) {
		  vectorized for (i = 0; i < 4; i++) {
		    B[i] = sqrt(A[i]);
		  }
		}`, after: `
		kernel(A: f32[16], out B: f32[16]) {
		  unrolled for (i.c = 0; i.c < 1; i.c++) {
		    vectorized for (i.v = 0; i.v < 4; i.v++) {
		      B[i.c * 4 + i.v] = sqrt(A[i.c * 4 + i.v]);
		    }
		  }
		}`},
		// The rest become serial loops.
		{name: "exp not on lanes", cfg: wasmLike, f: vec(4, store(bufB, &expr.Call{Fn: expr.Exp, Args: []expr.Expr{load(bufA, i)}}, i)), before: `
		kernel(A: f32[16], out B: f32[16]) {
		  vectorized for (i = 0; i < 4; i++) {
		    B[i] = exp(A[i]);
		  }
		}`, after: `
		kernel(A: f32[16], out B: f32[16]) {
		  for (i = 0; i < 4; i++) {
		    B[i] = exp(A[i]);
		  }
		}`},
		// Lanes would write one element, and it is not a reduction (the
		// sum reads another element): serial. (Until vectorized
		// reductions, the case was B[0] = B[0] + A[i].)
		{name: "lanes collide", cfg: wasmLike, f: vec(8, store(bufB, expr.AddE(load(bufB, expr.Const(1)), load(bufA, i)), expr.Const(0))), before: `
		kernel(A: f32[16], out B: f32[16]) {
		  vectorized for (i = 0; i < 8; i++) {
		    B[0] = B[1] + A[i];
		  }
		}`, after: `
		kernel(A: f32[16], out B: f32[16]) {
		  for (i = 0; i < 8; i++) {
		    B[0] = B[1] + A[i];
		  }
		}`},
		// A reduction that also reads what it reduces into: serial.
		{name: "reduction reads itself", cfg: wasmLike, f: vec(8, store(bufB, expr.AddE(load(bufB, expr.Const(0)), load(bufB, i)), expr.Const(0))), before: `
		kernel(A: f32[16], out B: f32[16]) {
		  vectorized for (i = 0; i < 8; i++) {
		    B[0] = B[0] + B[i];
		  }
		}`, after: `
		kernel(A: f32[16], out B: f32[16]) {
		  for (i = 0; i < 8; i++) {
		    B[0] = B[0] + B[i];
		  }
		}`},
		// A sum: two accumulators, one chunk each, the horizontal sum,
		// the scalar tail into B itself.
		{name: "sum", cfg: twoAccumulators, f: vec(10, store(bufB, expr.AddE(load(bufB, expr.Const(3)), load(bufA, i)), expr.Const(3))), before: `
		kernel(A: f32[16], out B: f32[16]) {
		  vectorized for (i = 0; i < 10; i++) {
		    B[3] = B[3] + A[i];
		  }
		}`, after: `
		kernel(A: f32[16], out B: f32[16]) {
		  local B.vacc1: f32[8];
		  vectorized for (i.v = 0; i.v < 4; i.v++) {
		    B.vacc1[i.v] = 0.0;
		  }
		  vectorized for (i.v = 0; i.v < 4; i.v++) {
		    B.vacc1[4 + i.v] = 0.0;
		  }
		  unrolled for (i.c = 0; i.c < 1; i.c++) {
		    vectorized for (i.v = 0; i.v < 4; i.v++) {
		      B.vacc1[i.v] = B.vacc1[i.v] + A[i.c * 8 + i.v];
		    }
		    vectorized for (i.v = 0; i.v < 4; i.v++) {
		      B.vacc1[i.v + 4] = B.vacc1[i.v + 4] + A[i.c * 8 + i.v + 4];
		    }
		  }
		  vectorized for (i.v = 0; i.v < 4; i.v++) {
		    B.vacc1[i.v] = B.vacc1[i.v] + B.vacc1[4 + i.v];
		  }
		  B[3] = B[3] + (B.vacc1[0] + B.vacc1[1] + (B.vacc1[2] + B.vacc1[3]));
		  unrolled for (i.t = 0; i.t < 2; i.t++) {
		    B[3] = B[3] + A[i.t + 8];
		  }
		}`},
		// A guarded max over five chunks with two accumulators: two
		// rounds of the chunk loop, one chunk left over.
		{name: "guarded max", cfg: twoAccumulators, f: vec(20, &ir.If{Cond: expr.Bin(expr.LT, i, expr.Const(13)),
			Then: store(bufB, expr.Bin(expr.Max, load(bufB, expr.Const(0)), load(bufA, i)), expr.Const(0))}), before: `
		kernel(A: f32[16], out B: f32[16]) {
		  vectorized for (i = 0; i < 20; i++) {
		    if (i < 13) {
		      B[0] = max(B[0], A[i]);
		    }
		  }
		}`, after: `
		kernel(A: f32[16], out B: f32[16]) {
		  local B.vacc1: f32[8];
		  vectorized for (i.v = 0; i.v < 4; i.v++) {
		    B.vacc1[i.v] = -inf;
		  }
		  vectorized for (i.v = 0; i.v < 4; i.v++) {
		    B.vacc1[4 + i.v] = -inf;
		  }
		  unrolled for (i.c = 0; i.c < 2; i.c++) {
		    vectorized for (i.v = 0; i.v < 4; i.v++) {
		      if (0 == 0) {
		        B.vacc1[i.v] = max(B.vacc1[i.v], A[i.c * 8 + i.v]);
		      }
		    }
		    vectorized for (i.v = 0; i.v < 4; i.v++) {
		      if (i.c * 8 + i.v + 4 < 13) {
		        B.vacc1[i.v + 4] = max(B.vacc1[i.v + 4], A[i.c * 8 + i.v + 4]);
		      }
		    }
		  }
		  vectorized for (i.v = 0; i.v < 4; i.v++) {
		    if (0 != 0) {
		      B.vacc1[i.v] = max(B.vacc1[i.v], A[i.v + 16]);
		    }
		  }
		  vectorized for (i.v = 0; i.v < 4; i.v++) {
		    B.vacc1[i.v] = max(B.vacc1[i.v], B.vacc1[4 + i.v]);
		  }
		  B[0] = max(B[0], max(max(B.vacc1[0], B.vacc1[1]), max(B.vacc1[2], B.vacc1[3])));
		}`},
		// max(value, S) is no reduction the accumulators can do: where a
		// value is NaN or both are zeros, it keeps the value.
		{name: "max with the value first", cfg: twoAccumulators, f: vec(8,
			store(bufB, expr.Bin(expr.Max, load(bufA, i), load(bufB, expr.Const(0))), expr.Const(0))), before: `
		kernel(A: f32[16], out B: f32[16]) {
		  vectorized for (i = 0; i < 8; i++) {
		    B[0] = max(A[i], B[0]);
		  }
		}`, after: `
		kernel(A: f32[16], out B: f32[16]) {
		  for (i = 0; i < 8; i++) {
		    B[0] = max(A[i], B[0]);
		  }
		}`},
		{name: "guard with else", cfg: wasmLike, f: vec(8, &ir.If{
			Cond: expr.Bin(expr.LT, i, expr.Const(5)), Then: copyStore(i), Else: copyStore(i)}), before: `
		kernel(A: f32[16], out B: f32[16]) {
		  vectorized for (i = 0; i < 8; i++) {
		    if (i < 5) {
		      B[i] = A[i] * 2.0;
		    } else {
		      B[i] = A[i] * 2.0;
		    }
		  }
		}`, after: `
		kernel(A: f32[16], out B: f32[16]) {
		  unrolled for (i.c = 0; i.c < 2; i.c++) {
		    vectorized for (i.v = 0; i.v < 4; i.v++) {
		      if (i.c * 4 + i.v < 5) {
		        B[i.c * 4 + i.v] = A[i.c * 4 + i.v] * 2.0;
		      } else {
		        B[i.c * 4 + i.v] = A[i.c * 4 + i.v] * 2.0;
		      }
		    }
		  }
		}`},
		{name: "select reads out of bounds", cfg: wasmLike, f: vec(8, store(bufB, &expr.Select{
			Cond: expr.Bin(expr.LT, i, expr.Const(4)), T: load(bufA, expr.AddE(i, expr.Const(12))), F: expr.F32(0)}, i)), before: `
		kernel(A: f32[16], out B: f32[16]) {
		  vectorized for (i = 0; i < 8; i++) {
		    B[i] = select(i < 4, A[i + 12], 0.0);
		  }
		}`, after: `
		kernel(A: f32[16], out B: f32[16]) {
		  unrolled for (i.c = 0; i.c < 2; i.c++) {
		    vectorized for (i.v = 0; i.v < 4; i.v++) {
		      if (i.c * 4 + i.v < 4) {
		        B[i.c * 4 + i.v] = A[i.c * 4 + i.v + 12];
		      } else {
		        B[i.c * 4 + i.v] = 0.0;
		      }
		    }
		  }
		}`},
		{name: "select reads out of bounds under a condition not linear", cfg: wasmLike, f: vec(8, store(bufB, &expr.Select{
			Cond: expr.Bin(expr.LT, expr.MulE(i, i), expr.Const(16)), T: load(bufA, expr.AddE(i, expr.Const(12))), F: expr.F32(0)}, i)), before: `
		kernel(A: f32[16], out B: f32[16]) {
		  vectorized for (i = 0; i < 8; i++) {
		    B[i] = select(i * i < 16, A[i + 12], 0.0);
		  }
		}`, after: `
		kernel(A: f32[16], out B: f32[16]) {
		  for (i = 0; i < 8; i++) {
		    B[i] = select(i * i < 16, A[i + 12], 0.0);
		  }
		}`},
		{name: "shorter than the lanes", cfg: wasmLike, f: vec(3, copyStore(i)), before: `
		kernel(A: f32[16], out B: f32[16]) {
		  vectorized for (i = 0; i < 3; i++) {
		    B[i] = A[i] * 2.0;
		  }
		}`, after: `
		kernel(A: f32[16], out B: f32[16]) {
		  for (i = 0; i < 3; i++) {
		    B[i] = A[i] * 2.0;
		  }
		}`},
		{name: "no vectors", cfg: noLanes, f: vec(8, copyStore(i)), before: `
		kernel(A: f32[16], out B: f32[16]) {
		  vectorized for (i = 0; i < 8; i++) {
		    B[i] = A[i] * 2.0;
		  }
		}`, after: `
		kernel(A: f32[16], out B: f32[16]) {
		  for (i = 0; i < 8; i++) {
		    B[i] = A[i] * 2.0;
		  }
		}`},
		{name: "nothing to vectorize", cfg: wasmLike, f: kernel(loop(i, 8, ir.Serial, copyStore(i))), before: `
		kernel(A: f32[16], out B: f32[16]) {
		  for (i = 0; i < 8; i++) {
		    B[i] = A[i] * 2.0;
		  }
		}`},
	})
}
