package sketch

import (
	"slices"

	"github.com/tabtune/tabtune/compiler/expr"
	"github.com/tabtune/tabtune/compiler/ir"
	"github.com/tabtune/tabtune/compiler/schedule"
)

// Auto-packing (Ansor's layout rewrite, as XNNPACK and oneDNN lay out a
// convolution): multi-level tiling vectorizes the innermost spatial axis,
// which for a convolution O[n, co, h, w] is w. When that axis is a poor
// vector axis (some input reads it with a stride other than 1, as a
// stride-2 convolution does, or its extent is not a multiple of the
// target's lanes, as ResNet's w = 56 on 16 lanes), packedVariants derives
// sketches that vectorize another spatial axis instead (the output
// channels), or keep it when packing alone makes it a good one (dense's
// W[j, k]): the register tile is several output pixels by a few vectors
// of channels, the inputs that do not depend on the vector axis are
// broadcast, and each input that does, but is not contiguous along it (the
// weights W[co, ci, kh, kw]), is copied (cache_read) into a buffer stored
// with that axis innermost (storage_order: [ci][kh][kw][co]). Sampling
// places the copy at the root (packed once per call) or inside an outer
// tile of its reader (the blocked layout [CO/v][CI][KH][KW][v], made per
// tile); the copy runs its loops in that order, so its stores are
// contiguous. A computed input (depthwise's pad, which both the weights and
// the output index by channel) is not copied but stored with that axis
// innermost itself, loops likewise: the NHWC layout XNNPACK runs
// depthwise in. A read that uses the vector axis only through a floor
// division by a multiple of the lanes (a grouped convolution's input
// channel co // (CO/groups) * (CI/groups) + ci) is the same element for
// every lane, so it is broadcast like one that does not use it, and stays
// where it is (laneUniform): per group, XNNPACK's small GEMM. The
// accumulator gets the same storage order, so that the vector lanes of
// the register tile are contiguous.

// packedVariants are the sketches of multi-level tiling with fusion of
// stage i that vectorize the axis vectorAxis chooses, with its packed
// inputs, or none when the innermost axis is a good vector axis or no
// other axis qualifies.
func packedVariants(p *Policy, s *Sketch, i int) []Derived {
	st := s.State
	vec, packs := vectorAxis(st, i, int64(max(p.Target.VectorLanes(), 1)))
	if vec < 0 || st.IsOutput(i) {
		return nil
	}
	// The consumer's outer tile loop over the vector axis, where the
	// per-tile variant computes the copies (fuseAt orders that axis last
	// in each level of the consumer's loops).
	c := fusibleConsumer(st, i)
	at := st.Stages[c].Nodes[vec].Name + ".0"
	perTile := reusedAcrossTiles(st, i, packs)
	var out []Derived
	for _, inner := range reduceOrders(s, i) {
		for _, level := range []int{1, 2} {
			ds, err := fuseAt(p, s, i, level, inner, false, vec)
			if err != nil || len(ds) == 0 {
				continue
			}
			d, copies, ok := pack(ds[0].Sketch, i, vec, packs)
			if !ok {
				continue
			}
			out = append(out, d)
			if !perTile {
				continue
			}
			if t, ok := packPerTile(d, copies, c+len(copies), at); ok {
				out = append(out, t)
			}
		}
	}
	return out
}

// reusedAcrossTiles reports whether some input that packs copies is read
// by stage i through fewer than all of its spatial axes of more than one
// iteration: a convolution's weights, which no pixel axis indexes. A copy
// made per tile of the axes it uses is then reused by every tile of the
// others. A copy indexed by every spatial axis (a pool's input, packed
// channel-innermost) is read once whichever tile makes it, so per tile
// it would only add sketches.
func reusedAcrossTiles(st *schedule.State, i int, packs []packedInput) bool {
	op := st.Stages[i].Op
	for _, pk := range packs {
		if !st.Stages[pk.stage].IsInput() {
			continue
		}
		for _, ld := range op.Reads() {
			if ld.Src != expr.Source(st.Stages[pk.stage].Tensor) {
				continue
			}
			for _, a := range op.Axes {
				if a.Extent > 1 && !slices.ContainsFunc(ld.Index, func(ix expr.Expr) bool { return uses(ix, a.Var) }) {
					return true
				}
			}
		}
	}
	return false
}

