package flow

import (
	"context"
	"fmt"
	"time"

	"github.com/tabtune/tabtune/compiler/te"
	"github.com/tabtune/tabtune/search/evolve"
	"github.com/tabtune/tabtune/search/records"
	"github.com/tabtune/tabtune/search/tune"
	"github.com/tabtune/tabtune/targets"
)

// ConfirmTimes is how many more times confirmation times each of the
// fastest schedules.
const ConfirmTimes = 2

// Config is a tuning run's settings. Zero fields take the defaults.
type Config struct {
	Target targets.Target
	// Trials is the budget: how many candidates to measure (default 256).
	Trials int
	// Batch is how many candidates a round measures (default 64).
	Batch int
	// Seed fixes every random choice.
	Seed uint64
	// Search are the evolutionary search's parameters (default
	// evolve.DefaultParams).
	Search evolve.Params
	// Confirm, when positive, times the Confirm fastest schedules
	// ConfirmTimes more times at the end (tune.Task.Confirm).
	Confirm int
	// Random makes the search a random search: the baseline of the cost
	// model.
	Random bool
}

func (c *Config) defaults() {
	if c.Trials <= 0 {
		c.Trials = 256
	}
	if c.Batch <= 0 {
		c.Batch = 64
	}
	if c.Search.Population == 0 {
		c.Search = evolve.DefaultParams()
	}
}

// Result is the outcome of tuning one workload.
type Result struct {
	DAG  *te.DAG
	Task *tune.Task
	// Best is the fastest verified schedule the log holds for the
	// workload and target (nil when none verified).
	Best *records.Record
	// Naive is the naive schedule's result: it is measured before the
	// first round and stays a candidate, so Best is never slower.
	Naive *targets.Result
	// Trials measured in this run, and how long it took.
	Trials int
	Took   time.Duration
	// Stop is why the run ended early, "" when it spent its budget.
	Stop Stop
}

// Resumed is how many records of d on t the log holds already.
func Resumed(env Env, d *te.DAG, t targets.Target) int {
	if env.Log == nil {
		return 0
	}
	return env.Log.Count(d.Key(), t.String())
}

// newTask makes the workload of d and a tuning task on it; measured, when
// not nil, hears of each chunk of a round measured.
func newTask(ctx context.Context, env Env, d *te.DAG, cfg Config, seed uint64, measured func(tune.Round)) (*tune.Task, error) {
	w, err := env.Reference.Workload(ctx, d, InputSeed)
	if err != nil {
		return nil, err
	}
	return tune.NewTask(d, w, tune.Options{
		Target: cfg.Target, Measurer: env.Measurer, Batch: cfg.Batch, Seed: seed, Search: cfg.Search,
		Log: env.Log, Writer: env.Writer, Tabtune: env.Tabtune, Random: cfg.Random, Measured: measured,
	})
}

// Tune tunes d on cfg.Target: the naive schedule first (a candidate like
// the others, so a tune never returns a slower one), then rounds of search
// and measurement until cfg.Trials candidates are measured, then
// confirmation. Every measurement goes to env's log as it is made. A
// cancelled ctx ends the run early with Stop set, not an error.
func Tune(ctx context.Context, env Env, d *te.DAG, cfg Config, progress func(Event)) (*Result, error) {
	progress, err := prepare(&env, &cfg, progress)
	if err != nil {
		return nil, err
	}
	start := time.Now()
	ev := Event{Layers: 1, Budget: cfg.Trials, FLOPs: d.FLOPs()}
	emit := func(p Phase) {
		ev.Phase, ev.Elapsed = p, time.Since(start)
		progress(ev)
	}
	emit(PhaseReference)
	var task *tune.Task
	task, err = newTask(ctx, env, d, cfg, cfg.Seed, func(r tune.Round) {
		ev.Round, ev.Trials = r, task.Trials
		emit(PhaseMeasure)
	})
	if err != nil {
		return nil, err
	}
	res := &Result{DAG: d, Task: task}
	emit(PhaseBaseline)
	if _, err := task.Baseline(ctx); err != nil && ctx.Err() == nil {
		return nil, fmt.Errorf("flow: %w", err)
	}
	res.Stop, err = spend(ctx, cfg.Trials, func() int { return task.Trials }, func(ctx context.Context, left int) (int, error) {
		r, err := task.StepUpTo(ctx, left)
		ev.Round, ev.Trials = r, task.Trials
		if err == nil && ctx.Err() == nil {
			emit(PhaseRound)
		}
		return r.Measured, err
	})
	if err != nil {
		return nil, err
	}
	if err := confirm(ctx, task, cfg.Confirm, func() { emit(PhaseConfirm) }); err != nil {
		return nil, err
	}
	res.Best, res.Naive, res.Trials, res.Took = task.Best(), task.Naive(), task.Trials, time.Since(start)
	return res, nil
}

// confirm times the k fastest schedules again (tune.Task.Confirm) unless
// ctx is done.
func confirm(ctx context.Context, task *tune.Task, k int, confirming func()) error {
	if k > 0 && ctx.Err() == nil && task.Best() != nil {
		confirming()
		if _, err := task.Confirm(ctx, k, ConfirmTimes); err != nil && ctx.Err() == nil {
			return err
		}
	}
	return nil
}
