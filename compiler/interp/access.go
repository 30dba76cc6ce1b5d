package interp

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/tabtune/tabtune/compiler/expr"
)

// offsetFn returns the memory offset of an access, or -1 after recording
// an out-of-bounds error in the frame.
type offsetFn func(*frame) int64

// accessor is a compiled load or store address. When every index is affine
// in at most two variables (the common case), affine describes them and
// the load and store closures compute the offset inline, without a call
// per index; otherwise off computes it from the compiled index closures.
// Either way each index is checked against its dimension before the
// strides apply; oob records the error (and returns -1).
type accessor struct {
	affine []affineDim
	off    offsetFn
	oob    offsetFn
}

// affineDim is one affine index with its dimension's size and stride.
type affineDim struct {
	dimIndex
	n      uint64
	stride int64
}

// affineOff computes the offset of an affine access, or -1 after
// recording an out-of-bounds error.
func (a *accessor) affineOff(fr *frame) int64 {
	off := int64(0)
	for k := range a.affine {
		d := &a.affine[k]
		i := d.at(fr)
		if uint64(i) >= d.n {
			return a.oob(fr)
		}
		off += i * d.stride
	}
	return off
}

// access compiles the indices of a load or store of src (kind names it in
// errors).
func (c *compiler) access(src *source, index []expr.Expr, kind string) (*accessor, error) {
	if len(index) != len(src.shape) {
		return nil, fmt.Errorf("%s of %s with %d indices; it has %d dimensions", kind, src.name, len(index), len(src.shape))
	}
	idx := make([]intFn, len(index))
	affine := make([]affineDim, len(index))
	for i, x := range index {
		f, err := c.intExpr(x)
		if err != nil {
			return nil, fmt.Errorf("index %d of %s: %w", i, src.name, err)
		}
		idx[i] = f
		if d, ok := c.dimIndex(x); ok && affine != nil {
			affine[i] = affineDim{d, uint64(src.shape[i]), src.strides[i]}
		} else {
			affine = nil
		}
	}
	site := c.site
	oob := func(fr *frame) int64 {
		if fr.err != nil {
			return -1
		}
		vals := make([]string, len(idx))
		for i, f := range idx {
			vals[i] = strconv.FormatInt(f(fr), 10)
		}
		fr.fail(fmt.Errorf("interp: %w: %s %s[%s] outside shape %v%s", ErrOutOfBounds, kind, src.name, strings.Join(vals, ", "), src.shape, site.describe(fr)))
		return -1
	}
	a := &accessor{affine: affine, oob: oob}
	if affine != nil {
		a.off = a.affineOff
	} else {
		a.off = closureAccess(idx, src.shape, src.strides, oob)
	}
	return a, nil
}

// closureAccess is access for indices that are not all affine: each index
// is a compiled closure.
func closureAccess(idx []intFn, shape, st []int64, oob offsetFn) offsetFn {
	switch len(idx) {
	case 1:
		f0, n0, s0 := idx[0], uint64(shape[0]), st[0]
		return func(fr *frame) int64 {
			i0 := f0(fr)
			if uint64(i0) >= n0 {
				return oob(fr)
			}
			return i0 * s0
		}
	case 2:
		f0, n0, s0 := idx[0], uint64(shape[0]), st[0]
		f1, n1, s1 := idx[1], uint64(shape[1]), st[1]
		return func(fr *frame) int64 {
			i0, i1 := f0(fr), f1(fr)
			if uint64(i0) >= n0 || uint64(i1) >= n1 {
				return oob(fr)
			}
			return i0*s0 + i1*s1
		}
	}
	return func(fr *frame) int64 {
		off := int64(0)
		for d, f := range idx {
			i := f(fr)
			if uint64(i) >= uint64(shape[d]) {
				return oob(fr)
			}
			off += i * st[d]
		}
		return off
	}
}

// dimIndex is an affine index over at most two variables,
// c + k1*v1 + k2*v2, read straight from the variable slots: the common
// shape of indices (i, i + 1, i.0*16 + i.1, constants) costs no call.
type dimIndex struct {
	s1, s2    int
	c, k1, k2 int64
}

func (d *dimIndex) at(fr *frame) int64 {
	return d.c + d.k1*fr.ints[d.s1] + d.k2*fr.ints[d.s2]
}

// dimIndex recognizes an affine index over at most two bound variables.
// Unused terms read slot 0 (every frame has one) times 0.
func (c *compiler) dimIndex(x expr.Expr) (dimIndex, bool) {
	terms := map[int]int64{}
	k, ok := c.affine(x, 1, terms)
	if !ok {
		return dimIndex{}, false
	}
	d := dimIndex{c: k}
	n := 0
	for slot, coef := range terms {
		switch {
		case coef == 0:
		case n == 0:
			d.s1, d.k1 = slot, coef
			n++
		case n == 1:
			d.s2, d.k2 = slot, coef
			n++
		default:
			return dimIndex{}, false
		}
	}
	return d, true
}

