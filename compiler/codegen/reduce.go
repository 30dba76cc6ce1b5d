package codegen

import (
	"fmt"
	"math"
	"slices"

	"github.com/tabtune/tabtune/compiler/expr"
	"github.com/tabtune/tabtune/compiler/ir"
)

// Vectorized reductions: Ansor's rfactor made to vectorize, as the
// reduction kernels of XNNPACK are written by hand. A vectorized loop v of
// extent n whose body folds a lane-computable value into one element,
//
//	vectorized for (v = 0; v < n; v++)
//	  S[idx] = S[idx] op f(v)            // op: +, max or min; idx without v
//
// (possibly under conditions linear in v) becomes U vector accumulators in
// a local buffer, each folding every U-th chunk of Lanes iterations, then
// one horizontal reduction into S and the scalar tail:
//
//	alloc acc[U*Lanes] (local)
//	  vectorized for (l) acc[u*Lanes + l] = identity      // for each u
//	  for (c = 0; c < n/Lanes/U; c++)                     // unrolled when short
//	    vectorized for (l) acc[u*Lanes + l] = acc[...] op f((c*U + u)*Lanes + l)
//	  vectorized for (l) acc[u*Lanes + l] = acc[...] op f(...) // chunks left over
//	  vectorized for (l) acc[l] = acc[l] op acc[u*Lanes + l]  // for each u > 0
//	  S[idx] = S[idx] op ((acc[0] op acc[1]) op (acc[2] op acc[3]))
//	unrolled for (t = 0; t < n%Lanes; t++) S[idx] = S[idx] op f(n/Lanes*Lanes + t)
//
// Several accumulators hide the latency of the vector add, one horizontal
// reduction per loop replaces one per element. The sum is reassociated
// (the results differ from the serial order by rounding only); max and min
// (expr.MaxF32, accumulator first, so NaN values are skipped either way)
// are exact but for the sign of a zero result, which comes from the first
// zero of another lane when zeros of both signs tie. Every loop the rewrite makes is a lane loop (all share one
// lane variable, so the loop counts as one vector loop) or a chunk loop,
// and the accumulator is addressed by constants and aligned lane runs, so
// a generator can keep it in vector registers.

// storesIn counts the stores of s.
func storesIn(s ir.Stmt) int {
	n := 0
	ir.WalkStmt(s, func(s ir.Stmt) bool {
		if _, ok := s.(*ir.Store); ok {
			n++
		}
		return true
	})
	return n
}

// reduction is the one store of a reducing loop body:
// S[idx] = op(S[idx], value).
type reduction struct {
	store *ir.Store
	op    expr.Op
	value expr.Expr
}

// identity is the value op starts from.
func (r reduction) identity() expr.Expr {
	switch r.op {
	case expr.Max:
		return expr.F32(float32(math.Inf(-1)))
	case expr.Min:
		return expr.F32(float32(math.Inf(1)))
	}
	return expr.F32(0)
}

// findReduction returns the reduction of body over v: body is made of
// sequences and conditions (without else) around exactly one store that
// folds a value into an element of a float buffer that does not move with
// v, and that buffer is read and written nowhere else in body. The other
// stores move with v (a producer fused into the reduction's loop stores
// its values there, fuse.go); the vectorizer checks that they run lane by
// lane.
func findReduction(body ir.Stmt, v *expr.Var) (reduction, bool) {
	var r reduction
	stores, ok := 0, true
	ir.WalkStmt(body, func(s ir.Stmt) bool {
		switch n := s.(type) {
		case *ir.Store:
			// Stores that move with v are the lanes' own (a fused
			// producer's, fuse.go); the one that does not is the fold.
			if !slices.ContainsFunc(n.Index, func(ix expr.Expr) bool { return Depends(ix, v) }) {
				stores++
				r.store = n
			}
		case *ir.If:
			ok = ok && n.Else == nil
		case *ir.Seq:
		default:
			ok = false
		}
		return ok
	})
	if !ok || stores != 1 || r.store.Buf.DType != expr.Float {
		return r, false
	}
	st := r.store
	b, isBin := st.Value.(*expr.Binary)
	if !isBin || (b.Op != expr.Add && b.Op != expr.Max && b.Op != expr.Min) {
		return r, false
	}
	self := &expr.Load{Src: st.Buf, Index: st.Index}
	switch {
	case expr.Equal(b.A, self):
		r.op, r.value = b.Op, b.B
	case expr.Equal(b.B, self) && b.Op == expr.Add:
		// max(f, S) and min(f, S) keep f where S is NaN or both are
		// zeros (expr.MaxF32): the accumulators, which come first, would
		// not.
		r.op, r.value = b.Op, b.A
	default:
		return r, false
	}
	// S must not be read but by the store itself: not in the value, its
	// indices or a condition.
	reads := false
	ir.WalkStmt(body, func(s ir.Stmt) bool {
		var es []expr.Expr
		switch n := s.(type) {
		case *ir.Store:
			es = append(es, n.Index...)
			if n == st {
				es = append(es, r.value)
			} else {
				es = append(es, n.Value)
			}
		case *ir.If:
			es = append(es, n.Cond)
		}
		if n, isStore := s.(*ir.Store); isStore && n != st && n.Buf == st.Buf {
			reads = true
		}
		for _, e := range es {
			expr.Walk(e, func(x expr.Expr) bool {
				if l, isLoad := x.(*expr.Load); isLoad {
					if b, isBuf := l.Src.(*ir.Buffer); isBuf && b == st.Buf {
						reads = true
					}
				}
				return !reads
			})
		}
		return !reads
	})
	return r, !reads
}

