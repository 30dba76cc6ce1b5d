package wmath

import (
	"math"

	"github.com/tabtune/tabtune/compiler/codegen/polymath"
)

// The Go reference implementations. Every line mirrors the wasm emitted by
// lib.go operation for operation. Each product is wrapped in an explicit
// conversion (float32(a*b), float64(a*b)) so that no Go compiler may fuse
// it with the following addition (the spec allows fusion otherwise).

// The constants and tables, defined once in package polymath for every
// renderer of the algorithms.
const (
	expMin, expMax, log2e, expC1, expC2, expMagic = polymath.ExpMin, polymath.ExpMax, polymath.Log2e, polymath.ExpC1, polymath.ExpC2, polymath.ExpMagic
	expMagicNonPos, expMinNonPos                  = polymath.ExpMagicNonPos, polymath.ExpMinNonPos
	ln2Hi, ln2Lo, lg1, lg2, lg3, lg4              = polymath.Ln2Hi, polymath.Ln2Lo, polymath.Lg1, polymath.Lg2, polymath.Lg3, polymath.Lg4
	sqrtHalfBits, tinyNormal, scaleUp             = polymath.SqrtHalfBits, polymath.TinyNormal, polymath.ScaleUp
	tanhSmall                                     = polymath.TanhSmall
	powClamp, magic52, log2e64                    = polymath.PowClamp, polymath.Magic52, polymath.Log2e64
	signBit                                       = polymath.SignBit
)

var (
	expP, tanhP, powLg, powExp2 = polymath.ExpP, polymath.TanhP, polymath.PowLg, polymath.PowExp2
	inf32, negInf32, nan32      = polymath.Inf32, polymath.NegInf32, polymath.NaN32
)

// Exp returns e**x. It equals the wasm functions of Lib bit for bit.
func Exp(x float32) float32 {
	x = min(max(x, expMin), expMax)
	// 2^(k-1) from exponent bits, once: k = -126 gives +0 (the result is
	// flushed to 0); doubling the result makes 2^k, k = 128 included.
	f := expScaled(x, expMagic) // bits(kk) = 0x4b400000 + k + 126
	return f + f
}

// ExpNonPos returns e**x for x <= 88.37 (polymath.ExpNonPos; meant for
// x <= 0). It equals the wasm functions of Lib bit for bit.
func ExpNonPos(x float32) float32 {
	return expScaled(max(x, expMinNonPos), expMagicNonPos) // 2^k: bits(kk) = 0x4b400000 + k + 127
}

// expScaled is polymath's: e^t·2^(k + bias - 127), k = round(x·log2e),
// magic = 1.5·2^23 + bias.
func expScaled(x, magic float32) float32 {
	kk := float32(x*log2e) + magic
	k := kk - magic
	t := x - float32(k*expC1)
	t = t - float32(k*expC2)
	p := expP[0]
	for _, c := range expP[1:] {
		p = float32(p*t) + c
	}
	s := fromBits(bits(kk) << 23)
	return float32(float32(t*s)*p) + s
}

// Log returns the natural logarithm of x. It equals the wasm functions of
// Lib bit for bit.
func Log(x float32) float32 {
	xs, bias := x, int32(127)
	if x < tinyNormal { // subnormal (or zero / negative: replaced below)
		xs, bias = float32(x*scaleUp), 127+25
	}
	ix := bits(xs) + (0x3f800000 - sqrtHalfBits)
	k := int32(uint32(ix)>>23) - bias
	m := fromBits(ix&0x007fffff + sqrtHalfBits) // in [√2/2, √2)
	f := m - 1
	s := f / (f + 2)
	z := float32(s * s)
	w := float32(z * z)
	t1 := float32(w * (float32(w*lg4) + lg2))
	t2 := float32(z * (float32(w*lg3) + lg1))
	R := t2 + t1
	hfsq := float32(float32(0.5*f) * f)
	dk := float32(k)
	r := float32(s*(hfsq+R)) + float32(dk*ln2Lo) - hfsq + f + float32(dk*ln2Hi)
	if !(x < inf32) { // +Inf, NaN
		r = x
	}
	if x == 0 {
		r = negInf32
	}
	if x < 0 {
		r = nan32
	}
	return r
}

