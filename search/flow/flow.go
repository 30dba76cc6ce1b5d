// Package flow is what every front end of tabtune runs: resolve what a
// user typed into a program, make its measuring workload, tune it (one
// task, or the layers of a network) under a trial budget, confirm the
// fastest schedules, report how the best was found and export its kernel
// for any target. The command line (cmd/tabtune) parses flags and prints
// over it; the browser engine calls the same functions.
//
// It is portable (it builds for GOOS=js GOARCH=wasm): everything that
// touches the machine comes in through an Env, namely the measurer, the
// maker of reference outputs and where records go. Long work reports
// Events to a callback, so a terminal draws a progress bar and a page a
// chart from the same stream.
package flow

import (
	"context"
	"fmt"
	"time"

	"github.com/tabtune/tabtune/compiler/te"
	"github.com/tabtune/tabtune/search/records"
	"github.com/tabtune/tabtune/search/tune"
	"github.com/tabtune/tabtune/targets"
	"github.com/tabtune/tabtune/targets/build"
)

// A Referencer makes the measuring workload of a program: its tensors,
// inputs drawn from seed and the reference outputs.
type Referencer interface {
	Workload(ctx context.Context, d *te.DAG, seed int64) (*targets.Workload, error)
}

// Interp is the portable Referencer: reference outputs from the
// interpreter, for programs up to build.InterpLimit FLOPs. Larger ones
// need a Referencer that runs the naive kernel (wazero's Measurer, or the
// page's).
type Interp struct{}

// Workload implements Referencer.
func (Interp) Workload(_ context.Context, d *te.DAG, seed int64) (*targets.Workload, error) {
	w, err := build.Workload(d, seed)
	if err != nil {
		return nil, err
	}
	if build.NeedsReference(w) {
		return nil, fmt.Errorf("flow: %.3g FLOPs is too large a program for the interpreter's reference (at most %.3g): a Referencer that runs the naive kernel is needed", d.FLOPs(), float64(build.InterpLimit))
	}
	return w, nil
}

// Env is what a front end supplies.
type Env struct {
	// Measurer verifies and times kernels of the target.
	Measurer targets.Measurer
	// Reference makes workloads; nil means Interp.
	Reference Referencer
	// Log holds the records so far (resume) and receives new ones; nil
	// means an empty log.
	Log *records.Log
	// Writer, when not nil, receives each new record as it is made (the
	// log file, IndexedDB).
	Writer tune.Writer
	// Tabtune is the version written in records.
	Tabtune string
}

// prepare fills env's and cfg's defaults, refuses a target this tabtune
// cannot build for, and returns progress, or a callback that drops events.
func prepare(env *Env, cfg *Config, progress func(Event)) (func(Event), error) {
	env.defaults()
	cfg.defaults()
	if progress == nil {
		progress = func(Event) {}
	}
	return progress, Check(cfg.Target)
}

func (e *Env) defaults() {
	if e.Reference == nil {
		e.Reference = Interp{}
	}
	if e.Log == nil {
		e.Log = &records.Log{}
	}
}

// InputSeed is the seed of every workload's inputs: records of one
// workload are verified against the same data wherever they were made.
const InputSeed = 1

// Check refuses a target that this tabtune cannot build kernels for,
// before any search: its error says what is missing.
func Check(t targets.Target) error {
	if err := t.Validate(); err != nil {
		return err
	}
	if _, err := build.For(t); err != nil {
		return fmt.Errorf("target %s: %w; %s", t, err, targets.HowToMeasure(t.Kind))
	}
	return nil
}

// Phase says what an Event reports.
type Phase string

// The phases of a tuning run.
const (
	// PhaseReference: a layer's reference outputs are being computed.
	PhaseReference Phase = "reference"
	// PhaseBaseline: the naive schedule is being measured.
	PhaseBaseline Phase = "baseline"
	// PhaseMeasure: part of a round is measured (Round holds the round
	// so far); long rounds report every few candidates.
	PhaseMeasure Phase = "measure"
	// PhaseRound: a round of search and measurement has ended.
	PhaseRound Phase = "round"
	// PhaseConfirm: the fastest schedules are being timed again.
	PhaseConfirm Phase = "confirm"
)

// Event is a progress report.
type Event struct {
	Phase Phase
	// Layer is the index of the layer concerned (0 for one task) and
	// Layers their number (1 for one task); Spec is its workload spec.
	Layer, Layers int
	Spec          string
	// Trials measured so far of Budget.
	Trials, Budget int
	// Round is the round that ended (PhaseRound).
	Round tune.Round
	// FLOPs of the layer's program, for speeds.
	FLOPs float64
	// Total is a network's estimated latency in seconds (the weighted sum
	// of each layer's best, or naive, time); +Inf while some layer has
	// none, 0 for one task.
	Total float64
	// Elapsed is the time since the run started.
	Elapsed time.Duration
}

// BestGFLOPS is the speed of the best schedule so far (Round.Best), 0
// while none verified.
func (e Event) BestGFLOPS() float64 {
	if e.Round.Best == nil {
		return 0
	}
	return e.Round.Best.GFLOPS()
}

// Stop says why a run ended before its budget was spent.
type Stop string

// The reasons to stop early.
const (
	// Interrupted: the context was cancelled (Ctrl-C, the stop button);
	// every measurement made is in the log.
	Interrupted Stop = "interrupted"
	// Exhausted: even topped up with fresh draws and mutations of the
	// best, a round found nothing new to measure: the sketches' space
	// holds no more programs than were measured.
	Exhausted Stop = "the search has measured every program it could draw from the sketches"
)

// spend is the one budget loop: it runs rounds until budget trials are
// measured, ctx is done or a round measures nothing. round gets the
// number of trials left and returns how many it measured.
func spend(ctx context.Context, budget int, done func() int, round func(ctx context.Context, left int) (int, error)) (Stop, error) {
	for done() < budget {
		n, err := round(ctx, budget-done())
		if ctx.Err() != nil {
			return Interrupted, nil
		}
		if err != nil {
			return "", err
		}
		if n == 0 {
			return Exhausted, nil
		}
	}
	return "", nil
}

// Prepared is a Referencer that hands out a workload made already: for
// runs that tune one program several times (seeds, searches) and need its
// reference once.
type Prepared struct{ W *targets.Workload }

// Workload implements Referencer; it refuses another program.
func (p Prepared) Workload(_ context.Context, d *te.DAG, _ int64) (*targets.Workload, error) {
	if p.W == nil || p.W.Key != d.Key() {
		return nil, fmt.Errorf("flow: the prepared workload is not that of program %s", d.Key())
	}
	return p.W, nil
}