// vectorReduction rewrites the vectorized loop f, whose body is the
// reduction r, into vector accumulators, or returns nil when the body
// cannot run lane by lane.
func (z *vectorizer) vectorReduction(f *ir.For, r reduction) ir.Stmt {
	lanes := z.cfg.Lanes
	m, rest := f.Extent/lanes, f.Extent%lanes
	u := min(max(z.cfg.Accumulators, 1), m)
	if foldsInto(f.Body, f.Var) < storesIn(f.Body) {
		// A fused producer (fuse.go) computes each lane's value in many
		// instructions, which hide the add's latency; more accumulators
		// would only unroll its long body and spill its registers.
		u = 1
	}
	z.accs++
	acc := &ir.Buffer{Name: fmt.Sprintf("%s.vacc%d", r.store.Buf.Name, z.accs), Shape: []int64{u * lanes},
		DType: expr.Float, Scope: ir.Local}
	c := expr.NewVar(f.Var.Name + ".c")
	l := expr.NewVar(f.Var.Name + ".v")
	slot := expr.NewVar(f.Var.Name + ".acc")
	z.env[c] = expr.Range{Min: 0, Max: max(m/u-1, 0)}
	z.env[l] = expr.Range{Min: 0, Max: lanes - 1}
	z.env[slot] = expr.Range{Min: 0, Max: u*lanes - 1}
	at := func(k expr.Expr) []expr.Expr { return []expr.Expr{k} }
	fold := func(a, b expr.Expr) expr.Expr { return expr.Bin(r.op, a, b) }
	// The body with the store folding into acc[slot].
	into := ir.RewriteStmt(f.Body, func(s ir.Stmt) ir.Stmt {
		if s != ir.Stmt(r.store) {
			return s
		}
		return &ir.Store{Buf: acc, Index: at(slot), Value: fold(&expr.Load{Src: acc, Index: at(slot)}, r.value)}
	})
	lane := func(body ir.Stmt) *ir.For {
		return &ir.For{Var: l, Extent: lanes, Kind: ir.Vectorized, Body: body}
	}
	// chunk is the lane loop of accumulator k over the chunk whose first
	// iteration is first.
	chunk := func(k int64, first expr.Expr) *ir.For {
		return lane(Subst(into, map[*expr.Var]expr.Expr{
			f.Var: expr.AddE(first, l),
			slot:  expr.AddE(expr.Const(k*lanes), l),
		}, z.env))
	}
	// Lanes can run at once when they could if each iteration stored to
	// an element of its own: check that, over v's whole range, as for any
	// vectorized loop.
	probe := ir.RewriteStmt(f.Body, func(s ir.Stmt) ir.Stmt {
		if s != ir.Stmt(r.store) {
			return s
		}
		return &ir.Store{Buf: acc, Index: at(f.Var), Value: r.value}
	})
	if !z.canVectorize(probe, f.Var) {
		return nil
	}
	var init, main, left, combine []ir.Stmt
	for k := int64(0); k < u; k++ {
		slotK := expr.AddE(expr.Const(k*lanes), l)
		init = append(init, lane(&ir.Store{Buf: acc, Index: at(slotK), Value: r.identity()}))
		main = append(main, chunk(k, expr.MulE(expr.AddE(expr.MulE(c, expr.Const(u)), expr.Const(k)), expr.Const(lanes))))
		if k > 0 {
			combine = append(combine, lane(&ir.Store{Buf: acc, Index: at(l),
				Value: fold(&expr.Load{Src: acc, Index: at(l)}, &expr.Load{Src: acc, Index: at(slotK)})}))
		}
	}
	for k := int64(0); k < m%u; k++ {
		left = append(left, chunk(k, expr.Const((m/u*u+k)*lanes)))
	}
	loop := &ir.For{Var: c, Extent: m / u, Kind: ir.Serial, Pragmas: f.Pragmas, Body: ir.MakeSeq(main...)}
	if m/u <= z.cfg.ChunkUnroll {
		loop.Kind = ir.Unrolled
	}
	// The horizontal reduction, as a balanced tree of the lanes.
	parts := make([]expr.Expr, lanes)
	for i := range parts {
		parts[i] = &expr.Load{Src: acc, Index: at(expr.Const(int64(i)))}
	}
	for len(parts) > 1 {
		var next []expr.Expr
		for i := 0; i+1 < len(parts); i += 2 {
			next = append(next, fold(parts[i], parts[i+1]))
		}
		if len(parts)%2 == 1 {
			next = append(next, parts[len(parts)-1])
		}
		parts = next
	}
	st := r.store
	horizontal := &ir.Store{Buf: st.Buf, Index: st.Index, Value: fold(&expr.Load{Src: st.Buf, Index: st.Index}, parts[0])}
	body := append(append(append(append(init, loop), left...), combine...), horizontal)
	out := ir.Stmt(&ir.Alloc{Buf: acc, Body: ir.MakeSeq(body...)})
	if rest > 0 {
		t := expr.NewVar(f.Var.Name + ".t")
		z.env[t] = expr.Range{Min: 0, Max: rest - 1}
		tail := &ir.For{Var: t, Extent: rest, Kind: ir.Unrolled,
			Body: Subst(f.Body, map[*expr.Var]expr.Expr{f.Var: expr.AddE(expr.Const(lanes*m), t)}, z.env)}
		out = ir.MakeSeq(out, tail)
	}
	return out
}
