package te

import (
	"math"

	"github.com/tabtune/tabtune/compiler/expr"
)

// This file is the part of Parse's semantic pass that works on integers:
// the ranges of axes that are not written, the reads that can leave their
// tensor, the divisions by a constant zero and the integer literals that
// do not fit in i32. The analysis is in ranges.go.

// inferRanges gives every axis of a stage its range: the written one, or
// the largest 0..n that keeps every read the axis takes part in inside its
// tensor. A read sets a bound when its index is affine with constant
// coefficients and the ranges of its other axes are known, so the ranges
// are found in rounds: first the axes all of whose reads can be bounded,
// then, when none is left, those with some. A read under a select whose
// condition keeps it inside sets no bound. Where an axis indexes a
// dimension alone, that size bounds it too, wherever the read is, and the
// sizes must agree (InferExtent, the rule before this one). It returns the
// range of every axis variable.
func (c *lowering) inferRanges(axes []scopeAxis, trees []expr.Expr) (map[*expr.Var]int64, *ParseError) {
	known := map[*expr.Var]int64{}
	var open []scopeAxis
	alone := map[*expr.Var]int64{}
	for _, a := range axes {
		if a.decl.extent > 0 {
			known[a.v] = a.decl.extent
			c.extents[a.decl] = a.decl.extent
			continue
		}
		n, ok, err := InferExtent(a.v, trees...)
		if err != nil {
			return nil, errAt(a.decl.pos, "%v", err)
		}
		if ok {
			alone[a.v] = n
		}
		open = append(open, a)
	}
	uses := map[*expr.Var][]indexUse{} // the uses of each axis
	for _, u := range indexUses(trees) {
		for v := range u.form.coef {
			uses[v] = append(uses[v], u)
		}
	}
	for len(open) > 0 {
		settled := false
		for _, complete := range []bool{true, false} {
			var rest []scopeAxis
			for _, a := range open {
				b := bestBound(a.v, uses[a.v], known)
				if n, ok := alone[a.v]; ok && (!b.ok || n < b.n) {
					b.n, b.ok = n, true
				}
				switch {
				case b.ok && b.n == 0:
					return nil, errAt(a.decl.pos, "no range of axis %s keeps %s inside %s (dimension %d, size %d)",
						a.decl.name, short(b.why.r.load), b.why.r.src.Name, b.why.dim, b.why.r.src.Shape[b.why.dim])
				case b.ok && (b.complete || !complete):
					c.extents[a.decl] = b.n
					known[a.v] = b.n
					settled = true
				default:
					rest = append(rest, a)
				}
			}
			open = rest
			if settled {
				break
			}
		}
		if !settled {
			a := open[0]
			return nil, errAt(a.decl.pos, "cannot infer the range of axis %s; write it as %s:N", a.decl.name, a.decl.name)
		}
	}
	return known, nil
}

// indexUse is one affine index of a read in its context.
type indexUse struct {
	r    readCtx
	dim  int
	form affine
}

func indexUses(trees []expr.Expr) []indexUse {
	var reads []readCtx
	for _, t := range trees {
		reads = contextReads(t, box{}, reads)
	}
	var out []indexUse
	for _, r := range reads {
		for d, ix := range r.load.Index {
			if f, ok := affineOf(ix); ok && len(f.coef) > 0 {
				out = append(out, indexUse{r: r, dim: d, form: f})
			}
		}
	}
	return out
}

// bound is what the reads say of one axis's extent.
type bound struct {
	n        int64    // the largest extent that keeps them inside
	why      indexUse // the read that sets n
	ok       bool     // some read sets a bound
	complete bool     // every affine read of the axis could be bounded
}

// bestBound is the tightest bound the uses set on v's extent, with the
// other axes' extents known so far.
func bestBound(v *expr.Var, uses []indexUse, known map[*expr.Var]int64) bound {
	b := bound{complete: true}
	for _, u := range uses {
		if u.form.coef[v] == 0 {
			continue
		}
		for w := range u.form.coef {
			if _, ok := known[w]; !ok && w != v {
				b.complete = false
			}
		}
		n, set := extentBound(v, u.form, u.r.src.Shape[u.dim], u.r.box, known)
		if set && (!b.ok || n < b.n) {
			b.n, b.why, b.ok = n, u, true
		}
	}
	return b
}

// checkReads refuses a read whose index can leave its dimension, at the
// first such read in the text. Only indices whose least and greatest values
// are known exactly are checked (exactSpan); the others are checked by the
// interpreter when it runs.
func (c *lowering) checkReads(trees []expr.Expr, known map[*expr.Var]int64) *ParseError {
	var reads []readCtx
	for _, t := range trees {
		reads = contextReads(t, box{}, reads)
	}
	var first *ParseError
	for _, r := range reads {
		at, ok := c.readAt[r.load]
		if !ok {
			continue // the stand-in of a nested reduction
		}
		for d, ix := range r.load.Index {
			s, ok := exactSpan(ix, r.box, known)
			if !ok {
				continue
			}
			size := r.src.Shape[d]
			var err *ParseError
			switch {
			case s.lo < 0:
				err = errAt(at, "%s reads outside %s: index %s goes down to %d", short(r.load), r.src.Name, short(ix), s.lo)
			case s.hi >= size:
				err = errAt(at, "%s reads outside %s: index %s goes up to %d, but dimension %d has size %d",
					short(r.load), r.src.Name, short(ix), s.hi, d, size)
			}
			if err != nil && (first == nil || err.pos().before(first.pos())) {
				first = err
			}
		}
	}
	return first
}

// divisor refuses an integer division or modulo by a constant zero.
func divisor(op expr.Op, n *binaryNode, b expr.Expr) *ParseError {
	if op != expr.FloorDiv && op != expr.FloorMod {
		return nil
	}
	f, ok := affineOf(b)
	if !ok || len(f.coef) > 0 || f.c != 0 {
		return nil
	}
	what := "integer division by zero"
	if op == expr.FloorMod {
		what = "modulo by zero"
	}
	if _, lit := b.(*expr.IntImm); !lit {
		what += ": " + short(b) + " is always 0"
	}
	return errAt(n.opPos, "%s", what)
}

// checkLiterals refuses an integer literal outside the range of i32 that
// is used as an i32 value, at the first in the text. A literal where a
// float is needed (x * 3000000000) became a float constant, and one
// converted with f32(...) is exact enough as a float: both are left alone.
func (c *lowering) checkLiterals(trees []expr.Expr) *ParseError {
	var first *ParseError
	for _, t := range trees {
		expr.Walk(t, func(e expr.Expr) bool {
			if cast, ok := e.(*expr.Cast); ok && cast.To == expr.Float {
				if _, lit := cast.A.(*expr.IntImm); lit {
					return false
				}
			}
			lit, ok := e.(*expr.IntImm)
			if !ok {
				return true
			}
			if at, ok := c.intAt[lit]; ok && (first == nil || at.before(first.pos())) {
				first = errAt(at, "integer %d does not fit in i32 (%d to %d)", lit.V, math.MinInt32, math.MaxInt32)
			}
			return true
		})
	}
	return first
}
