// Package evolve is the evolutionary search of Ansor (Zheng et al.,
// OSDI'20, Sec. 5.1): a population of configs drawn from every sketch's
// space (package sample) and from the best states measured so far evolves
// for a few generations; parents are chosen with probability proportional
// to the cost model's score, children are made by mutation (a tile size,
// the unroll budget, a compute location, vectorization) and by crossover
// (knob by knob, between parents of one sketch), and the best-scored
// distinct configs that were not measured before are returned, mixed with
// a few random ones (epsilon-greedy) so the model keeps learning.
//
// Every random choice comes from the caller's seeded source: the same
// seed, scores and measured set give the same configs.
package evolve

import (
	"math/rand/v2"
	"sort"

	"github.com/tabtune/tabtune/compiler/schedule"
	"github.com/tabtune/tabtune/search/records"
	"github.com/tabtune/tabtune/search/sample"
)

// Scorer scores states: higher is faster (the cost model's prediction of
// normalized throughput). Before a model is trained it may return zeros.
type Scorer interface {
	Score(states []*schedule.State) []float64
}

// Params are the knobs of the search, with Ansor's defaults.
type Params struct {
	Population  int     // 2048
	Generations int     // 4
	MutateProb  float64 // 0.85: the share of children made by mutation (the rest by crossover)
	EpsGreedy   float64 // 0.05: the share of a batch drawn at random
	Elite       int     // best configs carried over unchanged each generation (Population/16)
	// SketchShare is the share of a batch that goes to each sketch in
	// turn, its best-scored candidate each time (0.25; Ansor has none).
	// The rest of the batch is the best-scored candidates of all sketches,
	// which after a few rounds all descend from the best measured ones:
	// without this share, a sketch whose programs the model has seen
	// little of (so it scores them at the average) is never measured
	// again, however good its best programs are.
	SketchShare float64
	// FreshShare is the share of a batch taken from this round's fresh
	// random draws (the part of the first population that does not come
	// from the seeds), the best-scored first (0.25; Ansor has none). The
	// rest of the batch descends from the best measured programs: once
	// the model has seen one family of programs (one loop order, one
	// register tile) densely, it scores the other families low for want
	// of data, and the search measures variations of its first good find
	// for ever (C2D in node: stuck at 42-44 GFLOP/s in two seeds of four,
	// where random search found 48-50). Fresh draws ranked by the model
	// keep finding the other families: among random programs, the model's
	// top few are close to the best of them.
	FreshShare float64
}

// AnsorParams are Ansor's defaults (population 2048, 4 generations,
// eps-greedy 0.05), and our SketchShare and FreshShare.
func AnsorParams() Params {
	return Params{Population: 2048, Generations: 4, MutateProb: 0.85, EpsGreedy: 0.05, SketchShare: 0.25, FreshShare: 0.25}
}

// DefaultParams are Ansor's defaults, with the population scaled to the
// platform: DefaultPopulation is 2048 natively and smaller when the search
// runs as WebAssembly in a browser tab, where a round is several times
// slower (see DefaultPopulation).
func DefaultParams() Params {
	p := AnsorParams()
	p.Population = DefaultPopulation
	return p
}

// Candidate is a config of one space, with its state and score.
type Candidate struct {
	Space  int // index into the spaces the search was given
	Config sample.Config
	State  *schedule.State
	Score  float64
	// Origin says which part of a batch took it: records.OriginEvolve,
	// OriginSketch, OriginFresh or OriginRandom.
	Origin string
}

// Key identifies a candidate for de-duplication.
func (c *Candidate) Key() string { return string(rune('A'+c.Space)) + ":" + c.Config.Key() }

// Search holds what one tuning task's search needs between rounds.
type Search struct {
	Spaces []*sample.Space
	Params Params
	Rng    *rand.Rand
	// Tried holds the keys of the candidates the tuner has dealt with:
	// measured, found measured in the log, refused by the code generator,
	// or compiled to a kernel measured before. The search proposes none
	// of them again.
	Tried map[string]bool
}

// Random draws n distinct, buildable candidates not measured yet.
func (s *Search) Random(n int) []*Candidate {
	var out []*Candidate
	seen := map[string]bool{}
	for tries := 0; len(out) < n && tries < 20*n+100; tries++ {
		sp := s.Rng.IntN(len(s.Spaces))
		c := s.make(sp, s.Spaces[sp].Random(s.Rng))
		if c == nil || seen[c.Key()] || s.Tried[c.Key()] {
			continue
		}
		c.Origin = records.OriginRandom
		seen[c.Key()] = true
		out = append(out, c)
	}
	return out
}

func (s *Search) make(space int, cfg sample.Config) *Candidate {
	st, err := s.Spaces[space].Build(cfg)
	if err != nil {
		return nil
	}
	return &Candidate{Space: space, Config: cfg, State: st}
}

