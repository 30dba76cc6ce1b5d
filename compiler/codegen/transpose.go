package codegen

import (
	"cmp"
	"slices"

	"github.com/tabtune/tabtune/compiler/expr"
	"github.com/tabtune/tabtune/compiler/ir"
)

// TransposeGroup marks the loops the transpose pass makes. It is the
// generators' own pragma, not one a schedule can ask for (ir.PragmaKey's
// Check refuses it); its value is the group's size, Config.Lanes.
const TransposeGroup ir.PragmaKey = "transpose"

// IsTransposeGroup reports whether f is a loop the transpose pass made.
func IsTransposeGroup(f *ir.For) bool {
	for _, p := range f.Pragmas {
		if p.Key == TransposeGroup {
			return true
		}
	}
	return false
}

// Transpose is the transpose pass, for targets that emit a group as an
// in-register transpose (Config.Transposes). A layout change (an NCHW
// input copied to NHWC for a convolution that vectorizes over channels)
// stores contiguously along its lanes but loads with a large stride
// between them (H*W), so each vector is gathered one element at a time,
// while a loop around it (w) is contiguous in the load. The pass splits
// that loop by Lanes and moves the inner part just around the lane loop:
//
//	for (w = 0; w < n; w++)                   for (w.o = 0; w.o < n/4; w.o++)
//	  for (c.c = 0; c.c < C/4; c.c++)     =>    for (c.c = 0; c.c < C/4; c.c++)
//	    vectorized for (c.v = 0; ...)             pragma(transpose=4) for (w.i = 0; w.i < 4; w.i++)
//	      P[w, c] = X[c, w]                           vectorized for (c.v = 0; ...)
//	                                                    P[w.o*4 + w.i, c] = X[c, w.o*4 + w.i]
//	                                          ...one more group at w = n-4 when 4 does not divide n
//
// Within a group, the four lanes of the four iterations are a 4x4 block
// whose rows are contiguous: the generator loads the rows as vectors and
// transposes them in registers. The way back (NHWC to NCHW: a result
// stored with a large stride between its lanes, each vector scattered one
// element at a time) is grouped the same way: the generator computes the
// four iterations' vectors, transposes them, and stores the rows. When
// Lanes does not divide the loop, one more group runs its last Lanes
// iterations, overlapping the group before: those elements are written
// twice with the same values, since the body reads nothing it writes.
//
// A loop w qualifies when it holds, through a perfect nest of serial or
// unrolled loops, a lane loop (vectorized, of Lanes iterations, what the
// vectorize pass leaves) whose body is stores only, into buffers in
// memory that the body does not read, at indices that differ for every
// iteration of the nest (so that the loops can run in any order), and
// either some load moves by at least Lanes elements per lane and by
// exactly one per iteration of w while every store is contiguous along
// the lanes, or the body is one store that moves so. The nearest such
// loop around a lane loop is split; loads inside selects need nothing
// more, since the vectorize pass only lets a select run for all lanes
// when its loads stay in bounds.
func Transpose(f *ir.Func, cfg Config) (*ir.Func, error) {
	if !cfg.Transposes || cfg.Lanes < 2 || len(LaneVars(f.Body)) == 0 {
		return f, nil
	}
	env := Ranges(f.Body)
	return withBody(f, ir.RewriteStmt(f.Body, func(s ir.Stmt) ir.Stmt {
		return transposeLoop(s, cfg.Lanes, env)
	})), nil
}

