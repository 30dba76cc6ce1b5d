package lower

import (
	"fmt"

	"github.com/tabtune/tabtune/compiler/expr"
	"github.com/tabtune/tabtune/compiler/schedule"
)

// boundsPass decides, from the outputs back to the inputs, the region of
// every computed stage, and lays out its loops (the nest geometry) so that
// the regions of its producers can be inferred from it.
func boundsPass(l *lowering) error {
	l.env = expr.Env{}
	for i := len(l.stages) - 1; i >= 0; i-- {
		info := l.stages[i]
		if !info.computed() {
			continue
		}
		t := info.stage.Tensor
		switch info.stage.Attach.Kind {
		case schedule.AttachRoot:
			info.mins = make([]expr.Expr, len(t.Shape))
			for d := range info.mins {
				info.mins[d] = expr.Const(0)
			}
			info.exts = append([]int64(nil), t.Shape...)
		case schedule.AttachAt:
			if err := l.inferRegion(info); err != nil {
				return err
			}
		}
		l.layout(info)
		if info.buf.Shape == nil {
			info.buf.Shape = info.exts
			info.buf.Scope = info.stage.Scope
			if o := info.stage.Order; o != nil {
				if err := schedule.CheckOrder(o, len(info.exts)); err != nil {
					return fmt.Errorf("stage %s: storage order: %v", info.stage.Name(), err)
				}
			}
			if len(info.stage.Align) > 0 || info.stage.Order != nil {
				info.buf.Strides = layoutStrides(info.exts, info.stage.Align, info.stage.Order)
			}
		}
	}
	return nil
}

// layout makes a loop variable for every current iterator and expresses
// every node and root axis in terms of them.
func (l *lowering) layout(info *stageInfo) {
	s := info.stage
	rootExt := append([]int64(nil), info.exts...)
	for _, a := range s.Op.ReduceAxes() {
		rootExt = append(rootExt, a.Extent)
	}
	info.nodeExt = s.Extents(rootExt)
	for _, n := range s.Iters {
		l.env[info.loopVar[n]] = expr.Range{Min: 0, Max: info.nodeExt[n] - 1}
	}
	info.vals = s.Values(info.nodeExt, func(n int) expr.Expr { return info.loopVar[n] })
	info.roots = make([]expr.Expr, s.NumRoots())
	for r := range info.roots {
		v := info.vals[r]
		if r < len(info.mins) {
			v = expr.AddE(info.mins[r], v)
		}
		info.roots[r] = expr.Simplify(v, l.env)
	}
}

// rootSub maps a stage's axis variables to their absolute values.
func (info *stageInfo) rootSub() map[*expr.Var]expr.Expr {
	m := make(map[*expr.Var]expr.Expr, len(info.roots))
	for r, v := range info.roots {
		m[info.stage.RootVar(r)] = v
	}
	return m
}

// inferRegion computes the region of a stage computed inside a loop of a
// stage: what its consumers (that stage, or stages computed inside it at
// that loop or deeper) read of it in one iteration of that loop, the
// union over them.
func (l *lowering) inferRegion(info *stageInfo) error {
	at := info.stage.Attach
	t := l.stages[at.Stage]
	pos := t.stage.IterPos(at.Node)
	if pos < 0 {
		return fmt.Errorf("stage %s is attached to an iterator of %s that is no longer a loop", info.stage.Name(), t.stage.Name())
	}
	tensor := info.stage.Tensor
	var reads []access
	for _, j := range info.consumers {
		c := l.stages[j]
		// Free: the loops of t inside the attach loop, and every loop of
		// the stages between the consumer and t (the consumer computed
		// inside t).
		free := map[*expr.Var]bool{}
		for _, n := range t.stage.Iters[pos+1:] {
			free[t.loopVar[n]] = true
		}
		for x := c; x != t; x = l.stages[x.stage.Attach.Stage] {
			if x.stage.Attach.Kind != schedule.AttachAt {
				return fmt.Errorf("stage %s is computed inside %s, but its consumer %s is not", info.stage.Name(), t.stage.Name(), c.stage.Name())
			}
			for _, v := range x.loopVar {
				free[v] = true
			}
		}
		sub := c.rootSub()
		for _, e := range []expr.Expr{c.value, c.init} {
			expr.Walk(e, func(x expr.Expr) bool {
				if ld, ok := x.(*expr.Load); ok && ld.Src == expr.Source(tensor) {
					idx := make([]expr.Expr, len(ld.Index))
					for d, ix := range ld.Index {
						idx[d] = expr.Simplify(expr.Substitute(ix, sub), l.env)
					}
					reads = append(reads, access{idx, free})
				}
				return true
			})
		}
	}
	info.mins = make([]expr.Expr, len(tensor.Shape))
	info.exts = make([]int64, len(tensor.Shape))
	for d, dim := range tensor.Shape {
		info.mins[d], info.exts[d] = l.unionRegion(reads, d, dim)
	}
	return nil
}

// access is a read of a stage by one of its consumers: its indices, and
// the loops that run within one iteration of the attach loop.
type access struct {
	index []expr.Expr
	free  map[*expr.Var]bool
}

