package ops

import (
	"fmt"
	"strings"
)

// phaseConv is a transposed convolution, the scatter of a strided
// convolution: along each spatial dimension, element i of in adds
// in[i] * kernel[k] into output position i*stride - pad + k, for every
// kernel offset k, and the channels contract as a matrix product. It is
// t2d, and the data gradient of a strided c2d.
//
// Written as a gather over all kernel offsets, as topi writes it, most
// taps multiply a zero: output position h only collects the offsets k
// with h + pad - k a multiple of the stride, on average K/stride of the K.
// The phase decomposition (the sub-pixel convolution of Shi et al., 2016,
// and XNNPACK's subconvolutions) splits each output position into
// h = stride*y + py, with the phase py in [0, stride). Let pad = q*stride
// + r. Every output position of phase py collects the same offsets,
//
//	k = (py + r) % stride + stride*t,  t in [0, ceil(K/stride))
//
// from input row i = y + (py + r) // stride + q - t. So the program has one
// reduction over ceil(K/stride) taps per dimension, every index affine in
// y, and no test on the stride. With t reversed (ry = T-1-t) the input
// index is y + ry + a constant, like a stride-1 convolution's.
//
// Two kinds of taps still multiply zeros, and the program reads them from
// zero-padded copies rather than testing for them, so that its inner loops
// stay free of conditions (and vectorize): taps past the kernel when the
// stride does not divide K (a kernel padded to stride*ceil(K/stride)), and
// taps past the input's border (an input padded by a few rows and columns,
// as every convolution of the zoo pads it).
//
// The phases are a stage of their own, [N, CO, stride, stride,
// ceil(OH/stride), ceil(OW/stride)], indexed by (py, px, y, x), and a last
// stage interleaves them into the output [N, CO, OH, OW] (a copy, one
// element per output element, against CI*T*T multiply-adds). Where the
// stride does not divide OH, each phase has ceil(OH/stride) rows and the
// interleaving drops the ones past OH (they read the padded input, so they
// are defined). Phase-major,
// each phase is a plane whose rows are contiguous, so that the search can
// vectorize along x as it does a convolution's output rows; laid out
// [.., y, py, x, px], the same memory as the output, the innermost axis
// would be the phase, of extent stride, and the search's vectorization
// goes to the innermost axis (measured: 43 ms against 7.9 ms unvectorized
// for t2d at its defaults). With stride 1 there are no phases: one stage,
// the convolution with the kernel flipped.
type phaseConv struct {
	in, kernel, out string // tensor names
	inCh, outCh     string // the names of the input and output channel axes
	n, cin, cout    int64
	inHW            [2]int64 // the spatial size of in
	k               [2]int64 // the kernel's
	outHW           [2]int64 // the output's
	stride, pad     int64
}

// phaseDim is one spatial dimension of a phaseConv, worked out.
type phaseDim struct {
	grid   int64  // output positions per phase: ceil(out/stride)
	taps   int64  // T = ceil(K/stride)
	lo, hi int64  // padding of the input before and after
	inIdx  string // the index into the padded input
	kIdx   string // the index into the (padded) kernel
}

// dim works out spatial dimension d; y, py and ry name its output, phase
// and tap axes.
func (c phaseConv) dim(d int, y, py, ry string) phaseDim {
	s, k := c.stride, c.k[d]
	q, r := c.pad/s, c.pad%s
	t := (k + s - 1) / s
	g := (c.outHW[d] + s - 1) / s
	// The input row is y + carry + ry + q - (t-1), where carry is the
	// phase's (py + r) // stride, 0 or 1.
	carry, maxCarry := "", int64(0)
	if s > 1 && r > 0 {
		carry = fmt.Sprintf(" + (%s + %d) // %d", py, r, s)
		maxCarry = 1
	}
	lo := max(0, t-1-q)
	rows := max(c.inHW[d]+lo, g+maxCarry+q+lo) // the padded input's extent
	idx := y + carry
	if t > 1 {
		idx += " + " + ry
	}
	idx = shift(idx, -(q - (t - 1) + lo))
	// The kernel offset is residue + stride*(t-1) - stride*ry.
	var kIdx string
	switch {
	case s == 1:
		kIdx = fmt.Sprint(k - 1)
		if t > 1 {
			kIdx = fmt.Sprintf("%d - %s", k-1, ry)
		}
	default:
		kIdx = py
		if r > 0 {
			kIdx = fmt.Sprintf("(%s + %d) %% %d", py, r, s)
		}
		if t > 1 {
			kIdx = fmt.Sprintf("%s + %d - %s", kIdx, s*(t-1), scaled(ry, s))
		}
	}
	return phaseDim{grid: g, taps: t, lo: lo, hi: rows - c.inHW[d] - lo, inIdx: idx, kIdx: kIdx}
}

// phaseConv appends the stages of c: the padded input and kernel where
// they need padding, the convolution of all phases, and their interleaving
// into the output.
func (p *program) phaseConv(c phaseConv) {
	s := c.stride
	h := c.dim(0, "y", "py", "ry")
	w := c.dim(1, "x", "px", "rx")
	in, _ := p.padAround("pad", c.in, []int64{c.n, c.cin, c.inHW[0], c.inHW[1]},
		[]string{"n", c.inCh, "h", "w"}, []int64{0, 0, h.lo, w.lo}, []int64{0, 0, h.hi, w.hi}, "0.0")
	kernel, _ := p.padAround("kpad", c.kernel, []int64{c.cin, c.cout, c.k[0], c.k[1]},
		[]string{c.inCh, c.outCh, "kh", "kw"}, []int64{0, 0, 0, 0},
		[]int64{0, 0, h.taps*s - c.k[0], w.taps*s - c.k[1]}, "0.0")
	red := []string{c.inCh}
	if h.taps > 1 {
		red = append(red, ranged("ry", h.taps))
	}
	if w.taps > 1 {
		red = append(red, ranged("rx", w.taps))
	}
	out := c.out
	lhs := []string{"n", c.outCh, ranged("y", c.outHW[0]), ranged("x", c.outHW[1])}
	if s > 1 {
		out = "phases"
		lhs = []string{"n", c.outCh, ranged("py", s), ranged("px", s), ranged("y", h.grid), ranged("x", w.grid)}
	}
	p.line("%s[%s] = sum(%s[n, %s, %s, %s] * %s[%s, %s, %s, %s], %s)",
		out, strings.Join(lhs, ", "), in, c.inCh, h.inIdx, w.inIdx,
		kernel, c.inCh, c.outCh, h.kIdx, w.kIdx, strings.Join(red, ", "))
	if s > 1 {
		p.line("%s[n, %s, %s, %s] = phases[n, %s, h %% %d, w %% %d, h // %d, w // %d]",
			c.out, c.outCh, ranged("h", c.outHW[0]), ranged("w", c.outHW[1]), c.outCh, s, s, s, s)
	}
}
