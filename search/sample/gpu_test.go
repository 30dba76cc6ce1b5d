package sample

import (
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/tabtune/tabtune/compiler/interp"
	"github.com/tabtune/tabtune/compiler/ir"
	"github.com/tabtune/tabtune/compiler/lower"
	"github.com/tabtune/tabtune/compiler/ops"
	"github.com/tabtune/tabtune/compiler/schedule"
	"github.com/tabtune/tabtune/compiler/schedule/schedtest"
	"github.com/tabtune/tabtune/search/sketch"
	"github.com/tabtune/tabtune/targets"
)

var cuda = targets.MustParseTarget("cuda")

// gpuSpace returns the space of sketch n of a workload for cuda.
func gpuSpace(t *testing.T, spec string, n int) *Space {
	t.Helper()
	d, err := ops.BuildSpec(spec)
	if err != nil {
		t.Fatal(err)
	}
	sks, err := sketch.NewPolicy(cuda).Generate(d)
	if err != nil {
		t.Fatal(err)
	}
	return NewSpace(sks[n], cuda)
}

// checkBound checks a built GPU state: every kernel has threads, every
// shared copy is fetched by threads, only those fetches are vectorized,
// unroll budgets are GPU ones, and threads and virtual threads per block
// (with the extents lowering infers) are within the limits. It returns
// the largest thread count of a kernel.
func checkBound(t *testing.T, name string, st *schedule.State) int64 {
	t.Helper()
	lim := cuda.GPU()
	ext, err := lower.InferBound(st)
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	threads, vthreads := map[int]int64{}, map[int]int64{}
	most := int64(0)
	for i, s := range st.Stages {
		if s.IsInput() || s.Attach.Kind == schedule.AttachInline {
			continue
		}
		r := kernelOf(st, i)
		if vthreads[r] == 0 {
			vthreads[r] = 1
		}
		fetched := false
		for _, n := range s.Iters {
			switch s.Nodes[n].Ann {
			case schedule.AnnThreadX:
				threads[r] = max(threads[r], ext[i][n])
				most = max(most, threads[r])
				fetched = true
			case schedule.AnnVThread:
				vthreads[r] *= ext[i][n]
			case schedule.AnnVectorize:
				if s.Scope != ir.Shared {
					t.Errorf("%s: %s vectorized outside a shared fetch:\n%s", name, s.Name(), st)
				}
			}
		}
		if s.Scope == ir.Shared && !fetched {
			t.Errorf("%s: %s is not fetched by threads:\n%s", name, s.Name(), st)
		}
		for _, p := range s.Pragmas {
			if !slices.Contains(GPUUnrollSteps, p.Value) {
				t.Errorf("%s: unroll budget %d", name, p.Value)
			}
		}
	}
	for r, v := range vthreads {
		switch {
		case threads[r] == 0:
			t.Errorf("%s: kernel %s has no threads:\n%s", name, st.Stages[r].Name(), st)
		case threads[r] > lim.MaxThreadsPerBlock || v > lim.MaxVThread:
			t.Errorf("%s: kernel %s: %d threads, %d virtual threads", name, st.Stages[r].Name(), threads[r], v)
		}
	}
	return most
}

