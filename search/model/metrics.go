package model

import (
	"math"
	"slices"
)

// PairwiseAccuracy is the fraction of pairs of programs with different
// targets that pred orders the same way as target: a pair that pred ties
// counts one half. NaN predictions rank below everything; pairs with a NaN
// target are left out. It is NaN when the slices differ in length or no pair
// has different targets. It takes O(n log n) time.
func PairwiseAccuracy(pred, target []float32) float64 {
	if len(pred) != len(target) {
		return math.NaN()
	}
	type pt struct{ p, t float32 }
	v := make([]pt, 0, len(pred))
	for i, t := range target {
		if t != t {
			continue
		}
		p := pred[i]
		if p != p {
			p = float32(math.Inf(-1))
		}
		v = append(v, pt{p, t})
	}
	n := len(v)
	pairs := func(k int) int64 { return int64(k) * int64(k-1) / 2 }

	// Pairs with equal predictions, and with equal targets and predictions.
	slices.SortFunc(v, func(a, b pt) int {
		if c := cmp32(a.p, b.p); c != 0 {
			return c
		}
		return cmp32(a.t, b.t)
	})
	var tiedP, tiedPT int64
	for i := 0; i < n; {
		j := i
		for j < n && v[j].p == v[i].p {
			j++
		}
		tiedP += pairs(j - i)
		for k := i; k < j; {
			l := k
			for l < j && v[l].t == v[k].t {
				l++
			}
			tiedPT += pairs(l - k)
			k = l
		}
		i = j
	}

	// Sorted by target, then prediction: pairs with equal targets; the
	// pairs out of order in prediction (strict inversions) are exactly the
	// pairs with different targets that pred orders the wrong way.
	slices.SortFunc(v, func(a, b pt) int {
		if c := cmp32(a.t, b.t); c != 0 {
			return c
		}
		return cmp32(a.p, b.p)
	})
	var tiedT int64
	for i := 0; i < n; {
		j := i
		for j < n && v[j].t == v[i].t {
			j++
		}
		tiedT += pairs(j - i)
		i = j
	}
	total := pairs(n) - tiedT
	if total == 0 {
		return math.NaN()
	}
	ps := make([]float32, n)
	for i := range v {
		ps[i] = v[i].p
	}
	wrong := inversions(ps, make([]float32, n))
	ties := tiedP - tiedPT // equal predictions, different targets
	return (float64(total-wrong-ties) + float64(ties)/2) / float64(total)
}

func cmp32(a, b float32) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// inversions counts pairs i < j with a[i] > a[j], sorting a (merge sort).
func inversions(a, tmp []float32) int64 {
	n := len(a)
	if n < 2 {
		return 0
	}
	m := n / 2
	inv := inversions(a[:m], tmp[:m]) + inversions(a[m:], tmp[m:])
	i, j, k := 0, m, 0
	for i < m && j < n {
		if a[j] < a[i] {
			inv += int64(m - i)
			tmp[k] = a[j]
			j++
		} else {
			tmp[k] = a[i]
			i++
		}
		k++
	}
	k += copy(tmp[k:], a[i:m])
	copy(tmp[k:], a[j:n])
	copy(a, tmp[:n])
	return inv
}
