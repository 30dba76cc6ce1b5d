package te

import (
	"math"

	"github.com/tabtune/tabtune/compiler/expr"
)

// This file is the integer analysis of the parser's range inference and
// bounds check: affine forms of indices, the guards of selects as boxes of
// axis ranges, and exact intervals of index expressions.
//
// A read is analysed in its context: the ranges its axes run over there,
// which a select narrows in each branch when its condition compares one
// axis with a constant (h >= 1 && h < 57). A read under a condition the
// analysis cannot read as a box (a comparison of data, of two axes) is left
// alone: the parser neither infers from it nor refuses it, and the
// interpreter checks it when it runs.

// affine is sum(coef[v] * v) + c, with constant coefficients.
type affine struct {
	coef map[*expr.Var]int64
	c    int64
}

// affineOf writes an integer expression as an affine form of its axes; ok
// is false for anything else (a product of axes, a division, a read) or
// when a coefficient overflows.
func affineOf(e expr.Expr) (affine, bool) {
	switch n := e.(type) {
	case *expr.IntImm:
		return affine{c: n.V}, true
	case *expr.Var:
		return affine{coef: map[*expr.Var]int64{n: 1}}, true
	case *expr.Binary:
		a, ok := affineOf(n.A)
		if !ok {
			return affine{}, false
		}
		b, ok := affineOf(n.B)
		if !ok {
			return affine{}, false
		}
		switch n.Op {
		case expr.Add:
			return a.plus(b, 1)
		case expr.Sub:
			return a.plus(b, -1)
		case expr.Mul:
			if len(a.coef) == 0 {
				return b.scale(a.c)
			}
			if len(b.coef) == 0 {
				return a.scale(b.c)
			}
		}
	}
	return affine{}, false
}

// plus returns a + k*b.
func (a affine) plus(b affine, k int64) (affine, bool) {
	out := affine{coef: make(map[*expr.Var]int64, len(a.coef)+len(b.coef))}
	for v, x := range a.coef {
		out.coef[v] = x
	}
	kc, ok1 := mulInt(k, b.c)
	c, ok2 := addInt(a.c, kc)
	if !ok1 || !ok2 {
		return affine{}, false
	}
	out.c = c
	for v, x := range b.coef {
		kx, ok1 := mulInt(k, x)
		s, ok2 := addInt(out.coef[v], kx)
		if !ok1 || !ok2 {
			return affine{}, false
		}
		if s == 0 {
			delete(out.coef, v)
		} else {
			out.coef[v] = s
		}
	}
	return out, true
}

// scale returns k*a.
func (a affine) scale(k int64) (affine, bool) {
	return affine{}.plus(a, k)
}

func addInt(a, b int64) (int64, bool) {
	s := a + b
	if (b > 0 && s < a) || (b < 0 && s > a) {
		return 0, false
	}
	return s, true
}

func mulInt(a, b int64) (int64, bool) {
	if a == 0 || b == 0 {
		return 0, true
	}
	p := a * b
	if p/b != a || (a == -1 && b == math.MinInt64) || (b == -1 && a == math.MinInt64) {
		return 0, false
	}
	return p, true
}

// span is a closed interval of integers.
type span struct{ lo, hi int64 }

// plusSpan adds two intervals; ok is false on overflow.
func plusSpan(a, b span) (span, bool) {
	lo, ok1 := addInt(a.lo, b.lo)
	hi, ok2 := addInt(a.hi, b.hi)
	return span{lo, hi}, ok1 && ok2
}

// scaleSpan multiplies an interval by k; ok is false on overflow.
func scaleSpan(a span, k int64) (span, bool) {
	x, ok1 := mulInt(a.lo, k)
	y, ok2 := mulInt(a.hi, k)
	return span{min(x, y), max(x, y)}, ok1 && ok2
}

// box is the range of each axis in one context of a stage's value. Axes
// missing from the map run over their whole extent.
type box map[*expr.Var]span

// with returns a copy of b where v is narrowed to s.
func (b box) with(v *expr.Var, s span) box {
	out := make(box, len(b)+1)
	for k, x := range b {
		out[k] = x
	}
	if old, ok := b[v]; ok {
		s = span{max(s.lo, old.lo), min(s.hi, old.hi)}
	}
	out[v] = s
	return out
}

