package codegen

import (
	"slices"

	"github.com/tabtune/tabtune/compiler/expr"
	"github.com/tabtune/tabtune/compiler/ir"
)

// FuseLoops is the fuse pass: loop fusion of sibling loops (the consumer
// computed inside its producer's loop with the producer's buffer kept
// whole, Halide's store_at outside compute_at, TVM's reverse_compute_at).
// In a sequence, a loop A and a later loop B with the same extent and
// kind, B reading what A writes (a producer and its consumer), become one
// loop (with A's pragmas, and those of B's keys that A has not) that runs A's body, then B's, per iteration,
//
//	for (a) A(a); S; for (b) B(b)   =>   S; for (a) { A(a); B(a) }
//
// when that computes the same thing:
//   - the statements S between them commute with A (neither writes what
//     the other reads or writes), so A can move after them;
//   - A and B write no buffer in common, and A reads nothing B writes;
//   - every buffer that A writes and B reads is written and read with the
//     same index in some dimension, k*a + c with k != 0 and c fixed over
//     both loops: an element B reads at iteration a is written by A only
//     at iteration a, before B's body in the fused loop.
//
// Softmax computed per row then keeps one pass for exp(x - max) and the
// row's sum of the exps (the exps stored for the final product and
// summed in the same vectorized loop, reduce.go), as XNNPACK's kernels
// do, and the per-row stages of a row block share one loop over the rows.
// Only serial, vectorized and unrolled loops fuse; parallel and GPU loops
// are left alone. Fused loops are fused again with the next, and the
// pass runs inside the fused bodies, so nests fuse level by level.
//
// Loops that select (paddings) are left to partition, which runs before:
// it has split them already, or cannot, and a fused loop that it could
// split would make the two passes' result depend on their order. Loops
// that store to a local buffer (a register tile and its write-back,
// whose unrolled loops keep it in registers) are left as they are.
//
// A vectorized loop fuses only while the fused body folds into at most
// one element that does not move with the loop (one reduction): the
// vectorizer gives one reduction vector accumulators, not two.
func FuseLoops(f *ir.Func, _ Config) (*ir.Func, error) {
	if !siblingLoops(f.Body) {
		return f, nil
	}
	env := Ranges(f.Body)
	return withBody(f, ir.RewriteStmt(f.Body, func(s ir.Stmt) ir.Stmt {
		seq, ok := s.(*ir.Seq)
		if !ok {
			return s
		}
		return fuseSeq(seq, env)
	})), nil
}

// fuseSeq fuses the loops of one sequence; RewriteStmt has fused inside
// its statements already, and a fused body is fused again.
// A fusion moves statements, which may let an earlier loop fuse: the
// sequence is scanned again until nothing fuses, so that the pass run
// twice changes nothing the second time.
func fuseSeq(seq *ir.Seq, env expr.Env) ir.Stmt {
	// Sequences nested in the sequence (a unit loop removed around one)
	// are its statements too.
	stmts := seq.Stmts
	if flat, ok := ir.MakeSeq(seq.Stmts...).(*ir.Seq); ok {
		stmts = flat.Stmts
	}
	changed := false
	for again := true; again; {
		again = false
		for p := 0; p < len(stmts) && !again; p++ {
			a, ok := stmts[p].(*ir.For)
			if !ok || !fusibleKind(a) {
				continue
			}
			q, fused := fuseNext(a, stmts[p+1:], env)
			if fused == nil {
				continue
			}
			// S (stmts[p+1 : p+1+q]) moves before the fused loop.
			stmts = slices.Concat(stmts[:p], stmts[p+1:p+1+q], []ir.Stmt{fused}, stmts[p+2+q:])
			changed, again = true, true
		}
	}
	if !changed {
		return seq
	}
	return ir.MakeSeq(stmts...)
}

