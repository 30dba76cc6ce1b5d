package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"time"

	"github.com/tabtune/tabtune/compiler/lower"
	"github.com/tabtune/tabtune/compiler/schedule"
	"github.com/tabtune/tabtune/search/evolve"
	"github.com/tabtune/tabtune/search/tune"
	"github.com/tabtune/tabtune/targets"
	"github.com/tabtune/tabtune/targets/build"
)

// runTune tunes one workload: rounds of search and measurement until the
// trial budget is spent, every measurement appended to the log as it
// completes.
func runTune(args []string, stdout, stderr io.Writer) int {
	fs := newFlags("tune", "tune -workload SPEC [-target wasm-simd] [-measurer wasm|node] [-trials N] [-log FILE] [-seed S]",
		"Deduces the sketches of the workload, then searches: each round the\n"+
			"evolutionary search, guided by the cost model, proposes a batch of\n"+
			"schedules; they are compiled, verified against the reference and timed;\n"+
			"every result is appended to the log at once, and the model is retrained.\n"+
			"With an existing -log, tuning resumes: the model learns from the log and\n"+
			"nothing measured is measured again. Ctrl-C stops cleanly after flushing\n"+
			"the log. At the end the fastest few schedules are timed again (-confirm),\n"+
			"so that a lucky timing on a busy machine does not make the best, and the\n"+
			"best schedule's loop nest and speed are printed.", stderr)
	workload := fs.String("workload", "", "the workload `SPEC`: an operator spec such as gmm:M=512,N=512,K=512, or a file in the text format")
	network := fs.String("network", "", "tune the layers of a network under one budget: a built-in `NAME` (resnet50) or a file of \"WEIGHT SPEC\" lines")
	target := fs.String("target", targets.WasmSIMD, "the `target`")
	measurer := fs.String("measurer", "auto", "who runs the kernels: node (V8, what a browser runs), wasm (wazero, in-process), or auto: node when installed, else wasm")
	trials := fs.Int("trials", 256, "how many schedules to measure")
	batch := fs.Int("batch", 64, "schedules measured per round")
	population := fs.Int("population", evolve.DefaultPopulation, "population of the evolutionary search")
	generations := fs.Int("generations", 4, "generations of the evolutionary search per round")
	logPath := fs.String("log", "", "the records `file` (JSON lines) to append to and resume from")
	seed := fs.Uint64("seed", 1, "seed of every random choice")
	minTime := fs.Duration("min-time", 20*time.Millisecond, "least total time of each candidate's timed samples")
	confirm := fs.Int("confirm", 4, "at the end, time the `N` fastest schedules twice more and rank each by the lower median of its times (0: off)")
	baseline := fs.Bool("baseline", false, "at the end, measure the naive schedule too and print the speed-up (slow for large workloads)")
	if status, ok := parseFlags(fs, args); !ok {
		return status
	}
	if (*workload == "") == (*network == "") {
		return fail(stderr, "tune", errors.New("give -workload or -network"))
	}
	t, err := targets.ParseTarget(*target)
	if err != nil {
		return fail(stderr, "tune", err)
	}
	if err := checkMeasurer(*measurer); err != nil {
		return fail(stderr, "tune", err)
	}
	if *network != "" {
		return tuneNetwork(*network, t, *measurer, *trials, *batch, *population, *generations, *confirm, *logPath, *seed, *minTime, stdout, stderr)
	}
	d, err := loadWorkload(*workload)
	if err != nil {
		return fail(stderr, "tune", err)
	}
	printWorkload(stdout, *workload, d)

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	log, writer, closeLog, err := openLog(*logPath, stderr)
	if err != nil {
		return fail(stderr, "tune", err)
	}
	defer closeLog()
	if n := log.Count(d.Key(), t.String()); n > 0 {
		fmt.Fprintf(stdout, "resuming: %d records of this workload and target in %s\n", n, *logPath)
	}
	w, err := buildWorkload(ctx, d, 1, stderr)
	if err != nil {
		return fail(stderr, "tune", err)
	}
	m, closeM, err := newMeasurer(*measurer, targets.Options{MinTime: *minTime}, t)
	if err != nil {
		return fail(stderr, "tune", err)
	}
	defer closeM()
	params := evolve.DefaultParams()
	params.Population, params.Generations = *population, *generations
	task, err := tune.NewTask(d, w, tune.Options{
		Target: t, Measurer: m, Batch: *batch, Seed: *seed, Search: params,
		Log: log, Writer: writer, Tabtune: version,
	})
	if err != nil {
		return fail(stderr, "tune", err)
	}
	fmt.Fprintf(stdout, "tuning on %s with the %s measurer: %d trials, batches of %d, seed %d\n", t, m.Name(), *trials, *batch, *seed)
	start := time.Now()
	for task.Trials < *trials {
		r, err := task.StepUpTo(ctx, *trials-task.Trials)
		if ctx.Err() != nil {
			fmt.Fprintf(stderr, "\ninterrupted: the log holds every measurement made\n")
			break
		}
		if err != nil {
			return fail(stderr, "tune", err)
		}
		progressBar(stderr, task.Trials, *trials, r, d.FLOPs(), time.Since(start))
		if r.Measured == 0 {
			fmt.Fprintf(stderr, "\nthe search has nothing new to measure\n")
			break
		}
	}
	fmt.Fprintln(stderr)
	if *confirm > 0 && ctx.Err() == nil && task.Best() != nil {
		fmt.Fprintf(stderr, "confirming: timing the %d fastest schedules twice more...\n", *confirm)
		if _, err := task.Confirm(ctx, *confirm, confirmTimes); err != nil && ctx.Err() == nil {
			return fail(stderr, "tune", err)
		}
	}
	best := task.Best()
	if best == nil {
		fmt.Fprintf(stdout, "no schedule verified\n")
		return exitFailed
	}
	st, err := best.Replay(d)
	if err != nil {
		return fail(stderr, "tune", err)
	}
	f, err := lower.Lower(st)
	if err != nil {
		return fail(stderr, "tune", err)
	}
	fmt.Fprintf(stdout, "best: %.3f ms, %.2f GFLOP/s on %s (%s), %s, after %d trials in %s\n",
		best.Result.Median*1e3, best.GFLOPS(), t, m.Name(), howFound(log, d.Key(), t.String(), best, false), task.Trials, time.Since(start).Round(time.Second))
	fmt.Fprintf(stdout, "steps (%d):\n%s", len(st.Steps), indent(st.StepsString()))
	fmt.Fprintf(stdout, "loop nest:\n%s", indent(f.String()))
	if *baseline {
		naive, _, err := build.Wasm(schedule.New(d), t)
		if err != nil {
			return fail(stderr, "tune", err)
		}
		fmt.Fprintf(stderr, "measuring the naive schedule...\n")
		r := m.Measure(ctx, w, []targets.Candidate{naive})[0]
		if !r.OK() {
			fmt.Fprintf(stdout, "naive schedule: %s: %s\n", r.Err, r.Msg)
			return exitOK
		}
		fmt.Fprintf(stdout, "naive schedule: %.3f ms, %.2f GFLOP/s; the tuned schedule is %.1fx faster\n",
			r.Median*1e3, d.FLOPs()/r.Median/1e9, r.Median/best.Result.Median)
	}
	return exitOK
}

// bar draws the bar of a progress line: done of total, 30 cells wide.
func bar(done, total int) string {
	const width = 30
	filled := min(width, done*width/max(total, 1))
	return fmt.Sprintf("[%s%s] %d/%d trials", strings.Repeat("#", filled), strings.Repeat(".", width-filled), done, total)
}

// progressBar redraws one line: trials done, the best so far, the round.
func progressBar(w io.Writer, done, total int, r tune.Round, flops float64, elapsed time.Duration) {
	best := "none verified yet"
	if r.Best != nil {
		best = fmt.Sprintf("best %.2f GFLOP/s (%.3f ms)", flops/r.Best.Result.Median/1e9, r.Best.Result.Median*1e3)
	}
	fmt.Fprintf(w, "\r%s, %s, round %d: %d measured, %d failed, %.1fs; %s elapsed ",
		bar(done, total), best, r.Index, r.Measured, r.Failed, r.Took.Seconds(), elapsed.Round(time.Second))
}
