package model

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
)

// maxBinRows is the most rows the bin boundaries are computed from; larger
// training sets are sampled evenly.
const maxBinRows = 1 << 16

// Train fits a model to programs: the sum of the model's scores of a
// program's rows approximates the program's target, in weighted squared
// error. See the package documentation.
//
// Programs with weight 0 or no rows are ignored. Train fails on invalid
// parameters, no programs, rows of different widths, rows with no features,
// a target that is not finite, a weight that is negative or not finite, or
// no program with rows and a positive weight. NaN feature values are allowed
// and mean "missing".
func Train(progs []Program, p Params) (*Model, error) {
	if err := p.Validate(); err != nil {
		return nil, err
	}
	t, err := newTrainer(progs, p)
	if err != nil {
		return nil, err
	}
	return t.train(), nil
}

// gh is one histogram bin: sums of gradients and hessians.
type gh struct{ g, h float64 }

// tsplit is the training-side form of an internal node of the tree being
// grown: the usable feature and the highest bin that goes left.
type tsplit struct {
	j       int32
	bin     uint8
	defLeft bool
}

// splitInfo is a candidate split of a node.
type splitInfo struct {
	ok      bool
	j       int32 // usable feature
	bin     int   // rows with bin <= bin go left
	defLeft bool  // where missing values go
	gain    float64
	gl, hl  float64 // gradient and hessian sums of the left child
}

type trainer struct {
	p     Params
	nfeat int

	// Programs kept for training (rows and a positive weight).
	progW, progY, progPred []float64
	progG                  []float64

	// Rows of the kept programs.
	n       int
	rowProg []int32

	// Binned features: only features with at least two distinct values
	// ("usable") are kept; bins is row-major, n × nu.
	feats   []int32     // original index of each usable feature
	cuts    [][]float32 // bin boundaries of each usable feature
	nu      int
	bins    []uint8
	missing uint8 // the bin code of NaN (== Bins)
	emptyH  float64

	// The same rows, sparse: each feature's most frequent bin (its mode,
	// mostly the bin of 0) is left out, and histograms get it from the
	// node's sums. Row r's entries, usable feature<<8 | slot, are
	// sparse[spOff[r]:spOff[r+1]]. A feature with nb bins has nb+1
	// histogram slots: its bins, then missing.
	mode   []uint8 // dense bin code of each feature's mode
	sparse []uint32
	spOff  []int

	rng     *rand.Rand
	g, h    []float64 // per-row gradient and hessian of the current round
	idx     []int32   // sampled rows of the current tree, grouped by node
	scratch []int32
	perm    []int32
	cols    []int32 // usable features the current tree may split on
	colPos  []int32 // position of each usable feature in cols, or -1
	histOff []int   // where each of cols starts in a histogram; then its length
	maxHist int     // the length of a histogram of all usable features
	pool    [][]gh

	tree   []node    // the tree being grown (local indices)
	leafOf []int32   // the leaf of each row in the new tree
	delta  []float64 // the new tree's change of each program's sum
	splits []tsplit

	nodes []node
	roots []int32
}