// siblingLoops reports whether some sequence in s holds two loops that
// might fuse (same extent and kind), without allocating: the features of
// every candidate run the pass.
func siblingLoops(s ir.Stmt) bool {
	switch n := s.(type) {
	case *ir.For:
		return siblingLoops(n.Body)
	case *ir.Alloc:
		return siblingLoops(n.Body)
	case *ir.Let:
		return siblingLoops(n.Body)
	case *ir.If:
		return siblingLoops(n.Then) || n.Else != nil && siblingLoops(n.Else)
	case *ir.Seq:
		for i, c := range n.Stmts {
			if siblingLoops(c) {
				return true
			}
			a, ok := c.(*ir.For)
			if !ok || !fusibleKind(a) {
				continue
			}
			for _, d := range n.Stmts[i+1:] {
				if b, ok := d.(*ir.For); ok && b.Extent == a.Extent && b.Kind == a.Kind && readsWrites(b, a) {
					return true
				}
			}
		}
	}
	return false
}

// readsWrites reports whether loop b loads from a buffer that loop a
// stores to (a producer and its consumer), other than a local one, with
// indices that move with the loops' variables, as a fusion needs: a cheap
// test, without allocating, before the full one.
func readsWrites(b, a *ir.For) bool {
	found := false
	ir.WalkStmt(a.Body, func(s ir.Stmt) bool {
		if st, ok := s.(*ir.Store); ok && st.Buf.Scope != ir.Local {
			if dims := varDims(st.Index, a.Var); dims != 0 {
				found = loadsMoving(b.Body, st.Buf, b.Var, dims)
			}
		}
		return !found
	})
	return found
}

// varDims is the set of the dimensions (the first 64) whose index uses v.
func varDims(index []expr.Expr, v *expr.Var) uint64 {
	var dims uint64
	for d, ix := range index[:min(len(index), 64)] {
		if Depends(ix, v) {
			dims |= 1 << d
		}
	}
	return dims
}

// loadsMoving reports whether s loads from buf, every time at an index
// that uses v in one of the dimensions dims.
func loadsMoving(s ir.Stmt, buf *ir.Buffer, v *expr.Var, dims uint64) bool {
	some, all := false, true
	ForAccesses(s, func(b *ir.Buffer, idx []expr.Expr, node any) {
		if _, isLoad := node.(*expr.Load); isLoad && b == buf {
			some = true
			all = all && varDims(idx, v)&dims != 0
		}
	})
	return some && all
}

// fusibleKind reports whether a loop's kind may fuse.
func fusibleKind(f *ir.For) bool {
	return f.Kind == ir.Serial || f.Kind == ir.Vectorized || f.Kind == ir.Unrolled
}

// fuseNext looks for the loop after a that fuses with it: rest[q] is that
// loop and rest[:q] commute with a. It returns q and the fused loop, or a
// nil loop.
func fuseNext(a *ir.For, rest []ir.Stmt, env expr.Env) (int, ir.Stmt) {
	ua := usesOf(a)
	for q, s := range rest {
		us := usesOf(s)
		if b, ok := s.(*ir.For); ok && b.Extent == a.Extent && b.Kind == a.Kind && readsWrites(b, a) {
			if fused := fuse(a, b, ua, us, env); fused != nil {
				return q, fused
			}
		}
		if ua.conflicts(us) {
			return 0, nil
		}
	}
	return 0, nil
}

// fuse returns the loop that runs a's body then b's per iteration, or nil
// when that may compute something else.
func fuse(a, b *ir.For, ua, ub uses, env expr.Env) ir.Stmt {
	if ua.selects || ub.selects {
		return nil
	}
	for buf := range ua.writes {
		if ub.writes[buf] != nil || buf.Scope == ir.Local {
			return nil
		}
	}
	for buf := range ub.writes {
		if ua.reads[buf] != nil || buf.Scope == ir.Local {
			return nil
		}
	}
	bodyB := Subst(b.Body, map[*expr.Var]expr.Expr{b.Var: a.Var}, env)
	inner := loopVars(a.Body)
	for v := range loopVars(b.Body) {
		inner[v] = true
	}
	after := usesOf(bodyB)
	for buf, stores := range ua.writes {
		loads := after.reads[buf]
		if loads != nil && !sameIteration(stores, loads, a.Var, inner, env) {
			return nil
		}
	}
	if a.Kind == ir.Vectorized && foldsInto(a.Body, a.Var)+foldsInto(bodyB, a.Var) > 1 {
		return nil
	}
	out := *a
	out.Pragmas = mergePragmas(a.Pragmas, b.Pragmas)
	out.Body = ir.MakeSeq(a.Body, bodyB)
	if seq, ok := out.Body.(*ir.Seq); ok {
		// The loops of both bodies, now siblings.
		out.Body = fuseSeq(seq, env)
	}
	return &out
}

