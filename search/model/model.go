package model

import (
	"math"
	"slices"
)

// treeGroup trees are walked at once, so that their loads overlap.
const treeGroup = 8

// Program is one training sample: the feature rows of a lowered program
// (one per innermost statement, all of the same width), its target
// (normalized throughput, 0 for a failed program) and its weight (>= 0; a
// program of weight 0 is ignored).
type Program struct {
	Rows   [][]float32
	Target float32
	Weight float32
}

// Model is a trained cost model: an ensemble of regression trees over rows
// of NumFeatures features. A Model is immutable; its methods are safe for
// concurrent use.
type Model struct {
	nfeat int
	base  float32 // the initial score of every row
	roots []int32 // the root node of each tree
	depth []int32 // the depth of each tree's deepest leaf
	// groupDepth is the depth of each group of treeGroup trees, which
	// prediction walks together.
	groupDepth []int32
	nodes      []node // the nodes of all trees
}

// node is one tree node. An internal node sends a row x to left when
// x[feature] < threshold, to left+1 when x[feature] >= threshold, and a NaN
// to the side its default-left bit says. The threshold is kept as its key
// (see key), so that a step down a tree is integer arithmetic without a
// branch. A leaf is its own left child with the greatest key, so that every
// row stays there, and its score in value: every row takes the same number
// of steps down a tree, and several trees are walked at once.
type node struct {
	fd    uint32 // feature index | defaultLeft<<31
	tk    uint32 // key(threshold)
	left  int32
	value float32
}

const (
	defaultLeftBit = 1 << 31
	featureMask    = defaultLeftBit - 1
	leafKey        = math.MaxUint32 // above the key of every number
)

// key maps a float32 that is not NaN to a uint32 of the same order:
// a < b if and only if key(a) < key(b), with -0 below +0.
func key(v float32) uint32 {
	b := math.Float32bits(v)
	return b ^ (uint32(int32(b)>>31) | 1<<31)
}

// unkey is the inverse of key.
func unkey(k uint32) float32 {
	if k&(1<<31) != 0 {
		return math.Float32frombits(k &^ (1 << 31))
	}
	return math.Float32frombits(^k)
}

// step is 1 when x (a key) is at least threshold key tk, else 0.
func step(x, tk uint32) int32 {
	return int32(((uint64(x) - uint64(tk)) >> 63) ^ 1)
}

func (n *node) isLeaf(i int32) bool { return n.left == i }

func leafNode(i int32, value float32) node {
	return node{tk: leafKey, left: i, value: value}
}

// setDepths computes the depth of every tree, and of every group of
// treeGroup trees; nodes must be valid.
func (m *Model) setDepths() {
	m.depth = make([]int32, len(m.roots))
	d := make([]int32, len(m.nodes))
	for t, root := range m.roots {
		end := int32(len(m.nodes))
		if t+1 < len(m.roots) {
			end = m.roots[t+1]
		}
		d[root] = 0
		for i := root; i < end; i++ {
			if n := &m.nodes[i]; !n.isLeaf(i) {
				d[n.left], d[n.left+1] = d[i]+1, d[i]+1
				m.depth[t] = max(m.depth[t], d[i]+1)
			}
		}
	}
	m.groupDepth = make([]int32, len(m.roots)/treeGroup)
	for g := range m.groupDepth {
		m.groupDepth[g] = slices.Max(m.depth[g*treeGroup : (g+1)*treeGroup])
	}
}

// NumFeatures is the width of the rows the model was trained on.
func (m *Model) NumFeatures() int { return m.nfeat }

// NumTrees is the number of trees in the model.
func (m *Model) NumTrees() int { return len(m.roots) }

// NumNodes is the number of nodes of all trees together.
func (m *Model) NumNodes() int { return len(m.nodes) }

// Predict is the score of a program: the sum of the scores of its rows
// (0 for a program with no rows). A higher score means a faster program.
// A row shorter than NumFeatures is read as if the missing features were
// NaN; extra features are ignored.
func (m *Model) Predict(rows [][]float32) float32 {
	if m == nil {
		return 0
	}
	var s float64
	for _, x := range rows {
		s += m.predictRow(x)
	}
	return float32(s)
}

// PredictBatch is Predict of each program.
func (m *Model) PredictBatch(progs [][][]float32) []float32 {
	out := make([]float32, len(progs))
	for i, rows := range progs {
		out[i] = m.Predict(rows)
	}
	return out
}

// predictRow is the score of one row.
func (m *Model) predictRow(x []float32) float64 {
	if len(x) < m.nfeat {
		return m.predictSlow(x)
	}
	x = x[:m.nfeat]
	for _, v := range x {
		if v != v {
			return m.predictSlow(x)
		}
	}
	nodes := m.nodes
	s := float64(m.base)
	t := 0
	for g, d := range m.groupDepth {
		r := m.roots[g*treeGroup : (g+1)*treeGroup : (g+1)*treeGroup]
		i0, i1, i2, i3, i4, i5, i6, i7 := r[0], r[1], r[2], r[3], r[4], r[5], r[6], r[7]
		for range d {
			n0, n1, n2, n3 := &nodes[i0], &nodes[i1], &nodes[i2], &nodes[i3]
			n4, n5, n6, n7 := &nodes[i4], &nodes[i5], &nodes[i6], &nodes[i7]
			i0 = n0.left + step(key(x[n0.fd&featureMask]), n0.tk)
			i1 = n1.left + step(key(x[n1.fd&featureMask]), n1.tk)
			i2 = n2.left + step(key(x[n2.fd&featureMask]), n2.tk)
			i3 = n3.left + step(key(x[n3.fd&featureMask]), n3.tk)
			i4 = n4.left + step(key(x[n4.fd&featureMask]), n4.tk)
			i5 = n5.left + step(key(x[n5.fd&featureMask]), n5.tk)
			i6 = n6.left + step(key(x[n6.fd&featureMask]), n6.tk)
			i7 = n7.left + step(key(x[n7.fd&featureMask]), n7.tk)
		}
		s += float64(nodes[i0].value) + float64(nodes[i1].value) +
			float64(nodes[i2].value) + float64(nodes[i3].value) +
			float64(nodes[i4].value) + float64(nodes[i5].value) +
			float64(nodes[i6].value) + float64(nodes[i7].value)
		t += treeGroup
	}
	for ; t < len(m.roots); t++ {
		i := m.roots[t]
		for range m.depth[t] {
			n := &nodes[i]
			i = n.left + step(key(x[n.fd&featureMask]), n.tk)
		}
		s += float64(nodes[i].value)
	}
	return s
}

// predictSlow is the score of a row with NaNs or missing features.
func (m *Model) predictSlow(x []float32) float64 {
	s := float64(m.base)
	for _, root := range m.roots {
		i := root
		for {
			n := &m.nodes[i]
			if n.isLeaf(i) {
				s += float64(n.value)
				break
			}
			v := float32(math.NaN())
			if f := int(n.fd & featureMask); f < len(x) {
				v = x[f]
			}
			switch {
			case v == v:
				i = n.left + step(key(v), n.tk)
			case n.fd&defaultLeftBit != 0:
				i = n.left
			default:
				i = n.left + 1
			}
		}
	}
	return s
}