// packPerTile derives from a packed sketch d, whose copies of inputs are
// at the root, the variant that computes them in the consumer's outer
// tile loop at along the vector axis: the blocked layout
// [CO/v][CI][KH][KW][v], one block of the output channels' weights per
// tile, read contiguously by the register tile, as XNNPACK packs them,
// and as packPanel does for GMM's B. Sampling then makes the outer tiles
// of the other axes one loop (microTiles' panel draws), so that each block
// is made once and reused by every pixel tile while it is in cache: with
// few pixels and many weights (DeepLab's 14x14 ASPP, 512 to 256
// channels), streaming all the weights again per pixel tile from a copy
// at the root, 9 KB apart per input channel, was 1.4x slower. The root
// copy's location knob could reach the same place, but rarely together
// with those tiles. ok is false when d copies no input.
func packPerTile(d Derived, copies []int, consumer int, at string) (Derived, bool) {
	if len(copies) == 0 {
		return Derived{}, false
	}
	e := newEdit(d.Sketch)
	for _, cp := range copies {
		e.apply(schedule.ComputeAt{Stage: cp, Target: consumer, TargetIter: e.iter(consumer, at)})
	}
	if e.err != nil {
		return Derived{}, false
	}
	return Derived{Sketch: e.s, Next: d.Next}, true
}

// pack adds to a tiled sketch of stage i the packed copies of the inputs
// packs names (stage index and dimension that the vector axis indexes),
// each stored with that dimension innermost (a computed one is stored so
// in place), and stores stage i's own buffer with spatial axis vec
// innermost. It also returns the stages of the copies.
func pack(s *Sketch, i, vec int, packs []packedInput) (Derived, []int, bool) {
	e := newEdit(s)
	shift := 0
	var copies []int
	for _, pk := range packs {
		src := pk.stage + shift
		order := innermost(len(s.State.Stages[pk.stage].Tensor.Shape), pk.dim)
		if st := s.State.Stages[pk.stage]; !st.IsInput() {
			// A computed producer (depthwise's pad) is stored so itself,
			// and runs its loops in that order when they are still its
			// dimensions: its stores are then contiguous along its
			// innermost loop, the one vectorized (storing along another
			// dimension scatters every lane, 4x slower on depthwise).
			e.apply(schedule.StorageOrder{Stage: src, Order: order})
			if untiled(st) {
				e.apply(schedule.Reorder{Stage: src, Order: order})
			}
			continue
		}
		e.apply(schedule.CacheRead{Stage: src, Scope: ir.Global, Readers: []int{i + shift}})
		// The copy sits right after src; the stages after it, i among
		// them, moved up one.
		// The copy runs its loops in its storage order: contiguous
		// stores, gathered loads (ResNet's stride-2 C2D on wasm: 0.6-1.0x
		// of XNNPACK the other way round, 1.07-1.11x so).
		e.apply(schedule.StorageOrder{Stage: src + 1, Order: order})
		e.apply(schedule.Reorder{Stage: src + 1, Order: order})
		copies = append(copies, src+1)
		shift++
	}
	e.apply(schedule.StorageOrder{Stage: i + shift, Order: innermost(len(s.State.Stages[i].Tensor.Shape), vec)})
	if e.err != nil {
		return Derived{}, nil, false
	}
	// The stages between the copies and stage i moved up as well: visit
	// the one just before stage i next.
	return Derived{Sketch: e.s, Next: i - 1 + shift}, copies, true
}

// untiled reports whether stage s still runs one spatial loop per
// dimension of its buffer, in order.
func untiled(s *schedule.Stage) bool {
	if len(s.Iters) != len(s.Tensor.Shape) {
		return false
	}
	for k := range s.Iters {
		if s.Iters[k] != k || s.Iter(k).Kind != schedule.Spatial {
			return false
		}
	}
	return true
}

// packedInput is an input read with the vector axis at dimension dim.
type packedInput struct{ stage, dim int }

// vectorAxis decides whether stage i should vectorize a spatial axis other
// than its innermost one, and which. The innermost axis is a poor vector
// axis when its extent is not a multiple of lanes or some read moves along
// it with a stride other than 1. An axis qualifies when every read either
// does not use it or uses it only lane-uniformly (its value is broadcast
// over the lanes), or indexes one
// dimension with it alone; a read whose such dimension is not its last
// must come from an input, which is then packed, or from a computed stage
// that is not an output, which is then stored so itself. The innermost axis itself
// wins when its extent is a multiple of lanes and it qualifies (packing its
// inputs is enough, as for dense's W[j, k] read along j); else, of the
// other qualifying axes at least lanes long, those whose extent is a
// multiple of lanes first, the longest (the last one on ties). It returns
// -1 when no variant is needed or none qualifies.
func vectorAxis(st *schedule.State, i int, lanes int64) (int, []packedInput) {
	op := st.Stages[i].Op
	n := len(op.Axes)
	if n < 2 || lanes < 2 {
		return -1, nil
	}
	inner := op.Axes[n-1]
	poor := inner.Extent%lanes != 0
	for _, ld := range op.Reads() {
		for d, ix := range ld.Index {
			if !uses(ix, inner.Var) {
				continue
			}
			if d != len(ld.Index)-1 || !unitStride(ix, inner.Var) {
				poor = true
			}
		}
	}
	if !poor {
		return -1, nil
	}
	if inner.Extent%lanes == 0 {
		// Packing alone may do (dense's W[j, k] read along j).
		if packs, ok := packsFor(st, op.Reads(), inner.Var, lanes); ok {
			return n - 1, packs
		}
	}
	best := -1
	var bestPacks []packedInput
	better := func(a, b int64) bool { // is extent a a better vector axis than b
		if (a%lanes == 0) != (b%lanes == 0) {
			return a%lanes == 0
		}
		return a >= b
	}
	for a := 0; a < n-1; a++ {
		ax := op.Axes[a]
		if ax.Extent < lanes || best >= 0 && !better(ax.Extent, op.Axes[best].Extent) {
			continue
		}
		if packs, ok := packsFor(st, op.Reads(), ax.Var, lanes); ok {
			best, bestPacks = a, packs
		}
	}
	return best, bestPacks
}

