package main

import (
	"math"
	"sort"
)

// ranks returns the rank of each value, 1 for the smallest, ties sharing
// the average of the ranks they span.
func ranks(x []float64) []float64 {
	idx := make([]int, len(x))
	for i := range idx {
		idx[i] = i
	}
	sort.SliceStable(idx, func(a, b int) bool { return x[idx[a]] < x[idx[b]] })
	r := make([]float64, len(x))
	for i := 0; i < len(idx); {
		j := i + 1
		for j < len(idx) && x[idx[j]] == x[idx[i]] {
			j++
		}
		avg := float64(i+j+1) / 2 // ranks i+1..j
		for k := i; k < j; k++ {
			r[idx[k]] = avg
		}
		i = j
	}
	return r
}

// pearson is the Pearson correlation of x and y, NaN when either has no
// variance or there are fewer than two values.
func pearson(x, y []float64) float64 {
	n := len(x)
	if n < 2 || len(y) != n {
		return math.NaN()
	}
	var mx, my float64
	for i := range x {
		mx += x[i]
		my += y[i]
	}
	mx /= float64(n)
	my /= float64(n)
	var sxy, sxx, syy float64
	for i := range x {
		dx, dy := x[i]-mx, y[i]-my
		sxy += dx * dy
		sxx += dx * dx
		syy += dy * dy
	}
	if sxx == 0 || syy == 0 {
		return math.NaN()
	}
	return sxy / math.Sqrt(sxx*syy)
}

// spearman is Spearman's rank correlation: the Pearson correlation of the
// ranks, ties given average ranks.
func spearman(x, y []float64) float64 {
	if len(x) != len(y) {
		return math.NaN()
	}
	return pearson(ranks(x), ranks(y))
}

// kendallTauB is Kendall's tau-b, which corrects for ties:
// (C - D) / sqrt((n0 - n1) (n0 - n2)), with C and D the concordant and
// discordant pairs, n0 all pairs, n1 and n2 the pairs tied in x and in y.
// NaN when x or y is constant or there are fewer than two values.
func kendallTauB(x, y []float64) float64 {
	n := len(x)
	if n < 2 || len(y) != n {
		return math.NaN()
	}
	var c, d, tx, ty float64
	for i := 0; i < n; i++ {
		for j := i + 1; j < n; j++ {
			dx, dy := x[i]-x[j], y[i]-y[j]
			switch {
			case dx == 0 && dy == 0:
				tx++
				ty++
			case dx == 0:
				tx++
			case dy == 0:
				ty++
			case (dx > 0) == (dy > 0):
				c++
			default:
				d++
			}
		}
	}
	n0 := float64(n) * float64(n-1) / 2
	den := math.Sqrt((n0 - tx) * (n0 - ty))
	if den == 0 {
		return math.NaN()
	}
	return (c - d) / den
}

// median of x (x is not changed); NaN for no values.
func median(x []float64) float64 {
	if len(x) == 0 {
		return math.NaN()
	}
	s := append([]float64(nil), x...)
	sort.Float64s(s)
	m := len(s) / 2
	if len(s)%2 == 1 {
		return s[m]
	}
	return (s[m-1] + s[m]) / 2
}

// lowest returns the indices of the k smallest values of x.
func lowest(x []float64, k int) []int {
	idx := make([]int, len(x))
	for i := range idx {
		idx[i] = i
	}
	sort.SliceStable(idx, func(a, b int) bool { return x[idx[a]] < x[idx[b]] })
	return idx[:min(k, len(idx))]
}

// topK returns k, the size of the top fraction frac of n values (at
// least 1), and how many of the k fastest by a are among the k fastest
// by b (times: smaller is better).
func topK(a, b []float64, frac float64) (k, common int) {
	k = max(1, int(math.Ceil(frac*float64(len(a)))))
	inB := map[int]bool{}
	for _, i := range lowest(b, k) {
		inB[i] = true
	}
	for _, i := range lowest(a, k) {
		if inB[i] {
			common++
		}
	}
	return k, common
}

// regret is b's time of the candidate a finds fastest, divided by b's
// fastest time: how much slower than the best (as b sees it) a tuner that
// trusts a ends up. Also returns the 1-based rank in b of a's best.
func regret(a, b []float64) (float64, int) {
	if len(a) == 0 {
		return math.NaN(), 0
	}
	ia := lowest(a, 1)[0]
	ib := lowest(b, 1)[0]
	rank := 1
	for i := range b {
		if b[i] < b[ia] {
			rank++
		}
	}
	return b[ia] / b[ib], rank
}
