package features

import (
	"math"
	"math/bits"

	"github.com/tabtune/tabtune/compiler/expr"
	"github.com/tabtune/tabtune/compiler/ir"
)

// term is coef × (the variable of the loop at depth) in a linear form.
type term struct {
	depth int32
	coef  float64
}

// dimForm is the analysis of one index expression: c + Σ terms when
// exact; otherwise the terms only estimate the coefficients (a floor
// division by k divides them by k) and ranges come from interval
// arithmetic on e. mask has a bit per loop depth the index depends on
// (depths from 63 on share the last bit).
type dimForm struct {
	e      expr.Expr
	t0, t1 int32
	c      float64
	exact  bool
	mask   uint64
}

// access is one distinct access (buffer and index) of a store; repeated
// identical accesses are counted in reads and writes.
type access struct {
	buf           *ir.Buffer
	index         []expr.Expr
	d0            int32 // its dimensions are x.dims[d0 : d0+len(index)]
	group         int32
	reads, writes int
	read, write   bool
}

// group is the accesses of a store to one buffer.
type group struct {
	buf         *ir.Buffer
	read, write bool
	n           int // accesses, repeated ones included
	mask        uint64
	bytes       float64
	unique      float64
	uniqueLines float64
}

func bit(depth int) uint64 { return 1 << min(depth, 63) }

func hasBit(mask uint64, depth int) bool { return mask&bit(depth) != 0 }

// addAccess records an access, analysing its indices unless an identical
// one was recorded.
func (x *extractor) addAccess(b *ir.Buffer, index []expr.Expr, write bool) {
	for i := range x.accs {
		a := &x.accs[i]
		if a.buf == b && equalIndex(a.index, index) {
			if write {
				a.write = true
				a.writes++
			} else {
				a.read = true
				a.reads++
			}
			return
		}
	}
	a := access{buf: b, index: index, d0: int32(len(x.dims)), write: write, read: !write}
	if write {
		a.writes = 1
	} else {
		a.reads = 1
	}
	for _, ix := range index {
		d := dimForm{e: ix, t0: int32(len(x.terms)), exact: true}
		x.lin(ix, 1, &d, true)
		d.t1 = int32(len(x.terms))
		if d.exact {
			d.mask = 0
			for _, t := range x.terms[d.t0:d.t1] {
				if t.coef != 0 {
					d.mask |= bit(int(t.depth))
				}
			}
		}
		x.dims = append(x.dims, d)
	}
	x.accs = append(x.accs, a)
}

func equalIndex(a, b []expr.Expr) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if !expr.Equal(a[i], b[i]) {
			return false
		}
	}
	return true
}

// depthOf is the depth of the loop of v, or -1.
func (x *extractor) depthOf(v *expr.Var) int {
	for i := len(x.loops) - 1; i >= 0; i-- {
		if x.loops[i].v == v {
			return i
		}
	}
	return -1
}

// letValue is the value bound to v by an enclosing let, or nil.
func (x *extractor) letValue(v *expr.Var) expr.Expr {
	for i := len(x.lets) - 1; i >= 0; i-- {
		if x.lets[i].v == v {
			return x.lets[i].val
		}
	}
	return nil
}

