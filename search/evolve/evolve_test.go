package evolve

import (
	"math/rand/v2"
	"testing"

	"github.com/tabtune/tabtune/compiler/ops"
	"github.com/tabtune/tabtune/compiler/schedule"
	"github.com/tabtune/tabtune/search/records"
	"github.com/tabtune/tabtune/search/sample"
	"github.com/tabtune/tabtune/search/sketch"
	"github.com/tabtune/tabtune/targets"
)

// tileScorer prefers register tiles near 4x8: a stand-in for a model.
type tileScorer struct{}

func (tileScorer) Score(states []*schedule.State) []float64 {
	out := make([]float64, len(states))
	for i, st := range states {
		score := 0.0
		for _, s := range st.Stages {
			if s.IsInput() || len(s.Iters) < 2 {
				continue
			}
			a, b := s.Iter(len(s.Iters)-2), s.Iter(len(s.Iters)-1)
			score -= abs(float64(a.Extent)-4) + abs(float64(b.Extent)-8)
			if b.Ann == schedule.AnnVectorize {
				score += 2
			}
		}
		out[i] = score
	}
	return out
}

func abs(x float64) float64 {
	if x < 0 {
		return -x
	}
	return x
}

func newSearch(t *testing.T, seed uint64) *Search {
	d, err := ops.BuildSpec("gmm:M=64,N=64,K=64")
	if err != nil {
		t.Fatal(err)
	}
	tg := targets.MustParseTarget("wasm-simd")
	sks, err := sketch.NewPolicy(tg).Generate(d)
	if err != nil {
		t.Fatal(err)
	}
	s := &Search{Params: Params{Population: 128, Generations: 4, MutateProb: 0.85, EpsGreedy: 0.05}, Rng: rand.New(rand.NewPCG(seed, 9)), Tried: map[string]bool{}}
	for _, sk := range sks {
		s.Spaces = append(s.Spaces, sample.NewSpace(sk, tg))
	}
	return s
}

func TestDeterministic(t *testing.T) {
	keys := func() []string {
		s := newSearch(t, 1)
		var out []string
		for _, c := range s.Next(tileScorer{}, nil, 16) {
			out = append(out, c.Key())
		}
		return out
	}
	a, b := keys(), keys()
	if len(a) != 16 || len(a) != len(b) {
		t.Fatalf("got %d and %d candidates", len(a), len(b))
	}
	for i := range a {
		if a[i] != b[i] {
			t.Fatalf("run differs at %d: %s vs %s", i, a[i], b[i])
		}
	}
}

func TestEvolutionBeatsRandom(t *testing.T) {
	s := newSearch(t, 2)
	random := s.Random(32)
	score(tileScorer{}, random)
	evolved := s.Next(tileScorer{}, nil, 32)
	mean := func(cs []*Candidate) float64 {
		m := 0.0
		for _, c := range cs {
			m += c.Score
		}
		return m / float64(len(cs))
	}
	if mean(evolved) <= mean(random) {
		t.Errorf("evolved mean score %.2f is not above random %.2f", mean(evolved), mean(random))
	}
	seen := map[string]bool{}
	for _, c := range evolved {
		if seen[c.Key()] {
			t.Fatal("duplicate candidate")
		}
		seen[c.Key()] = true
		s.Tried[c.Key()] = true
	}
	for _, c := range s.Next(tileScorer{}, evolved[:4], 32) {
		if s.Tried[c.Key()] {
			t.Fatal("a measured candidate came back")
		}
	}
}

// TestFreshShare: with the whole batch given to fresh draws, Next returns
// the best-scored of this round's random draws, not their descendants.
func TestFreshShare(t *testing.T) {
	const n = 12
	s := newSearch(t, 3)
	fresh := s.Random(s.Params.Population)
	score(tileScorer{}, fresh)
	fresh = rank(fresh)
	s = newSearch(t, 3)
	s.Params.FreshShare, s.Params.EpsGreedy = 1, 0
	got := s.Next(tileScorer{}, nil, n)
	if len(got) != n {
		t.Fatalf("got %d candidates, want %d", len(got), n)
	}
	for i, c := range got {
		if c.Key() != fresh[i].Key() {
			t.Fatalf("candidate %d is %s (score %v), want the fresh draw %s (score %v)", i, c.Key(), c.Score, fresh[i].Key(), fresh[i].Score)
		}
	}
	// With no fresh share, the evolution finds better-scored descendants.
	s = newSearch(t, 3)
	s.Params.EpsGreedy = 0
	evolved := s.Next(tileScorer{}, nil, n)
	if evolved[0].Score <= fresh[0].Score {
		t.Errorf("the evolution's best %v is no better than the best fresh draw %v", evolved[0].Score, fresh[0].Score)
	}
}

// TestBatchShares: every prefix of Next's list holds about each part's
// share (the caller measures only the first n of 2n when it asks for
// spares), and every candidate says which part took it.
func TestBatchShares(t *testing.T) {
	s := newSearch(t, 4)
	s.Params.SketchShare, s.Params.FreshShare, s.Params.EpsGreedy = 0.25, 0.25, 0.1
	const n = 80
	got := s.Next(tileScorer{}, nil, n)
	if len(got) != n {
		t.Fatalf("got %d candidates, want %d", len(got), n)
	}
	count := func(cs []*Candidate) map[string]int {
		m := map[string]int{}
		for _, c := range cs {
			m[c.Origin]++
		}
		return m
	}
	all, half := count(got), count(got[:n/2])
	want := map[string]int{records.OriginSketch: 20, records.OriginFresh: 20, records.OriginRandom: 8, records.OriginEvolve: 32}
	for o, w := range want {
		if all[o] != w {
			t.Errorf("%d candidates from %s, want %d (all: %v)", all[o], o, w, all)
		}
		if h := half[o]; h < w/2-1 || h > w/2+1 {
			t.Errorf("the first half holds %d candidates from %s, want about %d (%v)", h, o, w/2, half)
		}
	}
}
