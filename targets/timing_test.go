package targets

import (
	"errors"
	"testing"
	"time"
)

func TestSample(t *testing.T) {
	o := Options{Warmup: 2, WarmupTime: time.Millisecond, Repeats: 3, MinTime: 10 * time.Millisecond, MaxRepeats: 10}
	for _, per := range []float64{1e-7, 1e-4, 0.05} {
		calls, warm := 0, 0
		var ns []int
		times, err := Sample(o, 0, func(n int) (float64, error) {
			calls += n
			if n == 1 && len(ns) == warm {
				warm++ // leading single calls: warm-up, then calibration's first
			}
			ns = append(ns, n)
			return per * float64(n), nil
		})
		if err != nil {
			t.Fatal(err)
		}
		n := ns[len(ns)-1]
		total := per * float64(n) * float64(len(times))
		switch {
		case warm < 3:
			t.Errorf("per %g: %d warm-up calls", per, warm)
		case len(times) < 3 || len(times) > 10:
			t.Errorf("per %g: %d samples", per, len(times))
		case total < 0.01 && len(times) < 10:
			t.Errorf("per %g: %d samples of %d calls last %g s", per, len(times), n, total)
		case per*float64(n) < 0.001 && n > 1:
			t.Errorf("per %g: a sample of %d calls lasts %g s, below MinTime/MaxRepeats", per, n, per*float64(n))
		}
		for _, x := range times {
			if x != per {
				t.Errorf("per %g: time %g", per, x)
			}
		}
		if per == 0.05 && (n != 1 || len(times) != 3) {
			t.Errorf("slow kernel: %d samples of %d calls", len(times), n)
		}
	}
}

func TestSampleCutoff(t *testing.T) {
	o := Options{Warmup: 2, Repeats: 3, MinTime: 10 * time.Millisecond}
	for _, c := range []struct {
		per         float64
		calls, want int
	}{{0.05, 1, 1}, {0.001, 0, 3}} {
		calls := 0
		times, err := Sample(o, 10*time.Millisecond, func(n int) (float64, error) {
			calls += n
			return c.per * float64(n), nil
		})
		if err != nil {
			t.Fatal(err)
		}
		if len(times) < c.want || (c.calls > 0 && (calls != c.calls || len(times) != c.want)) {
			t.Errorf("%g s per call, cutoff 10ms: %d calls, times %v", c.per, calls, times)
		}
	}
}

func TestSampleCoarseClockAndErrors(t *testing.T) {
	// A clock that sees nothing below 1 ms: n doubles until it does.
	times, err := Sample(Options{}, 0, func(n int) (float64, error) {
		if n < 1000 {
			return 0, nil
		}
		return float64(n/1000) * 1e-3, nil
	})
	if err != nil || len(times) < 3 || times[0] <= 0 {
		t.Errorf("%v %v", times, err)
	}
	boom := errors.New("trap")
	if _, err := Sample(Options{}, 0, func(int) (float64, error) { return 0, boom }); err != boom {
		t.Errorf("error %v", err)
	}
}

func TestMedian(t *testing.T) {
	for _, c := range []struct {
		xs   []float64
		want float64
	}{{nil, 0}, {[]float64{3}, 3}, {[]float64{3, 1, 2}, 2}, {[]float64{4, 1, 3, 2}, 2.5}} {
		if got := Median(c.xs); got != c.want {
			t.Errorf("Median(%v) = %g", c.xs, got)
		}
	}
	r := Timed([]float64{3, 1, 2})
	if !r.OK() || r.Median != 2 {
		t.Errorf("%+v", r)
	}
}
