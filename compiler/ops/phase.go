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
// and XNNPACK's subconvolutions) splits each output position by its phase,
// the residue py = (h + pad) % stride, and its place on the grid of that
// phase, y = h // stride. Let pad = q*stride + r. Every output position of
// phase py collects the same offsets,
//
//	k = py + stride*t,  t in [0, taps(py)),  taps(py) = ceil((K - py)/stride)
//
// from input row i = y + carry + q - t, where carry is 1 when py < r (then
// h + pad wrapped past a multiple of the stride), else 0. With t reversed
// (ry = taps-1-t) the input index is y + ry + a constant, like a stride-1
// convolution's, and the kernel index is affine in py and ry.
//
// The phases whose residue is below K mod stride collect one tap more
// than the others: along each dimension they form at most two classes,
// a (ceil(K/stride) taps) and b (one fewer, maybe none), and each pair of
// classes is a stage of its own, a reduction with no tap that the stride
// skips; phases_aa, phases_ab, phases_ba and phases_bb, or just phases when
// the stride divides both kernel sizes. Each stage is [N, CO, residues of
// its class.., grid rows, grid columns]: a phase is a plane whose rows are
// contiguous, so that the search vectorizes along x as it does a
// convolution's output rows. (Laid out [.., y, py, x, px], the same memory
// as the output, the innermost axis would be the phase, of extent stride,
// which is where the search vectorizes: 43 ms against 7.9 ms unvectorized,
// for t2d at its defaults.) A last stage interleaves the phases into the
// output [N, CO, OH, OW]: a copy, one element per output element against
// CI*K*K/stride^2 multiply-adds, that picks the stage of the position's
// classes with a select (with the residue clamped into each stage, so
// that every read is in bounds). Where the stride does not divide OH, each
// phase has ceil(OH/stride) rows and the interleaving drops those past OH.
//
// With stride 1 there are no phases: one stage, the convolution with the
// kernel flipped. The taps that still multiply zeros are those past the
// input's border, which the program reads from a padded input (a stage, as
// every convolution of the zoo pads it), so that its inner loops stay free
// of conditions.
type phaseConv struct {
	in, kernel, out string // tensor names
	inCh, outCh     string // the names of the input and output channel axes
	n, cin, cout    int64
	inHW            [2]int64 // the spatial size of in
	k               [2]int64 // the kernel's
	outHW           [2]int64 // the output's
	stride, pad     int64
}

// phaseClass is a set of phases of one dimension that collect the same
// number of taps: those whose first kernel offset (the residue e of
// h + pad) lies in [from, to).
type phaseClass struct {
	name     string // a (ceil(K/stride) taps) or b (one fewer)
	from, to int64
	taps     int64
}

// phaseDim is one spatial dimension of a phaseConv, worked out: its
// classes of phases and how they index the input and the kernel.
type phaseDim struct {
	s, q, r    int64 // the stride, and pad = q*stride + r
	grid       int64 // output positions per phase: ceil(out/stride)
	lo, hi     int64 // padding of the input before and after
	classes    []phaseClass
	h, y, e, t string // the names of the output, phase-grid, residue and tap axes
}

// dim works out spatial dimension d; h, y, e and t name its output,
// phase-grid, residue and tap axes.
func (c phaseConv) dim(d int, h, y, e, t string) phaseDim {
	s, k := c.stride, c.k[d]
	pd := phaseDim{s: s, q: c.pad / s, r: c.pad % s, grid: (c.outHW[d] + s - 1) / s, h: h, y: y, e: e, t: t}
	taps := (k + s - 1) / s
	// Residues below m collect taps offsets, the others taps-1.
	m := k - s*(taps-1)
	pd.classes = []phaseClass{{"a", 0, m, taps}}
	if m < s {
		pd.classes = append(pd.classes, phaseClass{"b", m, s, taps - 1})
	}
	// The input row is y + carry + (taps-1-t) + q, where carry is 1 for the
	// residues below r, 0 for the others.
	maxCarry := min(pd.r, 1)
	pd.lo = max(0, taps-1-pd.q)
	rows := max(c.inHW[d]+pd.lo, pd.grid+maxCarry+pd.q+pd.lo) // the padded input's extent
	pd.hi = rows - c.inHW[d] - pd.lo
	return pd
}

// residue is the residue axis of class cl plus its first value, or "" when
// the class has one residue (then it is the constant cl.from).
func (d phaseDim) residue(cl phaseClass) string {
	if cl.to-cl.from == 1 {
		return ""
	}
	return shift(d.e, -cl.from)
}

// inIdx is the index of class cl into the padded input.
func (d phaseDim) inIdx(cl phaseClass) string {
	idx := d.y
	switch e := d.residue(cl); {
	case d.r == 0:
	case e == "" || cl.to <= d.r || cl.from >= d.r:
		// The carry is the same for the whole class.
		if cl.from < d.r {
			idx += " + 1"
		}
	default:
		// (s - 1 + r - residue) // s is 1 below r, 0 from r.
		idx += fmt.Sprintf(" + (%d - %s) // %d", d.s-1+d.r-cl.from, d.e, d.s)
	}
	if cl.taps > 1 {
		idx += " + " + d.t
	}
	return shift(idx, -(d.q - (cl.taps - 1) + d.lo))
}