func newTrainer(progs []Program, p Params) (*trainer, error) {
	if len(progs) == 0 {
		return nil, errors.New("model: no programs to train on")
	}
	nfeat, firstProg := -1, -1
	for i, pr := range progs {
		if math.IsNaN(float64(pr.Target)) || math.IsInf(float64(pr.Target), 0) {
			return nil, fmt.Errorf("model: program %d has target %v, want a finite number", i, pr.Target)
		}
		if !(pr.Weight >= 0) || math.IsInf(float64(pr.Weight), 0) {
			return nil, fmt.Errorf("model: program %d has weight %v, want a finite number >= 0", i, pr.Weight)
		}
		for r, row := range pr.Rows {
			if nfeat < 0 {
				nfeat, firstProg = len(row), i
				if nfeat == 0 {
					return nil, fmt.Errorf("model: program %d row %d has no features", i, r)
				}
			}
			if len(row) != nfeat {
				return nil, fmt.Errorf("model: program %d row %d has %d features, want %d (as the first row of program %d)",
					i, r, len(row), nfeat, firstProg)
			}
		}
	}
	if nfeat < 0 {
		return nil, errors.New("model: no program has rows")
	}
	t := &trainer{p: p, nfeat: nfeat, rng: rand.New(rand.NewPCG(p.Seed, 0x7461627475_6e65))}

	// Keep programs with rows and a positive weight; rescale weights to mean 1.
	var rows [][]float32
	var wsum float64
	for _, pr := range progs {
		if pr.Weight > 0 && len(pr.Rows) > 0 {
			wsum += float64(pr.Weight)
		}
	}
	if wsum == 0 {
		return nil, errors.New("model: every program with rows has weight 0 (set Program.Weight, e.g. to 1)")
	}
	var kept int
	for _, pr := range progs {
		if pr.Weight > 0 && len(pr.Rows) > 0 {
			kept++
		}
	}
	scale := float64(kept) / wsum
	minW := math.Inf(1)
	for _, pr := range progs {
		if !(pr.Weight > 0) || len(pr.Rows) == 0 {
			continue
		}
		k := int32(len(t.progW))
		w := float64(pr.Weight) * scale
		minW = min(minW, w)
		t.progW = append(t.progW, w)
		t.progY = append(t.progY, float64(pr.Target))
		for _, row := range pr.Rows {
			rows = append(rows, row)
			t.rowProg = append(t.rowProg, k)
		}
	}
	t.emptyH = minW / 2
	t.n = len(rows)
	if t.n > math.MaxInt32 {
		return nil, fmt.Errorf("model: %d rows, at most %d can be trained on", t.n, math.MaxInt32)
	}

	t.bin(rows)
	return t, nil
}

// bin computes the bin boundaries of every feature and the binned rows.
func (t *trainer) bin(rows [][]float32) {
	n, bins := t.n, t.p.Bins
	sample := rows
	if n > maxBinRows {
		sample = make([][]float32, maxBinRows)
		for i := range sample {
			sample[i] = rows[int(int64(i)*int64(n)/maxBinRows)]
		}
	}
	col := make([]float32, 0, len(sample))
	for f := 0; f < t.nfeat; f++ {
		col = col[:0]
		for _, row := range sample {
			if v := row[f]; v == v {
				col = append(col, v)
			}
		}
		if c := quantileCuts(col, bins); len(c) > 0 {
			t.feats = append(t.feats, int32(f))
			t.cuts = append(t.cuts, c)
		}
	}
	t.nu = len(t.feats)
	t.missing = uint8(bins)
	stride := bins + 1
	t.bins = make([]uint8, n*t.nu)
	counts := make([]int, t.nu*stride)
	for r, row := range rows {
		out := t.bins[r*t.nu : (r+1)*t.nu]
		for j, f := range t.feats {
			c := binOf(t.cuts[j], row[f], t.missing)
			out[j] = c
			counts[j*stride+int(c)]++
		}
	}
	t.mode = make([]uint8, t.nu)
	nnz := 0
	for j := range t.mode {
		cj := counts[j*stride : (j+1)*stride]
		m := 0
		for c, k := range cj {
			if k > cj[m] {
				m = c
			}
		}
		t.mode[j] = uint8(m)
		nnz += n - cj[m]
	}
	t.sparse = make([]uint32, 0, nnz)
	t.spOff = make([]int, n+1)
	for r := range n {
		for j, c := range t.bins[r*t.nu : (r+1)*t.nu] {
			if c != t.mode[j] {
				t.sparse = append(t.sparse, uint32(j)<<8|uint32(t.slot(j, c)))
			}
		}
		t.spOff[r+1] = len(t.sparse)
	}
}

// slot is the histogram slot of dense bin code c of usable feature j.
func (t *trainer) slot(j int, c uint8) int {
	if c == t.missing {
		return len(t.cuts[j]) + 1
	}
	return int(c)
}

