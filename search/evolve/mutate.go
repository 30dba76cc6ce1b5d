package evolve

import (
	"math/rand/v2"

	"github.com/tabtune/tabtune/search/sample"
)

// mutate changes one knob of a config, chosen among the kinds the space
// has (Ansor's mutation rules, with equal weights here): a tile size, an
// unroll budget, a compute location, a vectorization flag.
func mutate(rng *rand.Rand, sp *sample.Space, c sample.Config) sample.Config {
	c = c.Clone()
	kinds := []func() bool{
		func() bool { return mutateTile(rng, sp, &c) },
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
	extent := sp.Sketch.Tiles[k].Extent
	// Levels: 0 is the outer one, implied; 1.. are lengths[0..].
	levels := make([]int64, len(lengths)+1)
	inner := int64(1)
	for i, l := range lengths {
		levels[i+1] = l
		inner *= l
	}
	levels[0] = (extent + inner - 1) / inner
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
