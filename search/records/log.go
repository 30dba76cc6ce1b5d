package records

import (
	"bytes"
	"cmp"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"slices"
	"strings"
	"sync"

	"github.com/tabtune/tabtune/compiler/schedule"
	"github.com/tabtune/tabtune/targets"
)

// StepsHash is a stable hash of a schedule: the SHA-256, in 32 hex
// digits, of its steps as the JSON array a record holds. Equal steps hash
// equally in every tabtune that writes the same step format.
func StepsHash(steps []schedule.Step) string {
	var b bytes.Buffer
	b.WriteByte('[')
	for i, s := range steps {
		if i > 0 {
			b.WriteByte(',')
		}
		raw, err := schedule.MarshalStep(s)
		if err != nil {
			// Not a step of the JSON form (an invalid annotation, say):
			// hash its Go form, which is stable within a build.
			raw = fmt.Appendf(nil, "%T%+v", s, s)
		}
		b.Write(raw)
	}
	b.WriteByte(']')
	sum := sha256.Sum256(b.Bytes())
	return hex.EncodeToString(sum[:16])
}

// Log indexes records in memory by workload and target. Targets are
// compared in their canonical String form (targets.ParseTarget), so
// "cpu -lanes=8 -cores=2" and "cpu -cores=2 -lanes=8" are one target; a
// target string that does not parse is kept as it is. The zero Log is
// empty and ready; a Log is safe for concurrent use.
type Log struct {
	mu     sync.Mutex
	groups map[groupKey]*group
	works  []Workload          // in the order first seen
	work   map[string]int      // key -> index in works
	tgts   map[string][]string // key -> targets, in the order first seen
}

type groupKey struct{ key, target string }

// group is the records of one workload on one target.
type group struct {
	n        int
	timed    map[string][]*Record // per steps hash, the timed records in the order added
	order    []string             // the hashes of timed, in the order first added
	ranked   []*Record            // one record per schedule, fastest first, when sorted
	sorted   bool
	measured map[string]bool // steps hashes
}

// NewLog returns a Log of the given records.
func NewLog(rs ...*Record) *Log {
	l := new(Log)
	l.Add(rs...)
	return l
}

func canonTarget(s string) string {
	if t, err := targets.ParseTarget(s); err == nil {
		return t.String()
	}
	return strings.TrimSpace(s)
}

// Add indexes records. A Log keeps the records themselves: do not change
// them afterwards.
func (l *Log) Add(rs ...*Record) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.groups == nil {
		l.groups = map[groupKey]*group{}
		l.work = map[string]int{}
		l.tgts = map[string][]string{}
	}
	for _, r := range rs {
		if r == nil {
			continue
		}
		key, tgt := r.Workload.Key, canonTarget(r.Target)
		if _, ok := l.work[key]; !ok {
			l.work[key] = len(l.works)
			l.works = append(l.works, r.Workload)
		}
		gk := groupKey{key, tgt}
		g := l.groups[gk]
		if g == nil {
			g = &group{sorted: true, timed: map[string][]*Record{}, measured: map[string]bool{}}
			l.groups[gk] = g
			l.tgts[key] = append(l.tgts[key], tgt)
		}
		g.n++
		h := StepsHash(r.Steps)
		// A measure error says nothing about the schedule: measure it
		// again.
		if r.Result.Err != targets.MeasureError {
			g.measured[h] = true
		}
		if r.OK() {
			if len(g.timed[h]) == 0 {
				g.order = append(g.order, h)
			}
			g.timed[h] = append(g.timed[h], r)
			g.sorted = false
		}
	}
}

// group returns the records of a workload on a target, ranked; nil if
// there are none. l.mu is held.
//
// A schedule measured more than once (tune confirms its best few by
// measuring them again) is ranked by the lower median of its records'
// median times, and stands for itself with that record: one lucky timing
// on a noisy machine does not make a schedule the best.
func (l *Log) group(key, target string) *group {
	g := l.groups[groupKey{key, canonTarget(target)}]
	if g == nil || g.sorted {
		return g
	}
	byMedian := func(a, b *Record) int { return cmp.Compare(a.Result.Median, b.Result.Median) }
	g.ranked = g.ranked[:0]
	for _, h := range g.order {
		rs := slices.Clone(g.timed[h])
		slices.SortStableFunc(rs, byMedian)
		g.ranked = append(g.ranked, rs[(len(rs)-1)/2])
	}
	slices.SortStableFunc(g.ranked, byMedian)
	g.sorted = true
	return g
}

// Best returns the record of the fastest schedule of a workload on a
// target, among those that verified and were timed; nil if there is none.
// A schedule measured several times counts with the lower median of its
// times (see TimesMeasured).
func (l *Log) Best(key, target string) *Record {
	l.mu.Lock()
	defer l.mu.Unlock()
	if g := l.group(key, target); g != nil && len(g.ranked) > 0 {
		return g.ranked[0]
	}
	return nil
}

// TopK returns the records of up to k fastest schedules of a workload on
// a target, fastest first, among those that verified and were timed, one
// record per schedule, ranked as Best ranks them.
func (l *Log) TopK(key, target string, k int) []*Record {
	l.mu.Lock()
	defer l.mu.Unlock()
	g := l.group(key, target)
	if g == nil || k <= 0 || len(g.ranked) == 0 {
		return nil
	}
	return slices.Clone(g.ranked[:min(k, len(g.ranked))])
}

// First returns the first timed record of a schedule (by its StepsHash)
// of a workload on a target, which says how the schedule was found (its
// round and origin); nil if there is none.
func (l *Log) First(key, target, stepsHash string) *Record {
	if rs := l.timed(key, target, stepsHash); len(rs) > 0 {
		return rs[0]
	}
	return nil
}

// TimesMeasured returns how many timed records a schedule (by its
// StepsHash) has for a workload on a target.
func (l *Log) TimesMeasured(key, target, stepsHash string) int {
	return len(l.timed(key, target, stepsHash))
}

// timed returns the timed records of a schedule, in the order added.
func (l *Log) timed(key, target, stepsHash string) []*Record {
	l.mu.Lock()
	defer l.mu.Unlock()
	if g := l.groups[groupKey{key, canonTarget(target)}]; g != nil {
		return g.timed[stepsHash]
	}
	return nil
}

// Measured reports whether the schedule with the given StepsHash was
// measured for a workload on a target, successfully or not. A record
// with a targets.MeasureError does not count: the measurer failed, not
// the schedule.
func (l *Log) Measured(key, target, stepsHash string) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	g := l.groups[groupKey{key, canonTarget(target)}]
	return g != nil && g.measured[stepsHash]
}

// Count returns the number of records of a workload on a target, failed
// ones included.
func (l *Log) Count(key, target string) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	if g := l.groups[groupKey{key, canonTarget(target)}]; g != nil {
		return g.n
	}
	return 0
}

// Workloads returns the workloads of the log, in the order first added.
func (l *Log) Workloads() []Workload {
	l.mu.Lock()
	defer l.mu.Unlock()
	return slices.Clone(l.works)
}

// Targets returns the targets a workload was measured on, in canonical
// form, in the order first added.
func (l *Log) Targets(key string) []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return slices.Clone(l.tgts[key])
}