// binOf is the bin of v: the number of cuts <= v, or missing for NaN.
func binOf(cuts []float32, v float32, missing uint8) uint8 {
	if v != v {
		return missing
	}
	lo, hi := 0, len(cuts)
	for lo < hi {
		m := int(uint(lo+hi) >> 1)
		if cuts[m] <= v {
			lo = m + 1
		} else {
			hi = m
		}
	}
	return uint8(lo)
}

// quantileCuts sorts vals (no NaN) and returns at most maxBins-1 strictly
// increasing cuts between distinct values, so that the bins hold about
// equal numbers of values; a value with many copies gets a bin of its own.
// Each cut c lies between two neighbouring distinct values a < b with
// a < c <= b. No cuts means vals has fewer than two distinct values.
func quantileCuts(vals []float32, maxBins int) []float32 {
	slices.Sort(vals)
	var distinct []float32
	var counts []int
	for i, v := range vals {
		if i == 0 || v != vals[i-1] {
			distinct = append(distinct, v)
			counts = append(counts, 0)
		}
		counts[len(counts)-1]++
	}
	d := len(distinct)
	if d < 2 {
		return nil
	}
	var cuts []float32
	remaining, binsLeft, acc := len(vals), maxBins, 0
	for i := 0; i < d-1 && binsLeft > 1; i++ {
		acc += counts[i]
		if acc*binsLeft >= remaining || d-i <= binsLeft {
			cuts = append(cuts, between(distinct[i], distinct[i+1]))
			remaining -= acc
			acc = 0
			binsLeft--
		}
	}
	return cuts
}

// between is a threshold c with a < c <= b, for a < b: their midpoint where
// it is representable and finite. It is never +0, so that x < c holds for
// x = -0 exactly when it does for +0, as for prediction's keys.
func between(a, b float32) float32 {
	c := float32((float64(a) + float64(b)) / 2)
	if !(c > a && c <= b) || math.IsInf(float64(c), 0) {
		c = math.Nextafter32(a, float32(math.Inf(1)))
	}
	if c == 0 {
		if b > 0 {
			c = math.Nextafter32(0, 1) // a < 0 < b
		} else {
			c = float32(math.Copysign(0, -1)) // a < 0 == b
		}
	}
	return c
}

func (t *trainer) train() *Model {
	p := t.p
	np := len(t.progW)
	// The best constant per-row score: argmin_b Σ w (n b - y)².
	counts := make([]float64, np)
	for _, k := range t.rowProg {
		counts[k]++
	}
	var num, den float64
	for k := range np {
		// The conversions keep a compiler from fusing multiply-adds, which
		// would make the model depend on the machine.
		num += float64(t.progW[k] * counts[k] * t.progY[k])
		den += float64(t.progW[k] * counts[k] * counts[k])
	}
	base := float32(num / den)
	t.progPred = make([]float64, np)
	t.progG = make([]float64, np)
	for k := range np {
		t.progPred[k] = float64(base) * counts[k]
	}

	t.g = make([]float64, t.n)
	t.leafOf = make([]int32, t.n)
	t.delta = make([]float64, np)
	t.h = make([]float64, t.n)
	t.idx = make([]int32, 0, t.n)
	t.scratch = make([]int32, t.n)
	t.perm = make([]int32, t.nu)
	ncols := min(t.nu, max(1, int(math.Round(p.ColSample*float64(t.nu)))))
	t.cols = make([]int32, ncols)
	t.colPos = make([]int32, t.nu)
	t.histOff = make([]int, ncols+1)
	for j := range t.nu {
		t.maxHist += len(t.cuts[j]) + 2
	}

	for range p.Trees {
		for k := range np {
			t.progG[k] = t.progW[k] * (t.progPred[k] - t.progY[k])
		}
		for r, k := range t.rowProg {
			t.g[r] = t.progG[k]
			t.h[r] = t.progW[k]
		}
		t.sample()
		t.growTree()
		t.update()
		off := int32(len(t.nodes))
		t.roots = append(t.roots, off)
		for i, nd := range t.tree {
			if nd.left < 0 {
				nd = leafNode(off+int32(i), nd.value)
			} else {
				nd.left += off
			}
			t.nodes = append(t.nodes, nd)
		}
	}
	m := &Model{
		nfeat: t.nfeat,
		base:  base,
		roots: slices.Clip(t.roots),
		nodes: slices.Clip(t.nodes),
	}
	m.setDepths()
	return m
}