// narrow returns the box in which cond has the value want, when that set is
// a box: comparisons of one axis with constants joined by && (or, for a
// false condition, by ||). ok is false when it is not.
func (b box) narrow(cond expr.Expr, want bool) (box, bool) {
	switch n := cond.(type) {
	case *expr.Not:
		return b.narrow(n.A, !want)
	case *expr.Binary:
		if (n.Op == expr.And && want) || (n.Op == expr.Or && !want) {
			nb, ok := b.narrow(n.A, want)
			if !ok {
				return nil, false
			}
			return nb.narrow(n.B, want)
		}
		if n.Op.IsCompare() {
			return b.compare(n, want)
		}
	}
	return nil, false
}

// compare narrows b by a comparison of one axis with constants.
func (b box) compare(n *expr.Binary, want bool) (box, bool) {
	op := n.Op
	if !want {
		op = map[expr.Op]expr.Op{expr.LT: expr.GE, expr.LE: expr.GT, expr.GT: expr.LE,
			expr.GE: expr.LT, expr.EQ: expr.NE, expr.NE: expr.EQ}[op]
	}
	a, ok1 := affineOf(n.A)
	c, ok2 := affineOf(n.B)
	if !ok1 || !ok2 {
		return nil, false
	}
	d, ok := a.plus(c, -1) // d op 0
	if !ok || len(d.coef) != 1 {
		return nil, false
	}
	var v *expr.Var
	var k int64
	for v, k = range d.coef {
	}
	// k*v + d.c op 0, as bounds lo <= k*v <= hi.
	lo, hi := int64(math.MinInt64), int64(math.MaxInt64)
	switch op {
	case expr.LT:
		hi = -d.c - 1
	case expr.LE:
		hi = -d.c
	case expr.GT:
		lo = -d.c + 1
	case expr.GE:
		lo = -d.c
	case expr.EQ:
		lo, hi = -d.c, -d.c
	case expr.NE:
		return b, true
	}
	if d.c == math.MinInt64 {
		return nil, false
	}
	if k < 0 {
		k, lo, hi = -k, negSat(hi), negSat(lo)
	}
	return b.with(v, span{ceilDiv(lo, k), floorDiv(hi, k)}), true
}

func negSat(x int64) int64 {
	switch x {
	case math.MinInt64:
		return math.MaxInt64
	case math.MaxInt64:
		return math.MinInt64
	}
	return -x
}

// floorDiv and ceilDiv divide by k > 0, keeping the infinities.
func floorDiv(x, k int64) int64 {
	if x == math.MinInt64 || x == math.MaxInt64 {
		return x
	}
	return expr.FloorDivInt(x, k)
}

func ceilDiv(x, k int64) int64 {
	if x == math.MinInt64 || x == math.MaxInt64 {
		return x
	}
	return -expr.FloorDivInt(-x, k)
}

// readCtx is a read of a tensor and the box of its context.
type readCtx struct {
	load *expr.Load
	src  *Tensor
	box  box
}

// contextReads lists the reads of tensors in e, each with the box where it
// is evaluated; reads under a condition that is not a box are left out.
func contextReads(e expr.Expr, b box, out []readCtx) []readCtx {
	switch n := e.(type) {
	case *expr.Select:
		out = contextReads(n.Cond, b, out)
		if tb, ok := b.narrow(n.Cond, true); ok {
			out = contextReads(n.T, tb, out)
		}
		if fb, ok := b.narrow(n.Cond, false); ok {
			out = contextReads(n.F, fb, out)
		}
		return out
	case *expr.Load:
		if src, ok := n.Src.(*Tensor); ok && len(n.Index) == len(src.Shape) {
			out = append(out, readCtx{load: n, src: src, box: b})
		}
		for _, ix := range n.Index {
			out = contextReads(ix, b, out)
		}
		return out
	case *expr.Binary:
		return contextReads(n.B, b, contextReads(n.A, b, out))
	case *expr.Not:
		return contextReads(n.A, b, out)
	case *expr.Cast:
		return contextReads(n.A, b, out)
	case *expr.Call:
		for _, a := range n.Args {
			out = contextReads(a, b, out)
		}
	}
	return out
}

