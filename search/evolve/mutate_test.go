package evolve

import (
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/tabtune/tabtune/compiler/interp"
	"github.com/tabtune/tabtune/compiler/lower"
	"github.com/tabtune/tabtune/compiler/ops"
	"github.com/tabtune/tabtune/search/sample"
	"github.com/tabtune/tabtune/search/sketch"
	"github.com/tabtune/tabtune/targets"
)

// TestGrowTile: growTile moves a factor of a spatial knob into its
// innermost level and nothing else: the knob's levels keep their product
// within the extent, the register tile
// grows and stays within the budget, and the grown schedules of a small
// depthwise conv and of GMM lower and compute the reference.
func TestGrowTile(t *testing.T) {
	tg := targets.MustParseTarget("wasm-simd")
	for _, spec := range []string{"dep:N=1,C=8,H=14,W=14,KH=3,KW=3,stride=1,pad=1", "gmm:M=24,N=16,K=8"} {
		d, err := ops.BuildSpec(spec)
		if err != nil {
			t.Fatal(err)
		}
		sks, err := sketch.NewPolicy(tg).Generate(d)
		if err != nil {
			t.Fatal(err)
		}
		rng := rand.New(rand.NewPCG(5, 6))
		grown, checked := 0, 0
		for _, sk := range sks {
			sp := sample.NewSpace(sk, tg)
			for range 60 {
				c := sp.Random(rng)
				g := c.Clone()
				if !growTile(rng, sp, &g) {
					continue
				}
				grown++
				changed := -1
				for i := range c.Tiles {
					if !slices.Equal(c.Tiles[i], g.Tiles[i]) {
						if changed >= 0 {
							t.Fatalf("%s: knobs %d and %d changed", spec, changed, i)
						}
						changed = i
					}
				}
				if changed < 0 {
					t.Fatalf("%s: growTile reported a change and made none", spec)
				}
				a, b := c.Tiles[changed], g.Tiles[changed]
				if b[len(b)-1] <= a[len(a)-1] || b[len(b)-1]%a[len(a)-1] != 0 {
					t.Fatalf("%s: innermost %v -> %v did not grow by a factor", spec, a, b)
				}
				if v := sp.TileVectors(g, changed); v > sp.TileBudget() {
					t.Fatalf("%s: grown tile %v holds %d vectors, budget %d", spec, b, v, sp.TileBudget())
				}
				if prod(b) > sk.Tiles[changed].Extent {
					t.Fatalf("%s: levels %v exceed extent %d", spec, b, sk.Tiles[changed].Extent)
				}
				if checked >= 12 {
					continue
				}
				st, err := sp.Build(g)
				if err != nil {
					continue
				}
				f, err := lower.Lower(st)
				if err != nil {
					t.Fatalf("%s: %v\n%s", spec, err, st.StepsString())
				}
				if diff, err := interp.Check(f, d, 1); err != nil || !diff.OK {
					t.Fatalf("%s: %v %v\n%s", spec, err, diff, st.StepsString())
				}
				checked++
			}
		}
		if grown == 0 || checked == 0 {
			t.Errorf("%s: %d tiles grown, %d checked", spec, grown, checked)
		}
	}
}

func prod(ls []int64) int64 {
	p := int64(1)
	for _, l := range ls {
		p *= l
	}
	return p
}
