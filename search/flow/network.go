package flow

import (
	"context"
	"fmt"
	"math"
	"time"

	"github.com/tabtune/tabtune/compiler/te"
	"github.com/tabtune/tabtune/search/records"
	"github.com/tabtune/tabtune/search/tasks"
	"github.com/tabtune/tabtune/search/tune"
	"github.com/tabtune/tabtune/targets"
)

// Layer is one layer of a network's result.
type Layer struct {
	Spec   string
	Weight float64
	DAG    *te.DAG
	// Best is the layer's fastest verified schedule (nil when none);
	// Naive the naive schedule's result (nil when the layer never got a
	// round).
	Best  *records.Record
	Naive *targets.Result
	// Trials measured for the layer in this run.
	Trials int
}

// Latency is the layer's estimated time: its best schedule's, else its
// naive schedule's, else +Inf.
func (l *Layer) Latency() float64 {
	if l.Best != nil {
		return l.Best.Result.Median
	}
	if l.Naive != nil && l.Naive.OK() {
		return l.Naive.Median
	}
	return math.Inf(1)
}

// NetworkResult is the outcome of tuning a network.
type NetworkResult struct {
	Layers []Layer
	// Total is the network's estimated latency in seconds, the sum of
	// weight x Latency over layers; NaiveTotal the same with every layer
	// at its naive time (+Inf when some naive time is unknown).
	Total, NaiveTotal float64
	Trials            int
	Took              time.Duration
	Stop              Stop
}

// layerJob is one layer to the task scheduler. Its task, and so its
// reference outputs, is made when its first round comes, and that round
// first measures the naive schedule, whose time stands for the layer's
// until the search verifies a schedule.
type layerJob struct {
	env      Env
	cfg      Config
	d        *te.DAG
	seed     uint64
	task     *tune.Task
	tuned    bool
	started  func()           // reports that the layer's reference and baseline are being made
	measured func(tune.Round) // reports progress within a round
}

func (j *layerJob) Latency() float64 {
	if j.task == nil {
		return math.Inf(1)
	}
	l := Layer{Best: j.task.Best(), Naive: j.task.Naive()}
	return l.Latency()
}

func (j *layerJob) Tuned() bool { return j.tuned }

func (j *layerJob) Step(ctx context.Context, n int) (tune.Round, error) {
	if j.task == nil {
		j.started()
		task, err := newTask(ctx, j.env, j.d, j.cfg, j.seed, j.measured)
		if err != nil {
			return tune.Round{}, err
		}
		if _, err := task.Baseline(ctx); err != nil {
			return tune.Round{}, err
		}
		j.task = task
	}
	r, err := j.task.StepUpTo(ctx, n)
	j.tuned = j.tuned || r.Measured > r.Failed
	return r, err
}

// TuneNetwork tunes the layers of a network under one budget, as Ansor's
// task scheduler does (package tasks): every layer gets a first round
// (smaller batches when the budget is tight; a budget too small even for
// that is refused with the minimum it needs), then rounds go where the
// network's estimated latency can fall most. A layer's reference is made
// only when its first round comes, and until it has a verified schedule it
// counts at its naive time. Layers are resolved before anything runs, so a
// bad spec fails at once.
func TuneNetwork(ctx context.Context, env Env, entries []tasks.Entry, cfg Config, progress func(Event)) (*NetworkResult, error) {
	progress, err := prepare(&env, &cfg, progress)
	if err != nil {
		return nil, err
	}
	if len(entries) == 0 {
		return nil, fmt.Errorf("the network has no layers")
	}
	if min := tasks.MinBudget(len(entries)); cfg.Trials < min {
		return nil, fmt.Errorf("a budget of %d trials is too small for %d layers: each layer's first round measures at least %d candidates, so give at least %d trials", cfg.Trials, len(entries), tasks.MinFirstRound, min)
	}
	start := time.Now()
	res := &NetworkResult{}
	jobs := make([]tasks.Job, len(entries))
	lj := make([]*layerJob, len(entries))
	weights := make([]float64, len(entries))
	for i, e := range entries {
		d, err := Workload(e.Spec)
		if err != nil {
			return nil, fmt.Errorf("layer %d: %w", i+1, err)
		}
		res.Layers = append(res.Layers, Layer{Spec: e.Spec, Weight: e.Weight, DAG: d})
		lj[i] = &layerJob{env: env, cfg: cfg, d: d, seed: cfg.Seed + uint64(i)}
		jobs[i], weights[i] = lj[i], e.Weight
	}
	s := tasks.NewScheduler(jobs, weights)
	ev := Event{Layers: len(entries), Budget: cfg.Trials}
	emit := func(p Phase, i int) {
		ev.Phase, ev.Layer, ev.Spec, ev.FLOPs = p, i, entries[i].Spec, res.Layers[i].DAG.FLOPs()
		ev.Trials, ev.Total, ev.Elapsed = s.Trials(), s.Total(), time.Since(start)
		progress(ev)
	}
	for i := range lj {
		lj[i].started = func() { emit(PhaseReference, i) }
		lj[i].measured = func(r tune.Round) {
			ev.Round = r
			emit(PhaseMeasure, i)
		}
	}
	first := tasks.FirstBatch(cfg.Trials, len(entries), cfg.Batch)
	res.Stop, err = spend(ctx, cfg.Trials, s.Trials, func(ctx context.Context, left int) (int, error) {
		n := cfg.Batch
		if !s.WarmedUp() {
			n = first
		}
		i, r, err := s.Step(ctx, min(n, left))
		if i < 0 || err != nil || ctx.Err() != nil {
			return 0, err
		}
		ev.Round = r
		emit(PhaseRound, i)
		// A layer that found nothing new does not end the run while
		// others can go on.
		return max(r.Measured, 1), nil
	})
	if err != nil {
		return nil, err
	}
	for i, j := range lj {
		if j.task == nil {
			continue
		}
		if err := confirm(ctx, j.task, cfg.Confirm, func() { emit(PhaseConfirm, i) }); err != nil {
			return nil, err
		}
	}
	for i, j := range lj {
		l := &res.Layers[i]
		l.Trials = s.JobTrials(i)
		if j.task != nil {
			l.Best, l.Naive = j.task.Best(), j.task.Naive()
		}
		res.Total += l.Weight * l.Latency()
		if l.Naive != nil && l.Naive.OK() {
			res.NaiveTotal += l.Weight * l.Naive.Median
		} else {
			res.NaiveTotal = math.Inf(1)
		}
	}
	res.Trials, res.Took = s.Trials(), time.Since(start)
	return res, nil
}
