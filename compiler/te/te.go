// Package te defines tensor expressions: what a program computes, with no
// word on how.
//
// A program is a ComputeDAG of tensors. A placeholder is an input with a
// shape and a dtype. A compute tensor has one spatial axis per dimension and
// a body: a scalar expression (package expr) over its axes that reads other
// tensors, or a reduction (sum, max, min) of such an expression over
// reduction axes. Reductions sit at the top of a stage: a reduction written
// inside a larger expression (sum(...) * 0.125) becomes a stage of its own
// that the rest reads, as in TVM's te.compute.
//
// The DAG knows its stages in topological order, which stage reads which
// tensor at which indices, its FLOP count (counted as TVM and Ansor count
// them), a canonical text (the text format, see Parse and Format) and a
// stable workload key, the hash of that text.
package te

import (
	"fmt"

	"github.com/tabtune/tabtune/compiler/expr"
)

// Axis is an iteration axis of a stage, running over [0, Extent).
type Axis struct {
	Var    *expr.Var
	Extent int64
}

// ReduceOp is the combiner of a reduction.
type ReduceOp uint8

// The reductions.
const (
	Sum ReduceOp = iota
	MaxReduce
	MinReduce
)

var reduceNames = [...]string{Sum: "sum", MaxReduce: "max_over", MinReduce: "min_over"}

// String returns the reduction's name in the text format.
func (r ReduceOp) String() string {
	if int(r) < len(reduceNames) {
		return reduceNames[r]
	}
	return fmt.Sprintf("ReduceOp(%d)", uint8(r))
}

// ReduceOpByName looks a reduction up by its text-format name.
func ReduceOpByName(name string) (ReduceOp, bool) {
	for i, n := range reduceNames {
		if n == name {
			return ReduceOp(i), true
		}
	}
	return 0, false
}

// Identity is the default initial value of the reduction: 0 for sum,
// -inf for max, +inf for min.
func (r ReduceOp) Identity() expr.Expr {
	switch r {
	case MaxReduce:
		return expr.F32(float32(negInf()))
	case MinReduce:
		return expr.F32(float32(-negInf()))
	}
	return expr.F32(0)
}

// Combine returns the expression that folds value into the accumulator acc.
func (r ReduceOp) Combine(acc, value expr.Expr) expr.Expr {
	switch r {
	case MaxReduce:
		return expr.Bin(expr.Max, acc, value)
	case MinReduce:
		return expr.Bin(expr.Min, acc, value)
	}
	return expr.Bin(expr.Add, acc, value)
}

// Reduction folds Body over the reduction axes, starting from Init.
type Reduction struct {
	Op   ReduceOp
	Body expr.Expr
	Axes []Axis
	// Init is the initial value; nil means Op.Identity().
	Init expr.Expr
}

// InitValue is Init, or the combiner's identity when Init is nil.
func (r *Reduction) InitValue() expr.Expr {
	if r.Init != nil {
		return r.Init
	}
	return r.Op.Identity()
}

// Tensor is a placeholder (input) or a compute stage.
type Tensor struct {
	Name  string
	Shape []int64
	DType expr.Type
	// Axes are the spatial axes of a compute stage, one per dimension.
	Axes []Axis
	// Body is the value of a compute stage without a reduction.
	Body expr.Expr
	// Reduce is the value of a compute stage with a reduction.
	Reduce *Reduction
}

// Placeholder returns an input tensor.
func Placeholder(name string, dtype expr.Type, shape ...int64) *Tensor {
	return &Tensor{Name: name, Shape: shape, DType: dtype}
}

// Compute returns a stage whose element at its axes is body.
func Compute(name string, axes []Axis, body expr.Expr) *Tensor {
	return &Tensor{Name: name, Shape: extents(axes), DType: body.Type(), Axes: axes, Body: body}
}

// ComputeReduce returns a stage whose element at its axes is a reduction.
func ComputeReduce(name string, axes []Axis, r *Reduction) *Tensor {
	return &Tensor{Name: name, Shape: extents(axes), DType: r.Body.Type(), Axes: axes, Reduce: r}
}

func extents(axes []Axis) []int64 {
	s := make([]int64, len(axes))
	for i, a := range axes {
		s[i] = a.Extent
	}
	return s
}

// IsInput reports whether t is a placeholder.
func (t *Tensor) IsInput() bool { return t.Body == nil && t.Reduce == nil }

// SourceName implements expr.Source.
func (t *Tensor) SourceName() string { return t.Name }

// ElemType implements expr.Source.
func (t *Tensor) ElemType() expr.Type { return t.DType }

// Value is the expression a compute stage evaluates per element: Body, or
// the body of its reduction.
func (t *Tensor) Value() expr.Expr {
	if t.Reduce != nil {
		return t.Reduce.Body
	}
	return t.Body
}

// ReduceAxes are the reduction axes, or nil.
func (t *Tensor) ReduceAxes() []Axis {
	if t.Reduce == nil {
		return nil
	}
	return t.Reduce.Axes
}

// Size is the number of elements.
func (t *Tensor) Size() int64 {
	n := int64(1)
	for _, d := range t.Shape {
		n *= d
	}
	return n
}

// Reads returns the loads of other tensors in the stage's value, in order.
func (t *Tensor) Reads() []*expr.Load {
	var out []*expr.Load
	expr.Walk(t.Value(), func(e expr.Expr) bool {
		if l, ok := e.(*expr.Load); ok {
			out = append(out, l)
		}
		return true
	})
	if t.Reduce != nil && t.Reduce.Init != nil {
		expr.Walk(t.Reduce.Init, func(e expr.Expr) bool {
			if l, ok := e.(*expr.Load); ok {
				out = append(out, l)
			}
			return true
		})
	}
	return out
}
