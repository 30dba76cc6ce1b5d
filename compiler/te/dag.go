package te

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"

	"github.com/tabtune/tabtune/compiler/expr"
)

// DAG is a tensor program: its tensors in topological order (every tensor
// after the tensors it reads), its inputs (placeholders, in that order) and
// its outputs (compute tensors that no other tensor reads, in that order).
// A DAG is immutable once built.
type DAG struct {
	Tensors []*Tensor
	Inputs  []*Tensor
	Outputs []*Tensor

	index     map[*Tensor]int
	consumers [][]int
	text      string
}

// NewDAG checks a program and builds its DAG. tensors lists every tensor,
// each after the tensors it reads (the text format's order of statements).
func NewDAG(tensors ...*Tensor) (*DAG, error) {
	d := &DAG{Tensors: tensors, index: make(map[*Tensor]int, len(tensors))}
	names := map[string]bool{}
	for i, t := range tensors {
		if t == nil {
			return nil, fmt.Errorf("te: tensor %d is nil", i)
		}
		if names[t.Name] {
			return nil, fmt.Errorf("te: two tensors are named %s", t.Name)
		}
		names[t.Name] = true
		if err := d.check(t); err != nil {
			return nil, fmt.Errorf("te: %s: %w", t.Name, err)
		}
		d.index[t] = i
	}
	d.consumers = make([][]int, len(tensors))
	for i, t := range tensors {
		seen := map[int]bool{}
		for _, l := range t.Reads() {
			p := d.index[l.Src.(*Tensor)]
			if !seen[p] {
				seen[p] = true
				d.consumers[p] = append(d.consumers[p], i)
			}
		}
	}
	for i, t := range tensors {
		switch {
		case t.IsInput() && len(d.consumers[i]) == 0:
			return nil, fmt.Errorf("te: input %s is never read", t.Name)
		case t.IsInput():
			d.Inputs = append(d.Inputs, t)
		case len(d.consumers[i]) == 0:
			d.Outputs = append(d.Outputs, t)
		}
	}
	if len(d.Outputs) == 0 {
		return nil, fmt.Errorf("te: the program computes nothing")
	}
	d.text = Format(d)
	return d, nil
}

// check validates one tensor against the tensors before it.
func (d *DAG) check(t *Tensor) error {
	for i, n := range t.Shape {
		if n <= 0 {
			return fmt.Errorf("dimension %d has size %d; sizes must be positive", i, n)
		}
	}
	if t.IsInput() {
		if t.DType != expr.Float && t.DType != expr.Int {
			return fmt.Errorf("inputs are f32 or i32, not %s", t.DType)
		}
		return nil
	}
	if len(t.Axes) != len(t.Shape) {
		return fmt.Errorf("%d axes for %d dimensions", len(t.Axes), len(t.Shape))
	}
	scope := map[*expr.Var]bool{}
	for i, a := range t.Axes {
		if a.Extent != t.Shape[i] {
			return fmt.Errorf("axis %s has extent %d but dimension %d has size %d", a.Var.Name, a.Extent, i, t.Shape[i])
		}
		scope[a.Var] = true
	}
	for _, a := range t.ReduceAxes() {
		if a.Extent <= 0 {
			return fmt.Errorf("reduction axis %s has extent %d", a.Var.Name, a.Extent)
		}
		if scope[a.Var] {
			return fmt.Errorf("reduction axis %s is also a spatial axis", a.Var.Name)
		}
		scope[a.Var] = true
	}
	if t.Reduce != nil && t.Reduce.Body.Type() != expr.Float {
		return fmt.Errorf("reductions are over f32 values")
	}
	if t.Reduce != nil && len(t.Reduce.Axes) == 0 {
		return fmt.Errorf("a reduction needs at least one axis")
	}
	if t.DType != expr.Float && t.DType != expr.Int {
		return fmt.Errorf("a stage computes f32 or i32 values, not %s", t.DType)
	}
	var err error
	check := func(e expr.Expr) bool {
		if err != nil {
			return false
		}
		switch n := e.(type) {
		case *expr.Var:
			if !scope[n] {
				err = fmt.Errorf("variable %s is not an axis of this stage", n.Name)
			}
		case *expr.Load:
			src, ok := n.Src.(*Tensor)
			if !ok {
				err = fmt.Errorf("reads %s, which is not a tensor", n.Src.SourceName())
				return false
			}
			if _, ok := d.index[src]; !ok {
				err = fmt.Errorf("reads %s, which is not defined before it", src.Name)
				return false
			}
			if len(n.Index) != len(src.Shape) {
				err = fmt.Errorf("reads %s with %d indices; it has %d dimensions", src.Name, len(n.Index), len(src.Shape))
				return false
			}
			for _, ix := range n.Index {
				if ix.Type() != expr.Int {
					err = fmt.Errorf("an index of %s is %s, not an integer", src.Name, ix.Type())
					return false
				}
			}
		}
		return true
	}
	if t.Reduce != nil && t.Reduce.Init != nil {
		// The initial value is computed before the reduction runs: only
		// the spatial axes are in scope.
		for _, a := range t.Reduce.Axes {
			delete(scope, a.Var)
		}
		expr.Walk(t.Reduce.Init, check)
		for _, a := range t.Reduce.Axes {
			scope[a.Var] = true
		}
	}
	expr.Walk(t.Value(), check)
	return err
}