// TestGPUConfigsBindAndFit: random GPU configs of every sketch of every
// zoo operator (small shapes, shapes whose reductions are long enough for
// cross-thread reductions, and a few default shapes, large enough for the
// limits to bite) have no compute-location knobs, carry thread bindings
// in every kernel and stay within the device's limits; those of the
// small shapes lower and compute the reference. Most of them build: only
// configs whose shared tiles exceed the shared memory are rejected.
func TestGPUConfigsBindAndFit(t *testing.T) {
	names, dags := schedtest.SmallDAGs(t)
	specs := []string{"softmax:M=3,N=40", "layernorm:M=3,N=40", "gmm:M=4,N=3,K=70"}
	small := len(dags) + len(specs) // checked against the reference
	for _, spec := range append(specs, "gmm:M=512,N=512,K=512", "c2d", "softmax", "layernorm") {
		d, err := ops.BuildSpec(spec)
		if err != nil {
			t.Fatal(err)
		}
		names, dags = append(names, spec), append(dags, d)
	}
	p := sketch.NewPolicy(cuda)
	built, tried := 0, 0
	for w, d := range dags {
		sks, err := p.Generate(d)
		if err != nil {
			t.Fatal(err)
		}
		rng := rand.New(rand.NewPCG(uint64(w), 5))
		for _, sk := range sks {
			sp := NewSpace(sk, cuda)
			if len(sp.Locations) > 0 {
				t.Errorf("%s: a GPU space with compute-location knobs", names[w])
			}
			for range 6 {
				tried++
				st, err := sp.Build(sp.Random(rng))
				if err != nil {
					if !strings.Contains(err.Error(), "shared memory") {
						t.Errorf("%s: %v", names[w], err)
					}
					continue
				}
				built++
				checkBound(t, names[w], st)
				if w >= small {
					continue
				}
				f, err := lower.Lower(st)
				if err != nil {
					t.Fatalf("%s: %v\n%s", names[w], err, st.StepsString())
				}
				if diff, err := interp.Check(f, d, 1); err != nil || !diff.OK {
					t.Fatalf("%s: %v %v\n%s", names[w], err, diff, st.StepsString())
				}
			}
		}
	}
	if built < tried*7/10 {
		t.Errorf("only %d of %d random GPU configs built", built, tried)
	}
}

// TestGPUTilesFit: tile sizes drawn for a CPU (a small register tile and
// nothing else, many virtual threads, too many threads) are repaired to
// fit a GPU: at least a warp and at most 1024 threads per block, at most
// 8 virtual threads.
func TestGPUTilesFit(t *testing.T) {
	sp := gpuSpace(t, "gmm:M=512,N=512,K=512", 0)
	for _, tiles := range [][][]int64{
		{{1, 1, 1, 4}, {1, 1, 1, 4}, {1, 1}},
		{{16, 1, 1, 1}, {16, 4, 1, 1}, {4, 2}},
		{{1, 64, 1, 1}, {1, 64, 1, 1}, {2, 2}},
	} {
		c := Config{Tiles: tiles, Vectorize: make([]bool, len(sp.Stages)), Unroll: make([]int, len(sp.Stages))}
		st, err := sp.Build(c)
		if err != nil {
			t.Fatalf("%v: %v", tiles, err)
		}
		if n := checkBound(t, "gmm", st); n < 32 {
			t.Errorf("%v: %d threads per block", tiles, n)
		}
		if tiles[0][0] != c.Tiles[0][0] {
			t.Errorf("Build changed its caller's config")
		}
	}
}

// TestGPUSharedMemory: a block's shared tiles are what all its threads
// read per outer reduction step (not one thread's part): GMM blocks of
// 64x64 with 32 steps of k inside hold 2*64*32 floats, 16 KiB, and build;
// with 128 they hold 64 KiB and are rejected.
func TestGPUSharedMemory(t *testing.T) {
	sp := gpuSpace(t, "gmm:M=256,N=256,K=256", 0)
	for _, c := range []struct {
		k  []int64
		ok bool
	}{{[]int64{8, 4}, true}, {[]int64{32, 4}, false}} {
		cfg := Config{Tiles: [][]int64{{1, 16, 1, 4}, {1, 16, 1, 4}, c.k}, Vectorize: make([]bool, len(sp.Stages)), Unroll: make([]int, len(sp.Stages))}
		_, err := sp.Build(cfg)
		if c.ok != (err == nil) || err != nil && !strings.Contains(err.Error(), "65536 bytes of shared memory") {
			t.Errorf("k tiles %v: %v", c.k, err)
		}
	}
}
