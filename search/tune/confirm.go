package tune

import (
	"context"

	"github.com/tabtune/tabtune/search/records"
	"github.com/tabtune/tabtune/targets"
	"github.com/tabtune/tabtune/targets/build"
)

// Confirm measures the k fastest schedules so far again, times more
// times each, in interleaved batches, and records every measurement
// (records.OriginConfirm). The log then ranks a schedule measured several
// times by the lower median of its times (records.Log.Best), so the best
// that Confirm leaves is one whose speed repeats, not the luckiest of
// hundreds of noisy timings. When the confirmed schedules all fall behind
// one measured once, Confirm goes on with the next k, at most three
// times. It returns the number of measurements made; they do not count as
// trials.
func (t *Task) Confirm(ctx context.Context, k, times int) (int, error) {
	if k <= 0 || times <= 0 {
		return 0, nil
	}
	key, target := t.DAG.Key(), t.opts.Target.String()
	made := 0
	for range 3 {
		var recs []*records.Record
		var built []targets.Candidate
		for _, r := range t.opts.Log.TopK(key, target, k*4) {
			if len(recs) == k {
				break
			}
			if t.opts.Log.TimesMeasured(key, target, records.StepsHash(r.Steps)) > times {
				continue // confirmed already
			}
			st, err := r.Replay(t.DAG)
			if err != nil {
				continue
			}
			c, err := build.Build(st, t.opts.Target)
			if err != nil {
				continue
			}
			recs, built = append(recs, r), append(built, c)
		}
		if len(recs) == 0 {
			break
		}
		for range times {
			results := t.opts.Measurer.Measure(ctx, t.Workload, built)
			for i, res := range results {
				if res.Err == targets.MeasureError {
					if ctx.Err() != nil {
						return made, ctx.Err()
					}
					continue
				}
				if _, err := t.record(recs[i].Steps, built[i].ID, res, records.OriginConfirm); err != nil {
					return made, err
				}
				made++
			}
		}
		t.best = t.opts.Log.Best(key, target)
		if t.best != nil && t.opts.Log.TimesMeasured(key, target, records.StepsHash(t.best.Steps)) > times {
			break
		}
	}
	return made, nil
}
