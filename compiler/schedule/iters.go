package schedule

import "github.com/tabtune/tabtune/compiler/expr"

// Extents returns the extent of every node when the root axes have the
// given extents (the stage's full domain, or the region it computes where
// it is attached): splits keep their lengths and the remaining loop takes
// the rest, fuses multiply.
func (s *Stage) Extents(roots []int64) []int64 {
	ext := make([]int64, len(s.Nodes))
	copy(ext, roots)
	for _, r := range s.Rels {
		switch r.Kind {
		case RelSplit:
			for i, x := range SplitExtents(ext[r.In[0]], r.Lengths, r.InnerToOuter) {
				ext[r.Out[i]] = x
			}
		case RelFuse:
			p := int64(1)
			for _, in := range r.In {
				p *= ext[in]
			}
			ext[r.Out[0]] = p
		}
	}
	return ext
}

// Values expresses every node in terms of the current loops: given the
// expression of each current iterator (leaf) and the node extents from
// Extents, it walks the relations back to the root axes. A split parent is
// outer*inner-extent + inner; a fused input is a division and a modulo of
// the fused loop. The result is indexed by node; the roots come first.
func (s *Stage) Values(ext []int64, leaf func(node int) expr.Expr) []expr.Expr {
	val := make([]expr.Expr, len(s.Nodes))
	for _, n := range s.Iters {
		val[n] = leaf(n)
	}
	for k := len(s.Rels) - 1; k >= 0; k-- {
		r := s.Rels[k]
		switch r.Kind {
		case RelSplit:
			var v expr.Expr
			for i, o := range r.Out {
				if i == 0 {
					v = val[o]
					continue
				}
				v = expr.AddE(expr.MulE(v, expr.Const(ext[o])), val[o])
			}
			val[r.In[0]] = v
		case RelFuse:
			f := val[r.Out[0]]
			stride := int64(1)
			for i := len(r.In) - 1; i >= 0; i-- {
				in := r.In[i]
				var v expr.Expr = f
				if stride != 1 {
					v = expr.Bin(expr.FloorDiv, v, expr.Const(stride))
				}
				if i > 0 {
					v = expr.Bin(expr.FloorMod, v, expr.Const(ext[in]))
				}
				val[in] = v
				stride *= ext[in]
			}
		}
	}
	return val
}

// Overflows reports, per node, whether the loops a split made of it cover
// more than its extent, so that its value from Values can exceed it and
// lowering must guard value < extent. Guarding every such node (not only
// the roots) keeps a point from being visited twice when splits nest.
func (s *Stage) Overflows(ext []int64) []bool {
	over := make([]bool, len(s.Nodes))
	for _, r := range s.Rels {
		if r.Kind != RelSplit {
			continue
		}
		p := int64(1)
		for _, o := range r.Out {
			p *= ext[o]
		}
		over[r.In[0]] = p > ext[r.In[0]]
	}
	return over
}
