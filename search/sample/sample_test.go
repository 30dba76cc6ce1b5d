package sample

import (
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/tabtune/tabtune/compiler/interp"
	"github.com/tabtune/tabtune/compiler/lower"
	"github.com/tabtune/tabtune/compiler/ops"
	"github.com/tabtune/tabtune/compiler/schedule"
	"github.com/tabtune/tabtune/compiler/schedule/schedtest"
	"github.com/tabtune/tabtune/compiler/te"
	"github.com/tabtune/tabtune/search/sketch"
	"github.com/tabtune/tabtune/targets"
)

// TestRandomConfigs: random configs of every sketch of every zoo operator
// (small shapes) build, lower and compute the reference; most of them
// build at all.
func TestRandomConfigs(t *testing.T) {
	names, dags := schedtest.SmallDAGs(t)
	for _, target := range []string{"wasm-simd", "cpu -cores=4"} {
		tg := targets.MustParseTarget(target)
		p := sketch.NewPolicy(tg)
		built, tried := 0, 0
		for w, d := range dags {
			sks, err := p.Generate(d)
			if err != nil {
				t.Fatal(err)
			}
			rng := rand.New(rand.NewPCG(uint64(w), 3))
			for _, sk := range sks {
				sp := NewSpace(sk, tg)
				for range 8 {
					tried++
					cfg := sp.Random(rng)
					st, err := sp.Build(cfg)
					if err != nil {
						continue
					}
					built++
					for i, s := range sp.Stages {
						if sp.UnrollChoices()[cfg.Unroll[i]] > 0 && !livePragma(st.Stages[s]) {
							t.Fatalf("%s on %s: the unroll pragma of stage %s is on no loop\n%s", names[w], target, st.Stages[s].Name(), st.StepsString())
						}
					}
					f, err := lower.Lower(st)
					if err != nil {
						t.Fatalf("%s: %v\n%s", names[w], err, st.StepsString())
					}
					diff, err := interp.Check(f, d, 1)
					if err != nil || !diff.OK {
						t.Fatalf("%s: %v %v\n%s", names[w], err, diff, st.StepsString())
					}
				}
			}
		}
		if built < tried*8/10 {
			t.Errorf("%s: only %d of %d random configs built", target, built, tried)
		}
	}
}

// livePragma reports whether a pragma of stage s is on one of its loops.
func livePragma(s *schedule.Stage) bool {
	for _, p := range s.Pragmas {
		if slices.Contains(s.Iters, p.Node) {
			return true
		}
	}
	return false
}

func TestRandomTileIsAFactorization(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for range 1000 {
		k := sketch.TileKnob{Extent: 1 + rng.Int64N(300), Parts: 2 + rng.IntN(3)}
		ls := randomTile(rng, k)
		p := int64(1)
		for _, l := range ls {
			if l < 1 {
				t.Fatalf("length %d", l)
			}
			p *= l
		}
		if ls[len(ls)-1] > 64 {
			t.Fatalf("innermost %d > 64", ls[len(ls)-1])
		}
		if p > 2*k.Extent+16 {
			t.Fatalf("lengths %v overshoot extent %d", ls, k.Extent)
		}
	}
}

// TestMicroTiles: micro-kernel draws give the vectorized axis whole
// vectors, keep the register tile within microBudget vectors (budget: the
// most it draws), and keep the levels between the outer and the innermost
// at 1. On AVX-512 (32 registers) GMM's tiles go past 12 accumulators; on
// wasm a part of the draws do (a budget of 16 or 28, spilled by V8), but
// most stay within the 12 registers.
func TestMicroTiles(t *testing.T) {
	for _, c := range []struct {
		target       string
		regs, budget int64
	}{{"wasm-simd", 12, 28}, {"cpu -mcpu=native -lanes=8", 12, 12}, {"cpu -mcpu=skylake-avx512", 28, 28}, {"cpu -mcpu=native -lanes=16 -cores=2", 28, 28}} {
		t.Run(c.target, func(t *testing.T) { testMicroTiles(t, targets.MustParseTarget(c.target), c.regs, c.budget) })
	}
}

