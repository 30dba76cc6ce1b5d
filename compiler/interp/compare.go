package interp

import (
	"fmt"
	"math"
)

// The default tolerance of Compare: an f32 element matches when
// |got-want| <= Atol + Rtol*|want|. Schedules reorder f32 sums, so results
// agree only approximately.
const (
	Atol = 1e-4
	Rtol = 1e-3
)

// Diff is the result of comparing computed tensors with reference ones.
type Diff struct {
	// OK reports that the lists agree in count, types and lengths and that
	// every element matches within the tolerance.
	OK bool
	// Atol and Rtol are the tolerance the comparison used.
	Atol, Rtol float64
	// MaxAbs is the largest |got-want| and MaxRel the largest
	// |got-want| / max(|want|, 1) over all elements; both are +Inf where a
	// NaN or an infinity fails to match.
	MaxAbs, MaxRel float64
	// Elems is the number of elements compared; Mismatches how many of
	// them are out of tolerance.
	Elems, Mismatches int
	// Tensor and Index locate the first mismatch (position in the lists,
	// flat element index); both are -1 when there is none. Got and Want
	// are the values there.
	Tensor, Index int
	Got, Want     float64
	// Where names the first mismatch more readably when the caller knows
	// the tensors (Check sets it: "C[1, 2]"); else empty.
	Where string
	// Problem describes a structural mismatch (different counts, types or
	// lengths); empty when the lists line up.
	Problem string
}

// Compare compares got with want element by element with the default
// tolerance (Atol, Rtol); see CompareTol.
func Compare(got, want []Data) Diff { return CompareTol(got, want, Atol, Rtol) }

// CompareTol compares got with want. An f32 element matches when both are
// NaN, when both are the same infinity, or when both are finite and
// |g-w| <= atol + rtol*|w|. A NaN or infinity against anything else is a
// mismatch (so a NaN left by unwritten or uninitialized memory always shows).
// i32 elements must be equal. The lists must have the same length, and
// each pair the same type and length.
func CompareTol(got, want []Data, atol, rtol float64) Diff {
	d := Diff{Atol: atol, Rtol: rtol, Tensor: -1, Index: -1}
	if len(got) != len(want) {
		d.Problem = fmt.Sprintf("%d tensors computed, %d expected", len(got), len(want))
		return d
	}
	for t := range want {
		g, w := got[t], want[t]
		if g.DType() != w.DType() || g.Len() != w.Len() {
			d.Problem = fmt.Sprintf("tensor %d is %s, expected %s", t, g, w)
			return d
		}
		for i := 0; i < w.Len(); i++ {
			gv, wv := g.At(i), w.At(i)
			abs, ok := elemDiff(gv, wv, atol, rtol, w.I32 != nil)
			d.Elems++
			d.MaxAbs = max(d.MaxAbs, abs)
			d.MaxRel = max(d.MaxRel, abs/max(math.Abs(wv), 1))
			if !ok {
				if d.Mismatches == 0 {
					d.Tensor, d.Index, d.Got, d.Want = t, i, gv, wv
				}
				d.Mismatches++
			}
		}
	}
	d.OK = d.Mismatches == 0
	return d
}

// elemDiff returns |g-w| (+Inf for unmatched NaN or infinity) and whether
// the pair matches.
func elemDiff(g, w, atol, rtol float64, exact bool) (float64, bool) {
	gn, wn := math.IsNaN(g), math.IsNaN(w)
	switch {
	case gn && wn:
		return 0, true
	case gn || wn:
		return math.Inf(1), false
	case g == w:
		return 0, true // includes equal infinities
	case math.IsInf(g, 0) || math.IsInf(w, 0):
		return math.Inf(1), false
	}
	abs := math.Abs(g - w)
	if exact {
		return abs, false
	}
	return abs, abs <= atol+rtol*math.Abs(w)
}

// String summarizes the comparison.
func (d Diff) String() string {
	if d.Problem != "" {
		return "mismatch: " + d.Problem
	}
	s := fmt.Sprintf("max abs %.3g, max rel %.3g over %d elements", d.MaxAbs, d.MaxRel, d.Elems)
	if d.OK {
		return "ok: " + s
	}
	where := d.Where
	if where == "" {
		where = fmt.Sprintf("tensor %d element %d", d.Tensor, d.Index)
	}
	return fmt.Sprintf("mismatch: %d of %d elements out of tolerance (atol %g, rtol %g); first at %s: got %g, want %g; %s",
		d.Mismatches, d.Elems, d.Atol, d.Rtol, where, d.Got, d.Want, s)
}

// Err is nil when d is OK, else an error carrying d.String().
func (d Diff) Err() error {
	if d.OK {
		return nil
	}
	return fmt.Errorf("interp: %s", d.String())
}
