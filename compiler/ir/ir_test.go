package ir

import (
	"testing"

	"github.com/tabtune/tabtune/compiler/expr"
)

func sample() *Func {
	a := &Buffer{Name: "A", Shape: []int64{4, 8}, DType: expr.Float}
	c := &Buffer{Name: "C", Shape: []int64{4}, DType: expr.Float}
	t := &Buffer{Name: "T", Shape: []int64{8}, Strides: []int64{1}, DType: expr.Float, Scope: Local}
	i, j := expr.NewVar("i"), expr.NewVar("j")
	x := expr.NewVar("x")
	body := &For{Var: i, Extent: 4, Kind: Parallel, Body: &Alloc{Buf: t, Body: MakeSeq(
		&For{Var: j, Extent: 8, Kind: Vectorized, Body: &Store{Buf: t, Index: []expr.Expr{j}, Value: &expr.Load{Src: a, Index: []expr.Expr{i, j}}}},
		&Store{Buf: c, Index: []expr.Expr{i}, Value: expr.F32(0)},
		&For{Var: j, Extent: 8, Kind: Unrolled, Pragmas: []Pragma{{Key: AutoUnrollMaxStep, Value: 16}}, Body: &Let{Var: x, Value: expr.Bin(expr.Add, j, expr.Const(1)), Body: &If{
			Cond: expr.Bin(expr.LT, x, expr.Const(8)),
			Then: &Store{Buf: c, Index: []expr.Expr{i}, Value: expr.Bin(expr.Add, &expr.Load{Src: c, Index: []expr.Expr{i}}, &expr.Load{Src: t, Index: []expr.Expr{x}})},
			Else: &Store{Buf: c, Index: []expr.Expr{i}, Value: expr.F32(1)},
		}}},
	)}}
	return &Func{Name: "kernel", Params: []*Buffer{a, c}, Outputs: 1, Body: body}
}

func TestPrint(t *testing.T) {
	want := `kernel(A: f32[4, 8], out C: f32[4]) {
  parallel for (i = 0; i < 4; i++) {
    local T: f32[8] strides[1];
    vectorized for (j = 0; j < 8; j++) {
      T[j] = A[i, j];
    }
    C[i] = 0.0;
    unrolled pragma(auto_unroll_max_step=16) for (j = 0; j < 8; j++) {
      let x = j + 1;
      if (x < 8) {
        C[i] = C[i] + T[x];
      } else {
        C[i] = 1.0;
      }
    }
  }
}
`
	if got := sample().String(); got != want {
		t.Errorf("got:\n%s\nwant:\n%s", got, want)
	}
}

func TestRewriteSharesUnchanged(t *testing.T) {
	f := sample()
	if RewriteStmt(f.Body, func(s Stmt) Stmt { return s }) != f.Body {
		t.Error("identity rewrite copied the tree")
	}
	if RewriteExprs(f.Body, func(e expr.Expr) expr.Expr { return e }) != f.Body {
		t.Error("identity expression rewrite copied the tree")
	}
	// Replacing the constant 0.0 copies the path to it and nothing else.
	out := RewriteExprs(f.Body, func(e expr.Expr) expr.Expr {
		if c, ok := e.(*expr.FloatImm); ok && c.V == 0 {
			return expr.F32(2)
		}
		return e
	})
	loop := out.(*For).Body.(*Alloc).Body.(*Seq)
	orig := f.Body.(*For).Body.(*Alloc).Body.(*Seq)
	if loop.Stmts[0] != orig.Stmts[0] || loop.Stmts[2] != orig.Stmts[2] || loop.Stmts[1] == orig.Stmts[1] {
		t.Error("rewrite did not share the unchanged statements")
	}
}

func TestMakeSeqAndStrides(t *testing.T) {
	s := &Store{}
	if MakeSeq(nil, s, nil) != Stmt(s) {
		t.Error("MakeSeq of one statement should return it")
	}
	if n := len(MakeSeq(s, MakeSeq(s, s)).(*Seq).Stmts); n != 3 {
		t.Errorf("nested sequences not flattened: %d", n)
	}
	b := &Buffer{Shape: []int64{3, 5}, Strides: []int64{8, 1}}
	if b.Elems() != 21 {
		t.Errorf("Elems = %d, want 21", b.Elems())
	}
	if got := RowMajorStrides([]int64{2, 3, 4}); got[0] != 12 || got[1] != 4 || got[2] != 1 {
		t.Errorf("RowMajorStrides = %v", got)
	}
}