// Next runs the evolution and returns up to n candidates to measure:
// about SketchShare*n taken from each sketch in turn (its best-scored new
// one), about FreshShare*n of the best-scored fresh random draws, the
// best-scored new ones of all sketches, and about EpsGreedy*n random
// ones. seeds are good candidates to start from (the best measured so
// far).
func (s *Search) Next(scorer Scorer, seeds []*Candidate, n int) []*Candidate {
	p := s.Params
	pop := append([]*Candidate(nil), seeds...)
	fresh := s.Random(max(p.Population-len(pop), 0))
	pop = append(pop, fresh...)
	score(scorer, pop)
	fresh = rank(fresh)
	best := map[string]*Candidate{}
	keep := func(cs []*Candidate) {
		for _, c := range cs {
			if !s.Tried[c.Key()] {
				best[c.Key()] = c
			}
		}
	}
	keep(pop)
	for g := 0; g < p.Generations && len(pop) > 0; g++ {
		pop = s.generation(scorer, pop)
		keep(pop)
	}
	ranked := make([]*Candidate, 0, len(best))
	for _, c := range best {
		ranked = append(ranked, c)
	}
	ranked = rank(ranked)
	nRandom := int(float64(n)*p.EpsGreedy + 0.5)
	if len(ranked) < n-nRandom {
		nRandom = n - len(ranked)
	}
	nModel := min(len(ranked), n-nRandom)
	nSketch := min(int(float64(n)*p.SketchShare+0.5), nModel)
	if len(s.Spaces) < 2 {
		nSketch = 0
	}
	nFresh := min(int(float64(n)*p.FreshShare+0.5), nModel-nSketch)
	taken := map[string]bool{}
	var groups [4][]*Candidate
	take := func(g int, c *Candidate, origin string) {
		c.Origin = origin
		groups[g] = append(groups[g], c)
		taken[c.Key()] = true
	}
	// Each sketch in turn: its best-scored candidate.
	bySpace := make([][]*Candidate, len(s.Spaces))
	for _, c := range ranked {
		bySpace[c.Space] = append(bySpace[c.Space], c)
	}
	for added := true; added && len(groups[0]) < nSketch; {
		added = false
		for sp := range bySpace {
			if len(groups[0]) < nSketch && len(bySpace[sp]) > 0 {
				take(0, bySpace[sp][0], records.OriginSketch)
				bySpace[sp] = bySpace[sp][1:]
				added = true
			}
		}
	}
	// The best-scored fresh draws.
	for i := 0; i < len(fresh) && len(groups[1]) < nFresh; i++ {
		if !taken[fresh[i].Key()] {
			take(1, fresh[i], records.OriginFresh)
		}
	}
	// The best-scored of all.
	for _, c := range ranked {
		if len(taken) >= nModel {
			break
		}
		if !taken[c.Key()] {
			take(2, c, records.OriginEvolve)
		}
	}
	for _, c := range s.Random(nRandom * 2) {
		if len(taken) >= n {
			break
		}
		if !taken[c.Key()] {
			take(3, c, records.OriginRandom)
		}
	}
	return interleave(groups[:])
}

// interleave merges groups into one list in which every prefix holds
// about the groups' shares of the whole (the caller may measure only the
// first few, when some fail to build), each group in its own order.
func interleave(groups [][]*Candidate) []*Candidate {
	total := 0
	for _, g := range groups {
		total += len(g)
	}
	out := make([]*Candidate, 0, total)
	next := make([]int, len(groups))
	for k := 1; k <= total; k++ {
		best, lag := -1, 0.0
		for g := range groups {
			if next[g] == len(groups[g]) {
				continue
			}
			// How far group g is behind its share after k picks.
			if l := float64(len(groups[g]))*float64(k)/float64(total) - float64(next[g]); best < 0 || l > lag {
				best, lag = g, l
			}
		}
		out = append(out, groups[best][next[best]])
		next[best]++
	}
	return out
}

// rank sorts candidates by score, best first, ties by key.
func rank(cs []*Candidate) []*Candidate {
	sort.Slice(cs, func(i, j int) bool {
		if cs[i].Score != cs[j].Score {
			return cs[i].Score > cs[j].Score
		}
		return cs[i].Key() < cs[j].Key()
	})
	return cs
}

func score(scorer Scorer, cs []*Candidate) {
	states := make([]*schedule.State, len(cs))
	for i, c := range cs {
		states[i] = c.State
	}
	for i, v := range scorer.Score(states) {
		cs[i].Score = v
	}
}

// generation makes the next population: the elite, then children of
// parents drawn with probability proportional to their scores.
func (s *Search) generation(scorer Scorer, pop []*Candidate) []*Candidate {
	p := s.Params
	sort.SliceStable(pop, func(i, j int) bool { return pop[i].Score > pop[j].Score })
	elite := p.Elite
	if elite == 0 {
		elite = max(1, p.Population/16)
	}
	next := append([]*Candidate(nil), pop[:min(elite, len(pop))]...)
	// Roulette over scores shifted to be positive.
	minScore := pop[len(pop)-1].Score
	weights := make([]float64, len(pop))
	total := 0.0
	for i, c := range pop {
		weights[i] = c.Score - minScore + 1e-6
		total += weights[i]
	}
	pick := func() *Candidate {
		r := s.Rng.Float64() * total
		for i, w := range weights {
			if r < w {
				return pop[i]
			}
			r -= w
		}
		return pop[len(pop)-1]
	}
	seen := map[string]bool{}
	for _, c := range next {
		seen[c.Key()] = true
	}
	var children []*Candidate
	for tries := 0; len(next)+len(children) < p.Population && tries < 4*p.Population; tries++ {
		a := pick()
		var cfg sample.Config
		if s.Rng.Float64() < p.MutateProb {
			cfg = mutate(s.Rng, s.Spaces[a.Space], a.Config)
		} else {
			b := pick()
			if b.Space != a.Space {
				continue
			}
			cfg = crossover(s.Rng, a.Config, b.Config)
		}
		c := s.make(a.Space, cfg)
		if c == nil || seen[c.Key()] {
			continue
		}
		seen[c.Key()] = true
		children = append(children, c)
	}
	score(scorer, children)
	return append(next, children...)
}