// lin adds k×e to the linear form d. Outside exact parts (exact false)
// it only estimates coefficients and collects the loops used.
func (x *extractor) lin(e expr.Expr, k float64, d *dimForm, exact bool) {
	switch n := e.(type) {
	case *expr.IntImm:
		if exact {
			d.c += k * float64(n.V)
		}
		return
	case *expr.Var:
		if dep := x.depthOf(n); dep >= 0 {
			x.addTerm(d, dep, k)
			d.mask |= bit(dep)
			return
		}
		if v := x.letValue(n); v != nil {
			x.lin(v, k, d, exact)
			return
		}
		d.exact = false
		return
	case *expr.Binary:
		switch n.Op {
		case expr.Add:
			x.lin(n.A, k, d, exact)
			x.lin(n.B, k, d, exact)
			return
		case expr.Sub:
			x.lin(n.A, k, d, exact)
			x.lin(n.B, -k, d, exact)
			return
		case expr.Mul:
			if c, ok := n.B.(*expr.IntImm); ok {
				x.lin(n.A, k*float64(c.V), d, exact)
				return
			}
			if c, ok := n.A.(*expr.IntImm); ok {
				x.lin(n.B, k*float64(c.V), d, exact)
				return
			}
		case expr.FloorDiv:
			if c, ok := n.B.(*expr.IntImm); ok && c.V > 0 {
				d.exact = false
				x.lin(n.A, k/float64(c.V), d, false)
				return
			}
		case expr.FloorMod:
			if c, ok := n.B.(*expr.IntImm); ok && c.V > 0 {
				d.exact = false
				x.lin(n.A, k, d, false)
				return
			}
		case expr.Min, expr.Max:
			d.exact = false
			x.lin(n.A, k, d, false)
			x.lin(n.B, 0, d, false)
			return
		}
		d.exact = false
		x.lin(n.A, k, d, false)
		x.lin(n.B, k, d, false)
		return
	}
	// Selects, loads, casts: the loops they use, coefficient unknown.
	d.exact = false
	switch n := e.(type) {
	case *expr.Not:
		x.lin(n.A, k, d, false)
	case *expr.Select:
		x.lin(n.Cond, k, d, false)
		x.lin(n.T, k, d, false)
		x.lin(n.F, k, d, false)
	case *expr.Cast:
		x.lin(n.A, k, d, false)
	case *expr.Call:
		for _, a := range n.Args {
			x.lin(a, k, d, false)
		}
	case *expr.Load:
		for _, a := range n.Index {
			x.lin(a, k, d, false)
		}
	}
}

func (x *extractor) addTerm(d *dimForm, depth int, k float64) {
	for i := int(d.t0); i < len(x.terms); i++ {
		if int(x.terms[i].depth) == depth {
			x.terms[i].coef += k
			return
		}
	}
	x.terms = append(x.terms, term{depth: int32(depth), coef: k})
}

// iv bounds an integer expression while the loops at depth level and
// deeper run over their ranges and the outer ones stay at 0.
func (x *extractor) iv(e expr.Expr, level int) (lo, hi int64, ok bool) {
	switch n := e.(type) {
	case *expr.IntImm:
		return n.V, n.V, true
	case *expr.Var:
		if d := x.depthOf(n); d >= 0 {
			if d < level {
				return 0, 0, true
			}
			return 0, max(x.loops[d].ext-1, 0), true
		}
		if v := x.letValue(n); v != nil {
			return x.iv(v, level)
		}
		return 0, 0, false
	case *expr.Select:
		a0, a1, ok1 := x.iv(n.T, level)
		b0, b1, ok2 := x.iv(n.F, level)
		return min(a0, b0), max(a1, b1), ok1 && ok2
	case *expr.Binary:
		a0, a1, ok1 := x.iv(n.A, level)
		if !ok1 {
			return 0, 0, false
		}
		b0, b1, ok2 := x.iv(n.B, level)
		if !ok2 {
			return 0, 0, false
		}
		switch n.Op {
		case expr.Add:
			return a0 + b0, a1 + b1, true
		case expr.Sub:
			return a0 - b1, a1 - b0, true
		case expr.Mul:
			p := [4]int64{a0 * b0, a0 * b1, a1 * b0, a1 * b1}
			lo, hi = p[0], p[0]
			for _, v := range p[1:] {
				lo, hi = min(lo, v), max(hi, v)
			}
			return lo, hi, true
		case expr.FloorDiv:
			if b0 == b1 && b0 > 0 {
				return expr.FloorDivInt(a0, b0), expr.FloorDivInt(a1, b0), true
			}
		case expr.FloorMod:
			if b0 == b1 && b0 > 0 {
				if expr.FloorDivInt(a0, b0) == expr.FloorDivInt(a1, b0) {
					return expr.FloorModInt(a0, b0), expr.FloorModInt(a1, b0), true
				}
				return 0, b0 - 1, true
			}
		case expr.Min:
			return min(a0, b0), min(a1, b1), true
		case expr.Max:
			return max(a0, b0), max(a1, b1), true
		}
	}
	return 0, 0, false
}

