package evolve

import (
	"math/rand/v2"

	"github.com/tabtune/tabtune/search/sample"
)

// mutate changes one knob of a config, chosen among the kinds the space
// has (Ansor's mutation rules, with equal weights here): a tile size, a
// register tile grown (growTile), an unroll budget, a compute location, a
// vectorization flag.
func mutate(rng *rand.Rand, sp *sample.Space, c sample.Config) sample.Config {
	c = c.Clone()
	kinds := []func() bool{
		func() bool { return mutateTile(rng, sp, &c) },
		func() bool { return growTile(rng, sp, &c) },
		func() bool {
			if len(c.Unroll) == 0 {
				return false
			}
			i := rng.IntN(len(c.Unroll))
			c.Unroll[i] = rng.IntN(len(sp.UnrollChoices()))
			return true
		},
		func() bool {
			if len(c.Locations) == 0 {
				return false
			}
			i := rng.IntN(len(c.Locations))
			c.Locations[i] = rng.IntN(sp.Locations[i].Choices)
			return true
		},
		func() bool {
			if len(c.Vectorize) == 0 {
				return false
			}
			i := rng.IntN(len(c.Vectorize))
			c.Vectorize[i] = !c.Vectorize[i]
			return true
		},
	}
	for range 8 {
		if kinds[rng.IntN(len(kinds))]() {
			break
		}
	}
	return c
}

// mutateTile moves a prime factor of one tile level to another level of
// the same knob (the outermost level takes what the inner ones leave), as
// Ansor's MutateTileSize does; the product of the levels is kept.
func mutateTile(rng *rand.Rand, sp *sample.Space, c *sample.Config) bool {
	if len(c.Tiles) == 0 {
		return false
	}
	k := rng.IntN(len(c.Tiles))
	lengths := c.Tiles[k]
	levels, _ := tileLevels(lengths, sp.Sketch.Tiles[k].Extent)
	from := rng.IntN(len(levels))
	if levels[from] <= 1 {
		return false
	}
	p := sample.SmallestPrime(levels[from])
	if rng.IntN(2) == 0 {
		p = randomPrimeFactor(rng, levels[from])
	}
	to := rng.IntN(len(levels))
	if to == from {
		return false
	}
	levels[from] /= p
	levels[to] *= p
	for i := range lengths {
		lengths[i] = levels[i+1]
	}
	if lengths[len(lengths)-1] > 64 {
		return false
	}
	return true
}

// growTile moves a prime factor of a spatial tile knob from one of its
// outer levels to the innermost one, the register tile, while the stage's
// tile stays within the space's TileBudget and the knob's inner levels
// within its extent. Moving factors at random
// (mutateTile) sends one to the innermost level one time in a few, and
// back out as often; a tile that shares its loads over more elements
// (depthwise weights over more pixels: 1.4x with 14 pixels by 8 channels
// than with one) is then seldom reached from a small one.
func growTile(rng *rand.Rand, sp *sample.Space, c *sample.Config) bool {
	var ids []int
	for i, k := range sp.Sketch.Tiles {
		if !k.Reduce && len(c.Tiles[i]) > 0 {
			ids = append(ids, i)
		}
	}
	if len(ids) == 0 {
		return false
	}
	k := ids[rng.IntN(len(ids))]
	lengths := c.Tiles[k]
	extent := sp.Sketch.Tiles[k].Extent
	levels, inner := tileLevels(lengths, extent)
	var from []int
	for i := range len(levels) - 1 {
		if levels[i] > 1 {
			from = append(from, i)
		}
	}
	if len(from) == 0 {
		return false
	}
	f := from[rng.IntN(len(from))]
	p := randomPrimeFactor(rng, levels[f])
	old := lengths[len(lengths)-1]
	levels[f] /= p
	lengths[len(lengths)-1] = old * p
	if lengths[len(lengths)-1] > 64 || inner*p > extent || sp.TileVectors(*c, k) > sp.TileBudget() {
		lengths[len(lengths)-1] = old
		return false
	}
	for i := range len(lengths) - 1 {
		lengths[i] = levels[i+1]
	}
	return true
}

// tileLevels returns the levels of a tile knob of extent extent with
// inner lengths lengths: 0 is the outer one, implied (what the inner ones
// leave, rounded up), 1.. are lengths[0..]; and the product of lengths.
func tileLevels(lengths []int64, extent int64) (levels []int64, inner int64) {
	levels = make([]int64, len(lengths)+1)
	inner = 1
	for i, l := range lengths {
		levels[i+1] = l
		inner *= l
	}
	levels[0] = (extent + inner - 1) / inner
	return levels, inner
}

func randomPrimeFactor(rng *rand.Rand, n int64) int64 {
	var ps []int64
	for p := int64(2); p*p <= n; p++ {
		for n%p == 0 {
			ps = append(ps, p)
			n /= p
		}
	}
	if n > 1 {
		ps = append(ps, n)
	}
	return ps[rng.IntN(len(ps))]
}

// crossover takes each knob from one parent or the other.
func crossover(rng *rand.Rand, a, b sample.Config) sample.Config {
	c := a.Clone()
	for i := range c.Tiles {
		if rng.IntN(2) == 0 {
			c.Tiles[i] = append([]int64(nil), b.Tiles[i]...)
		}
	}
	for i := range c.Locations {
		if rng.IntN(2) == 0 {
			c.Locations[i] = b.Locations[i]
		}
	}
	for i := range c.Vectorize {
		if rng.IntN(2) == 0 {
			c.Vectorize[i], c.Unroll[i] = b.Vectorize[i], b.Unroll[i]
		}
	}
	return c
}
