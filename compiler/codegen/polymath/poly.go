// Package polymath defines exp, log, tanh, sigmoid and pow on float32 as
// straight-line sequences of elementary operations (polynomials, bit
// manipulation, selects), once, for every code generator to render: the
// algorithms are generic functions over a Builder, which a generator
// implements for its language. Package wmath renders them as WebAssembly
// (scalar and f32x4) and holds the Go reference functions and the
// accuracy tests; package c renders them as C (scalar and vector
// extensions). The same operations in the same order give the same bits
// in every rendering, as long as each operation is rounded to its type
// (no fused multiply-add). The algorithms and their accuracy are
// described in package wmath.
package polymath

// Builder builds values of one rendering: V is how it holds a value
// (an expression tree, a C expression). Values are f32, i32, f64 or masks
// (comparison results), scalars or vectors as the Builder decides; the
// algorithms never mix types in one operation.
type Builder[V any] interface {
	// Let evaluates x once so that it can be used several times.
	Let(x V) V
	// F32, I32 and F64 are constants.
	F32(c float32) V
	I32(c int32) V
	F64(c float64) V
	// Add, Sub (f32, f64, i32), Mul and Div (f32, f64).
	Add(x, y V) V
	Sub(x, y V) V
	Mul(x, y V) V
	Div(x, y V) V
	// MinC and MaxC are min(x, c) and max(x, c) for a constant c that is
	// not zero or NaN, keeping a NaN x (f32, f64).
	MinC(x V, c float64) V
	MaxC(x V, c float64) V
	// Lt, Gt, Eq, Ne compare f32 values into masks.
	Lt(x, y V) V
	Gt(x, y V) V
	Eq(x, y V) V
	Ne(x, y V) V
	// And, Or and Not combine masks (And also i32 bits).
	And(x, y V) V
	Or(x, y V) V
	Not(m V) V
	// Sel is m ? x : y, lane by lane.
	Sel(m, x, y V) V
	// Shl, ShrS and ShrU shift i32 by a constant.
	Shl(x V, n int32) V
	ShrS(x V, n int32) V
	ShrU(x V, n int32) V
	// Abs, Neg and Trunc (toward zero) of f32.
	Abs(x V) V
	Neg(x V) V
	Trunc(x V) V
	// Copysign is |x| with the sign of y (f32).
	Copysign(x, y V) V
	// BitsOf reinterprets f32 as i32, FromBits the reverse; Cvt converts
	// i32 to f32.
	BitsOf(x V) V
	FromBits(x V) V
	Cvt(x V) V
	// Wide computes f on the f32 values args promoted to f64 and returns
	// its f64 result rounded to f32 once.
	Wide(f func(args []V) V, args ...V) V
	// Pow2k is the f64 whose bits are those of the f64 x shifted left
	// by 52.
	Pow2k(x V) V
}

// Exp is e**x: Cody-Waite reduction to t in [-ln2/2, ln2/2], a degree-5
// polynomial (XNNPACK's rr2-p5 coefficients), scaled by 2^(k-1) once and
// doubled: results that would need k = -126 or less are 0.
func Exp[V any](b Builder[V], x V) V {
	x = b.Let(b.MinC(b.MaxC(x, float64(ExpMin)), float64(ExpMax)))
	f := b.Let(expScaled(b, x, ExpMagic))
	return b.Add(f, f)
}

// ExpNonPos is e**x for x that cannot be positive (expr.ExpNonPos): Exp
// without the clamp of large x and without the doubling, scaled by 2^k
// at once (k <= 127 for x <= 88.37, where it is right; k = -127 builds
// +0, flushing the results under 2^-126.5, and k = -126 the smallest
// normal). Two operations fewer than Exp.
func ExpNonPos[V any](b Builder[V], x V) V {
	return expScaled(b, b.Let(b.MaxC(x, float64(ExpMinNonPos))), ExpMagicNonPos)
}

// expScaled is the core of Exp and ExpNonPos: x = k·ln2 + t (Cody-Waite),
// e^t ≈ 1 + t·P(t), times 2^(k + bias - 127) built from the exponent bits
// that x·log2e + magic holds, magic = 1.5·2^23 + bias.
func expScaled[V any](b Builder[V], x V, magic float32) V {
	kk := b.Let(b.Add(b.Mul(x, b.F32(Log2e)), b.F32(magic)))
	k := b.Let(b.Sub(kk, b.F32(magic)))
	t := b.Let(b.Sub(x, b.Mul(k, b.F32(ExpC1))))
	t = b.Let(b.Sub(t, b.Mul(k, b.F32(ExpC2))))
	p := b.F32(ExpP[0])
	for _, c := range ExpP[1:] {
		p = b.Add(b.Mul(p, t), b.F32(c))
	}
	s := b.Let(b.FromBits(b.Shl(b.BitsOf(kk), 23)))
	return b.Add(b.Mul(b.Mul(t, s), p), s)
}