// transposeLoop splits loop s for a transpose group if it qualifies; it
// adds the variables of the new loops to env.
func transposeLoop(s ir.Stmt, lanes int64, env expr.Env) ir.Stmt {
	w, ok := s.(*ir.For)
	if !ok || w.Kind != ir.Serial && w.Kind != ir.Unrolled && w.Kind != ir.Parallel || w.Extent < lanes || IsTransposeGroup(w) {
		return s
	}
	nest := []*ir.For{w}
	lane, ok := w.Body.(*ir.For)
	for ok && lane.Kind != ir.Vectorized {
		if lane.Kind != ir.Serial && lane.Kind != ir.Unrolled || IsTransposeGroup(lane) {
			return s
		}
		nest = append(nest, lane)
		lane, ok = lane.Body.(*ir.For)
	}
	if !ok || lane.Extent != lanes || !transposable(lane, append(nest, lane), lanes, env) {
		return s
	}
	q, r := w.Extent/lanes, w.Extent%lanes
	wo, wi := expr.NewVar(w.Var.Name+".o"), expr.NewVar(w.Var.Name+".i")
	env[wo] = expr.Range{Min: 0, Max: q - 1}
	env[wi] = expr.Range{Min: 0, Max: lanes - 1}
	var inner ir.Stmt = &ir.For{Var: wi, Extent: lanes, Kind: ir.Serial,
		Pragmas: []ir.Pragma{{Key: TransposeGroup, Value: lanes}}, Body: lane}
	for i := len(nest) - 1; i >= 1; i-- {
		c := *nest[i]
		c.Body = inner
		inner = &c
	}
	idx := expr.AddE(expr.MulE(wo, expr.Const(lanes)), wi)
	main := &ir.For{Var: wo, Extent: q, Kind: w.Kind, Pragmas: w.Pragmas,
		Body: Subst(inner, map[*expr.Var]expr.Expr{w.Var: idx}, env)}
	if r == 0 {
		return main
	}
	// One more group for the last Lanes iterations, overlapping the one
	// before: it stores again the values stored there (the body reads
	// nothing it writes), where a tail would gather lane by lane.
	last := expr.AddE(expr.Const(w.Extent-lanes), wi)
	return ir.MakeSeq(main, Subst(inner, map[*expr.Var]expr.Expr{w.Var: last}, env))
}

// transposable reports whether the body of lane loop l, inside the
// perfect nest loops (w first, l last), may be grouped along w = loops[0]:
// see Transpose.
func transposable(l *ir.For, loops []*ir.For, lanes int64, env expr.Env) bool {
	stores, ok := storesOnly(l.Body)
	if !ok {
		return false
	}
	w := loops[0].Var
	// wide reports whether an access of b at idx moves by lanes or more
	// elements per lane and by one along w: a block with contiguous rows.
	wide := func(b *ir.Buffer, idx []expr.Expr) bool {
		flat := FlatIndex(b, idx, env)
		k, lin := Linear(flat, l.Var, env)
		kw, linW := Linear(flat, w, env)
		return lin && linW && kw == 1 && k >= lanes
	}
	written := map[*ir.Buffer]bool{}
	found := false
	for _, st := range stores {
		flat := FlatIndex(st.Buf, st.Index, env)
		k, lin := Linear(flat, l.Var, env)
		if st.Buf.Scope == ir.Local || written[st.Buf] || !lin || !injective(flat, loops, env) {
			return false
		}
		if k != 1 {
			// A scatter: one store, transposed before it is stored.
			if len(stores) > 1 || !wide(st.Buf, st.Index) {
				return false
			}
			found = true
		}
		written[st.Buf] = true
	}
	for _, st := range stores {
		ForAccesses(st, func(b *ir.Buffer, idx []expr.Expr, node any) {
			if _, isLoad := node.(*expr.Load); !isLoad {
				return
			}
			if written[b] {
				ok = false
				return
			}
			found = found || wide(b, idx)
		})
	}
	return ok && found
}

// storesOnly returns the stores of s when s is stores only.
func storesOnly(s ir.Stmt) ([]*ir.Store, bool) {
	switch n := s.(type) {
	case *ir.Store:
		return []*ir.Store{n}, true
	case *ir.Seq:
		var out []*ir.Store
		for _, c := range n.Stmts {
			st, ok := storesOnly(c)
			if !ok {
				return nil, false
			}
			out = append(out, st...)
		}
		return out, true
	}
	return nil, false
}

// injective reports whether the element offset flat differs for every
// iteration of loops: linear in each loop's variable, with coefficients
// that, sorted by size, each exceed the whole travel of the smaller ones
// (a mixed-radix number).
func injective(flat expr.Expr, loops []*ir.For, env expr.Env) bool {
	type term struct{ k, ext int64 }
	var terms []term
	for _, f := range loops {
		k, lin := Linear(flat, f.Var, env)
		if !lin {
			return false
		}
		if f.Extent > 1 {
			terms = append(terms, term{max(k, -k), f.Extent})
		}
	}
	slices.SortFunc(terms, func(a, b term) int { return cmp.Compare(a.k, b.k) })
	travel := int64(0)
	for _, t := range terms {
		if t.k <= travel {
			return false
		}
		travel += t.k * (t.ext - 1)
	}
	return true
}
