package features

import (
	"testing"

	"github.com/tabtune/tabtune/targets"
)

// TestMachineOf: the machine of a target has its vector lanes and caches.
func TestMachineOf(t *testing.T) {
	for _, c := range []struct {
		target string
		want   Machine
	}{
		{"wasm-simd", Machine{Lanes: 4, L1: 32 << 10, L2: 1 << 20}},
		{"cpu -mcpu=haswell", Machine{Lanes: 8, L1: 32 << 10, L2: 256 << 10}},
		{"cpu -mcpu=skylake-avx512", Machine{Lanes: 16, L1: 32 << 10, L2: 1 << 20}},
		{"cpu -mcpu=native -lanes=16 -l1=48 -l2=2048", Machine{Lanes: 16, L1: 48 << 10, L2: 2 << 20}},
	} {
		if got := MachineOf(targets.MustParseTarget(c.target)); got != c.want {
			t.Errorf("%s: %+v, want %+v", c.target, got, c.want)
		}
	}
	if Wasm != MachineOf(targets.MustParseTarget("wasm-simd")) {
		t.Error("Wasm is not the wasm-simd target's machine")
	}
}

// TestMachineFeatures: the same program has different features on
// machines with different vectors and caches, in the columns that
// describe them, and the same elsewhere.
func TestMachineFeatures(t *testing.T) {
	f, _ := extract(t, build(t, "gmm:M=64,N=64,K=64", tiledMatmul))
	// j.1 (16) vectorized: four chunks of 4 lanes, unrolled, on wasm; one
	// chunk of 16 lanes on AVX-512.
	w := Wasm.Extract(f)
	avx := MachineOf(targets.MustParseTarget("cpu -mcpu=skylake-avx512")).Extract(f)
	upd := len(w) - 1 // the update store: C += A*B
	if w[upd][fVecNum] == 0 || avx[upd][fVecNum] == 0 {
		t.Fatalf("j.1 not vectorized: wasm %g, avx-512 %g", w[upd][fVecNum], avx[upd][fVecNum])
	}
	if w, a := get(t, w[upd], "unroll_prod"), get(t, avx[upd], "unroll_prod"); w <= a {
		t.Errorf("unroll_prod %g on wasm, %g on AVX-512: the chunk loop has 4 iterations on wasm, 1 on AVX-512", w, a)
	}
	// The reuse distances of the update's buffers are 12 and 336 bytes:
	// both in a 32 KiB L1; with a 128-byte L1 and a 512-byte L2, the
	// larger one only in L2.
	small := Machine{Lanes: 4, L1: 128, L2: 512}
	s := small.Extract(f)
	differ := false
	for b := range MaxBuffers {
		at := fBuffers + b*nBuf
		if w[upd][at+bReuseL1] != s[upd][at+bReuseL1] {
			differ = true
		}
		if s[upd][at+bReuseL1] > s[upd][at+bReuseL2] {
			t.Errorf("buffer %d: reuse in L1 but not in L2", b)
		}
	}
	if !differ {
		t.Error("reuse_l1 is the same with a 32 KiB and a 128-byte L1")
	}
	for j := range Len {
		if (j-fBuffers)%nBuf == bReuseL1 || (j-fBuffers)%nBuf == bReuseL2 {
			continue
		}
		if j >= fBuffers && j < fBuffers+MaxBuffers*nBuf {
			if w[upd][j] != s[upd][j] {
				t.Errorf("%s: %g with a 32 KiB L1, %g with 128 bytes", names[j], w[upd][j], s[upd][j])
			}
		}
	}
}
