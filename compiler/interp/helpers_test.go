package interp

import (
	"testing"

	"github.com/tabtune/tabtune/compiler/expr"
	"github.com/tabtune/tabtune/compiler/ir"
	"github.com/tabtune/tabtune/compiler/te"
)

// Small builders for hand-written DAGs and IR.

func axis(name string, n int64) te.Axis { return te.Axis{Var: expr.NewVar(name), Extent: n} }

func ld(src expr.Source, idx ...expr.Expr) *expr.Load { return &expr.Load{Src: src, Index: idx} }

func c(v int64) expr.Expr { return expr.Const(v) }

func f32(v float32) expr.Expr { return expr.F32(v) }

func bin(op expr.Op, a, b expr.Expr) expr.Expr { return expr.Bin(op, a, b) }

func buffer(name string, dt expr.Type, shape ...int64) *ir.Buffer {
	return &ir.Buffer{Name: name, DType: dt, Shape: shape}
}

func loop(v *expr.Var, n int64, body ...ir.Stmt) *ir.For {
	return &ir.For{Var: v, Extent: n, Body: ir.MakeSeq(body...)}
}

func store(b *ir.Buffer, value expr.Expr, idx ...expr.Expr) *ir.Store {
	return &ir.Store{Buf: b, Index: idx, Value: value}
}

func mustDAG(t testing.TB, tensors ...*te.Tensor) *te.DAG {
	t.Helper()
	d, err := te.NewDAG(tensors...)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// matmulDAG is C[i, j] = sum(A[i, k] * B[k, j], k) for A: m×k, B: k×n.
func matmulDAG(t testing.TB, m, n, k int64) *te.DAG {
	A := te.Placeholder("A", expr.Float, m, k)
	B := te.Placeholder("B", expr.Float, k, n)
	i, j, r := axis("i", m), axis("j", n), axis("k", k)
	C := te.ComputeReduce("C", []te.Axis{i, j}, &te.Reduction{
		Op:   te.Sum,
		Body: bin(expr.Mul, ld(A, i.Var, r.Var), ld(B, r.Var, j.Var)),
		Axes: []te.Axis{r},
	})
	return mustDAG(t, A, B, C)
}

// matmulIR is the naive loop nest of matmulDAG:
//
//	for i, j { C[i, j] = 0; for k { C[i, j] = C[i, j] + A[i, k] * B[k, j] } }
func matmulIR(m, n, k int64) *ir.Func {
	A := buffer("A", expr.Float, m, k)
	B := buffer("B", expr.Float, k, n)
	C := buffer("C", expr.Float, m, n)
	i, j, r := expr.NewVar("i"), expr.NewVar("j"), expr.NewVar("k")
	body := loop(i, m, loop(j, n,
		store(C, f32(0), i, j),
		loop(r, k, store(C, bin(expr.Add, ld(C, i, j), bin(expr.Mul, ld(A, i, r), ld(B, r, j))), i, j)),
	))
	return &ir.Func{Name: "matmul", Params: []*ir.Buffer{A, B, C}, Outputs: 1, Body: body}
}
