package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"os/signal"
	"strings"
	"time"

	"github.com/tabtune/tabtune/compiler/lower"
	"github.com/tabtune/tabtune/search/evolve"
	"github.com/tabtune/tabtune/search/flow"
	"github.com/tabtune/tabtune/search/records"
	"github.com/tabtune/tabtune/targets"
	"github.com/tabtune/tabtune/targets/build"
	"github.com/tabtune/tabtune/targets/local"
)

// tuneFlags are the settings of tune, for one workload or a network.
type tuneFlags struct {
	workload, network, target, measurer, logPath    string
	trials, batch, population, generations, confirm int
	seed                                            uint64
	minTime                                         time.Duration
	baseline                                        bool
}

// runTune tunes one workload or the layers of a network (search/flow):
// rounds of search and measurement until the trial budget is spent, every
// measurement appended to the log as it completes.
func runTune(args []string, stdout, stderr io.Writer) int {
	fs := newFlags("tune", "tune -workload SPEC [-target wasm-simd] [-measurer auto|node|wazero] [-trials N] [-log FILE] [-seed S]",
		"Deduces the sketches of the workload, then searches: each round the\n"+
			"evolutionary search, guided by the cost model, proposes a batch of\n"+
			"schedules; they are compiled, verified against the reference and timed;\n"+
			"every result is appended to the log at once, and the model is retrained.\n"+
			"With an existing -log, tuning resumes: the model learns from the log and\n"+
			"nothing measured is measured again. Ctrl-C stops cleanly after flushing\n"+
			"the log. At the end the fastest few schedules are timed again (-confirm),\n"+
			"so that a lucky timing on a busy machine does not make the best, and the\n"+
			"best schedule's loop nest and speed are printed.\n"+
			"With -network, the layers share the budget as in Ansor's task scheduler:\n"+
			"each gets a first round, then rounds go where the network's estimated\n"+
			"latency can fall most.", stderr)
	var f tuneFlags
	fs.StringVar(&f.workload, "workload", "", "the workload `SPEC`: an operator spec such as gmm:M=512,N=512,K=512, or a file in the text format")
	fs.StringVar(&f.network, "network", "", "tune the layers of a network under one budget: a built-in `NAME` (resnet50) or a file of \"WEIGHT SPEC\" lines")
	fs.StringVar(&f.target, "target", string(targets.WasmSIMD), "the `target`")
	fs.StringVar(&f.measurer, "measurer", local.Auto, measurerUsage)
	fs.IntVar(&f.trials, "trials", 256, "how many schedules to measure")
	fs.IntVar(&f.batch, "batch", 64, "schedules measured per round")
	fs.IntVar(&f.population, "population", evolve.DefaultPopulation, "population of the evolutionary search")
	fs.IntVar(&f.generations, "generations", 4, "generations of the evolutionary search per round")
	fs.StringVar(&f.logPath, "log", "", "the records `file` (JSON lines) to append to and resume from")
	fs.Uint64Var(&f.seed, "seed", 1, "seed of every random choice")
	fs.DurationVar(&f.minTime, "min-time", 20*time.Millisecond, "least total time of each candidate's timed samples")
	fs.IntVar(&f.confirm, "confirm", 4, "at the end, time the `N` fastest schedules twice more and rank each by the lower median of its times (0: off)")
	fs.BoolVar(&f.baseline, "baseline", true, "print the naive schedule's speed beside the best's (the naive schedule is always measured first and stays a candidate)")
	if status, ok := parseFlags(fs, args); !ok {
		return status
	}
	if (f.workload == "") == (f.network == "") {
		return fail(stderr, "tune", errors.New("give -workload or -network"))
	}
	t, err := targets.ParseTarget(f.target)
	if err != nil {
		return fail(stderr, "tune", err)
	}
	if err := checkTarget(f.measurer, t); err != nil {
		return fail(stderr, "tune", err)
	}
	cfg := flow.Config{Target: t, Trials: f.trials, Batch: f.batch, Seed: f.seed, Confirm: f.confirm}
	cfg.Search = evolve.DefaultParams()
	cfg.Search.Population, cfg.Search.Generations = f.population, f.generations
	if f.network != "" {
		return tuneNetwork(f, cfg, stdout, stderr)
	}
	d, err := loadWorkload(f.workload)
	if err != nil {
		return fail(stderr, "tune", err)
	}
	printWorkload(stdout, f.workload, d)
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	env, closeEnv, err := openEnv(f, t, stderr)
	if err != nil {
		return fail(stderr, "tune", err)
	}
	defer closeEnv()
	if n := flow.Resumed(env, d, t); n > 0 {
		fmt.Fprintf(stdout, "resuming: %d records of this workload and target in %s\n", n, f.logPath)
	}
	fmt.Fprintf(stdout, "tuning on %s with the %s measurer: %d trials, batches of %d, seed %d\n", t, env.Measurer.Name(), f.trials, f.batch, f.seed)
	res, err := flow.Tune(ctx, env, d, cfg, func(e flow.Event) { progress(stderr, e) })
	fmt.Fprintln(stderr)
	if err != nil {
		return fail(stderr, "tune", err)
	}
	stopped(stderr, res.Stop)
	if res.Task.SketchesCapped {
		fmt.Fprintf(stdout, "the search drew from the first %d sketches only: derivation stops there (tabtune sketches lists them)\n", res.Task.Sketches)
	}
	best := res.Best
	if best == nil {
		fmt.Fprintf(stdout, "no schedule verified\n")
		return exitFailed
	}
	st, err := best.Replay(d)
	if err != nil {
		return fail(stderr, "tune", err)
	}
	fn, err := lower.Lower(st)
	if err != nil {
		return fail(stderr, "tune", err)
	}
	fmt.Fprintf(stdout, "best: %.3f ms, %.2f GFLOP/s on %s (%s), %s, after %d trials in %s\n",
		best.Result.Median*1e3, best.GFLOPS(), t, env.Measurer.Name(), flow.HowFound(env.Log, d.Key(), t.String(), best, false), res.Trials, res.Took.Round(time.Second))
	fmt.Fprintf(stdout, "steps (%d):\n%s", len(st.Steps), indent(st.StepsString()))
	fmt.Fprintf(stdout, "loop nest:\n%s", indent(fn.String()))
	if n := res.Naive; n != nil && f.baseline {
		fmt.Fprintln(stdout, naiveLine(*n, best, d.FLOPs()))
	}
	return exitOK
}

