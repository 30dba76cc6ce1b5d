package codegen

import (
	"slices"

	"github.com/tabtune/tabtune/compiler/expr"
	"github.com/tabtune/tabtune/compiler/ir"
)

// maxCuts bounds the places at which one loop is partitioned.
const maxCuts = 4

// Partition is the partition pass (TVM's loop partition, for padding). A
// serial or vectorized loop (unrolled ones are expanded anyway) that is or holds a vectorized loop, and whose
// body selects between a load and another value under a comparison
// linear in the loop's variable (a padding stage: select(h >= 1 && w >= 1,
// data[h - 1, w - 1], -inf), or a padding inlined into a window, y*2 + ry
// >= 1), is split into consecutive loops at the places where such a
// comparison may change, whatever the values of the other variables in
// it. The simplifier folds the comparisons in the ranges where they are
// constant, so the interior loads without a condition and vectorizes (the
// vectorizer refuses a select whose load may fall out of bounds), and the
// borders store the other value.
//
// A loop is split at most at maxCuts places, and only while its copies
// hold at most Config.MaxUnroll statements in all. A program with no such
// select under a vectorized loop is returned as it is, at no cost.
func Partition(f *ir.Func, cfg Config) (*ir.Func, error) {
	if !guardedVector(f.Body, false) {
		return f, nil
	}
	env := Ranges(f.Body)
	return withBody(f, ir.RewriteStmt(f.Body, func(s ir.Stmt) ir.Stmt {
		return partitionLoop(s, env, cfg.MaxUnroll)
	})), nil
}

// partitionLoop splits one loop, if it should be; it adds the variables of
// the new loops to env.
func partitionLoop(s ir.Stmt, env expr.Env, limit int64) ir.Stmt {
	f, ok := s.(*ir.For)
	if !ok || f.Kind != ir.Serial && f.Kind != ir.Vectorized || !holdsVectorized(f) {
		return s
	}
	cuts := guardCuts(f, env)
	if len(cuts) == 0 || len(cuts) > maxCuts || int64(size(f.Body)*(len(cuts)+1)) > limit {
		return s
	}
	bounds := append(append([]int64{0}, cuts...), f.Extent)
	parts := make([]ir.Stmt, 0, len(bounds)-1)
	for i := range len(bounds) - 1 {
		lo, n := bounds[i], bounds[i+1]-bounds[i]
		v := expr.NewVar(f.Var.Name)
		env[v] = expr.Range{Min: 0, Max: n - 1}
		part := *f
		part.Var, part.Extent = v, n
		part.Body = Subst(f.Body, map[*expr.Var]expr.Expr{f.Var: expr.AddE(v, expr.Const(lo))}, env)
		parts = append(parts, &part)
	}
	return ir.MakeSeq(parts...)
}

// guardedVector reports whether a select that loads in a branch runs in
// or under a vectorized loop of s (inVector: s runs in one): what
// Partition may split for. It does not allocate, so that programs with
// nothing to split cost nothing.
func guardedVector(s ir.Stmt, inVector bool) bool {
	switch n := s.(type) {
	case *ir.For:
		return guardedVector(n.Body, inVector || n.Kind == ir.Vectorized)
	case *ir.Alloc:
		return guardedVector(n.Body, inVector)
	case *ir.Let:
		return guardedVector(n.Body, inVector)
	case *ir.If:
		return guardedVector(n.Then, inVector) || n.Else != nil && guardedVector(n.Else, inVector)
	case *ir.Seq:
		for _, c := range n.Stmts {
			if guardedVector(c, inVector) {
				return true
			}
		}
	case *ir.Store:
		return inVector && selectsLoad(n.Value)
	}
	return false
}

// selectsLoad reports whether e holds a select with a load in a branch.
func selectsLoad(e expr.Expr) bool {
	found := false
	expr.Walk(e, func(x expr.Expr) bool {
		if sel, ok := x.(*expr.Select); ok && (hasLoad(sel.T) || hasLoad(sel.F)) {
			found = true
		}
		return !found
	})
	return found
}

