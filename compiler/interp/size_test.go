package interp

import (
	"errors"
	"strings"
	"testing"

	"github.com/tabtune/tabtune/compiler/expr"
	"github.com/tabtune/tabtune/compiler/ir"
	"github.com/tabtune/tabtune/compiler/te"
)

// TestMemoryBudget checks that tensors too large for the budget, or whose
// element count overflows, are refused before anything is allocated.
func TestMemoryBudget(t *testing.T) {
	tests := []struct {
		name  string
		shape []int64
		opts  Options
		want  string
	}{
		{"huge", []int64{1000000000, 1000000000}, Options{},
			"interp: memory budget exceeded: the tensors need 6.9 EiB (the largest, A, has 1000000000 x 1000000000 elements); the interpreter's budget holds 1.0 GiB"},
		{"40000 squared", []int64{40000, 40000}, Options{},
			"interp: memory budget exceeded: the tensors need 11.9 GiB (the largest, A, has 40000 x 40000 elements); the interpreter's budget holds 1.0 GiB"},
		{"overflow", []int64{1 << 62, 1 << 62}, Options{MaxBytes: -1},
			"interp: memory budget exceeded: tensor A has 4611686018427387904 x 4611686018427387904 elements: more than an int64 counts"},
		{"small budget", []int64{64}, Options{MaxBytes: 256},
			"interp: memory budget exceeded: the tensors need 512 B (the largest, A, has 64 elements); the interpreter's budget holds 256 B"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			a := te.Placeholder("A", expr.Float, tc.shape...)
			i, j := axis("i", tc.shape[0]), []te.Axis{}
			axes := []te.Axis{i}
			index := []expr.Expr{i.Var}
			for n, d := range tc.shape[1:] {
				x := axis("j"+string(rune('0'+n)), d)
				j = append(j, x)
				index = append(index, x.Var)
			}
			b := te.Compute("B", append(axes, j...), ld(a, index...))
			d := mustDAG(t, a, b)
			f := &ir.Func{Name: "k", Params: []*ir.Buffer{buffer("A", expr.Float, tc.shape...), buffer("B", expr.Float, tc.shape...)}, Outputs: 1}
			_, err := tc.opts.Check(f, d, 1)
			if err == nil || !errors.Is(err, ErrMemoryLimit) || err.Error() != tc.want {
				t.Fatalf("Check: %v\nwant %s", err, tc.want)
			}
			if _, err := tc.opts.Eval(d, []Data{{F32: []float32{}}}); err == nil || !strings.Contains(err.Error(), "memory budget exceeded") {
				t.Fatalf("Eval: %v", err)
			}
		})
	}
}