// naiveLine compares the naive schedule with the best: a speed-up, or a
// slowdown said as one.
func naiveLine(n targets.Result, best *records.Record, flops float64) string {
	if !n.OK() {
		return fmt.Sprintf("naive schedule: %s: %s", n.Err, n.Msg)
	}
	s := fmt.Sprintf("naive schedule: %.3f ms, %.2f GFLOP/s; ", n.Median*1e3, flops/n.Median/1e9)
	switch r := n.Median / best.Result.Median; {
	case best.Origin == records.OriginNaive:
		return s + "no tuned schedule was faster"
	case r >= 1:
		return s + fmt.Sprintf("the tuned schedule is %.1fx faster", r)
	default:
		return s + fmt.Sprintf("the tuned schedule is %.1fx slower (timed again, it fell behind)", 1/r)
	}
}

// openEnv opens the log and the measurer of a tuning run.
func openEnv(f tuneFlags, t targets.Target, stderr io.Writer) (flow.Env, func(), error) {
	log, writer, closeLog, err := openLog(f.logPath, stderr)
	if err != nil {
		return flow.Env{}, nil, err
	}
	m, closeM, err := newMeasurer(f.measurer, targets.Options{MinTime: f.minTime}, t)
	if err != nil {
		closeLog()
		return flow.Env{}, nil, err
	}
	env := flow.Env{Measurer: m, Reference: local.Reference{}, Log: log, Tabtune: version}
	if writer != nil {
		env.Writer = writer
	}
	return env, func() { closeM(); closeLog() }, nil
}

// stopped says why a run ended before its budget was spent.
func stopped(stderr io.Writer, s flow.Stop) {
	switch s {
	case flow.Interrupted:
		fmt.Fprintf(stderr, "interrupted: the log holds every measurement made\n")
	case flow.Exhausted:
		fmt.Fprintf(stderr, "%s (tabtune sketches shows them)\n", s)
	}
}

// bar draws the bar of a progress line: done of total, 30 cells wide.
func bar(done, total int) string {
	const width = 30
	filled := min(width, done*width/max(total, 1))
	return fmt.Sprintf("[%s%s] %d/%d trials", strings.Repeat("#", filled), strings.Repeat(".", width-filled), done, total)
}

// progress redraws one line for each event of a run: trials done, the best
// so far, the round; for a network, the estimated latency and the layer.
func progress(w io.Writer, e flow.Event) {
	elapsed := e.Elapsed.Round(time.Second)
	if e.Layers > 1 {
		total := "not all layers timed yet"
		if !math.IsInf(e.Total, 1) && e.Total > 0 {
			total = fmt.Sprintf("network %.3f ms", e.Total*1e3)
		}
		switch e.Phase {
		case flow.PhaseReference:
			fmt.Fprintf(w, "\r%s, %s, layer %d/%d: reference and naive time... %s elapsed ", bar(e.Trials, e.Budget), total, e.Layer+1, e.Layers, elapsed)
		case flow.PhaseRound, flow.PhaseMeasure:
			fmt.Fprintf(w, "\r%s, %s, layer %d: %d measured this round, %s elapsed ", bar(e.Trials, e.Budget), total, e.Layer+1, e.Round.Measured, elapsed)
		case flow.PhaseConfirm:
			fmt.Fprintf(w, "\rconfirming layer %d/%d: timing its fastest schedules twice more... ", e.Layer+1, e.Layers)
		}
		return
	}
	switch e.Phase {
	case flow.PhaseReference:
		if e.FLOPs > build.InterpLimit {
			fmt.Fprintf(w, "computing reference outputs with the naive kernel in wazero...\n")
		}
	case flow.PhaseRound, flow.PhaseMeasure:
		r := e.Round
		best := "none verified yet"
		if r.Best != nil {
			best = fmt.Sprintf("best %.2f GFLOP/s (%.3f ms)", e.FLOPs/r.Best.Result.Median/1e9, r.Best.Result.Median*1e3)
		}
		fmt.Fprintf(w, "\r%s, %s, round %d: %d measured, %d failed, %.1fs; %s elapsed ",
			bar(e.Trials, e.Budget), best, r.Index, r.Measured, r.Failed, r.Took.Seconds(), elapsed)
	case flow.PhaseConfirm:
		fmt.Fprintf(w, "\nconfirming: timing the fastest schedules twice more...")
	case flow.PhaseBaseline:
		fmt.Fprintf(w, "\nmeasuring the naive schedule...")
	}
}
