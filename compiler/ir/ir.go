// Package ir is the loop-level IR that lowering produces and that the
// interpreter and the code generators consume.
//
// A Func takes buffers (inputs first, outputs last) and runs a statement:
// for loops (serial, parallel, vectorized, unrolled or bound to a GPU
// thread index), stores, allocations of intermediate buffers (global, local
// or shared scope), conditionals, let bindings and sequences. Values and
// indices are expressions of package expr; a load is an expr.Load whose
// source is a *Buffer. Loops run from 0 to a constant extent. Indices are
// multi-dimensional; a buffer's strides say how they map to memory.
//
// Statements are immutable values with a closed node set; WalkStmt visits
// them and RewriteStmt rebuilds them, returning the same node when nothing
// changed.
//
// The words that schedules and loops share (Scope, PragmaKey, Thread) are
// defined here, in vocab.go, once: package schedule imports ir for them.
// ir imports only expr, so that direction makes no cycle (lower, which
// imports both, sits below them).
package ir

import (
	"fmt"

	"github.com/tabtune/tabtune/compiler/expr"
)

// Buffer is a dense array of elements.
type Buffer struct {
	Name  string
	Shape []int64
	// Strides are the distance in elements between neighbours along each
	// dimension; nil means row-major without padding.
	Strides []int64
	DType   expr.Type
	Scope   Scope
}

// SourceName implements expr.Source.
func (b *Buffer) SourceName() string { return b.Name }

// ElemType implements expr.Source.
func (b *Buffer) ElemType() expr.Type { return b.DType }

// RowMajorStrides returns the strides of a dense row-major array.
func RowMajorStrides(shape []int64) []int64 {
	s := make([]int64, len(shape))
	n := int64(1)
	for i := len(shape) - 1; i >= 0; i-- {
		s[i] = n
		n *= shape[i]
	}
	return s
}

// EffectiveStrides returns Strides, or the row-major strides when nil.
func (b *Buffer) EffectiveStrides() []int64 {
	if b.Strides != nil {
		return b.Strides
	}
	return RowMajorStrides(b.Shape)
}

// Elems is the number of elements the buffer's memory holds.
func (b *Buffer) Elems() int64 {
	if len(b.Shape) == 0 {
		return 1
	}
	st := b.EffectiveStrides()
	n := int64(1)
	for i, d := range b.Shape {
		n += (d - 1) * st[i]
	}
	return n
}

// Stmt is a statement of the loop IR.
type Stmt interface{ isStmt() }

// ForKind is how a loop's iterations run.
type ForKind uint8

// The loop kinds.
const (
	Serial ForKind = iota
	Parallel
	Vectorized
	Unrolled
	ThreadBound
)

var forKindNames = [...]string{Serial: "serial", Parallel: "parallel", Vectorized: "vectorized", Unrolled: "unrolled", ThreadBound: "thread"}

// String returns the kind's name.
func (k ForKind) String() string {
	if int(k) < len(forKindNames) {
		return forKindNames[k]
	}
	return fmt.Sprintf("ForKind(%d)", uint8(k))
}

// Pragma is a hint attached to a loop, such as auto_unroll_max_step=16.
type Pragma struct {
	Key   PragmaKey
	Value int64
}

// For runs Body for Var = 0 .. Extent-1.
type For struct {
	Var    *expr.Var
	Extent int64
	Kind   ForKind
	// Thread is the GPU index a ThreadBound loop is bound to; NoThread
	// for the other kinds.
	Thread  Thread
	Pragmas []Pragma
	Body    Stmt
}

// Store writes Value to Buf at Index.
type Store struct {
	Buf   *Buffer
	Index []expr.Expr
	Value expr.Expr
}

// Alloc makes Buf exist while Body runs.
type Alloc struct {
	Buf  *Buffer
	Body Stmt
}

// If runs Then when Cond holds, else Else (which may be nil).
type If struct {
	Cond expr.Expr
	Then Stmt
	Else Stmt
}

// Let binds Var to Value while Body runs.
type Let struct {
	Var   *expr.Var
	Value expr.Expr
	Body  Stmt
}

// Seq runs statements in order.
type Seq struct {
	Stmts []Stmt
}

func (*For) isStmt()   {}
func (*Store) isStmt() {}
func (*Alloc) isStmt() {}
func (*If) isStmt()    {}
func (*Let) isStmt()   {}
func (*Seq) isStmt()   {}

