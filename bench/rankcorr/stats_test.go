package main

import (
	"math"
	"testing"
)

func near(a, b float64) bool { return math.Abs(a-b) < 1e-12 }

func TestRanks(t *testing.T) {
	got := ranks([]float64{10, 30, 20, 20, 5, 20})
	want := []float64{2, 6, 4, 4, 1, 4}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("ranks = %v, want %v", got, want)
		}
	}
	got = ranks([]float64{3, 3, 1, 2})
	want = []float64{3.5, 3.5, 1, 2}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("ranks = %v, want %v", got, want)
		}
	}
}

func TestSpearman(t *testing.T) {
	cases := []struct {
		name string
		x, y []float64
		want float64
	}{
		{"identical", []float64{1, 2, 3, 4}, []float64{10, 20, 30, 40}, 1},
		{"reversed", []float64{1, 2, 3, 4}, []float64{4, 3, 2, 1}, -1},
		{"monotone not linear", []float64{1, 2, 3, 4, 5}, []float64{1, 8, 27, 64, 125}, 1},
		// Wikipedia's example (IQ and hours of TV): rho = -29/165.
		{"wikipedia", []float64{106, 100, 86, 101, 99, 103, 97, 113, 112, 110},
			[]float64{7, 27, 2, 50, 28, 29, 20, 12, 6, 17}, -29.0 / 165},
		// scipy.stats.spearmanr's documented example, with a tie in y.
		{"ties", []float64{1, 2, 3, 4, 5}, []float64{5, 6, 7, 8, 7}, 0.8207826816681233},
		// No ties: 1 - 6*sum(d^2)/(n(n^2-1)) = 1 - 6*2/24.
		{"one swap", []float64{1, 2, 3}, []float64{1, 3, 2}, 0.5},
	}
	for _, c := range cases {
		if got := spearman(c.x, c.y); !near(got, c.want) {
			t.Errorf("%s: spearman = %.15g, want %.15g", c.name, got, c.want)
		}
	}
	if got := spearman([]float64{1, 1, 1}, []float64{1, 2, 3}); !math.IsNaN(got) {
		t.Errorf("spearman of a constant = %g, want NaN", got)
	}
}

func TestKendallTauB(t *testing.T) {
	cases := []struct {
		name string
		x, y []float64
		want float64
	}{
		{"identical", []float64{1, 2, 3, 4}, []float64{10, 20, 30, 40}, 1},
		{"reversed", []float64{1, 2, 3, 4}, []float64{4, 3, 2, 1}, -1},
		// 5 concordant, 1 discordant of 6 pairs.
		{"one swap", []float64{1, 2, 3, 4}, []float64{1, 3, 2, 4}, 4.0 / 6},
		// C=3, D=0, one pair tied in x, two in y: 3/sqrt(5*4).
		{"ties both", []float64{1, 2, 2, 3}, []float64{1, 1, 2, 2}, 3 / math.Sqrt(20)},
		// scipy.stats.kendalltau's documented example: -sqrt(2)/3.
		{"scipy", []float64{12, 2, 1, 12, 2}, []float64{1, 4, 7, 1, 0}, -0.47140452079103173},
	}
	for _, c := range cases {
		if got := kendallTauB(c.x, c.y); !near(got, c.want) {
			t.Errorf("%s: tau-b = %.15g, want %.15g", c.name, got, c.want)
		}
	}
	if got := kendallTauB([]float64{2, 2}, []float64{1, 3}); !math.IsNaN(got) {
		t.Errorf("tau-b of a constant = %g, want NaN", got)
	}
}

func TestTopKAndRegret(t *testing.T) {
	a := []float64{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12}
	b := []float64{3, 1, 12, 11, 10, 9, 8, 7, 6, 5, 4, 2}
	// 10% of 12 rounds up to 2: a's top two are 0 and 1, b's are 1 and 11.
	if k, common := topK(a, b, 0.1); k != 2 || common != 1 {
		t.Errorf("topK = %d, %d, want 2, 1", k, common)
	}
	// a's best (index 0) takes 3 in b, whose best is 1; it ranks third.
	if r, rank := regret(a, b); !near(r, 3) || rank != 3 {
		t.Errorf("regret = %g, rank %d, want 3, 3", r, rank)
	}
	if r, rank := regret(b, b); r != 1 || rank != 1 {
		t.Errorf("regret of b against itself = %g, %d, want 1, 1", r, rank)
	}
	if m := median([]float64{4, 1, 3, 2}); m != 2.5 {
		t.Errorf("median = %g, want 2.5", m)
	}
}