// unionRegion covers dimension d of every read: a symbolic start and a
// constant extent, clamped to the dimension.
func (l *lowering) unionRegion(reads []access, d int, dim int64) (expr.Expr, int64) {
	full := func() (expr.Expr, int64) { return expr.Const(0), dim }
	if len(reads) == 0 {
		return full()
	}
	ivs := make([]span, len(reads))
	for i, r := range reads {
		m, e, ok := l.interval(r.index[d], r.free)
		if !ok {
			return full()
		}
		ivs[i] = span{expr.Simplify(m, l.env), e}
	}
	base := ivs[0].min
	lo, hi := int64(0), ivs[0].ext-1
	for _, v := range ivs[1:] {
		delta, ok := expr.Simplify(expr.SubE(v.min, base), l.env).(*expr.IntImm)
		if !ok {
			// Starts that differ by a variable amount: fall back to the
			// constant bounds of all reads.
			return l.constUnion(ivs[0].min, ivs[0].ext, ivs[1:], dim)
		}
		lo, hi = min(lo, delta.V), max(hi, delta.V+v.ext-1)
	}
	m := expr.Simplify(expr.AddE(base, expr.Const(lo)), l.env)
	ext := hi - lo + 1
	if ext >= dim {
		return full()
	}
	if c, ok := m.(*expr.IntImm); ok {
		start, end := max(c.V, 0), min(c.V+ext, dim)
		if end <= start {
			return expr.Const(0), 1
		}
		return expr.Const(start), end - start
	}
	return m, ext
}

// span is the start and length of the indices one read covers.
type span struct {
	min expr.Expr
	ext int64
}

// constUnion bounds reads whose starts differ by variable amounts with
// constants.
func (l *lowering) constUnion(m0 expr.Expr, e0 int64, rest []span, dim int64) (expr.Expr, int64) {
	r, ok := expr.Bounds(m0, l.env)
	if !ok {
		return expr.Const(0), dim
	}
	lo, hi := r.Min, r.Max+e0-1
	for _, v := range rest {
		r, ok := expr.Bounds(v.min, l.env)
		if !ok {
			return expr.Const(0), dim
		}
		lo, hi = min(lo, r.Min), max(hi, r.Max+v.ext-1)
	}
	lo, hi = max(lo, 0), min(hi, dim-1)
	if hi < lo {
		return expr.Const(0), 1
	}
	return expr.Const(lo), hi - lo + 1
}

// interval bounds an index over the free loops: the values it takes lie
// in [min, min+ext) for a symbolic min over the fixed variables and a
// constant ext. ok is false when no such bound is found.
func (l *lowering) interval(e expr.Expr, free map[*expr.Var]bool) (min expr.Expr, ext int64, ok bool) {
	if !expr.Uses(e, func(v *expr.Var) bool { return free[v] }) {
		return e, 1, true
	}
	switch n := e.(type) {
	case *expr.Var:
		r := l.env[n]
		return expr.Const(r.Min), r.Max - r.Min + 1, true
	case *expr.Binary:
		switch n.Op {
		case expr.Add, expr.Sub:
			ma, ea, ok1 := l.interval(n.A, free)
			mb, eb, ok2 := l.interval(n.B, free)
			if !ok1 || !ok2 {
				break
			}
			if n.Op == expr.Add {
				return expr.AddE(ma, mb), ea + eb - 1, true
			}
			return expr.SubE(ma, expr.AddE(mb, expr.Const(eb-1))), ea + eb - 1, true
		case expr.Mul:
			a, c := n.A, n.B
			if _, isConst := a.(*expr.IntImm); isConst {
				a, c = c, a
			}
			k, isConst := c.(*expr.IntImm)
			if !isConst {
				break
			}
			ma, ea, ok1 := l.interval(a, free)
			if !ok1 {
				break
			}
			switch {
			case k.V > 0:
				return expr.MulE(ma, k), (ea-1)*k.V + 1, true
			case k.V < 0:
				return expr.MulE(expr.AddE(ma, expr.Const(ea-1)), k), (ea-1)*(-k.V) + 1, true
			}
			return expr.Const(0), 1, true
		case expr.FloorDiv, expr.FloorMod:
			k, isConst := n.B.(*expr.IntImm)
			if !isConst || k.V <= 0 {
				break
			}
			ma, ea, ok1 := l.interval(n.A, free)
			if !ok1 {
				break
			}
			if n.Op == expr.FloorDiv {
				return expr.Bin(expr.FloorDiv, ma, k), expr.FloorDivInt(ea+k.V-2, k.V) + 1, true
			}
			if ea == 1 {
				return expr.Bin(expr.FloorMod, ma, k), 1, true
			}
			return expr.Const(0), k.V, true
		}
	}
	r, bounded := expr.Bounds(e, l.env)
	if !bounded {
		return nil, 0, false
	}
	return expr.Const(r.Min), r.Max - r.Min + 1, true
}

// layoutStrides lays the dimensions out in the storage order (nil:
// row-major), the last one contiguous (storage_order), and pads strides so
// that stride % factor == offset for the aligned dimensions, as TVM's
// storage_align.
func layoutStrides(shape []int64, aligns []schedule.Align, order []int) []int64 {
	st := make([]int64, len(shape))
	n := int64(1)
	for i := len(shape) - 1; i >= 0; i-- {
		d := i
		if order != nil {
			d = order[i]
		}
		for _, a := range aligns {
			if a.Dim == d {
				n += expr.FloorModInt(a.Offset-n, a.Factor)
			}
		}
		st[d] = n
		n *= shape[d]
	}
	return st
}