func testMicroTiles(t *testing.T, tg targets.Target, regs, budget int64) {
	if got := microRegisters(tg); got != regs {
		t.Fatalf("microRegisters(%s) = %d, want %d", tg, got, regs)
	}
	lanes := int64(tg.VectorLanes())
	for _, spec := range []string{"gmm:M=1024,N=1024,K=1024", "c2d"} {
		most := int64(0)
		sks := sketchesOf(t, spec, tg)
		rng := rand.New(rand.NewPCG(1, 2))
		reduceOuter, over, tiled := 0, 0, 0
		for _, sk := range sks {
			sp := NewSpace(sk, tg)
			for range 50 {
				tiles := sp.microTiles(rng)
				vectors := map[int]int64{}
				outer := true
				for i, k := range sk.Tiles {
					ls := tiles[i]
					inner := ls[len(ls)-1]
					if k.Reduce {
						outer = outer && slices.Max(ls) == 1
						continue
					}
					for _, l := range ls[1 : len(ls)-1] {
						if l != 1 {
							t.Fatalf("%s: tile %v of knob %d has a middle level", spec, ls, i)
						}
					}
					st := sp.knobStage(k)
					if vectors[st] == 0 {
						vectors[st] = 1
					}
					if vectorKnob(sk, st) == i {
						// C2D's 56 columns hold no whole 16-lane vector.
						if inner%lanes != 0 && k.Extent%lanes == 0 {
							t.Fatalf("%s: vectorized axis tile %d is not whole vectors", spec, inner)
						}
						vectors[st] *= (inner + lanes - 1) / lanes
					} else {
						vectors[st] *= inner
					}
				}
				if outer {
					reduceOuter++
				}
				for st, v := range vectors {
					if v > budget {
						t.Fatalf("%s: stage %d holds %d vectors: %v", spec, st, v, tiles)
					}
					most = max(most, v)
					tiled++
					if v > regs {
						over++
					}
				}
			}
		}
		if n := 50 * len(sks); reduceOuter < n/2 || reduceOuter == n {
			t.Errorf("%s: %d of %d draws keep every reduction outside", spec, reduceOuter, n)
		}
		if spec != "c2d" && (budget > 12) != (most > 12) {
			t.Errorf("%s: the largest register tile has %d vectors, with a budget of %d", spec, most, budget)
		}
		if budget > regs && over > tiled/2 {
			t.Errorf("%s: %d of %d register tiles go past the %d registers", spec, over, tiled, regs)
		}
	}
}

// vectorKnob returns the index of the tile knob of stage st marked as its
// vector axis.
func vectorKnob(sk *sketch.Sketch, st int) int {
	for i, k := range sk.Tiles {
		if s, ok := sk.State.Steps[k.Step].(schedule.Split); ok && s.Stage == st && k.Vector {
			return i
		}
	}
	return -1
}

// TestPanelTiles: for GMM's sketches with a packed panel of B (read along
// j and k), most micro-kernel draws collapse the outer level of i (the
// panel is made once per column tile and reused by every row tile) and
// keep that of j (the panel stays a panel); the parallel loop of the
// root stage then spans the column tiles, and a copy stage's innermost
// loop is vectorized whatever its knob says.
func TestPanelTiles(t *testing.T) {
	tg := targets.MustParseTarget("cpu -mcpu=native -lanes=16 -cores=2")
	sks := sketchesOf(t, "gmm:M=1024,N=1024,K=1024", tg)
	rng := rand.New(rand.NewPCG(1, 2))
	panels := 0
	for _, sk := range sks {
		sp := NewSpace(sk, tg)
		stage, axes, ok := panelAxes(sk)
		if !ok {
			continue
		}
		if stage != sp.knobStage(sk.Tiles[0]) {
			t.Fatalf("the panel's reader is stage %d, the tiled stage %d", stage, sp.knobStage(sk.Tiles[0]))
		}
		panels++
		if axes[0] || !axes[1] {
			t.Fatalf("the panel of B uses axes %v, want j (1) only", axes)
		}
		shaped, parallel, vectorized := 0, 0, 0
		const draws = 200
		for range draws {
			tiles := sp.microTiles(rng)
			// Knobs 0 and 1 split i and j (spatial axes first, in order).
			if tiles[0][0] == 1024/tiles[0][len(tiles[0])-1] && tiles[1][0] != 1024/tiles[1][len(tiles[1])-1] {
				shaped++
			}
			cfg := sp.Random(rng)
			cfg.Tiles = tiles
			for i := range cfg.Vectorize {
				cfg.Vectorize[i] = false
			}
			st, err := sp.Build(cfg)
			if err != nil {
				t.Fatal(err)
			}
			for _, s := range st.Stages {
				if s.IsInput() {
					continue
				}
				for n := range s.Iters {
					switch s.Iter(n).Ann {
					case schedule.AnnParallel:
						parallel++
					case schedule.AnnVectorize:
						if !isCopy(s) {
							t.Fatalf("stage %s vectorized with every knob off", s.Name())
						}
						vectorized++
					}
				}
			}
		}
		if shaped < draws/2 {
			t.Errorf("%d of %d draws collapse i and keep j", shaped, draws)
		}
		if parallel < draws*9/10 {
			t.Errorf("%d of %d draws have a parallel loop", parallel, draws)
		}
		if vectorized < draws {
			t.Errorf("the copy stage is vectorized in %d of %d draws", vectorized, draws)
		}
	}
	if panels == 0 {
		t.Fatal("no sketch with a packed panel")
	}
}

