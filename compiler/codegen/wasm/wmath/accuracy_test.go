package wmath

import (
	"math"
	"math/rand/v2"
	"os"
	"runtime"
	"sync"
	"testing"
)

// Accuracy of the Go reference functions (the wasm ones equal them bit for
// bit, see wasm_test.go) against float64 math rounded to float32.

type unary struct {
	name  string
	f     func(float32) float32
	ref   func(float64) float64
	bound uint64 // max ulp error allowed
	// flush: where the reference is below flushBelow, 0 is also right
	// (exp flushes the results it cannot scale once).
	flush bool
}

// flushBelow is where exp may flush to 0: 2^-125.5 (and a little more,
// for the rounding of x·log2e), so the smallest normal floats too.
const flushBelow = 0x1.6a0ap-126

var unaries = []unary{
	{"exp", Exp, math.Exp, 2, true},
	{"log", Log, math.Log, 2, false},
	{"tanh", Tanh, math.Tanh, 4, false},
	{"sigmoid", Sigmoid, func(x float64) float64 { return 1 / (1 + math.Exp(-x)) }, 4, true},
}

// ordered maps a float32 to an integer in the order of the floats, with
// +0 and -0 both at 0.
func ordered(f float32) int64 {
	u := math.Float32bits(f)
	if u&0x80000000 != 0 {
		return -int64(u & 0x7fffffff)
	}
	return int64(u)
}

// ulpErr is the distance in float32 steps between got and want; NaN
// against NaN is 0, NaN against a number is maximal.
func ulpErr(got, want float32) uint64 {
	gn, wn := got != got, want != want
	if gn || wn {
		if gn && wn {
			return 0
		}
		return math.MaxUint64
	}
	d := ordered(got) - ordered(want)
	if d < 0 {
		d = -d
	}
	return uint64(d)
}

// err is the ulp error of u at x: 0 for a flushed result where u may
// flush.
func (u unary) err(x float32) uint64 {
	got, want := u.f(x), float32(u.ref(float64(x)))
	if u.flush && got == 0 && want >= 0 && want < flushBelow {
		return 0
	}
	return ulpErr(got, want)
}

// sameBits reports whether a and b are the same float32, NaNs equal.
func sameBits(a, b float32) bool {
	if a != a || b != b {
		return a != a && b != b
	}
	return math.Float32bits(a) == math.Float32bits(b)
}

// unaryInputs returns ~2.1e6 test inputs: two per 4096 bit patterns over
// all of float32 (one with random low bits, one with them zero), specials,
// and dense runs of consecutive floats around each function's thresholds.
func unaryInputs() []float32 {
	rng := rand.New(rand.NewPCG(1, 2))
	var xs []float32
	for i := uint64(0); i < 1<<20; i++ {
		xs = append(xs, math.Float32frombits(uint32(i<<12|rng.Uint64N(1<<12))))
		xs = append(xs, math.Float32frombits(uint32(i<<12))) // round patterns
	}
	xs = append(xs, specials...)
	for _, c := range []float32{
		0, 1, -1, 0.625, -0.625, 0.5, 2,
		88.72283935546875, 88.7, -87.33654, -103.972, -103.27893, // exp over- and underflow
		44.36142, -44.36142, 9.01, -9.01, -88.72284, -104, // tanh, sigmoid
		0x1p-126, 0x1p-149, math.MaxFloat32, 0.6931472, 0.7071068, 1.4142135,
	} {
		b := math.Float32bits(c)
		for d := uint32(0); d < 2000; d++ {
			xs = append(xs, math.Float32frombits(b+d-1000))
		}
	}
	return xs
}

var specials = []float32{
	0, float32(math.Copysign(0, -1)), 1, -1, 0.5, -0.5, 2, -2, 3, -3,
	float32(math.Inf(1)), float32(math.Inf(-1)), float32(math.NaN()),
	math.Float32frombits(1), math.Float32frombits(0x80000001), // ± smallest subnormal
	math.Float32frombits(0x007fffff), math.Float32frombits(0x807fffff), // ± largest subnormal
	0x1p-126, -0x1p-126, math.MaxFloat32, -math.MaxFloat32,
	88.72283935546875, 88.72284, 88.7228317, -87.33654, -87.33655, -103.97208, -103.972084, -104, 89,
}

func TestAccuracy(t *testing.T) {
	xs := unaryInputs()
	for _, u := range unaries {
		var worst uint64
		var at float32
		for _, x := range xs {
			if e := u.err(x); e > worst {
				worst, at = e, x
			}
		}
		t.Logf("%s: max %d ulp (at %g) over %d inputs", u.name, worst, at, len(xs))
		if worst > u.bound {
			t.Errorf("%s(%g) = %g, want %g: %d ulp > %d", u.name, at, u.f(at), float32(u.ref(float64(at))), worst, u.bound)
		}
	}
}

