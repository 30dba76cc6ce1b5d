package sample

import (
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/tabtune/tabtune/compiler/interp"
	"github.com/tabtune/tabtune/compiler/lower"
	"github.com/tabtune/tabtune/compiler/schedule"
	"github.com/tabtune/tabtune/compiler/schedule/schedtest"
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
