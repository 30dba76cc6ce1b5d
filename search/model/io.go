package model

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"hash"
	"hash/crc32"
	"io"
	"math"
)

// The binary form written by Save, all little-endian:
//
//	magic    [12]byte "tabtune-gbdt"
//	version  uint32   (FormatVersion)
//	features uint32
//	base     float32  the initial score of every row
//	trees    uint32
//	nodes    uint32
//	roots    [trees]uint32
//	nodes    [nodes]{feature|defaultLeft<<31 uint32, threshold float32, left int32, value float32}
//	crc      uint32   CRC-32 (IEEE) of every byte before it
const (
	magic = "tabtune-gbdt"
	// FormatVersion is the version of the binary form that Save writes
	// and Load reads.
	FormatVersion = 1

	maxFeatures = 1 << 24
	maxTrees    = 1 << 24
	maxNodes    = 1 << 30
	headerSize  = len(magic) + 5*4
	nodeSize    = 16
)

// Save writes the model in its binary form (see FormatVersion).
func (m *Model) Save(w io.Writer) error {
	if m == nil {
		return errors.New("model: save: nil model")
	}
	crc := crc32.NewIEEE()
	bw := bufio.NewWriter(io.MultiWriter(w, crc))
	var buf [nodeSize]byte
	le := binary.LittleEndian
	bw.WriteString(magic)
	for _, v := range []uint32{FormatVersion, uint32(m.nfeat), math.Float32bits(m.base), uint32(len(m.roots)), uint32(len(m.nodes))} {
		le.PutUint32(buf[:4], v)
		bw.Write(buf[:4])
	}
	for _, r := range m.roots {
		le.PutUint32(buf[:4], uint32(r))
		bw.Write(buf[:4])
	}
	for i, n := range m.nodes {
		thr := unkey(n.tk)
		if n.isLeaf(int32(i)) {
			n, thr = node{left: -1, value: n.value}, 0
		}
		le.PutUint32(buf[0:], n.fd)
		le.PutUint32(buf[4:], math.Float32bits(thr))
		le.PutUint32(buf[8:], uint32(n.left))
		le.PutUint32(buf[12:], math.Float32bits(n.value))
		bw.Write(buf[:])
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("model: save: %w", err)
	}
	le.PutUint32(buf[:4], crc.Sum32())
	if _, err := w.Write(buf[:4]); err != nil {
		return fmt.Errorf("model: save: %w", err)
	}
	return nil
}

// crcReader reads from r and hashes what it read.
type crcReader struct {
	r   io.Reader
	crc hash.Hash32
}

func (c *crcReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.crc.Write(p[:n])
	return n, err
}

