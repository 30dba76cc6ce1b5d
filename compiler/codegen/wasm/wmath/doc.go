// Package wmath implements exp, log, tanh, sigmoid and pow on float32 as
// polynomials (WebAssembly has no instructions for them), in three forms
// that give bit-identical results, NaN payloads aside:
//
//   - Go reference functions (Exp, Log, Tanh, Sigmoid, Pow), which perform
//     exactly the operation sequence of the wasm code, each operation
//     rounded to its type (products are wrapped in explicit conversions so
//     that no Go compiler fuses them into FMAs);
//   - wasm functions emitted into a wasmbin.Module by Lib: a scalar form,
//     (f32) -> f32, and an f32x4 form, (v128) -> v128, for each; pow takes
//     (x, y). They use only core and SIMD128 instructions (no relaxed SIMD)
//     and no memory, and are straight-line: special cases are selected
//     with comparisons and select / v128.bitselect, never branched on. The
//     scalar form uses f32.min/max where the vector form uses pmin/pmax;
//     both are only applied with a nonzero constant operand, where they
//     agree, NaN included.
//
// The algorithms themselves (the operation sequences and their constants)
// are defined once in package polymath, generic over a builder: Lib
// renders them as wasm here, and package c renders the same sequences as
// C, so that the wasm and the C kernels agree bit for bit.
//
// sqrt and abs are single instructions (f32.sqrt, f32x4.abs, ...): Lib
// does not provide them and Supported reports false.
//
// # Algorithms
//
// Exp: x is clamped to [-87.68, 89] (NaN passes through), k =
// round(x·log2 e) by adding 1.5·2^23 + 126, whose low bits are then
// k + 126, the biased exponent of 2^(k-1); t = x - k·C1 - k·C2 with ln 2 =
// C1 - C2 split Cody-Waite style (C1 has 9 bits, so k·C1 is exact);
// exp(t) = 1 + t·P(t) with the degree-4 P of XNNPACK's rr2-p5 kernels on
// [-ln2/2, ln2/2] (relative error under 1.55·2^-24 before rounding). The
// result is s + (t·s)·P(t) with s = 2^(k-1) built as exponent bits (one
// shift of the sum's bits), doubled: k = 128 (x above about 88.376, where
// the result is still finite) needs no special case, and results beyond
// MaxFloat32 overflow to +Inf in the doubling; k = -126 (x below about
// -86.99) gives s = +0, so results under 2^-125.5, the smallest normal
// floats included, are flushed to 0. exp(-Inf) = 0, exp(+Inf) = +Inf,
// exp(NaN) = NaN. The f32x4 form is 22 vector instructions (12
// constants), as XNNPACK's; Cephes' degree-7 form scaled by 2^k, and by
// 2 for k = 128, which flushed only under 2^-126.5 and erred by 1 ulp,
// took 29 (16), and the two-step scaling of subnormal results before it
// 32 (17).
//
// Log (musl / FreeBSD logf): subnormals are scaled by 2^25; the exponent
// k and mantissa m in [√2/2, √2) come from the bits; with f = m - 1 and
// s = f/(2+f), log(1+f) = f - f²/2 + s·(f²/2 + R(s²)), R of degree 4 in s,
// and k·ln 2 is added in two parts (ln2Hi + ln2Lo). Selects give log(+Inf)
// = +Inf, log(±0) = -Inf, log(x<0) = log(-Inf) = NaN, log(NaN) = NaN.
//
// Tanh: on a = |x|, for a < 0.625 Cephes tanhf's odd polynomial a +
// a³·P(a²) (keeps relative accuracy near 0, subnormals and -0 included);
// otherwise 1 - 2/(exp(2a) + 1) with exp as above (exp(2a) = +Inf gives
// exactly 1). The sign of x is copied onto the result.
//
// Sigmoid: e = exp(-|x|), which lies in [0, 1] and never overflows;
// sigmoid(x) = 1/(1 + e) for x >= 0 and e/(1 + e) for x < 0, so that the
// result keeps its relative accuracy down to where exp flushes (x below
// about -86.99 gives 0).
//
// Pow: |x| = 2^k·m, m in [√2/2, √2), is split in float32 as for log (k is
// set to -Inf for x = 0 and to |x| for +Inf and NaN); then, in float64
// (f64 or f64x2 halves of the f32x4), log2|x| = k + s·(2 + R(s²))·log2 e
// with fdlibm's degree-7 R (error < 2^-58), w = y·log2|x| clamped to
// [-200, 200], w = n + r (round to integer by adding 1.5·2^52 + 1023, whose
// bits shifted left by 52 are then 2^n), 2^r by its degree-10 Taylor
// polynomial (relative error < 2.3e-13 for |r| <= 1/2), and the product
// 2^r·2^n is rounded to float32 once, subnormal results included. The sign
// and the special cases are then selected in float32.
//
// # Accuracy
//
// Errors are in float32 ulps against math.Exp, math.Log, math.Tanh,
// 1/(1+math.Exp(-x)) and math.Pow evaluated in float64 and rounded to
// float32; they are relative (ulp) errors everywhere, subnormal results
// and the neighbourhood of 0 included (no absolute-error allowance),
// except that exp and sigmoid may return 0 where the exact result is
// below 2^-125.5 (the flush above).
//
//	function  measured max error              tested bound
//	exp       2 ulp (all 2^32 inputs)         2 ulp
//	log       1 ulp (all 2^32 inputs)         2 ulp
//	tanh      2 ulp (all 2^32 inputs)         4 ulp
//	sigmoid   4 ulp (all 2^32 inputs)         4 ulp
//	pow       1 ulp (5·10^7 random pairs)     4 ulp
//
// With XNNPACK's degree-5 polynomial, exp is correctly rounded for 97.44%
// of inputs (1.04·10^8 at 1 ulp, 6.4·10^6 at 2 ulp), tanh for 99.79%
// (3202 inputs at 2 ulp) and sigmoid for 96.5% (1.0·10^5 at 3 ulp, one,
// -1.9609842, at 4); with Cephes' degree-7 one before it, exp and tanh
// erred by at most 1 ulp and sigmoid by 2: the kernels' verification
// allows a relative error of 10^-3, thousands of times more, and exp's
// 22 instructions instead of 29 are what softmax spends its time in. log
// is correctly rounded for over 99.5% of inputs; pow missed correct
// rounding on 32 of the 5·10^7 pairs
// (its float64 core errs by well under 2^-35, relative, before the final
// rounding to float32).
//
// The exhaustive figures come from TestExhaustive (WMATH_EXHAUSTIVE=1;
// about 12 minutes on 2 cores); ordinary test runs check about 2·10^6
// inputs per unary function and 3·10^5 pow pairs (x > 0 over all binades,
// subnormals included, y such that |y·log2 x| <= 160; x near 1 with |y|
// up to 10^4; x < 0 with integer y), and run the emitted wasm in wazero
// on the same unary inputs and 2·10^5 pow pairs plus all pairs of special
// values, comparing bits with the Go functions.
//
// # Special cases of Pow
//
// Pow follows math.Pow for all of its special cases:
//
//	Pow(x, ±0) = 1 for any x, NaN included
//	Pow(1, y) = 1 for any y, NaN included
//	Pow(x, 1) = x (exact, by accuracy rather than by a special case)
//	Pow(NaN, y) = Pow(x, NaN) = NaN otherwise
//	Pow(±0, y) = ±Inf for y an odd integer < 0; +Inf for other y < 0
//	Pow(±0, y) = ±0 for y an odd integer > 0; +0 for other y > 0
//	Pow(±0, -Inf) = +Inf, Pow(±0, +Inf) = +0
//	Pow(-1, ±Inf) = 1
//	Pow(x, +Inf) = +Inf for |x| > 1, +0 for |x| < 1
//	Pow(x, -Inf) = +0 for |x| > 1, +Inf for |x| < 1
//	Pow(+Inf, y) = +Inf for y > 0, +0 for y < 0
//	Pow(-Inf, y) = Pow(-0, -y)
//	Pow(x, y) = -Pow(-x, y) for finite x < 0 and y an odd integer,
//	            Pow(-x, y) for y an even integer (every float32 with
//	            |y| >= 2^24 is even), NaN for finite non-integer y
//
// math.Pow's Pow(x, ±0.5) = Sqrt(x) (or 1/Sqrt(x)) is not special-cased:
// the general path is within 1 ulp of it (and gives the same NaN for
// x < 0). Overflow and underflow happen as for the correctly rounded
// result: +Inf beyond MaxFloat32, subnormals, then 0.
package wmath
