package polymath

import "math"

// The constants and coefficient tables of the algorithms. The Go
// reference functions (package wmath) and every renderer read these, so
// a coefficient is written once.

// Constants of Exp (Cody-Waite reduction, XNNPACK's degree-5 polynomial,
// 2^(k-1) scaled once and doubled).
const (
	// ExpMin: x·log2e rounds to k = -126 or above, so that the biased
	// exponent k + 126 of 2^(k-1) is not negative (k = -126 builds +0).
	ExpMin float32 = -87.68
	ExpMax float32 = 89 // exp(89) > MaxFloat32: the doubling overflows to +Inf
	Log2e  float32 = 1.44269504088896341
	ExpC1  float32 = 0.693359375 // ln 2 = C1 - C2, C1 with 9 significant bits
	ExpC2  float32 = -2.12194440e-4
	// ExpMagic is 1.5·2^23 + 126: x + ExpMagic rounds x to an integer
	// (|x| < 2^22) and holds k + 126 in its low bits, the biased
	// exponent of 2^(k-1).
	ExpMagic float32 = 0x1.8p23 + 126
	// ExpMagicNonPos is ExpMagic for ExpNonPos: k + 127 in the low
	// bits, the biased exponent of 2^k.
	ExpMagicNonPos float32 = 0x1.8p23 + 127
	// ExpMinNonPos: x·log2e rounds to k = -127 (which builds +0, the
	// result flushed to 0) or above.
	ExpMinNonPos float32 = -88
)

// ExpP is the polynomial of XNNPACK's rr2-p5 exp (its f32 softmax
// kernels): exp(t) ≈ 1 + t·P(t) on [-ln2/2, ln2/2], P of degree 4 in
// Horner order; relative error under 9.2e-8 (1.55·2^-24) before rounding.
var ExpP = [...]float32{
	0x1.0F9F9Cp-7,
	0x1.573A1Ap-5,
	0x1.555A80p-3,
	0x1.FFFDC6p-2,
	0x1.FFFFF6p-1,
}

// Constants of Log (musl / FreeBSD logf).
const (
	Ln2Hi float32 = 6.9313812256e-01 // 0x3f317180
	Ln2Lo float32 = 9.0580006145e-06 // 0x3717f7d1
	Lg1   float32 = 0xaaaaaa.0p-24   // 0.66666662693
	Lg2   float32 = 0xccce13.0p-25   // 0.40000972152
	Lg3   float32 = 0x91e9ee.0p-25   // 0.28498786688
	Lg4   float32 = 0xf89e26.0p-26   // 0.24279078841
	// SqrtHalfBits are the bits of sqrt(2)/2 rounded: they move the
	// mantissa to [√2/2, √2).
	SqrtHalfBits = 0x3f3504f3
	TinyNormal   = 0x1p-126 // smallest normal float32
	ScaleUp      = 0x1p25   // subnormals are multiplied by this
)

// TanhP is Cephes tanhf's polynomial: tanh(a) ≈ a + a³·P(a²) on [0, 0.625].
var TanhP = [...]float32{
	-5.70498872745e-3,
	2.06390887954e-2,
	-5.37397155531e-2,
	1.33314422036e-1,
	-3.33332819422e-1,
}

// TanhSmall is where Tanh switches from its polynomial to exp.
const TanhSmall float32 = 0.625

// Constants of Pow's float64 core.
const (
	PowClamp float64 = 200                // |y·log2 x| beyond this is 0 or +Inf anyway
	Magic52  float64 = 0x1.8p52 + 1023    // w + Magic52: round(w)+1023 in the low bits
	Log2e64  float64 = 1.4426950408889634 // math.Log2E
)

// PowLg is fdlibm's polynomial for log: log(m) = s·(2 + z·R(z)),
// s = (m-1)/(m+1), z = s², |error| < 2^-58.45 for m in [√2/2, √2].
// Horner order (highest degree first).
var PowLg = [...]float64{
	1.479819860511658591e-01,
	1.531383769920937332e-01,
	1.818357216161805012e-01,
	2.222219843214978396e-01,
	2.857142874366239149e-01,
	3.999999999940941908e-01,
	6.666666666666735130e-01,
}

// PowExp2 is the Taylor polynomial of 2^r, coefficients ln2^n/n!, n = 10..0;
// its relative error is below 2.3e-13 (2^-42) for |r| <= 1/2.
var PowExp2 = func() (c [11]float64) {
	t := 1.0
	for n := 0; n <= 10; n++ {
		c[10-n] = t
		t = t * math.Ln2 / float64(n+1)
	}
	return c
}()

// SignBit is the sign bit of a float32's bits, as an int32.
const SignBit = -0x80000000

// The special values of float32.
var (
	Inf32    = float32(math.Inf(1))
	NegInf32 = float32(math.Inf(-1))
	NaN32    = float32(math.NaN())
)