// holdsVectorized reports whether loop f is vectorized or holds a
// vectorized loop.
func holdsVectorized(f *ir.For) bool {
	found := false
	ir.WalkStmt(f, func(s ir.Stmt) bool {
		if l, ok := s.(*ir.For); ok && l.Kind == ir.Vectorized {
			found = true
		}
		return !found
	})
	return found
}

// guardCuts returns, sorted, the values c in (0, extent) of f's variable v
// at which a comparison guarding a load in a select of f's body may change
// between v = c-1 and v = c (compareCuts), whatever the loops inside f.
func guardCuts(f *ir.For, env expr.Env) []int64 {
	inner := map[*expr.Var]bool{}
	ir.WalkStmt(f.Body, func(s ir.Stmt) bool {
		if l, ok := s.(*ir.For); ok {
			inner[l.Var] = true
		}
		return true
	})
	var cuts []int64
	ir.WalkExprs(f.Body, func(e expr.Expr) {
		expr.Walk(e, func(x expr.Expr) bool {
			if sel, ok := x.(*expr.Select); ok && (hasLoad(sel.T) || hasLoad(sel.F)) {
				for _, c := range conjuncts(sel.Cond) {
					cuts = append(cuts, compareCuts(c, f.Var, f.Extent, inner, env)...)
				}
			}
			return true
		})
	})
	// Conditions nested in loops are visited with the loops' own
	// statements, so sort and drop repeats.
	slices.Sort(cuts)
	return slices.Compact(cuts)
}

// hasLoad reports whether e loads.
func hasLoad(e expr.Expr) bool {
	found := false
	expr.Walk(e, func(x expr.Expr) bool {
		if _, ok := x.(*expr.Load); ok {
			found = true
		}
		return !found
	})
	return found
}

// conjuncts returns the terms of a conjunction (c itself when it is none).
func conjuncts(c expr.Expr) []expr.Expr {
	if b, ok := c.(*expr.Binary); ok && b.Op == expr.And {
		return append(conjuncts(b.A), conjuncts(b.B)...)
	}
	return []expr.Expr{c}
}

// compareCuts returns the values c in (0, extent) at which comparison c,
// k*v + r OP 0 with k a constant and r a function of the variables of
// inner loops, may change between v = c-1 and v = c for some value of r
// within its bounds: where it changes for the least r and for the
// greatest. Between the cuts the comparison is the same for every r, so
// the simplifier folds it there. An r that uses an outer variable is left
// to the loop of that variable, whose cuts make this one's comparison
// constant where it can be.
func compareCuts(c expr.Expr, v *expr.Var, extent int64, inner map[*expr.Var]bool, env expr.Env) []int64 {
	b, ok := c.(*expr.Binary)
	if !ok || !b.Op.IsCompare() || b.Op == expr.EQ || b.Op == expr.NE || b.A.Type() != expr.Int {
		return nil
	}
	d := expr.SubE(b.A, b.B)
	k, lin := Linear(d, v, env)
	if !lin || k == 0 {
		return nil
	}
	rest := SubstConst(d, v, 0, env)
	if expr.Uses(rest, func(x *expr.Var) bool { return !inner[x] }) {
		return nil
	}
	r, bounded := expr.Bounds(rest, env)
	if !bounded {
		return nil
	}
	var cuts []int64
	for _, rr := range []int64{r.Min, r.Max} {
		if cut, ok := firstChange(b.Op, k, rr, extent); ok {
			cuts = append(cuts, cut)
		}
	}
	return cuts
}

// firstChange returns the first v in (0, extent) at which k*v + r OP 0
// differs from its value at v = 0.
func firstChange(op expr.Op, k, r, extent int64) (int64, bool) {
	holds := func(x int64) bool {
		d := k*x + r
		switch op {
		case expr.LT:
			return d < 0
		case expr.LE:
			return d <= 0
		case expr.GT:
			return d > 0
		}
		return d >= 0
	}
	// The comparison is monotone in v: search for its one change.
	first := holds(0)
	lo, hi := int64(1), extent
	for lo < hi {
		mid := lo + (hi-lo)/2
		if holds(mid) != first {
			hi = mid
		} else {
			lo = mid + 1
		}
	}
	return lo, lo < extent
}
