package sketch

import (
	"slices"

	"github.com/tabtune/tabtune/compiler/schedule"
)

// rowFusion computes a row-wise chain per block of rows of its last stage
// (CPU and wasm). Softmax (row max, exps, row sum, division) and layer
// normalization (row mean, row variance, normalization) are reductions
// over a row and element-wise stages over the same rows; computed at the
// root, each is a pass over the whole tensor and the exps go through
// memory in full. Here the last stage's leading axes (those at which
// every stage of the chain is read, one row per iteration) are fused and
// split by a tile knob, the rows per block, and the chain's reductions
// and kept costly stages are computed at the outer loop, in stage order:
// per block, the max, the exps, the sum, then the division, on a block
// that stays in cache. A kept stage read by two stages of the chain (the
// exps, read by the sum and the division) goes there too: both its
// readers are computed in that loop (compute_at's common root, as
// Ansor's compute location sampling allows); so does a per-row division
// (softmax's 1/sum), once per row of the block. The cheap element-wise
// stages of the chain are inlined, as alwaysInline would.
//
// The rule derives this sketch besides those of the rules after it: the
// unfused sketch stays, for the shapes where a pass per stage is faster.
// It needs no reduction with data reuse in the chain (those are tiled)
// and a row to fuse over: a last stage with an axis after the rows.
type rowFusion struct{}

func (rowFusion) Name() string { return "row_fusion" }

func (rowFusion) Meets(p *Policy, s *Sketch, i int) Condition {
	if p.Target.IsGPU() {
		return Pass
	}
	if _, _, k := rowChain(s.State, i); k == 0 {
		return Pass
	}
	return Apply
}

func (rowFusion) Apply(_ *Policy, s *Sketch, c int) ([]Derived, error) {
	inline, attach, k := rowChain(s.State, c)
	e := newEdit(s)
	for _, q := range inline {
		e.apply(schedule.ComputeInline{Stage: q})
	}
	parts, _ := e.split(c, e.fuseLeading(c, k), 2)
	at := e.iter(c, parts[0])
	for _, q := range attach {
		e.apply(schedule.ComputeAt{Stage: q, Target: c, TargetIter: at})
	}
	if e.err != nil {
		return nil, e.err
	}
	e.vectorRows(c, attach, k)
	return []Derived{{Sketch: e.s, Next: c - 1}}, nil
}

// vectorRows decides the vectorization of a row chain's stages along the
// row, so that sampling does not: a stage whose innermost loop runs along
// the row (c, an element-wise stage over the whole row such as the exps,
// a reduction over the row) vectorizes it, all with the same extent, the
// row's last axis, so that the fuse pass joins a producer's loop with its
// readers' (the exps stored and summed in one vector loop) and the
// vectorizer handles the tail once, for the fused loop. A random knob
// here left softmax's last multiply scalar in a 128-trial search (0.83x
// XNNPACK at M=64, N=1000; 0.93x vectorized by hand).
//
// A per-row stage (softmax's 1/sum, layernorm's mean and 1/sqrt of the
// variance), whose only loop is over the rows of the block, stays a knob:
// vectorized over the block's rows, it splits the block's loop over the
// rows, which then runs each stage over the whole block in turn, and
// that pays as often as one loop per row does (layernorm 512x768, blocks
// of 32 rows: 1.2x faster with its mean and 1/sqrt vectorized).
func (e *edit) vectorRows(c int, attach []int, k int) {
	st := e.s.State
	if e.s.Vector == nil {
		e.s.Vector = map[string]bool{}
	}
	e.s.Vector[st.Stages[c].Name()] = true
	for _, q := range attach {
		if op := st.Stages[q].Op; op.Reduce != nil || len(op.Axes) > k {
			e.s.Vector[st.Stages[q].Name()] = true
		}
	}
}

// rowChain finds the row-wise chain that ends at stage c: the stages to
// inline and those to compute per block of c's rows (each list from the
// last stage to the first), and the number of c's leading axes that make
// a row. k is 0 when there is no chain: c is not an untouched
// element-wise stage with an axis after its rows that ends a chain, or
// fewer than two reductions or kept stages are computed only for it (one
// is a compute location knob of sampling already).
//
// A stage joins the chain when every stage that reads it is c or in the
// chain (so that all of them are computed in c's row loop), and it is
// untouched and not an output: a reduction without data reuse, a costly
// stage with several readers and a per-row division (broadcastDivide:
// softmax's 1/sum) are computed per block, another element-wise stage
// without padding is inlined.
func rowChain(st *schedule.State, c int) (inline, attach []int, k int) {
	cs := st.Stages[c]
	if !isCompute(st, c) || !untouched(st, c) || cs.Op.Reduce != nil || len(cs.Op.Axes) < 2 || !chainEnd(st, c) {
		return nil, nil, 0
	}
	in := map[int]bool{c: true}
	for q := c - 1; q >= 0; q-- {
		s := st.Stages[q]
		if !isCompute(st, q) || !untouched(st, q) || st.IsOutput(q) {
			continue
		}
		cons := st.Consumers(q)
		if len(cons) == 0 || slices.ContainsFunc(cons, func(x int) bool { return !in[x] }) {
			continue
		}
		switch {
		case s.Op.Reduce != nil && !hasReuse(st, q):
			attach = append(attach, q)
		case s.Op.Reduce == nil && (len(cons) > 1 && callsCostly(s.Op.Value()) || broadcastDivide(st, q)):
			attach = append(attach, q)
		case s.Op.Reduce == nil && !hasPadding(st, q):
			inline = append(inline, q)
		default:
			continue
		}
		in[q] = true
	}
	if len(attach) < 2 {
		// One stage computed per row of c is a location knob of sampling.
		return nil, nil, 0
	}
	// The rows: the leading axes at which every stage of the chain is read,
	// once the inlined ones are.
	after := st
	for _, q := range inline {
		next, err := after.Apply(schedule.ComputeInline{Stage: q})
		if err != nil {
			return nil, nil, 0
		}
		after = next
	}
	k = len(cs.Op.Axes) - 1
	for _, q := range attach {
		for _, x := range after.Consumers(q) {
			k = min(k, commonOuter(after, q, x))
		}
	}
	return inline, attach, k
}

// chainEnd reports whether an element-wise stage ends a chain: it is an
// output, or what reads it are reductions with data reuse (attention's
// softmax, read by a matmul), which are tiled. Otherwise the chain may go
// on to its readers (softmax's exps, read by the row sum and the
// division, is computed for the division, not the end of a chain).
func chainEnd(st *schedule.State, c int) bool {
	if st.IsOutput(c) {
		return true
	}
	cons := st.Consumers(c)
	return len(cons) > 0 && !slices.ContainsFunc(cons, func(x int) bool { return !hasReuse(st, x) })
}

// fuseLeading fuses the first k loops of a stage (k >= 1) and returns the
// name of the fused loop.
func (e *edit) fuseLeading(stage, k int) string {
	s := e.s.State.Stages[stage]
	name := s.Iter(0).Name
	if k > 1 {
		iters := make([]int, k)
		for n := range iters {
			iters[n] = n
			if n > 0 {
				name += "@" + s.Iter(n).Name
			}
		}
		e.apply(schedule.Fuse{Stage: stage, Iters: iters})
	}
	return name
}