// Tanh returns the hyperbolic tangent of x. It equals the wasm functions
// of Lib bit for bit.
func Tanh(x float32) float32 {
	a := abs32(x)
	z := float32(a * a)
	p := tanhP[0]
	for _, c := range tanhP[1:] {
		p = float32(p*z) + c
	}
	small := float32(float32(p*z)*a) + a
	e := Exp(a + a)
	t := 1 - 2/(e+1)
	if a < tanhSmall {
		t = small
	}
	return copysign32(t, x)
}

// Sigmoid returns 1/(1+e**-x). It equals the wasm functions of Lib bit
// for bit.
func Sigmoid(x float32) float32 {
	e := Exp(-abs32(x)) // in [0, 1]: never overflows
	num := float32(1)
	if x < 0 {
		num = e // e^x/(1+e^x): keeps relative accuracy down to the subnormals
	}
	return num / (e + 1)
}

// Pow returns x**y. It equals the wasm functions of Lib bit for bit.
func Pow(x, y float32) float32 {
	// Split |x| = 2^k · m, m in [√2/2, √2), in float32.
	ax := abs32(x)
	tiny := ax < tinyNormal
	xs, bias := ax, int32(127)
	if tiny {
		xs, bias = float32(ax*scaleUp), 127+25
	}
	ix := bits(xs) + (0x3f800000 - sqrtHalfBits)
	k := int32(uint32(ix)>>23) - bias
	m := fromBits(ix&0x007fffff + sqrtHalfBits)
	kf := float32(k)
	if ax == 0 {
		kf = negInf32 // log2(0) = -Inf
	}
	if !(ax < inf32) {
		kf = ax // log2(+Inf) = +Inf, NaN stays NaN
	}
	// |x|^y = 2^(y·log2|x|) in float64, rounded to float32 once.
	r := float32(pow64(float64(m), float64(kf), float64(y)))
	// Special cases, as math.Pow.
	yInt := trunc32(y) == y
	h := float32(y * 0.5)
	yOdd := yInt && trunc32(h) != h
	sgn := float32(1)
	if yOdd {
		sgn = x
	}
	r = copysign32(r, sgn)
	if x < 0 && x > negInf32 && !yInt {
		r = nan32
	}
	if y == 0 || x == 1 || (x == -1 && abs32(y) == inf32) {
		r = 1
	}
	return r
}

// pow64 returns 2^(y·(kf + log2 m)) in float64.
func pow64(m, kf, y float64) float64 {
	f := m - 1 // exact
	s := f / (f + 2)
	z := float64(s * s)
	R := powLg[0]
	for _, c := range powLg[1:] {
		R = float64(R*z) + c
	}
	R = float64(R * z)
	ln := float64(s * (R + 2))
	l2 := kf + float64(ln*log2e64)
	w := min(max(float64(y*l2), -powClamp), powClamp)
	kk := w + magic52 // low bits: round(w) + 1023
	r := w - (kk - magic52)
	p := powExp2[0]
	for _, c := range powExp2[1:] {
		p = float64(p*r) + c
	}
	return float64(p * math.Float64frombits(math.Float64bits(kk)<<52))
}

// Helpers with the exact semantics of the wasm instructions used.

func bits(x float32) int32     { return int32(math.Float32bits(x)) }
func fromBits(i int32) float32 { return math.Float32frombits(uint32(i)) }
func abs32(x float32) float32  { return fromBits(bits(x) &^ signBit) }

// copysign32 is f32.copysign.
func copysign32(x, y float32) float32 {
	return fromBits(bits(x)&^signBit | bits(y)&signBit)
}

// trunc32 is f32.trunc.
func trunc32(x float32) float32 { return float32(math.Trunc(float64(x))) }