// sample picks the rows and features of the next tree.
func (t *trainer) sample() {
	t.idx = t.idx[:0]
	if t.p.Subsample >= 1 {
		for r := range t.n {
			t.idx = append(t.idx, int32(r))
		}
	} else {
		for r := range t.n {
			if t.rng.Float64() < t.p.Subsample {
				t.idx = append(t.idx, int32(r))
			}
		}
	}
	defer func() {
		for k, j := range t.cols {
			t.histOff[k+1] = t.histOff[k] + len(t.cuts[j]) + 2
		}
	}()
	if len(t.cols) == t.nu {
		for j := range t.cols {
			t.cols[j] = int32(j)
			t.colPos[j] = int32(j)
		}
		return
	}
	for j := range t.perm {
		t.perm[j] = int32(j)
		t.colPos[j] = -1
	}
	for i := range t.cols {
		j := i + t.rng.IntN(t.nu-i)
		t.perm[i], t.perm[j] = t.perm[j], t.perm[i]
	}
	copy(t.cols, t.perm)
	slices.Sort(t.cols)
	for k, j := range t.cols {
		t.colPos[j] = int32(k)
	}
}

func (t *trainer) growTree() {
	t.tree = append(t.tree[:0], node{})
	t.splits = append(t.splits[:0], tsplit{})
	var G, H float64
	for _, r := range t.idx {
		G += t.g[r]
		H += t.h[r]
	}
	if !t.canSplit(0, len(t.idx), H) {
		t.setLeaf(0, 0, len(t.idx))
		return
	}
	hist := t.getHist()
	G, H = t.buildHist(hist, t.idx)
	t.grow(0, 0, len(t.idx), hist, G, H, 0)
}

func (t *trainer) canSplit(depth, rows int, H float64) bool {
	return depth < t.p.MaxDepth && rows >= 2 && H >= 2*t.p.MinChildWeight && len(t.cols) > 0
}

// setLeaf makes node i, with rows idx[lo:hi], a leaf. Its value is the
// Newton step of the pack-sum loss in that one value: a program with k rows
// in the leaf moves its sum by k times the value, so it adds k·g_p to the
// gradient and k²·w_p to the hessian (not k·w_p, as its rows' hessians sum
// to: that would overshoot by up to k times for programs of many similar
// rows). Rows of a program are neighbours in idx, as partitions are stable.
func (t *trainer) setLeaf(i int32, lo, hi int) {
	var G, H float64
	rows := t.idx[lo:hi]
	for a := 0; a < len(rows); {
		p := t.rowProg[rows[a]]
		b := a + 1
		for b < len(rows) && t.rowProg[rows[b]] == p {
			b++
		}
		k := float64(b - a)
		G += float64(k * t.progG[p])
		H += float64(k * k * t.progW[p])
		a = b
	}
	var v float64
	if d := H + t.p.Lambda; d > 0 {
		v = -G / d * t.p.LearningRate
	}
	t.tree[i] = node{left: -1, value: float32(v)}
}

