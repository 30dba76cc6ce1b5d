// Package tasks tunes several workloads (the layers of a network) under
// one trial budget, as Ansor's task scheduler does (Zheng et al., OSDI'20,
// Sec. 6): after a round-robin warm-up, each round goes to the task whose
// next round is expected to lower the network's total latency the most.
// The objective is sum_i w_i * g_i, with g_i the best latency of task i and
// w_i how often the layer appears. Task i's gradient combines the recent
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

// Scheduler allocates rounds among tasks.
type Scheduler struct {
	Tasks   []*tune.Task
	Weights []float64
	// Alpha weighs the backward gradient against the forward one (Ansor:
	// 0.2); Window is how many rounds back the backward slope looks (3).
	Alpha  float64
	Window int

	history [][]float64 // best latency (s) after each of a task's rounds; +Inf while none
	trials  []int
}

// NewScheduler makes a scheduler of tasks with weights.
func NewScheduler(ts []*tune.Task, weights []float64) *Scheduler {
	return &Scheduler{Tasks: ts, Weights: weights, Alpha: 0.2, Window: 3,
		history: make([][]float64, len(ts)), trials: make([]int, len(ts))}
}

// latency is a task's best latency so far, +Inf when none verified.
func (s *Scheduler) latency(i int) float64 {
	if b := s.Tasks[i].Best(); b != nil {
		return b.Result.Median
	}
	return math.Inf(1)
}

// Total is the weighted sum of the tasks' best latencies (+Inf while some
// task has none).
func (s *Scheduler) Total() float64 {
	t := 0.0
	for i := range s.Tasks {
		t += s.Weights[i] * s.latency(i)
	}
	return t
}

// Next picks the task to give the next round to.
func (s *Scheduler) Next() int {
	for i := range s.Tasks {
		if len(s.history[i]) == 0 {
			return i // warm-up: every task once
		}
	}
	best, bestGrad := 0, math.Inf(1)
	for i := range s.Tasks {
		h := s.history[i]
		g := h[len(h)-1]
		if math.IsInf(g, 1) {
			return i // a task with nothing verified comes first
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
		if grad < bestGrad {
			best, bestGrad = i, grad
		}
	}
	return best
}

// Step gives one round to the task Next chooses and returns its index.
func (s *Scheduler) Step(ctx context.Context) (int, tune.Round, error) {
	i := s.Next()
	r, err := s.Tasks[i].Step(ctx)
	if err != nil {
		return i, r, err
	}
	s.history[i] = append(s.history[i], s.latency(i))
	s.trials[i] += r.Measured
	return i, r, nil
}

// Trials is the number of candidates measured across tasks.
func (s *Scheduler) Trials() int {
	n := 0
	for _, t := range s.trials {
		n += t
	}
	return n
}