// Load reads a model written by Save. It reads exactly the model's bytes
// from r. It rejects data that is not a tabtune model, another format
// version, and damaged or truncated data, with an error that says which.
func Load(r io.Reader) (*Model, error) {
	cr := &crcReader{r: r, crc: crc32.NewIEEE()}
	le := binary.LittleEndian
	fail := func(err error) (*Model, error) {
		if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
			return nil, errors.New("model: load: truncated model data")
		}
		return nil, fmt.Errorf("model: load: %w", err)
	}
	var hdr [headerSize]byte
	if _, err := io.ReadFull(cr, hdr[:len(magic)]); err != nil {
		return fail(err)
	}
	if string(hdr[:len(magic)]) != magic {
		return nil, errors.New("model: load: not a tabtune cost model (bad magic)")
	}
	if _, err := io.ReadFull(cr, hdr[len(magic):]); err != nil {
		return fail(err)
	}
	u := func(i int) uint32 { return le.Uint32(hdr[len(magic)+4*i:]) }
	if v := u(0); v != FormatVersion {
		return nil, fmt.Errorf("model: load: model format version %d, this build reads version %d only (retrain the model)", v, FormatVersion)
	}
	nfeat, base, ntrees, nnodes := u(1), math.Float32frombits(u(2)), u(3), u(4)
	switch {
	case nfeat < 1 || nfeat > maxFeatures:
		return nil, fmt.Errorf("model: load: %d features, want 1 to %d", nfeat, maxFeatures)
	case ntrees > maxTrees:
		return nil, fmt.Errorf("model: load: %d trees, want at most %d", ntrees, maxTrees)
	case nnodes > maxNodes || nnodes < ntrees:
		return nil, fmt.Errorf("model: load: %d nodes for %d trees", nnodes, ntrees)
	case math.IsNaN(float64(base)) || math.IsInf(float64(base), 0):
		return nil, fmt.Errorf("model: load: base score %v is not finite", base)
	}
	m := &Model{nfeat: int(nfeat), base: base}

	// Read in chunks, so that a damaged count cannot allocate much before
	// the data runs out.
	const chunk = 1 << 16
	buf := make([]byte, max(4, nodeSize*min(chunk, int(max(ntrees, nnodes)))))
	for left := int(ntrees); left > 0; {
		k := min(left, len(buf)/4)
		if _, err := io.ReadFull(cr, buf[:4*k]); err != nil {
			return fail(err)
		}
		for i := range k {
			root := le.Uint32(buf[4*i:])
			if root >= nnodes {
				return nil, fmt.Errorf("model: load: tree %d has root %d of %d nodes", len(m.roots), root, nnodes)
			}
			m.roots = append(m.roots, int32(root))
		}
		left -= k
	}
	for left := int(nnodes); left > 0; {
		k := min(left, len(buf)/nodeSize)
		if _, err := io.ReadFull(cr, buf[:nodeSize*k]); err != nil {
			return fail(err)
		}
		for i := range k {
			b := buf[nodeSize*i:]
			n := node{
				fd:    le.Uint32(b[0:]),
				left:  int32(le.Uint32(b[8:])),
				value: math.Float32frombits(le.Uint32(b[12:])),
			}
			thr := math.Float32frombits(le.Uint32(b[4:]))
			n.tk = key(thr)
			i := int32(len(m.nodes))
			if err := checkNode(int(i), n, thr, nfeat, nnodes); err != nil {
				return nil, fmt.Errorf("model: load: node %d: %w", i, err)
			}
			if n.left < 0 {
				n = leafNode(i, n.value)
			}
			m.nodes = append(m.nodes, n)
		}
		left -= k
	}
	want := cr.crc.Sum32()
	if _, err := io.ReadFull(r, buf[:4]); err != nil {
		return fail(err)
	}
	if got := le.Uint32(buf[:4]); got != want {
		return nil, errors.New("model: load: checksum mismatch (damaged model data)")
	}
	if err := checkTrees(m); err != nil {
		return nil, fmt.Errorf("model: load: %w", err)
	}
	m.setDepths()
	return m, nil
}

// checkTrees reports whether the trees are laid out as Save writes them:
// roots increasing from 0, each tree's nodes from its root to the next
// root, each node but a root the child of exactly one node of its tree.
func checkTrees(m *Model) error {
	parents := make([]uint8, len(m.nodes))
	for t, root := range m.roots {
		end := int32(len(m.nodes))
		if t+1 < len(m.roots) {
			end = m.roots[t+1]
		}
		if (t == 0 && root != 0) || root >= end {
			return fmt.Errorf("tree %d: root %d out of order", t, root)
		}
		for i := root; i < end; i++ {
			if i != root && parents[i] != 1 {
				return fmt.Errorf("tree %d: node %d has %d parents, want 1", t, i, parents[i])
			}
			if n := &m.nodes[i]; !n.isLeaf(i) {
				if n.left+1 >= end {
					return fmt.Errorf("tree %d: node %d has children outside the tree", t, i)
				}
				parents[n.left]++
				parents[n.left+1]++
			}
		}
	}
	if len(m.roots) == 0 && len(m.nodes) > 0 {
		return errors.New("nodes without trees")
	}
	return nil
}

// checkNode reports why node i is not a valid node of a model: children
// always follow their parent, so traversal always ends.
func checkNode(i int, n node, thr float32, nfeat, nnodes uint32) error {
	if n.left < 0 {
		if n.left != -1 {
			return fmt.Errorf("bad child index %d", n.left)
		}
		if math.IsNaN(float64(n.value)) || math.IsInf(float64(n.value), 0) {
			return fmt.Errorf("leaf value %v is not finite", n.value)
		}
		return nil
	}
	if int(n.left) <= i || uint32(n.left)+1 >= nnodes {
		return fmt.Errorf("children %d, %d out of order or out of range (%d nodes)", n.left, n.left+1, nnodes)
	}
	if f := n.fd & featureMask; f >= nfeat {
		return fmt.Errorf("feature %d of %d", f, nfeat)
	}
	if math.IsNaN(float64(thr)) {
		return errors.New("threshold is NaN")
	}
	return nil
}