// grow splits node i, whose rows are idx[lo:hi] with histogram hist (which
// grow takes over) and sums G and H, or makes it a leaf.
func (t *trainer) grow(i int32, lo, hi int, hist []gh, G, H float64, depth int) {
	s := t.findSplit(hist, G, H)
	if !s.ok {
		t.putHist(hist)
		t.setLeaf(i, lo, hi)
		return
	}
	mid := t.partition(lo, hi, s)
	if mid == lo || mid == hi { // only through rounding; never split off nothing
		t.putHist(hist)
		t.setLeaf(i, lo, hi)
		return
	}
	left := int32(len(t.tree))
	t.tree = append(t.tree, node{}, node{})
	t.splits = append(t.splits, tsplit{}, tsplit{})
	fd := uint32(t.feats[s.j])
	if s.defLeft {
		fd |= defaultLeftBit
	}
	t.tree[i] = node{fd: fd, tk: key(t.cuts[s.j][s.bin]), left: left}
	t.splits[i] = tsplit{j: s.j, bin: uint8(s.bin), defLeft: s.defLeft}

	// Child sums: those of the split's scan, then, where a child's
	// histogram is built, the exact sums over its rows.
	gl, hl := s.gl, s.hl
	gr, hr := G-gl, H-hl
	splitL := t.canSplit(depth+1, mid-lo, hl)
	splitR := t.canSplit(depth+1, hi-mid, hr)
	var histL, histR []gh
	switch {
	case !splitL && !splitR:
		t.putHist(hist)
	case splitL && !splitR && mid-lo <= hi-mid:
		gl, hl = t.buildHist(hist, t.idx[lo:mid])
		histL = hist
	case splitR && !splitL && hi-mid <= mid-lo:
		gr, hr = t.buildHist(hist, t.idx[mid:hi])
		histR = hist
	case mid-lo <= hi-mid: // build the smaller child, subtract for the other
		small := t.getHist()
		gl, hl = t.buildHist(small, t.idx[lo:mid])
		gr, hr = G-gl, H-hl
		t.subtract(hist, small)
		histL, histR = small, hist
	default:
		small := t.getHist()
		gr, hr = t.buildHist(small, t.idx[mid:hi])
		gl, hl = G-gr, H-hr
		t.subtract(hist, small)
		histL, histR = hist, small
	}
	if !splitL && histL != nil {
		t.putHist(histL)
	}
	if !splitR && histR != nil {
		t.putHist(histR)
	}
	if splitL {
		t.grow(left, lo, mid, histL, gl, hl, depth+1)
	} else {
		t.setLeaf(left, lo, mid)
	}
	if splitR {
		t.grow(left+1, mid, hi, histR, gr, hr, depth+1)
	} else {
		t.setLeaf(left+1, mid, hi)
	}
}

// findSplit is the best split of a node with histogram hist and sums G, H.
func (t *trainer) findSplit(hist []gh, G, H float64) splitInfo {
	lam, mcw, empty := t.p.Lambda, t.p.MinChildWeight, t.emptyH
	parent := G * G / (H + lam)
	best := splitInfo{gain: t.p.Gamma}
	try := func(j int32, b int, defLeft bool, gl, hl float64) {
		gr, hr := G-gl, H-hl
		if hl < mcw || hr < mcw {
			return
		}
		sl, sr := gl*gl/(hl+lam), gr*gr/(hr+lam)
		gain := sl + sr - parent
		if gain > best.gain && gain > 1e-10*(sl+sr+parent) {
			best = splitInfo{ok: true, j: j, bin: b, defLeft: defLeft, gain: gain, gl: gl, hl: hl}
		}
	}
	for k, j := range t.cols {
		hs := hist[t.histOff[k]:t.histOff[k+1]]
		nb := len(hs) - 1
		miss := hs[nb]
		hasMiss := miss.h >= empty
		last := nb - 1
		for last >= 0 && hs[last].h < empty {
			last--
		}
		var gl, hl float64
		for b := 0; b < last; b++ {
			e := hs[b]
			if e.h < empty {
				continue // the same partition as the last non-empty bin
			}
			gl += e.g
			hl += e.h
			if hasMiss {
				try(j, b, false, gl, hl)
				try(j, b, true, gl+miss.g, hl+miss.h)
			} else {
				// No missing values here: send them to the heavier side.
				try(j, b, hl >= H-hl, gl, hl)
			}
		}
	}
	return best
}

// goesLeft reports whether a row with bin code c goes left at split s.
func (t *trainer) goesLeft(c, bin uint8, defLeft bool) bool {
	if c == t.missing {
		return defLeft
	}
	return c <= bin
}