// dimRange is the range of an index while the loops from level in run.
func (x *extractor) dimRange(d *dimForm, level int) (lo, hi float64, ok bool) {
	if d.exact {
		lo, hi = d.c, d.c
		for _, t := range x.terms[d.t0:d.t1] {
			if int(t.depth) < level {
				continue
			}
			span := t.coef * float64(x.loops[t.depth].ext-1)
			if span < 0 {
				lo += span
			} else {
				hi += span
			}
		}
		return lo, hi, true
	}
	l, h, ok := x.iv(d.e, level)
	return float64(l), float64(h), ok
}

// maskProd is the product of the extents of the loops in mask at depth
// level and deeper: a bound on the distinct values of an index using them.
func (x *extractor) maskProd(mask uint64, level int) float64 {
	if level >= 64 {
		mask = 0
	} else {
		mask &^= bit(level) - 1
	}
	p := 1.0
	for mask != 0 {
		i := bits.TrailingZeros64(mask)
		mask &= mask - 1
		if i == 63 {
			for _, l := range x.loops[max(63, level):] {
				p *= float64(l.ext)
			}
			continue
		}
		if i < len(x.loops) {
			p *= float64(x.loops[i].ext)
		}
	}
	return p
}

// footprint is the number of distinct elements of group g's buffer that
// its accesses touch while the loops from level in run. With box, it also
// leaves there the extent of the touched box per dimension.
func (x *extractor) footprint(g int, level int, box []float64) float64 {
	buf := x.groups[g].buf
	nd := len(buf.Shape)
	elems := 1.0
	for dim := 0; dim < nd; dim++ {
		lo, hi := math.Inf(1), math.Inf(-1)
		bound := 0.0
		full := false
		for i := range x.accs {
			a := &x.accs[i]
			if int(a.group) != g {
				continue
			}
			if len(a.index) != nd {
				full = true
				break
			}
			d := &x.dims[int(a.d0)+dim]
			l, h, ok := x.dimRange(d, level)
			if !ok {
				full = true
				break
			}
			lo, hi = min(lo, l), max(hi, h)
			bound += x.maskProd(d.mask, level)
		}
		shape := float64(max(buf.Shape[dim], 1))
		span := shape
		if !full {
			span = max(min(hi-lo+1, shape), 1)
		}
		if box != nil {
			box[dim] = span
		}
		ext := span
		if !full {
			ext = max(min(span, bound), 1)
		}
		elems *= ext
	}
	return min(elems, bufElems(buf))
}

// group collects the accesses per buffer, in order of first access.
func (x *extractor) group() {
	for i := range x.accs {
		a := &x.accs[i]
		g := -1
		for j := range x.groups {
			if x.groups[j].buf == a.buf {
				g = j
				break
			}
		}
		if g < 0 {
			g = len(x.groups)
			x.groups = append(x.groups, group{buf: a.buf})
		}
		a.group = int32(g)
		gr := &x.groups[g]
		gr.read = gr.read || a.read
		gr.write = gr.write || a.write
		gr.n += a.reads + a.writes
		for d := range a.index {
			gr.mask |= x.dims[int(a.d0)+d].mask
		}
	}
}

// strideOf is the distance in elements between neighbours along
// dimension d of b.
func strideOf(b *ir.Buffer, d int) int64 {
	if d >= len(b.Shape) {
		return 1
	}
	if b.Strides != nil {
		if d >= len(b.Strides) {
			return 1
		}
		return b.Strides[d]
	}
	s := int64(1)
	for _, n := range b.Shape[d+1:] {
		s *= n
	}
	return s
}

