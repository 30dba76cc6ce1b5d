package c

import (
	"fmt"
	"strings"
)

// prelude is the head of every file: the vector types of the target's
// width and the helpers the generated code calls. Everything is static
// inline, so a helper the kernel does not use costs nothing.
func prelude(lanes int64) string {
	iota := make([]string, lanes)
	for i := range iota {
		iota[i] = fmt.Sprint(i)
	}
	xs := strings.TrimSuffix(strings.Repeat("x, ", int(lanes)), ", ")
	return strings.NewReplacer("LANES", fmt.Sprint(lanes), "VB", fmt.Sprint(4*lanes), "DB", fmt.Sprint(8*lanes),
		"IOTA", strings.Join(iota, ", "), "XS", xs).Replace(preludeText)
}

// preludeText is prelude's template. Its splats are initializers: GCC
// compiles a lane-by-lane loop into masked inserts (the broadcast input of
// a packed convolution ran 20x slower with one).
const preludeText = `// No header is included, so no macro can clash with a tensor's name.
void *malloc(__SIZE_TYPE__ size);
void free(void *p);

typedef float tt_vf __attribute__((vector_size(VB)));
typedef int tt_vi __attribute__((vector_size(VB)));
typedef unsigned tt_vu __attribute__((vector_size(VB)));
typedef double tt_vd __attribute__((vector_size(DB)));
typedef long long tt_vl __attribute__((vector_size(DB)));
static const tt_vi tt_iota __attribute__((unused)) = {IOTA};

static inline tt_vf tt_splat(float x) {
  tt_vf v = {XS};
  return v;
}
static inline tt_vi tt_splati(int x) {
  tt_vi v = {XS};
  return v;
}
static inline tt_vd tt_splatd(double x) {
  tt_vd v = {XS};
  return v;
}
static inline tt_vf tt_load(const float *p) {
  tt_vf v;
  __builtin_memcpy(&v, p, sizeof v);
  return v;
}
static inline void tt_store(float *p, tt_vf v) { __builtin_memcpy(p, &v, sizeof v); }
static inline tt_vf tt_vsel(tt_vi m, tt_vf x, tt_vf y) { return (tt_vf)((m & (tt_vi)x) | (~m & (tt_vi)y)); }
static inline tt_vi tt_vseli(tt_vi m, tt_vi x, tt_vi y) { return (m & x) | (~m & y); }
static inline tt_vd tt_vseld(tt_vl m, tt_vd x, tt_vd y) { return (tt_vd)((m & (tt_vl)x) | (~m & (tt_vl)y)); }
static inline float tt_minf(float a, float b) { return b < a ? b : a; }
static inline float tt_maxf(float a, float b) { return a < b ? b : a; }
static inline tt_vf tt_vmin(tt_vf a, tt_vf b) { return tt_vsel(b < a, b, a); }
static inline tt_vf tt_vmax(tt_vf a, tt_vf b) { return tt_vsel(a < b, b, a); }
static inline long tt_mini(long a, long b) { return a < b ? a : b; }
static inline long tt_maxi(long a, long b) { return a > b ? a : b; }
static inline long tt_floordiv(long a, long b) {
  long q = a / b;
  return (a % b != 0 && ((a < 0) != (b < 0))) ? q - 1 : q;
}
static inline long tt_floormod(long a, long b) {
  long r = a % b;
  return (r != 0 && ((r < 0) != (b < 0))) ? r + b : r;
}
static inline long tt_f2i(float x) {
  if (x != x) return -0x7fffffffffffffffL - 1;
  if (x >= 0x1p63f) return 0x7fffffffffffffffL;
  if (x < -0x1p63f) return -0x7fffffffffffffffL - 1;
  return (long)x;
}
static inline int tt_bits(float x) {
  int i;
  __builtin_memcpy(&i, &x, 4);
  return i;
}
static inline float tt_frombits(int i) {
  float x;
  __builtin_memcpy(&x, &i, 4);
  return x;
}
static inline double tt_pow2k(double x) {
  unsigned long long u;
  __builtin_memcpy(&u, &x, 8);
  u <<= 52;
  __builtin_memcpy(&x, &u, 8);
  return x;
}
static inline tt_vf tt_vabs(tt_vf x) { return (tt_vf)((tt_vi)x & tt_splati(0x7fffffff)); }
static inline tt_vf tt_vsqrt(tt_vf x) {
  for (int i = 0; i < LANES; i++) x[i] = __builtin_sqrtf(x[i]);
  return x;
}
static inline tt_vf tt_vcopysign(tt_vf x, tt_vf y) {
  tt_vi s = tt_splati(-0x7fffffff - 1);
  return (tt_vf)(((tt_vi)x & ~s) | ((tt_vi)y & s));
}
static inline tt_vf tt_vtrunc(tt_vf x) {
  tt_vf t = tt_vcopysign(__builtin_convertvector(__builtin_convertvector(x, tt_vi), tt_vf), x);
  return tt_vsel(tt_vabs(x) < tt_splat(0x1p23f), t, x);
}

// The math functions are compiled as written: no multiply-add contraction,
// so that they give the bits of the wasm generator's.
#if defined(__clang__)
#define TT_MATH static inline
#define TT_NOCONTRACT _Pragma("clang fp contract(off)")
#else
#define TT_MATH static inline __attribute__((optimize("fp-contract=off")))
#define TT_NOCONTRACT
#endif
`
