package codegen

import (
	"testing"

	"github.com/tabtune/tabtune/compiler/expr"
	"github.com/tabtune/tabtune/compiler/ir"
)

func TestTranspose(t *testing.T) {
	bufX := &ir.Buffer{Name: "X", Shape: []int64{8, 12}, DType: expr.Float}
	bufP := &ir.Buffer{Name: "P", Shape: []int64{12, 8}, DType: expr.Float}
	w, cc, cv := expr.NewVar("w"), expr.NewVar("c.c"), expr.NewVar("c.v")
	c := expr.AddE(expr.MulE(cc, expr.Const(4)), cv)
	// layout is "for w: for c.c: lanes c.v: P[w, c] = value(c, w)", what
	// vectorize leaves of an NCHW to NHWC copy.
	layout := func(extent int64, st func(c, w expr.Expr) *ir.Store) *ir.Func {
		return &ir.Func{Name: "kernel", Params: []*ir.Buffer{bufX, bufP}, Outputs: 1,
			Body: loop(w, extent, ir.Serial, loop(cc, 2, ir.Serial, loop(cv, 4, ir.Vectorized, st(c, w))))}
	}
	nhwc := func(c, w expr.Expr) *ir.Store { return store(bufP, load(bufX, c, w), w, c) }
	noTranspose := wasmLike
	wasmLike := wasmLike
	wasmLike.Transposes = true
	before := func(extent string, body string) string {
		return `
		kernel(X: f32[8, 12], out P: f32[12, 8]) {
		  for (w = 0; w < ` + extent + `; w++) {
		    for (c.c = 0; c.c < 2; c.c++) {
		      vectorized for (c.v = 0; c.v < 4; c.v++) {
		        ` + body + `
		      }
		    }
		  }
		}`
	}
	testPass(t, Transpose, []passCase{
		{name: "group", cfg: wasmLike, f: layout(8, nhwc), before: before("8", "P[w, c.c * 4 + c.v] = X[c.c * 4 + c.v, w];"), after: `
		kernel(X: f32[8, 12], out P: f32[12, 8]) {
		  for (w.o = 0; w.o < 2; w.o++) {
		    for (c.c = 0; c.c < 2; c.c++) {
		      pragma(transpose=4) for (w.i = 0; w.i < 4; w.i++) {
		        vectorized for (c.v = 0; c.v < 4; c.v++) {
		          P[w.o * 4 + w.i, c.c * 4 + c.v] = X[c.c * 4 + c.v, w.o * 4 + w.i];
		        }
		      }
		    }
		  }
		}`},
		// 6 = 4 + 2: one more group, for w from 2 to 5, overlapping.
		{name: "remainder", cfg: wasmLike, f: layout(6, nhwc), before: before("6", "P[w, c.c * 4 + c.v] = X[c.c * 4 + c.v, w];"), after: `
		kernel(X: f32[8, 12], out P: f32[12, 8]) {
		  for (w.o = 0; w.o < 1; w.o++) {
		    for (c.c = 0; c.c < 2; c.c++) {
		      pragma(transpose=4) for (w.i = 0; w.i < 4; w.i++) {
		        vectorized for (c.v = 0; c.v < 4; c.v++) {
		          P[w.o * 4 + w.i, c.c * 4 + c.v] = X[c.c * 4 + c.v, w.o * 4 + w.i];
		        }
		      }
		    }
		  }
		  for (c.c = 0; c.c < 2; c.c++) {
		    pragma(transpose=4) for (w.i = 0; w.i < 4; w.i++) {
		      vectorized for (c.v = 0; c.v < 4; c.v++) {
		        P[w.i + 2, c.c * 4 + c.v] = X[c.c * 4 + c.v, w.i + 2];
		      }
		    }
		  }
		}`},
		{name: "target without transposes", cfg: noTranspose, f: layout(8, nhwc), before: before("8", "P[w, c.c * 4 + c.v] = X[c.c * 4 + c.v, w];")},
		{name: "shorter than a group", cfg: wasmLike, f: layout(3, nhwc), before: before("3", "P[w, c.c * 4 + c.v] = X[c.c * 4 + c.v, w];")},
		// The load is contiguous along the lanes: nothing to gather.
		{name: "contiguous", cfg: wasmLike, f: layout(8, func(c, w expr.Expr) *ir.Store {
			return store(bufP, load(bufX, w, c), w, c)
		}), before: before("8", "P[w, c.c * 4 + c.v] = X[w, c.c * 4 + c.v];")},
		// Every w writes the same elements: the loops may not move.
		{name: "stores collide", cfg: wasmLike, f: layout(8, func(c, _ expr.Expr) *ir.Store {
			return store(bufP, load(bufX, c, w), expr.Const(0), c)
		}), before: before("8", "P[0, c.c * 4 + c.v] = X[c.c * 4 + c.v, w];")},
		// The body reads what it writes: the loops may not move.
		{name: "reads its output", cfg: wasmLike, f: layout(8, func(c, w expr.Expr) *ir.Store {
			return store(bufP, expr.Bin(expr.Add, load(bufX, c, w), load(bufP, expr.SubE(expr.Const(11), w), c)), w, c)
		}), before: before("8", "P[w, c.c * 4 + c.v] = X[c.c * 4 + c.v, w] + P[11 - w, c.c * 4 + c.v];")},
		// The way back, NHWC to NCHW: the store is transposed.
		{name: "scattered store", cfg: wasmLike, f: layout(8, func(c, w expr.Expr) *ir.Store {
			return store(bufX, load(bufP, w, c), c, w)
		}), before: before("8", "X[c.c * 4 + c.v, w] = P[w, c.c * 4 + c.v];"), after: `
		kernel(X: f32[8, 12], out P: f32[12, 8]) {
		  for (w.o = 0; w.o < 2; w.o++) {
		    for (c.c = 0; c.c < 2; c.c++) {
		      pragma(transpose=4) for (w.i = 0; w.i < 4; w.i++) {
		        vectorized for (c.v = 0; c.v < 4; c.v++) {
		          X[c.c * 4 + c.v, w.o * 4 + w.i] = P[w.o * 4 + w.i, c.c * 4 + c.v];
		        }
		      }
		    }
		  }
		}`},
	})
}