// flatCoef is the coefficient of the loop at depth k in the flattened
// element offset of access a (estimated where the index is not linear).
func (x *extractor) flatCoef(a *access, k int) float64 {
	sum := 0.0
	for d := range a.index {
		dim := &x.dims[int(a.d0)+d]
		for _, t := range x.terms[dim.t0:dim.t1] {
			if int(t.depth) == k {
				sum += t.coef * float64(strideOf(a.buf, d))
			}
		}
	}
	return sum
}

// allFootprintBytes is the bytes all the store's accesses touch while the
// loops from level in run: one iteration of the loop at level-1.
func (x *extractor) allFootprintBytes(level int) float64 {
	if v := x.fpCache[level]; v >= 0 {
		return v
	}
	sum := 0.0
	for g := range x.groups {
		sum += x.footprint(g, level, nil) * elemBytes(x.groups[g].buf.DType)
	}
	x.fpCache[level] = sum
	return sum
}

// Reuse types.
const (
	reuseLoop = iota
	reuseSerial
	reuseNone
)

// bufferFeatures writes group 3 and returns the bytes and unique bytes
// over all buffers.
func (x *extractor) bufferFeatures(row []float32, depth int, exec float64) (bytes, unique float64) {
	x.fpCache = growF(x.fpCache, depth+1)
	for i := range x.fpCache {
		x.fpCache[i] = -1
	}
	x.order = x.order[:0]
	for g := range x.groups {
		x.order = append(x.order, g)
	}
	ng := len(x.groups)
	for g := range x.groups {
		gr := &x.groups[g]
		eb := elemBytes(gr.buf.DType)
		gr.bytes = exec * float64(gr.n) * eb
		x.box = growF(x.box, len(gr.buf.Shape))
		elems := x.footprint(g, 0, x.box)
		gr.unique = elems * eb
		gr.uniqueLines = x.uniqueLines(gr.buf, elems, x.box)
		bytes += gr.bytes
		unique += gr.unique
	}
	// Order: most bytes, then most unique bytes, then first accessed.
	for i := 1; i < ng; i++ {
		for j := i; j > 0; j-- {
			a, b := &x.groups[x.order[j-1]], &x.groups[x.order[j]]
			if b.bytes > a.bytes || (b.bytes == a.bytes && b.unique > a.unique) {
				x.order[j-1], x.order[j] = x.order[j], x.order[j-1]
				continue
			}
			break
		}
	}
	row[fNumBuffers] = slog(float64(ng))
	for slot := 0; slot < ng && slot < MaxBuffers; slot++ {
		g := x.order[slot]
		x.oneBuffer(row[fBuffers+slot*nBuf:fBuffers+(slot+1)*nBuf], g, depth)
	}
	// Remember this store's accesses for the serial reuse of later ones.
	for g := range x.groups {
		x.hist = append(x.hist, histEntry{buf: x.groups[g].buf, off: int32(len(x.paths)), n: int32(depth)})
	}
	for _, l := range x.loops {
		x.paths = append(x.paths, l.id)
	}
	return bytes, unique
}

