package te

import (
	"strconv"
	"strings"

	"github.com/tabtune/tabtune/compiler/expr"
)

// Format prints a DAG in the text format, one statement per tensor:
//
//	A = input(f32, [1024, 512])
//	C[i, j] = sum(A[i, k] * B[k, j], k)
//
// An axis range is written (i:64) only where it cannot be inferred from the
// tensors the axis indexes. Parse(Format(d)) rebuilds d, and the text is
// canonical: it is what the workload key hashes.
func Format(d *DAG) string {
	var b strings.Builder
	for _, t := range d.Tensors {
		FormatTensor(&b, t)
		b.WriteByte('\n')
	}
	return b.String()
}

// FormatTensor appends the statement that defines t.
func FormatTensor(b *strings.Builder, t *Tensor) {
	b.WriteString(t.Name)
	if t.IsInput() {
		b.WriteString(" = input(")
		b.WriteString(t.DType.String())
		b.WriteString(", [")
		for i, n := range t.Shape {
			if i > 0 {
				b.WriteString(", ")
			}
			b.WriteString(strconv.FormatInt(n, 10))
		}
		b.WriteString("])")
		return
	}
	b.WriteByte('[')
	uses := []expr.Expr{t.Value()}
	if t.Reduce != nil && t.Reduce.Init != nil {
		uses = append(uses, t.Reduce.Init)
	}
	for i, a := range t.Axes {
		if i > 0 {
			b.WriteString(", ")
		}
		formatAxis(b, a, uses)
	}
	b.WriteString("] = ")
	if t.Reduce == nil {
		expr.Fprint(b, t.Body)
		return
	}
	r := t.Reduce
	b.WriteString(r.Op.String())
	b.WriteByte('(')
	expr.Fprint(b, r.Body)
	for _, a := range r.Axes {
		b.WriteString(", ")
		formatAxis(b, a, []expr.Expr{r.Body})
	}
	if r.Init != nil {
		b.WriteString(", init=")
		expr.Fprint(b, r.Init)
	}
	b.WriteByte(')')
}

func formatAxis(b *strings.Builder, a Axis, uses []expr.Expr) {
	b.WriteString(a.Var.Name)
	if n, ok, err := InferExtent(a.Var, uses...); ok && err == nil && n == a.Extent {
		return
	}
	b.WriteByte(':')
	b.WriteString(strconv.FormatInt(a.Extent, 10))
}