// Index is the position of t in Tensors, or -1.
func (d *DAG) Index(t *Tensor) int {
	if i, ok := d.index[t]; ok {
		return i
	}
	return -1
}

// Lookup returns the tensor with the given name, or nil.
func (d *DAG) Lookup(name string) *Tensor {
	for _, t := range d.Tensors {
		if t.Name == name {
			return t
		}
	}
	return nil
}

// Consumers returns the indices of the tensors that read tensor i.
func (d *DAG) Consumers(i int) []int { return d.consumers[i] }

// IsOutput reports whether t is an output of the program.
func (d *DAG) IsOutput(t *Tensor) bool {
	i := d.index[t]
	return !t.IsInput() && len(d.consumers[i]) == 0
}

// String is the canonical text of the program.
func (d *DAG) String() string { return d.text }

// Key is the workload key: a stable hash of the canonical text.
func (d *DAG) Key() string {
	sum := sha256.Sum256([]byte(d.text))
	return hex.EncodeToString(sum[:16])
}

// FLOPs counts the floating-point operations of the whole program as TVM
// and Ansor count them: per element, the float arithmetic, comparisons,
// intrinsic calls of the body (a select counts its condition and the costlier
// branch), plus one combine per reduction step; times the iteration count.
func (d *DAG) FLOPs() float64 {
	total := 0.0
	for _, t := range d.Tensors {
		if t.IsInput() {
			continue
		}
		per := float64(countFlops(t.Value()))
		iters := 1.0 // in floats: a count past int64 does not wrap
		for _, n := range t.Shape {
			iters *= float64(n)
		}
		if t.Reduce != nil {
			per++
			for _, a := range t.Reduce.Axes {
				iters *= float64(a.Extent)
			}
		}
		total += per * iters
	}
	return total
}

func countFlops(e expr.Expr) int {
	switch n := e.(type) {
	case *expr.Binary:
		c := countFlops(n.A) + countFlops(n.B)
		if n.A.Type() == expr.Float {
			c++
		}
		return c
	case *expr.Not:
		return countFlops(n.A)
	case *expr.Select:
		return countFlops(n.Cond) + max(countFlops(n.T), countFlops(n.F))
	case *expr.Cast:
		return countFlops(n.A)
	case *expr.Call:
		c := 1
		for _, a := range n.Args {
			c += countFlops(a)
		}
		return c
	}
	return 0
}

// InferExtent infers the range of axis v from the expressions that use it:
// wherever v alone indexes a dimension of a tensor, that dimension's size
// is v's extent. ok is false when no such use exists; err names the
// conflict when two uses disagree.
func InferExtent(v *expr.Var, uses ...expr.Expr) (extent int64, ok bool, err error) {
	var where string
	for _, u := range uses {
		expr.Walk(u, func(e expr.Expr) bool {
			l, isLoad := e.(*expr.Load)
			if !isLoad || err != nil {
				return err == nil
			}
			src, isTensor := l.Src.(*Tensor)
			if !isTensor {
				return true
			}
			for dim, ix := range l.Index {
				if ix != expr.Expr(v) {
					continue
				}
				n := src.Shape[dim]
				here := fmt.Sprintf("%s (dimension %d, size %d)", src.Name, dim, n)
				if ok && n != extent {
					err = fmt.Errorf("axis %s indexes %s and %s: write its range, as %s:N", v.Name, where, here, v.Name)
					return false
				}
				if !ok {
					extent, ok, where = n, true, here
				}
			}
			return true
		})
	}
	if err != nil {
		return 0, false, err
	}
	return extent, ok, nil
}
