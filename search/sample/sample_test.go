package sample

import (
	"math/rand/v2"
	"testing"

	"github.com/tabtune/tabtune/compiler/interp"
	"github.com/tabtune/tabtune/compiler/lower"
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
					st, err := sp.Build(sp.Random(rng))
					if err != nil {
						continue
					}
					built++
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