// oneBuffer writes the features of group g.
func (x *extractor) oneBuffer(out []float32, g int, depth int) {
	gr := &x.groups[g]
	buf := gr.buf
	eb := elemBytes(buf.DType)
	switch {
	case gr.read && gr.write:
		out[bAccReadWrite] = 1
	case gr.write:
		out[bAccWrite] = 1
	default:
		out[bAccRead] = 1
	}
	switch buf.Scope {
	case ir.Global:
		out[bScopeGlobal] = 1
	case ir.Local:
		out[bScopeLocal] = 1
	case ir.Shared:
		out[bScopeShared] = 1
	}

	// Stride and lines: the innermost loop that moves the address.
	stride, lines := 0.0, 1.0
	for k := depth - 1; k >= 0; k-- {
		if !hasBit(gr.mask, k) {
			continue
		}
		stride = math.Inf(1)
		for i := range x.accs {
			a := &x.accs[i]
			if int(a.group) != g {
				continue
			}
			moves := false
			for d := range a.index {
				if hasBit(x.dims[int(a.d0)+d].mask, k) {
					moves = true
				}
			}
			if moves {
				stride = min(stride, math.Abs(x.flatCoef(a, k)))
			}
		}
		if stride == 0 || math.IsInf(stride, 0) {
			stride = 1
		}
		lines = max(x.prod[k+1]*min(1, stride*eb/CacheLine), 1)
		break
	}

	uniqueLines := gr.uniqueLines

	// Reuse: the innermost loop that does not move the address, or the
	// innermost loop under which an earlier store accessed the buffer.
	p, count := x.serialLevel(buf, depth)
	kind, disIter, disBytes, ct := reuseNone, 0.0, 0.0, 0.0
	for k := depth - 1; k >= 0; k-- {
		if !hasBit(gr.mask, k) {
			kind, ct = reuseLoop, float64(x.loops[k].ext)
			disIter, disBytes = x.suf[k+1], x.allFootprintBytes(k+1)
			break
		}
		if p > 0 && k == p-1 {
			kind, ct = reuseSerial, float64(count)
			disIter, disBytes = x.suf[p], x.allFootprintBytes(p)
			break
		}
	}
	out[bReuseLoop+kind] = 1

	out[bBytes] = slog(gr.bytes)
	out[bUniqueBytes] = slog(gr.unique)
	out[bLines] = slog(lines)
	out[bUniqueLines] = slog(uniqueLines)
	out[bReuseDisIter] = slog(disIter)
	out[bReuseDisBytes] = slog(disBytes)
	out[bReuseCt] = slog(ct)
	if kind != reuseNone {
		// Where the reused data is read from: the footprint between two
		// uses fits the L1 (or the L2) cache of the target.
		out[bReuseL1] = oneIf(disBytes <= float64(x.m.L1))
		out[bReuseL2] = oneIf(disBytes <= float64(x.m.L2))
	}
	div := 0.5
	if ct > 0.5 {
		div = ct
	}
	out[bBytesDReuseCt] = slog(gr.bytes / div)
	out[bUniqueBytesDReuseCt] = slog(gr.unique / div)
	out[bLinesDReuseCt] = slog(lines / div)
	out[bUniqueLinesDReuseCt] = slog(uniqueLines / div)
	out[bStride] = slog(stride)
	if gr.unique > 0 {
		out[bBytesDUniqueBytes] = slog(gr.bytes / gr.unique)
	}
	out[bLinesDUniqueLines] = slog(lines / uniqueLines)
}

// uniqueLines estimates the distinct cache lines of buf touched, from
// the box of the touched region (box, per dimension) and the number of
// distinct elements: the box's contiguous runs, each rounded up to lines.
func (x *extractor) uniqueLines(buf *ir.Buffer, elems float64, box []float64) float64 {
	eb := elemBytes(buf.DType)
	nd := len(buf.Shape)
	boxElems, run := 1.0, 1.0
	for d := range nd {
		boxElems *= box[d]
	}
	if nd > 0 && strideOf(buf, nd-1) == 1 {
		run = box[nd-1]
		for d := nd - 2; d >= 0; d-- {
			if box[d+1] != float64(buf.Shape[d+1]) || strideOf(buf, d) != strideOf(buf, d+1)*buf.Shape[d+1] {
				break
			}
			run *= box[d]
		}
	}
	lines := boxElems / run * math.Ceil(run*eb/CacheLine)
	lines = min(lines, elems*math.Ceil(eb/CacheLine))
	lines = min(lines, math.Ceil(bufBytes(buf)/CacheLine))
	return max(lines, 1)
}

// serialLevel finds the earlier accesses to buf that share loops with the
// current store: p is the most loops shared (0 when none), count how many
// earlier stores share that many.
func (x *extractor) serialLevel(buf *ir.Buffer, depth int) (p, count int) {
	for _, h := range x.hist {
		if h.buf != buf {
			continue
		}
		path := x.paths[h.off : h.off+h.n]
		q := 0
		for q < len(path) && q < depth && path[q] == x.loops[q].id {
			q++
		}
		switch {
		case q > p:
			p, count = q, 1
		case q == p:
			count++
		}
	}
	if p == 0 {
		count = 0
	}
	return p, count
}
