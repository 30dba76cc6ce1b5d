// Package tasks tunes several workloads (the layers of a network) under
// one trial budget, as Ansor's task scheduler does (Zheng et al., OSDI'20,
// Sec. 6): after a round-robin warm-up in which every layer gets a first
// round (smaller ones when the budget is tight, see FirstBatch), each
// round goes to the task whose next round is expected to lower the
// network's total latency the most. The objective is sum_i w_i * g_i, with
// g_i the latency of task i (its best schedule's, or its naive schedule's
// while it has none) and w_i how often the layer appears. Task i's gradient combines the recent
// slope of its g_i (backward) with an optimistic forward estimate
// (g_i/trials_i: what it would gain if it kept improving at its average
// rate); the task with the most negative weighted gradient is chosen.
package tasks

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"

	"github.com/tabtune/tabtune/search/tune"
)

// Entry is one layer of a network: a workload spec and its weight.
type Entry struct {
	Spec   string
	Weight float64
}

// ParseNetwork reads a network spec: one layer per line, "WEIGHT SPEC",
// # comments and blank lines allowed.
func ParseNetwork(r io.Reader) ([]Entry, error) {
	var out []Entry
	sc := bufio.NewScanner(r)
	for line := 1; sc.Scan(); line++ {
		text := sc.Text()
		if i := strings.IndexByte(text, '#'); i >= 0 {
			text = text[:i]
		}
		fields := strings.Fields(text)
		if len(fields) == 0 {
			continue
		}
		if len(fields) != 2 {
			return nil, fmt.Errorf("line %d: want \"WEIGHT SPEC\", got %q", line, sc.Text())
		}
		w, err := strconv.ParseFloat(fields[0], 64)
		if err != nil || w <= 0 {
			return nil, fmt.Errorf("line %d: weight %q is not a positive number", line, fields[0])
		}
		out = append(out, Entry{Spec: fields[1], Weight: w})
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("the network has no layers")
	}
	return out, nil
}

// Network returns a built-in network spec by name.
func Network(name string) ([]Entry, error) {
	src, ok := networks[name]
	if !ok {
		names := make([]string, 0, len(networks))
		for n := range networks {
			names = append(names, n)
		}
		return nil, fmt.Errorf("no built-in network %q; have %s", name, strings.Join(names, ", "))
	}
	return ParseNetwork(strings.NewReader(src))
}

// A Job is one layer to the scheduler: its latency so far and a way to
// give it a round.
type Job interface {
	// Latency is the layer's estimated time in seconds: its best
	// verified schedule's, or before there is one its naive schedule's;
	// +Inf while neither is known.
	Latency() float64
	// Tuned reports whether the layer has a verified tuned schedule.
	Tuned() bool
	// Step runs one round that measures at most n candidates.
	Step(ctx context.Context, n int) (tune.Round, error)
}

// MinFirstRound is the fewest candidates a layer's first round measures.
const MinFirstRound = 4

// Scheduler allocates rounds among jobs.
type Scheduler struct {
	Jobs    []Job
	Weights []float64
	// Alpha weighs the backward gradient against the forward one (Ansor:
	// 0.2); Window is how many rounds back the backward slope looks (3).
	Alpha  float64
	Window int

	history   [][]float64 // latency (s) after each of a job's rounds
	trials    []int
	exhausted []bool // the job's last round found nothing new to measure
}

// NewScheduler makes a scheduler of jobs with weights.
func NewScheduler(jobs []Job, weights []float64) *Scheduler {
	return &Scheduler{Jobs: jobs, Weights: weights, Alpha: 0.2, Window: 3,
		history: make([][]float64, len(jobs)), trials: make([]int, len(jobs)), exhausted: make([]bool, len(jobs))}
}

// MinBudget is the smallest trial budget that gives every one of n layers
// its first round.
func MinBudget(n int) int { return n * MinFirstRound }

// FirstBatch is the size of the first rounds under a budget: batch, or
// less when the budget cannot give every layer a full one (at least
// MinFirstRound, see MinBudget).
func FirstBatch(budget, layers, batch int) int {
	return max(MinFirstRound, min(batch, budget/max(layers, 1)))
}

// Total is the weighted sum of the jobs' latencies: the network's
// estimated time (+Inf while some job's is unknown).
func (s *Scheduler) Total() float64 {
	t := 0.0
	for i, j := range s.Jobs {
		t += s.Weights[i] * j.Latency()
	}
	return t
}

// WarmedUp reports whether every job has had its first round.
func (s *Scheduler) WarmedUp() bool {
	for _, h := range s.history {
		if len(h) == 0 {
			return false
		}
	}
	return true
}

// Next picks the job to give the next round to: each in turn until all
// have had one, then a job with nothing tuned, then the one whose
// weighted gradient promises the largest fall of the total. Jobs whose
// last round found nothing new to measure are passed over; -1 means every
// job is exhausted.
func (s *Scheduler) Next() int {
	for i := range s.Jobs {
		if len(s.history[i]) == 0 {
			return i // warm-up: every job once
		}
	}
	for i, j := range s.Jobs {
		if !s.exhausted[i] && !j.Tuned() && s.trials[i] < 2*MinFirstRound {
			return i // a job with nothing verified gets a second chance first
		}
	}
	best, bestGrad := -1, math.Inf(1)
	for i := range s.Jobs {
		if s.exhausted[i] {
			continue
		}
		h := s.history[i]
		g := h[len(h)-1]
		if math.IsInf(g, 1) {
			return i
		}
		back := 0.0
		if n := len(h); n > 1 {
			k := max(0, n-1-s.Window)
			if !math.IsInf(h[k], 1) {
				back = (g - h[k]) / float64(n-1-k)
			}
		}
		forward := -g / float64(len(h))
		grad := s.Weights[i] * (s.Alpha*back + (1-s.Alpha)*forward)
		if best < 0 || grad < bestGrad {
			best, bestGrad = i, grad
		}
	}
	return best
}

// Step gives one round of at most n candidates to the job Next chooses
// and returns its index; -1 when every job is exhausted.
func (s *Scheduler) Step(ctx context.Context, n int) (int, tune.Round, error) {
	i := s.Next()
	if i < 0 {
		return i, tune.Round{}, nil
	}
	r, err := s.Jobs[i].Step(ctx, n)
	if err != nil {
		return i, r, err
	}
	s.history[i] = append(s.history[i], s.Jobs[i].Latency())
	s.trials[i] += r.Measured
	s.exhausted[i] = r.Measured == 0
	return i, r, nil
}

// Trials is the number of candidates measured across jobs.
func (s *Scheduler) Trials() int {
	n := 0
	for _, t := range s.trials {
		n += t
	}
	return n
}

// JobTrials is the number of candidates measured for job i.
func (s *Scheduler) JobTrials(i int) int { return s.trials[i] }