// TestExpNonPos bounds ExpNonPos's error where it is meant to be right,
// x <= 88.37 (lowering uses it for x <= 0): 2 ulp as exp, results under
// 2^-125.5 flushed or not; bit for bit exp's above e^-80.
func TestExpNonPos(t *testing.T) {
	u := unary{"exp_nonpos", ExpNonPos, math.Exp, 2, true}
	var worst uint64
	var at float32
	n := 0
	for _, x := range unaryInputs() {
		if !(x <= 88.37) {
			continue
		}
		n++
		if e := u.err(x); e > worst {
			worst, at = e, x
		}
		if x <= 0 && x > -80 && !sameBits(ExpNonPos(x), Exp(x)) {
			t.Errorf("exp_nonpos(%g) = %g, exp %g: they differ where no product is subnormal", x, ExpNonPos(x), Exp(x))
		}
	}
	t.Logf("%s: max %d ulp (at %g) over %d inputs", u.name, worst, at, n)
	if worst > u.bound {
		t.Errorf("%s(%g) = %g, want %g: %d ulp > %d", u.name, at, u.f(at), float32(u.ref(float64(at))), worst, u.bound)
	}
	for _, c := range []struct{ x, want float32 }{
		{0, 1}, {float32(math.Copysign(0, -1)), 1}, {88.37, float32(math.Exp(float64(float32(88.37))))},
		{float32(math.Inf(-1)), 0}, {-1000, 0}, {-88, 0},
	} {
		if got := ExpNonPos(c.x); ulpErr(got, c.want) > 2 {
			t.Errorf("exp_nonpos(%g) = %g, want %g", c.x, got, c.want)
		}
	}
	if got := ExpNonPos(float32(math.NaN())); got == got {
		t.Errorf("exp_nonpos(NaN) = %g, want NaN", got)
	}
}

// TestExhaustive checks every float32 input; it takes a minute or so and
// runs only with WMATH_EXHAUSTIVE=1.
func TestExhaustive(t *testing.T) {
	if os.Getenv("WMATH_EXHAUSTIVE") == "" {
		t.Skip("set WMATH_EXHAUSTIVE=1")
	}
	for _, u := range unaries {
		n := runtime.GOMAXPROCS(0)
		worst := make([]uint64, n)
		at := make([]float32, n)
		hist := make([][8]uint64, n)
		var wg sync.WaitGroup
		for w := range n {
			wg.Go(func() {
				for b := uint64(w); b < 1<<32; b += uint64(n) {
					x := math.Float32frombits(uint32(b))
					e := u.err(x)
					hist[w][min(e, 7)]++
					if e > worst[w] {
						worst[w], at[w] = e, x
					}
				}
			})
		}
		wg.Wait()
		var mx uint64
		var mat float32
		var h [8]uint64
		for w := range n {
			if worst[w] > mx {
				mx, mat = worst[w], at[w]
			}
			for i := range h {
				h[i] += hist[w][i]
			}
		}
		t.Logf("%s: max %d ulp at %g (%#x); histogram of ulp errors 0..7+: %v", u.name, mx, mat, math.Float32bits(mat), h)
		if mx > u.bound {
			t.Errorf("%s: %d ulp > %d", u.name, mx, u.bound)
		}
	}
}

// powInputs returns n (x, y) pairs: x > 0 over all binades (subnormals
// included) with y chosen so that x**y stays mostly within float32 range,
// plus x < 0 with integer y.
func powInputs(n int, seed uint64) (xs, ys []float32) {
	rng := rand.New(rand.NewPCG(seed, 7))
	for range n {
		var x, y float32
		switch rng.IntN(5) {
		case 0: // any positive x, y scaled so |y·log2 x| <= ~160
			x = math.Float32frombits(uint32(rng.Uint64N(0x7f800000)))
			l := math.Abs(math.Log2(float64(x)))
			y = float32((rng.Float64()*2 - 1) * 160 / max(l, 1e-3))
		case 1: // x near 1, large y
			x = float32(1 + (rng.Float64()*2-1)*0.01)
			y = float32((rng.Float64()*2 - 1) * 1e4)
		case 2: // moderate x, moderate y
			x = float32(rng.Float64() * 100)
			y = float32((rng.Float64()*2 - 1) * 10)
		case 3: // integer exponents, both signs of x
			x = float32((rng.Float64()*2 - 1) * 20)
			y = float32(rng.IntN(61) - 30)
		default: // any positive x, |y| < 2
			x = math.Float32frombits(uint32(rng.Uint64N(0x7f800000)))
			y = float32((rng.Float64()*2 - 1) * 2)
		}
		xs, ys = append(xs, x), append(ys, y)
	}
	return xs, ys
}

func TestPowAccuracy(t *testing.T) {
	n := 300000
	if os.Getenv("WMATH_EXHAUSTIVE") != "" {
		n = 50000000
	}
	xs, ys := powInputs(n, 3)
	var worst uint64
	var wx, wy float32
	inexact := 0
	for i := range xs {
		want := float32(math.Pow(float64(xs[i]), float64(ys[i])))
		e := ulpErr(Pow(xs[i], ys[i]), want)
		if e > 0 {
			inexact++
		}
		if e > worst {
			worst, wx, wy = e, xs[i], ys[i]
		}
	}
	t.Logf("pow: max %d ulp (at %g, %g) over %d inputs, %d not within 0 ulp", worst, wx, wy, len(xs), inexact)
	if worst > 4 {
		t.Errorf("pow(%g, %g) = %g, want %g: %d ulp", wx, wy, Pow(wx, wy), math.Pow(float64(wx), float64(wy)), worst)
	}
}