// kIdx is the index of class cl into the kernel: residue + s*(taps-1-t).
func (d phaseDim) kIdx(cl phaseClass) string {
	c := cl.from + d.s*(cl.taps-1)
	e := ""
	if d.s > 1 && cl.to-cl.from > 1 {
		e = d.e
	}
	switch {
	case e != "" && cl.taps > 1:
		return shift(e+" - "+scaled(d.t, d.s), -c)
	case e != "":
		return shift(e, -c)
	case cl.taps > 1:
		return fmt.Sprintf("%d - %s", c, scaled(d.t, d.s))
	}
	return fmt.Sprint(c)
}

// lhs are the axes of class cl in a phase stage: its residue axis, or
// nothing when the class has one residue, and the grid's.
func (d phaseDim) lhs(cl phaseClass) (res []string, grid string) {
	if d.s > 1 && cl.to-cl.from > 1 {
		res = []string{ranged(d.e, cl.to-cl.from)}
	}
	return res, ranged(d.y, d.grid)
}

// outIdx are the indices of output position h into the stage of class
// cl, as lhs orders them, and the condition that picks the class (when the
// dimension has two): the residue (h + r) % s, shifted and clamped into
// the class, and h // s.
func (d phaseDim) outIdx(cl phaseClass) (res []string, grid, cond string) {
	e := d.h + " % " + fmt.Sprint(d.s)
	if d.r > 0 {
		e = fmt.Sprintf("(%s + %d) %% %d", d.h, d.r, d.s)
	}
	if len(d.classes) > 1 {
		cond = fmt.Sprintf("%s < %d", e, d.classes[1].from)
	}
	grid = fmt.Sprintf("%s // %d", d.h, d.s)
	switch {
	case cl.to-cl.from == 1:
	case len(d.classes) == 1:
		res = []string{e}
	case cl.from == 0:
		res = []string{fmt.Sprintf("min(%s, %d)", e, cl.to-1)}
	default:
		res = []string{fmt.Sprintf("max(%s - %d, 0)", e, cl.from)}
	}
	return res, grid, cond
}

// phaseConv appends the stages of c: the padded input where it needs
// padding, one stage per pair of classes of phases (that collect a tap),
// and the interleaving of the phases into the output.
func (p *program) phaseConv(c phaseConv) {
	h := c.dim(0, "h", "y", "py", "ry")
	w := c.dim(1, "w", "x", "px", "rx")
	in, _ := p.padAround("pad", c.in, []int64{c.n, c.cin, c.inHW[0], c.inHW[1]},
		[]string{"n", c.inCh, "h", "w"}, []int64{0, 0, h.lo, w.lo}, []int64{0, 0, h.hi, w.hi}, "0.0")
	single := len(h.classes) == 1 && len(w.classes) == 1
	name := func(a, b phaseClass) string {
		switch {
		case single && c.stride == 1:
			return c.out
		case single:
			return "phases"
		}
		return "phases_" + a.name + b.name
	}
	for _, a := range h.classes {
		for _, b := range w.classes {
			if a.taps == 0 || b.taps == 0 {
				continue
			}
			red := []string{c.inCh}
			if a.taps > 1 {
				red = append(red, ranged(h.t, a.taps))
			}
			if b.taps > 1 {
				red = append(red, ranged(w.t, b.taps))
			}
			// Residues first: each phase a plane whose rows are contiguous.
			rh, gh := h.lhs(a)
			rw, gw := w.lhs(b)
			lhs := append(append(append([]string{"n", c.outCh}, rh...), rw...), gh, gw)
			p.line("%s[%s] = sum(%s[n, %s, %s, %s] * %s[%s, %s, %s, %s], %s)",
				name(a, b), strings.Join(lhs, ", "), in, c.inCh, h.inIdx(a), w.inIdx(b),
				c.kernel, c.inCh, c.outCh, h.kIdx(a), w.kIdx(b), strings.Join(red, ", "))
		}
	}
	if c.stride == 1 {
		return
	}
	// The interleaving: a read of each stage, picked by the residues.
	pick := func(cond, x, y string) string {
		if cond == "" {
			return x
		}
		return fmt.Sprintf("select(%s, %s, %s)", cond, x, y)
	}
	var rows []string
	var condH string
	for _, a := range h.classes {
		var cols []string
		var condW string
		for _, b := range w.classes {
			if a.taps == 0 || b.taps == 0 {
				cols = append(cols, "0.0")
				continue
			}
			rh, gh, ch := h.outIdx(a)
			rw, gw, cw := w.outIdx(b)
			condH, condW = ch, cw
			idx := append(append(append([]string{"n", c.outCh}, rh...), rw...), gh, gw)
			cols = append(cols, fmt.Sprintf("%s[%s]", name(a, b), strings.Join(idx, ", ")))
		}
		rows = append(rows, pick(condW, cols[0], cols[len(cols)-1]))
	}
	p.line("%s[n, %s, %s, %s] = %s", c.out, c.outCh, ranged("h", c.outHW[0]), ranged("w", c.outHW[1]),
		pick(condH, rows[0], rows[len(rows)-1]))
}
