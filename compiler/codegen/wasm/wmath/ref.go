package wmath

import "math"

// The Go reference implementations. Every line mirrors the wasm emitted by
// lib.go operation for operation. Each product is wrapped in an explicit
// conversion (float32(a*b), float64(a*b)) so that no Go compiler may fuse
// it with the following addition (the spec allows fusion otherwise).

// Constants of Exp (Cephes expf).
const (
	expMin  float32 = -104 // exp(-104) < 2^-150: rounds to 0
	expMax  float32 = 89   // exp(89) > MaxFloat32: overflows to +Inf
	log2e   float32 = 1.44269504088896341
	expC1   float32 = 0.693359375 // ln 2 = C1 - C2, C1 with 9 significant bits
	expC2   float32 = -2.12194440e-4
	magic23 float32 = 0x1.8p23 // x + magic23 rounds x to an integer (|x| < 2^22)
)

// expP is the minimax polynomial of Cephes expf:
// exp(r) ≈ 1 + r + r²·P(r) on [-ln2/2, ln2/2], P in Horner order.
var expP = [...]float32{
	1.9875691500e-4,
	1.3981999507e-3,
	8.3334519073e-3,
	4.1665795894e-2,
	1.6666665459e-1,
	5.0000001201e-1,
}

// Exp returns e**x. It equals the wasm functions of Lib bit for bit.
func Exp(x float32) float32 {
	x = min(max(x, expMin), expMax)
	kk := float32(x*log2e) + magic23 // bits(kk) = 0x4b400000 + round(x·log2e)
	k := kk - magic23
	r := x - float32(k*expC1)
	r = r - float32(k*expC2)
	z := float32(r * r)
	p := expP[0]
	for _, c := range expP[1:] {
		p = float32(p*r) + c
	}
	y := float32(p*z) + r + 1
	// 2^k as the product of two powers of two, each built from exponent
	// bits, so that results down in the subnormals are rounded only once.
	ki := bits(kk) - 0x4b400000
	k1 := ki >> 1
	s1 := fromBits((k1 + 127) << 23)
	s2 := fromBits((ki - k1 + 127) << 23)
	return float32(float32(y*s1) * s2)
}

// Constants of Log (musl / FreeBSD logf).
const (
	ln2Hi float32 = 6.9313812256e-01 // 0x3f317180
	ln2Lo float32 = 9.0580006145e-06 // 0x3717f7d1
	lg1   float32 = 0xaaaaaa.0p-24   // 0.66666662693
	lg2   float32 = 0xccce13.0p-25   // 0.40000972152
	lg3   float32 = 0x91e9ee.0p-25   // 0.28498786688
	lg4   float32 = 0xf89e26.0p-26   // 0.24279078841
	// sqrt(2)/2 rounded: the bits that move the mantissa to [√2/2, √2).
	sqrtHalfBits = 0x3f3504f3
	tinyNormal   = 0x1p-126 // smallest normal float32
	scaleUp      = 0x1p25   // subnormals are multiplied by this
)

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

// tanhP is Cephes tanhf's polynomial: tanh(a) ≈ a + a³·P(a²) on [0, 0.625].
var tanhP = [...]float32{
	-5.70498872745e-3,
	2.06390887954e-2,
	-5.37397155531e-2,
	1.33314422036e-1,
	-3.33332819422e-1,
}

const tanhSmall float32 = 0.625

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

// Constants of Pow's float64 core.
const (
	powClamp float64 = 200                // |y·log2 x| beyond this is 0 or +Inf anyway
	magic52  float64 = 0x1.8p52 + 1023    // w + magic52: round(w)+1023 in the low bits
	log2e64  float64 = 1.4426950408889634 // math.Log2E
)

// powLg is fdlibm's polynomial for log: log(m) = s·(2 + z·R(z)),
// s = (m-1)/(m+1), z = s², |error| < 2^-58.45 for m in [√2/2, √2].
// Horner order (highest degree first).
var powLg = [...]float64{
	1.479819860511658591e-01,
	1.531383769920937332e-01,
	1.818357216161805012e-01,
	2.222219843214978396e-01,
	2.857142874366239149e-01,
	3.999999999940941908e-01,
	6.666666666666735130e-01,
}

// powExp2 is the Taylor polynomial of 2^r, coefficients ln2^n/n!, n = 10..0;
// its relative error is below 2.3e-13 (2^-42) for |r| <= 1/2.
var powExp2 = func() (c [11]float64) {
	t := 1.0
	for n := 0; n <= 10; n++ {
		c[10-n] = t
		t = t * math.Ln2 / float64(n+1)
	}
	return c
}()

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

const signBit = -0x80000000

var (
	inf32    = float32(math.Inf(1))
	negInf32 = float32(math.Inf(-1))
	nan32    = float32(math.NaN())
)

func bits(x float32) int32     { return int32(math.Float32bits(x)) }
func fromBits(i int32) float32 { return math.Float32frombits(uint32(i)) }
func abs32(x float32) float32  { return fromBits(bits(x) &^ signBit) }

// copysign32 is f32.copysign.
func copysign32(x, y float32) float32 {
	return fromBits(bits(x)&^signBit | bits(y)&signBit)
}

// trunc32 is f32.trunc.
func trunc32(x float32) float32 { return float32(math.Trunc(float64(x))) }
