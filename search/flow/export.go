package flow

import (
	"fmt"

	"github.com/tabtune/tabtune/compiler/te"
	"github.com/tabtune/tabtune/search/records"
	"github.com/tabtune/tabtune/targets"
	"github.com/tabtune/tabtune/targets/build"
)

// Export returns the best schedule a log holds for d on t and the files of
// its kernel (the target's code and readable form, then steps.json).
func Export(log *records.Log, d *te.DAG, t targets.Target) (*records.Record, []build.File, error) {
	if err := Check(t); err != nil {
		return nil, nil, err
	}
	best := log.Best(d.Key(), t.String())
	if best == nil {
		return nil, nil, fmt.Errorf("the log holds no verified schedule of this workload on %s", t)
	}
	st, err := best.Replay(d)
	if err != nil {
		return nil, nil, err
	}
	files, err := build.Export(st, t)
	if err != nil {
		return nil, nil, err
	}
	return best, files, nil
}

// HowFound says how a schedule was found: the round and part of the search
// of its first record (with date, when), and, when it was timed more than
// once, that its time is the lower median of its times.
func HowFound(log *records.Log, key, target string, best *records.Record, date bool) string {
	h := records.StepsHash(best.Steps)
	first := log.First(key, target, h)
	if first == nil {
		first = best
	}
	s := fmt.Sprintf("found in round %d (%s)", first.Round, first.Origin)
	if first.Origin == records.OriginNaive {
		s = "the naive schedule (no tuned schedule was faster)"
	}
	if date {
		s += " on " + first.Time.Format("2006-01-02 15:04")
	}
	if n := log.TimesMeasured(key, target, h); n > 1 {
		s += fmt.Sprintf(", timed %d times (the lower median shown)", n)
	}
	return s
}