// sameIteration reports whether some dimension of every store and load
// index is k*v + c, the same for all of them, with k != 0 and c not using
// the loops inside the fused one.
func sameIteration(stores, loads [][]expr.Expr, v *expr.Var, inner map[*expr.Var]bool, env expr.Env) bool {
	first := stores[0]
	for d := range first {
		k, ok := Linear(first[d], v, env)
		if !ok || k == 0 || expr.Uses(first[d], func(x *expr.Var) bool { return inner[x] }) {
			continue
		}
		same := true
		for _, ix := range slices.Concat(stores, loads) {
			diff, isConst := expr.Simplify(expr.SubE(ix[d], first[d]), env).(*expr.IntImm)
			if !isConst || diff.V != 0 {
				same = false
				break
			}
		}
		if same {
			return true
		}
	}
	return false
}

// mergePragmas returns a's pragmas and those of b whose key a has not:
// the first loop's hints win.
func mergePragmas(a, b []ir.Pragma) []ir.Pragma {
	out := a
	for _, p := range b {
		if !slices.ContainsFunc(a, func(q ir.Pragma) bool { return q.Key == p.Key }) {
			out = append(slices.Clip(out), p)
		}
	}
	return out
}

// foldsInto counts the stores of s whose index does not use v: in a
// vectorized loop, the elements every lane folds into.
func foldsInto(s ir.Stmt, v *expr.Var) int {
	n := 0
	ir.WalkStmt(s, func(s ir.Stmt) bool {
		if st, ok := s.(*ir.Store); ok && !slices.ContainsFunc(st.Index, func(ix expr.Expr) bool { return Depends(ix, v) }) {
			n++
		}
		return true
	})
	return n
}

// loopVars returns the variables that loops and lets inside s bind.
func loopVars(s ir.Stmt) map[*expr.Var]bool {
	vars := map[*expr.Var]bool{}
	ir.WalkStmt(s, func(s ir.Stmt) bool {
		switch n := s.(type) {
		case *ir.For:
			vars[n.Var] = true
		case *ir.Let:
			vars[n.Var] = true
		}
		return true
	})
	return vars
}

// uses are the buffers a statement writes and reads, with the indices of
// every access.
type uses struct {
	writes, reads map[*ir.Buffer][][]expr.Expr
	// selects: some expression selects (a padding, which partition
	// splits loops around).
	selects bool
}

// usesOf collects the accesses of s: stores, and loads in values,
// indices, conditions and lets.
func usesOf(s ir.Stmt) uses {
	u := uses{writes: map[*ir.Buffer][][]expr.Expr{}, reads: map[*ir.Buffer][][]expr.Expr{}}
	ForAccesses(s, func(b *ir.Buffer, idx []expr.Expr, node any) {
		if _, isStore := node.(*ir.Store); isStore {
			u.writes[b] = append(u.writes[b], idx)
		} else {
			u.reads[b] = append(u.reads[b], idx)
		}
	})
	u.selects = hasSelect(s)
	return u
}

// hasSelect reports whether an expression of s selects.
func hasSelect(s ir.Stmt) bool {
	found := false
	ir.WalkExprs(s, func(e expr.Expr) {
		expr.Walk(e, func(x expr.Expr) bool {
			_, sel := x.(*expr.Select)
			found = found || sel
			return !found
		})
	})
	return found
}

// conflicts reports whether two statements may not swap: one writes what
// the other reads or writes.
func (u uses) conflicts(o uses) bool {
	for b := range u.writes {
		if o.writes[b] != nil || o.reads[b] != nil {
			return true
		}
	}
	for b := range o.writes {
		if u.reads[b] != nil {
			return true
		}
	}
	return false
}