// sketchesOf returns the sketches of a workload spec on a target.
func sketchesOf(t *testing.T, spec string, tg targets.Target) []*sketch.Sketch {
	t.Helper()
	d, err := ops.BuildSpec(spec)
	if err != nil {
		t.Fatal(err)
	}
	sks, err := sketch.NewPolicy(tg).Generate(d)
	if err != nil {
		t.Fatal(err)
	}
	return sks
}

// TestMicroTilesNotPowersOfTwo: on depthwise dw7 (14x14 pixels, 512
// channels) micro-kernel draws reach tiles of 7 and 14 pixels along an
// axis, which no power of two divides, and on wasm the 14 pixels by 8
// channels tile (28 accumulators) that a hand edit found 1.4x faster than
// a one-pixel tile, in about one draw in 50.
func TestMicroTilesNotPowersOfTwo(t *testing.T) {
	tg := targets.MustParseTarget("wasm-simd")
	lanes := int64(tg.VectorLanes())
	rng := rand.New(rand.NewPCG(1, 2))
	odd, wide := 0, 0
	for _, sk := range sketchesOf(t, "dep:N=1,C=512,H=14,W=14,KH=3,KW=3,stride=1,pad=1", tg) {
		sp := NewSpace(sk, tg)
		for range 400 {
			tiles := sp.microTiles(rng)
			pixels, channels := int64(1), int64(0)
			for i, k := range sk.Tiles {
				inner := tiles[i][len(tiles[i])-1]
				if !k.Reduce && k.Extent%inner != 0 {
					t.Fatalf("tile %v of knob %d does not divide %d", tiles[i], i, k.Extent)
				}
				switch {
				case k.Reduce:
				case k.Vector:
					if k.Extent == 512 {
						channels = inner
					}
				case k.Extent == 14:
					if inner == 7 || inner == 14 {
						odd++
					}
					pixels *= inner
				}
			}
			if pixels == 14 && channels == 2*lanes {
				wide++
			}
		}
	}
	// A wide draw's last spatial axis fills the budget (fillLast): 45 of
	// these 2000 draws, 20 when it was drawn uniformly.
	if odd == 0 || wide < 30 {
		t.Errorf("%d draws tile a 14-pixel axis by 7 or 14, %d draw 14 pixels by 8 channels", odd, wide)
	}
}

// TestMicroTilesNotPowersOfTwoCompute: micro-kernel schedules of a small
// depthwise conv (8 channels, 14x14 pixels) whose tile has 7 or 14 pixels
// along an axis lower and compute the reference.
func TestMicroTilesNotPowersOfTwoCompute(t *testing.T) {
	tg := targets.MustParseTarget("wasm-simd")
	const spec = "dep:N=1,C=8,H=14,W=14,KH=3,KW=3,stride=1,pad=1"
	d, err := ops.BuildSpec(spec)
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(3, 4))
	checked := 0
	for _, sk := range sketchesOf(t, spec, tg) {
		sp := NewSpace(sk, tg)
		n := 0
		for range 200 {
			tiles := sp.microTiles(rng)
			odd := false
			for i, k := range sk.Tiles {
				inner := tiles[i][len(tiles[i])-1]
				odd = odd || (!k.Reduce && (inner == 7 || inner == 14))
			}
			if !odd {
				continue
			}
			cfg := sp.Random(rng)
			cfg.Tiles = tiles
			if !computesReference(t, sp, cfg, d) {
				continue
			}
			checked++
			if n++; n == 4 {
				break
			}
		}
	}
	if checked == 0 {
		t.Fatal("no micro-kernel draw with a 7- or 14-pixel tile built")
	}
}

// computesReference builds cfg, lowers it and fails the test when it does
// not compute the reference of d; it reports false when cfg does not
// build.
func computesReference(t *testing.T, sp *Space, cfg Config, d *te.DAG) bool {
	t.Helper()
	st, err := sp.Build(cfg)
	if err != nil {
		return false
	}
	f, err := lower.Lower(st)
	if err != nil {
		t.Fatalf("%v\n%s", err, st.StepsString())
	}
	if diff, err := interp.Check(f, d, 1); err != nil || !diff.OK {
		t.Fatalf("%v %v\n%s", err, diff, st.StepsString())
	}
	return true
}