// affine adds scale*x to terms (variable slot -> coefficient) and returns
// its constant part; ok is false when x is not affine in bound variables.
func (c *compiler) affine(x expr.Expr, scale int64, terms map[int]int64) (k int64, ok bool) {
	switch n := x.(type) {
	case *expr.IntImm:
		return scale * n.V, true
	case *expr.Var:
		slot, bound := c.vars[n]
		if !bound {
			return 0, false
		}
		terms[slot] += scale
		return 0, true
	case *expr.Binary:
		switch n.Op {
		case expr.Add, expr.Sub:
			a, ok1 := c.affine(n.A, scale, terms)
			if !ok1 {
				return 0, false
			}
			if n.Op == expr.Sub {
				scale = -scale
			}
			b, ok2 := c.affine(n.B, scale, terms)
			return a + b, ok2
		case expr.Mul:
			if m, isConst := n.B.(*expr.IntImm); isConst {
				return c.affine(n.A, scale*m.V, terms)
			}
			if m, isConst := n.A.(*expr.IntImm); isConst {
				return c.affine(n.B, scale*m.V, terms)
			}
		}
	}
	return 0, false
}

// load resolves the source of a load and checks its element type.
func (c *compiler) load(n *expr.Load, want expr.Type) (*source, *accessor, error) {
	src, err := c.resolve(n.Src)
	if err != nil {
		return nil, nil, err
	}
	if src.dtype != want {
		return nil, nil, typeErr(n, src.dtype, want)
	}
	a, err := c.access(src, n.Index, "load")
	return src, a, err
}

func (c *compiler) floatLoad(n *expr.Load) (floatFn, error) {
	src, a, err := c.load(n, expr.Float)
	if err != nil {
		return nil, err
	}
	slot := src.slot
	if dims, oob := a.affine, a.oob; dims != nil {
		// The hot path of every kernel: affineOff written out inline.
		return func(fr *frame) float32 {
			off := int64(0)
			for k := range dims {
				d := &dims[k]
				i := d.at(fr)
				if uint64(i) >= d.n {
					oob(fr)
					return 0
				}
				off += i * d.stride
			}
			return fr.f32[slot][off]
		}, nil
	}
	off := a.off
	return func(fr *frame) float32 {
		o := off(fr)
		if o < 0 {
			return 0
		}
		return fr.f32[slot][o]
	}, nil
}

func (c *compiler) intLoad(n *expr.Load) (intFn, error) {
	src, a, err := c.load(n, expr.Int)
	if err != nil {
		return nil, err
	}
	slot, off := src.slot, a.off
	return func(fr *frame) int64 {
		o := off(fr)
		if o < 0 {
			return 0
		}
		return int64(fr.i32[slot][o])
	}, nil
}

// storeFn compiles the write of value to src at index; each write counts
// one step.
func (c *compiler) storeFn(src *source, index []expr.Expr, value expr.Expr) (func(*frame), error) {
	a, err := c.access(src, index, "store")
	if err != nil {
		return nil, err
	}
	slot, site, off := src.slot, c.site, a.off
	switch src.dtype {
	case expr.Float:
		v, err := c.floatExpr(value)
		if err != nil {
			return nil, fmt.Errorf("value stored to %s: %w", src.name, err)
		}
		if dims, oob := a.affine, a.oob; dims != nil {
			return func(fr *frame) {
				if !fr.step() {
					return
				}
				off := int64(0)
				for k := range dims {
					d := &dims[k]
					i := d.at(fr)
					if uint64(i) >= d.n {
						oob(fr)
						return
					}
					off += i * d.stride
				}
				x := v(fr)
				if fr.err == nil {
					fr.f32[slot][off] = x
				}
			}, nil
		}
		return func(fr *frame) {
			if !fr.step() {
				return
			}
			o := off(fr)
			if o < 0 {
				return
			}
			x := v(fr)
			if fr.err == nil {
				fr.f32[slot][o] = x
			}
		}, nil
	case expr.Int:
		v, err := c.intExpr(value)
		if err != nil {
			return nil, fmt.Errorf("value stored to %s: %w", src.name, err)
		}
		return func(fr *frame) {
			if !fr.step() {
				return
			}
			o := off(fr)
			if o < 0 {
				return
			}
			x := v(fr)
			if fr.err != nil {
				return
			}
			if x != int64(int32(x)) {
				fr.fail(fmt.Errorf("interp: %w: %d stored to %s%s", ErrOverflow, x, src.name, site.describe(fr)))
				return
			}
			fr.i32[slot][o] = int32(x)
		}, nil
	}
	return nil, fmt.Errorf("%s holds %s elements, which cannot be stored", src.name, src.dtype)
}

// checkLayout validates a shape and its strides for an n-element memory.
func checkLayout(name string, shape, strides []int64) error {
	if len(strides) != len(shape) {
		return fmt.Errorf("%s has %d strides for %d dimensions", name, len(strides), len(shape))
	}
	for d, n := range shape {
		if n <= 0 {
			return fmt.Errorf("%s: dimension %d has size %d", name, d, n)
		}
		if strides[d] < 0 {
			return fmt.Errorf("%s: dimension %d has negative stride %d", name, d, strides[d])
		}
	}
	return nil
}
