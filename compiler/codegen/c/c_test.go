package c

import (
	"strings"
	"testing"

	"github.com/tabtune/tabtune/compiler/codegen"
	"github.com/tabtune/tabtune/compiler/expr"
	"github.com/tabtune/tabtune/compiler/ir"
)

// TestOptionsRefused: lanes that are not a power of two up to 64, and
// negative bounds, are refused with a message that says what is wanted.
func TestOptionsRefused(t *testing.T) {
	f := &ir.Func{Name: "k", Body: &ir.Seq{}}
	for _, o := range []Options{{Lanes: 6}, {Lanes: 128}, {Lanes: -4}, {Threads: -1}, {MaxUnroll: -1}} {
		if _, err := Compile(f, o); err == nil {
			t.Errorf("%+v: no error", o)
		}
	}
	if _, err := Compile(f, Options{Lanes: 6}); err == nil || !strings.Contains(err.Error(), "power of two") {
		t.Errorf("lanes 6: %v", err)
	}
}

// TestPassesOrdered: the C generator runs the shared passes in an order
// that codegen.Order allows.
func TestPassesOrdered(t *testing.T) {
	if err := codegen.CheckOrder(Passes); err != nil {
		t.Fatal(err)
	}
}

// TestNames: C names are identifiers, unique, and never a keyword, a
// symbol of the file or a helper's tt_ prefix.
func TestNames(t *testing.T) {
	bufs := []*ir.Buffer{
		{Name: "int", Shape: []int64{4}, DType: expr.Float}, {Name: "A.local", Shape: []int64{4}, DType: expr.Float}, {Name: "A_local", Shape: []int64{4}, DType: expr.Float},
		{Name: "tt_vf", Shape: []int64{4}, DType: expr.Float}, {Name: "1x", Shape: []int64{4}, DType: expr.Float}, {Name: "kernel", Shape: []int64{4}, DType: expr.Float},
	}
	i := expr.NewVar("i")
	var stores []ir.Stmt
	for _, b := range bufs[1:] {
		stores = append(stores, &ir.Store{Buf: b, Index: []expr.Expr{i}, Value: &expr.Load{Src: bufs[0], Index: []expr.Expr{i}}})
	}
	f := &ir.Func{Name: "k", Params: bufs, Outputs: len(bufs) - 1,
		Body: &ir.For{Var: i, Extent: 4, Body: ir.MakeSeq(stores...)}}
	k, err := Compile(f, Options{})
	if err != nil {
		t.Fatal(err)
	}
	want := "void kernel(float *restrict int_2, float *restrict A_local, float *restrict A_local_2, float *restrict xtt_vf, float *restrict x1x, float *restrict kernel_2)"
	if !strings.Contains(k.Source, want) {
		t.Errorf("want %s in\n%s", want, k.Source)
	}
}