// Log is the natural logarithm (musl / FreeBSD logf).
func Log[V any](b Builder[V], x V) V {
	tiny := b.Let(b.Lt(x, b.F32(TinyNormal)))
	xs := b.Sel(tiny, b.Mul(x, b.F32(ScaleUp)), x)
	ix := b.Let(b.Add(b.BitsOf(xs), b.I32(0x3f800000-SqrtHalfBits)))
	k := b.Sub(b.ShrU(ix, 23), b.Sel(tiny, b.I32(127+25), b.I32(127)))
	m := b.FromBits(b.Add(b.And(ix, b.I32(0x007fffff)), b.I32(SqrtHalfBits)))
	f := b.Let(b.Sub(m, b.F32(1)))
	s := b.Let(b.Div(f, b.Add(f, b.F32(2))))
	z := b.Let(b.Mul(s, s))
	w := b.Let(b.Mul(z, z))
	t1 := b.Mul(w, b.Add(b.Mul(w, b.F32(Lg4)), b.F32(Lg2)))
	t2 := b.Mul(z, b.Add(b.Mul(w, b.F32(Lg3)), b.F32(Lg1)))
	R := b.Add(t2, t1)
	hfsq := b.Let(b.Mul(b.Mul(b.F32(0.5), f), f))
	dk := b.Let(b.Cvt(k))
	r := b.Add(b.Mul(s, b.Add(hfsq, R)), b.Mul(dk, b.F32(Ln2Lo)))
	r = b.Add(b.Add(b.Sub(r, hfsq), f), b.Mul(dk, b.F32(Ln2Hi)))
	r = b.Sel(b.Lt(x, b.F32(Inf32)), r, x)
	r = b.Sel(b.Eq(x, b.F32(0)), b.F32(NegInf32), r)
	return b.Sel(b.Lt(x, b.F32(0)), b.F32(NaN32), r)
}

// Tanh is the hyperbolic tangent: Cephes' polynomial near 0, exp beyond.
func Tanh[V any](b Builder[V], x V) V {
	a := b.Let(b.Abs(x))
	z := b.Let(b.Mul(a, a))
	p := b.F32(TanhP[0])
	for _, c := range TanhP[1:] {
		p = b.Add(b.Mul(p, z), b.F32(c))
	}
	small := b.Add(b.Mul(b.Mul(p, z), a), a)
	e := Exp(b, b.Add(a, a))
	large := b.Sub(b.F32(1), b.Div(b.F32(2), b.Add(e, b.F32(1))))
	t := b.Sel(b.Lt(a, b.F32(TanhSmall)), small, large)
	return b.Copysign(t, x)
}

// Sigmoid is 1/(1+e**-x), from e = exp(-|x|).
func Sigmoid[V any](b Builder[V], x V) V {
	e := b.Let(Exp(b, b.Neg(b.Abs(x))))
	num := b.Sel(b.Lt(x, b.F32(0)), e, b.F32(1))
	return b.Div(num, b.Add(e, b.F32(1)))
}

// Pow is x**y with math.Pow's special cases: the core in float64.
func Pow[V any](b Builder[V], x, y V) V {
	ax := b.Let(b.Abs(x))
	tiny := b.Let(b.Lt(ax, b.F32(TinyNormal)))
	xs := b.Sel(tiny, b.Mul(ax, b.F32(ScaleUp)), ax)
	ix := b.Let(b.Add(b.BitsOf(xs), b.I32(0x3f800000-SqrtHalfBits)))
	k := b.Sub(b.ShrU(ix, 23), b.Sel(tiny, b.I32(127+25), b.I32(127)))
	m := b.Let(b.FromBits(b.Add(b.And(ix, b.I32(0x007fffff)), b.I32(SqrtHalfBits))))
	kf := b.Cvt(k)
	kf = b.Sel(b.Eq(ax, b.F32(0)), b.F32(NegInf32), kf)
	kf = b.Let(b.Sel(b.Lt(ax, b.F32(Inf32)), kf, ax))
	r := b.Wide(func(a []V) V { return pow64(b, a[0], a[1], a[2]) }, m, kf, y)
	yInt := b.Let(b.Eq(b.Trunc(y), y))
	h := b.Let(b.Mul(y, b.F32(0.5)))
	yOdd := b.And(yInt, b.Ne(b.Trunc(h), h))
	r = b.Copysign(r, b.Sel(yOdd, x, b.F32(1)))
	nan := b.And(b.And(b.Lt(x, b.F32(0)), b.Gt(x, b.F32(NegInf32))), b.Not(yInt))
	r = b.Sel(nan, b.F32(NaN32), r)
	one := b.Or(b.Or(b.Eq(y, b.F32(0)), b.Eq(x, b.F32(1))),
		b.And(b.Eq(x, b.F32(-1)), b.Eq(b.Abs(y), b.F32(Inf32))))
	return b.Sel(one, b.F32(1), r)
}

// pow64 is 2^(y·(kf + log2 m)) in float64.
func pow64[V any](b Builder[V], m, kf, y V) V {
	f := b.Let(b.Sub(m, b.F64(1)))
	s := b.Let(b.Div(f, b.Add(f, b.F64(2))))
	z := b.Let(b.Mul(s, s))
	R := b.F64(PowLg[0])
	for _, c := range PowLg[1:] {
		R = b.Add(b.Mul(R, z), b.F64(c))
	}
	R = b.Mul(R, z)
	ln := b.Mul(s, b.Add(R, b.F64(2)))
	l2 := b.Add(kf, b.Mul(ln, b.F64(Log2e64)))
	w := b.Let(b.MinC(b.MaxC(b.Mul(y, l2), -PowClamp), PowClamp))
	kk := b.Let(b.Add(w, b.F64(Magic52)))
	r := b.Let(b.Sub(w, b.Sub(kk, b.F64(Magic52))))
	p := b.F64(PowExp2[0])
	for _, c := range PowExp2[1:] {
		p = b.Add(b.Mul(p, r), b.F64(c))
	}
	return b.Mul(p, b.Pow2k(kk))
}