// partition reorders idx[lo:hi] (stably) into the rows that go left, then
// those that go right, and returns where the right ones start.
func (t *trainer) partition(lo, hi int, s splitInfo) int {
	rows := t.idx[lo:hi]
	nu, j, bin := t.nu, int(s.j), uint8(s.bin)
	nl, nr := 0, 0
	for _, r := range rows {
		if t.goesLeft(t.bins[int(r)*nu+j], bin, s.defLeft) {
			rows[nl] = r
			nl++
		} else {
			t.scratch[nr] = r
			nr++
		}
	}
	copy(rows[nl:], t.scratch[:nr])
	return lo + nl
}

// update adds the new tree's scores to every training program. First it
// checks the tree's step against the best step in its direction: each leaf
// value is a Newton step as if the other leaves stayed, and a program with
// rows in many leaves can move by the sum of several such steps. Where the
// best multiple of the tree's unshrunk values is m < 1, the values are
// scaled by m, so that the loss of the sums never grows however many leaves
// share a program.
func (t *trainer) update() {
	nu := t.nu
	for r := range t.rowProg {
		rb := t.bins[r*nu : (r+1)*nu]
		i := int32(0)
		for t.tree[i].left >= 0 {
			s := t.splits[i]
			if t.goesLeft(rb[s.j], s.bin, s.defLeft) {
				i = t.tree[i].left
			} else {
				i = t.tree[i].left + 1
			}
		}
		t.leafOf[r] = i
	}
	t.deltas()
	var num, den float64
	for k, d := range t.delta {
		num += float64(t.progG[k] * d)
		den += float64(t.progW[k] * d * d)
	}
	if den > 0 {
		if m := -num / den * t.p.LearningRate; m < 1 {
			m = max(m, 0)
			for i := range t.tree {
				if t.tree[i].left < 0 {
					t.tree[i].value = float32(float64(t.tree[i].value) * m)
				}
			}
			t.deltas()
		}
	}
	for k, d := range t.delta {
		t.progPred[k] += d
	}
}

// deltas sets delta to how much the new tree moves each program's sum.
func (t *trainer) deltas() {
	clear(t.delta)
	for r, k := range t.rowProg {
		t.delta[k] += float64(t.tree[t.leafOf[r]].value)
	}
}

func (t *trainer) getHist() []gh {
	if n := len(t.pool); n > 0 {
		h := t.pool[n-1]
		t.pool = t.pool[:n-1]
		return h[:t.histOff[len(t.cols)]]
	}
	return make([]gh, t.histOff[len(t.cols)], t.maxHist)
}

func (t *trainer) putHist(h []gh) { t.pool = append(t.pool, h) }

// buildHist sets h to the histogram of rows over the current tree's
// features and returns the sums of their gradients and hessians.
func (t *trainer) buildHist(h []gh, rows []int32) (G, H float64) {
	clear(h)
	off, colPos := t.histOff, t.colPos
	all := len(t.cols) == t.nu
	for _, r := range rows {
		g, hh := t.g[r], t.h[r]
		G += g
		H += hh
		ents := t.sparse[t.spOff[r]:t.spOff[r+1]]
		if all {
			for _, e := range ents {
				p := &h[off[e>>8]+int(e&0xff)]
				p.g += g
				p.h += hh
			}
			continue
		}
		for _, e := range ents {
			if k := colPos[e>>8]; k >= 0 {
				p := &h[off[k]+int(e&0xff)]
				p.g += g
				p.h += hh
			}
		}
	}
	// Each feature's mode bin holds what the other bins do not.
	for k, j := range t.cols {
		hs := h[off[k]:off[k+1]]
		var sg, sh float64
		for _, e := range hs {
			sg += e.g
			sh += e.h
		}
		e := &hs[t.slot(int(j), t.mode[j])]
		if e.g, e.h = G-sg, H-sh; e.h < t.emptyH {
			*e = gh{}
		}
	}
	return G, H
}

// subtract sets parent to parent - child; bins left with (nearly) no
// hessian are cleared, so that rounding never makes an empty bin look full.
func (t *trainer) subtract(parent, child []gh) {
	empty := t.emptyH
	for i := range parent {
		e := &parent[i]
		e.g -= child[i].g
		e.h -= child[i].h
		if e.h < empty {
			*e = gh{}
		}
	}
}