// axisSpan is the range of v in box b when v's extent is known.
func (b box) axisSpan(v *expr.Var, extents map[*expr.Var]int64) (span, bool) {
	n, ok := extents[v]
	if !ok {
		return span{}, false
	}
	s := span{0, n - 1}
	if g, ok := b[v]; ok {
		s = span{max(s.lo, g.lo), min(s.hi, g.hi)}
	}
	return s, true
}

// exactSpan is the interval of an integer index over box b, when its
// minimum and maximum are values the index does take: every axis appears
// once at most, and the operators are + - * by a constant, // and % by a
// positive constant, min and max. ok is false otherwise, on overflow, or
// when some axis runs over nothing in b.
func exactSpan(e expr.Expr, b box, extents map[*expr.Var]int64) (span, bool) {
	seen := map[*expr.Var]bool{}
	once := true
	expr.Walk(e, func(x expr.Expr) bool {
		if v, ok := x.(*expr.Var); ok {
			once = once && !seen[v]
			seen[v] = true
		}
		return once
	})
	if !once {
		return span{}, false
	}
	return spanOf(e, b, extents)
}

func spanOf(e expr.Expr, b box, extents map[*expr.Var]int64) (span, bool) {
	switch n := e.(type) {
	case *expr.IntImm:
		return span{n.V, n.V}, true
	case *expr.Var:
		s, ok := b.axisSpan(n, extents)
		return s, ok && s.lo <= s.hi
	case *expr.Binary:
		x, ok := spanOf(n.A, b, extents)
		if !ok {
			return span{}, false
		}
		y, ok := spanOf(n.B, b, extents)
		if !ok {
			return span{}, false
		}
		switch n.Op {
		case expr.Add:
			return plusSpan(x, y)
		case expr.Sub:
			if y.lo == math.MinInt64 {
				return span{}, false
			}
			return plusSpan(x, span{-y.hi, -y.lo})
		case expr.Mul:
			if y.lo == y.hi {
				return scaleSpan(x, y.lo)
			}
			if x.lo == x.hi {
				return scaleSpan(y, x.lo)
			}
		case expr.FloorDiv:
			if y.lo == y.hi && y.lo > 0 {
				return span{expr.FloorDivInt(x.lo, y.lo), expr.FloorDivInt(x.hi, y.lo)}, true
			}
		case expr.FloorMod:
			if y.lo == y.hi && y.lo > 0 {
				c := y.lo
				if expr.FloorDivInt(x.lo, c) == expr.FloorDivInt(x.hi, c) {
					return span{expr.FloorModInt(x.lo, c), expr.FloorModInt(x.hi, c)}, true
				}
				return span{0, c - 1}, true
			}
		case expr.Min:
			return span{min(x.lo, y.lo), min(x.hi, y.hi)}, true
		case expr.Max:
			return span{max(x.lo, y.lo), max(x.hi, y.hi)}, true
		}
	}
	return span{}, false
}

// extentBound is the largest extent of axis v that keeps index, an affine
// form, inside [0, size) in box b, where the other axes' extents are
// known. ok is false when the read sets no bound on v: v is not in it, an
// other axis is not known yet, the guard already keeps it inside, or the
// arithmetic overflows.
func extentBound(v *expr.Var, index affine, size int64, b box, extents map[*expr.Var]int64) (int64, bool) {
	k := index.coef[v]
	if k == 0 {
		return 0, false
	}
	rest := span{index.c, index.c}
	for w, x := range index.coef {
		if w == v {
			continue
		}
		s, ok := b.axisSpan(w, extents)
		if !ok || s.lo > s.hi {
			return 0, false
		}
		ws, ok := scaleSpan(s, x)
		if !ok {
			return 0, false
		}
		if rest, ok = plusSpan(rest, ws); !ok {
			return 0, false
		}
	}
	// The largest value of v that keeps k*v + rest inside [0, size-1].
	var top int64
	if k > 0 {
		room, ok := addInt(size-1, negSat(rest.hi))
		if !ok || rest.hi == math.MinInt64 {
			return 0, false
		}
		top = floorDiv(room, k)
	} else {
		if k == math.MinInt64 {
			return 0, false
		}
		top = floorDiv(rest.lo, -k)
	}
	if g, ok := b[v]; ok && g.hi <= top {
		return 0, false // the guard keeps the read inside
	}
	if top < 0 {
		return 0, true
	}
	if top == math.MaxInt64 {
		return 0, false
	}
	return top + 1, true
}
