package targets

import (
	"sort"
	"time"
)

// maxCallsPerSample caps how many calls one sample makes.
const maxCallsPerSample = 1 << 20

// maxWarmupCalls caps the warm-up of a kernel much faster than WarmupTime.
const maxWarmupCalls = 100000

// Sample times a kernel that already verified. call(n) runs the kernel n
// times in a row and returns the seconds the n calls took. Sample
//
//  1. warms up: calls once at a time, discarding the times, until at
//     least o.Warmup calls and o.WarmupTime have passed (V8 tiers a
//     function up from its first, unoptimized code only after it ran a
//     while);
//  2. picks n, the calls per sample: starting at 1, it doubles n until n
//     calls last at least o.MinTime/o.MaxRepeats (these calls are
//     discarded too), so that a sample of a fast kernel is well above
//     the clock's resolution and a slow kernel's sample is one call;
//  3. times samples of n calls until there are o.Repeats of them and they
//     add up to o.MinTime, or there are o.MaxRepeats.
//
// A kernel whose first call takes longer than cutoff (when cutoff > 0) is
// timed by that call alone (see Candidate.Cutoff).
//
// It returns seconds per call of each sample. The node harness
// (targets/node/harness.js) follows the same steps in JavaScript.
func Sample(o Options, cutoff time.Duration, call func(n int) (float64, error)) ([]float64, error) {
	o = o.WithDefaults()
	spent := 0.0
	for i := 0; i < maxWarmupCalls && (i < o.Warmup || spent < o.WarmupTime.Seconds()); i++ {
		s, err := call(1)
		if err != nil {
			return nil, err
		}
		if i == 0 && cutoff > 0 && s > cutoff.Seconds() {
			return []float64{s}, nil
		}
		spent += s
	}
	sampleTime := o.MinTime.Seconds() / float64(o.MaxRepeats)
	n := 1
	for n < maxCallsPerSample {
		s, err := call(n)
		if err != nil {
			return nil, err
		}
		if s >= sampleTime {
			break
		}
		n *= 2
	}
	var times []float64
	total := 0.0
	for len(times) < o.Repeats || (total < o.MinTime.Seconds() && len(times) < o.MaxRepeats) {
		s, err := call(n)
		if err != nil {
			return nil, err
		}
		times = append(times, s/float64(n))
		total += s
	}
	return times, nil
}

// Median returns the median of xs (the mean of the middle two when their
// number is even), or 0 for none.
func Median(xs []float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	s := append([]float64(nil), xs...)
	sort.Float64s(s)
	m := len(s) / 2
	if len(s)%2 == 1 {
		return s[m]
	}
	return (s[m-1] + s[m]) / 2
}