// packsFor lists the inputs to pack for vector axis v of lanes lanes, by
// stage, or says that some read rules v out.
func packsFor(st *schedule.State, reads []*expr.Load, v *expr.Var, lanes int64) ([]packedInput, bool) {
	var packs []packedInput
	for _, ld := range reads {
		dim := -1
		for d, ix := range ld.Index {
			if !uses(ix, v) || laneUniform(ix, v, lanes) {
				continue
			}
			if dim >= 0 || ix != expr.Expr(v) {
				return nil, false
			}
			dim = d
		}
		if dim < 0 || dim == len(ld.Index)-1 {
			continue
		}
		src := sourceStage(st, ld.Src)
		if src < 0 || st.IsOutput(src) {
			return nil, false
		}
		dup := false
		for _, pk := range packs {
			dup = dup || pk.stage == src
		}
		if !dup {
			packs = append(packs, packedInput{stage: src, dim: dim})
		}
	}
	slices.SortFunc(packs, func(a, b packedInput) int { return a.stage - b.stage })
	return packs, true
}

// laneUniform reports whether index ix has one value over every aligned
// run of lanes values of v: it reads v only through floor divisions by
// multiples of lanes, as a grouped convolution reads its input channel
// co // (CO/groups) * (CI/groups) + ci when lanes divide the channels of a
// group. A vector of v then reads one element there, a broadcast, with
// no packing: the register tile is XNNPACK's per-group GEMM,
// out[pixel][co] += in[pixel][ci] (broadcast) * w[ci][co] (a vector). The
// lowered index shows it too, so the generators splat that load (the
// simplifier's blocks rule: (8*a + 4*c + l) // 32 is a // 4 when l < 4,
// c < 2), when the vector tile is a multiple of lanes; otherwise they
// gather it, correct but slow. A group narrower than lanes (4 channels on
// 16 lanes) reads several input channels per vector: not uniform, so v
// is not offered for such a read.
func laneUniform(ix expr.Expr, v *expr.Var, lanes int64) bool {
	a, l := expr.NewVar(v.Name+".c"), expr.NewVar(v.Name+".v")
	at := expr.AddE(expr.MulE(a, expr.Const(lanes)), l)
	e := expr.Simplify(expr.Substitute(ix, map[*expr.Var]expr.Expr{v: at}), expr.Env{l: {Min: 0, Max: lanes - 1}})
	return !uses(e, l)
}

// sourceStage returns the stage that writes source src, or -1.
func sourceStage(st *schedule.State, src expr.Source) int {
	for j, x := range st.Stages {
		if expr.Source(x.Tensor) == src {
			return j
		}
	}
	return -1
}

// uses reports whether e reads variable v.
func uses(e expr.Expr, v *expr.Var) bool {
	return expr.Uses(e, func(x *expr.Var) bool { return x == v })
}

// unitStride reports whether e moves by exactly one when v does.
func unitStride(e expr.Expr, v *expr.Var) bool {
	d, ok := schedule.ConstStep(e, v)
	return ok && d == 1
}

// innermost is the storage order of n dimensions with dimension d moved
// last.
func innermost(n, d int) []int {
	order := make([]int, n)
	for k := range order {
		order[k] = k
	}
	return moveLast(order, d)
}

// moveLast returns a copy of xs with element k moved to the end.
func moveLast[T any](xs []T, k int) []T {
	out := append([]T(nil), xs[:k]...)
	out = append(out, xs[k+1:]...)
	return append(out, xs[k])
}

// markVector marks the knob of the vectorized spatial axis: vec, or the
// last when vec is negative.
func (e *edit) markVector(spatialSteps []int, vec int) {
	if len(spatialSteps) == 0 {
		return
	}
	if vec < 0 || vec >= len(spatialSteps) {
		vec = len(spatialSteps) - 1
	}
	for k := range e.s.Tiles {
		if e.s.Tiles[k].Step == spatialSteps[vec] {
			e.s.Tiles[k].Vector = true
		}
	}
}