// Func is a kernel: its parameters (inputs first, then outputs, in DAG
// order) and its body.
type Func struct {
	Name    string
	Params  []*Buffer
	Outputs int // the last Outputs parameters are written
	Body    Stmt
}

// MakeSeq returns a sequence of the non-nil statements, flattening nested
// sequences; a single statement is returned alone.
func MakeSeq(stmts ...Stmt) Stmt {
	var out []Stmt
	for _, s := range stmts {
		switch n := s.(type) {
		case nil:
		case *Seq:
			out = append(out, n.Stmts...)
		default:
			out = append(out, s)
		}
	}
	switch len(out) {
	case 0:
		return &Seq{}
	case 1:
		return out[0]
	}
	return &Seq{Stmts: out}
}

// WalkStmt calls f on s and, while f returns true, on its children.
func WalkStmt(s Stmt, f func(Stmt) bool) {
	if s == nil || !f(s) {
		return
	}
	switch n := s.(type) {
	case *For:
		WalkStmt(n.Body, f)
	case *Alloc:
		WalkStmt(n.Body, f)
	case *If:
		WalkStmt(n.Then, f)
		WalkStmt(n.Else, f)
	case *Let:
		WalkStmt(n.Body, f)
	case *Seq:
		for _, c := range n.Stmts {
			WalkStmt(c, f)
		}
	}
}

// RewriteStmt rebuilds s bottom-up: children first, then f on the node with
// its rewritten children. A node whose children did not change is kept, so
// a rewrite that changes nothing returns s itself.
func RewriteStmt(s Stmt, f func(Stmt) Stmt) Stmt {
	switch n := s.(type) {
	case *For:
		if b := RewriteStmt(n.Body, f); b != n.Body {
			c := *n
			c.Body = b
			s = &c
		}
	case *Alloc:
		if b := RewriteStmt(n.Body, f); b != n.Body {
			s = &Alloc{Buf: n.Buf, Body: b}
		}
	case *If:
		t := RewriteStmt(n.Then, f)
		var e Stmt
		if n.Else != nil {
			e = RewriteStmt(n.Else, f)
		}
		if t != n.Then || e != n.Else {
			s = &If{Cond: n.Cond, Then: t, Else: e}
		}
	case *Let:
		if b := RewriteStmt(n.Body, f); b != n.Body {
			s = &Let{Var: n.Var, Value: n.Value, Body: b}
		}
	case *Seq:
		var out []Stmt
		for i, c := range n.Stmts {
			r := RewriteStmt(c, f)
			if r != c && out == nil {
				out = make([]Stmt, len(n.Stmts))
				copy(out, n.Stmts[:i])
			}
			if out != nil {
				out[i] = r
			}
		}
		if out != nil {
			s = &Seq{Stmts: out}
		}
	}
	return f(s)
}

// WalkExprs calls f on every expression directly held by the statements
// of s, the ones RewriteExprs rewrites (store values and indices,
// conditions, let values), without rebuilding anything.
func WalkExprs(s Stmt, f func(expr.Expr)) {
	WalkStmt(s, func(s Stmt) bool {
		switch n := s.(type) {
		case *Store:
			f(n.Value)
			for _, ix := range n.Index {
				f(ix)
			}
		case *If:
			f(n.Cond)
		case *Let:
			f(n.Value)
		}
		return true
	})
}

// RewriteExprs applies f to every expression directly held by the
// statements of s (store indices and values, conditions, let values).
func RewriteExprs(s Stmt, f func(expr.Expr) expr.Expr) Stmt {
	return RewriteStmt(s, func(s Stmt) Stmt {
		switch n := s.(type) {
		case *Store:
			v := f(n.Value)
			idx, changed := mapList(n.Index, f)
			if v != n.Value || changed {
				return &Store{Buf: n.Buf, Index: idx, Value: v}
			}
		case *If:
			if c := f(n.Cond); c != n.Cond {
				return &If{Cond: c, Then: n.Then, Else: n.Else}
			}
		case *Let:
			if v := f(n.Value); v != n.Value {
				return &Let{Var: n.Var, Value: v, Body: n.Body}
			}
		}
		return s
	})
}

func mapList(list []expr.Expr, f func(expr.Expr) expr.Expr) ([]expr.Expr, bool) {
	var out []expr.Expr
	for i, a := range list {
		b := f(a)
		if b != a && out == nil {
			out = make([]expr.Expr, len(list))
			copy(out, list[:i])
		}
		if out != nil {
			out[i] = b
		}
	}
	if out == nil {
		return list, false
	}
	return out, true
}
