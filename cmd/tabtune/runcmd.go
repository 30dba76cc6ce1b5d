package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"time"

	"github.com/tabtune/tabtune/compiler/schedule"
	"github.com/tabtune/tabtune/targets"
	"github.com/tabtune/tabtune/targets/build"
	"github.com/tabtune/tabtune/targets/local"
)

// runRun builds one schedule for a target, verifies it against the
// reference and times it.
func runRun(args []string, stdout, stderr io.Writer) int {
	fs := newFlags("run", "run -workload SPEC [-steps FILE.json] [-target wasm-simd] [-measurer auto|node|wazero] [-baseline]",
		"Lowers the schedule, compiles it for the target, runs it on random inputs\n"+
			"made from the seed, checks its outputs against the reference, then times\n"+
			"it: warm-up calls, then timed samples; the median is reported in ms and\n"+
			"GFLOP/s. With -baseline the naive schedule is measured too, in the same\n"+
			"run, and the speed-up printed. Exit status 1 when the kernel fails or\n"+
			"computes wrong results.", stderr)
	workload, steps := workloadFlags(fs)
	target := fs.String("target", string(targets.WasmSIMD), "the `target`: wasm-simd, or wasm-simd -relaxed (node only)")
	measurer := fs.String("measurer", local.Auto, measurerUsage)
	seed := fs.Int64("seed", 1, "seed of the random inputs")
	baseline := fs.Bool("baseline", false, "also measure the naive schedule (slow for large workloads)")
	minTime := fs.Duration("min-time", 200*time.Millisecond, "least total time of the timed samples")
	timeout := fs.Duration("timeout", time.Minute, "time limit of the verification run")
	if status, ok := parseFlags(fs, args); !ok {
		return status
	}
	t, err := targets.ParseTarget(*target)
	if err != nil {
		return fail(stderr, "run", err)
	}
	if err := checkTarget(*measurer, t); err != nil {
		return fail(stderr, "run", err)
	}
	st, err := loadWorkloadState(*workload, *steps)
	if err != nil {
		return fail(stderr, "run", err)
	}
	opts := targets.Options{MinTime: *minTime, Timeout: *timeout}
	if err := checkRunMemory(st.DAG, opts); err != nil {
		return fail(stderr, "run", err)
	}
	printWorkload(stdout, *workload, st.DAG)
	printSteps(stdout, st)
	cand, err := build.Build(st, t)
	if err != nil {
		return fail(stderr, "run", err)
	}
	if t.Kind == targets.WasmSIMD {
		k, err := build.Wasm(st, t)
		if err != nil {
			return fail(stderr, "run", err)
		}
		fmt.Fprintf(stdout, "kernel: %d bytes of wasm, %d four-lane loops, %d buffers in registers, %d bytes of scratch\n",
			len(k.Wasm), k.VectorLoops, k.RegisterBuffers, k.ScratchBytes)
	}
	cands := []targets.Candidate{cand}
	names := []string{"schedule"}
	if *baseline {
		naive, err := build.Build(schedule.New(st.DAG), t)
		if err != nil {
			return fail(stderr, "run", err)
		}
		cands = append(cands, naive)
		names = append(names, "naive")
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	w, err := buildWorkload(ctx, st.DAG, *seed, stderr)
	if err != nil {
		return fail(stderr, "run", err)
	}
	m, closeM, err := newMeasurer(*measurer, opts, t)
	if err != nil {
		return fail(stderr, "run", err)
	}
	defer closeM()
	fmt.Fprintf(stderr, "measuring %d kernel(s) with %s...\n", len(cands), m.Name())
	results := m.Measure(ctx, w, cands)
	status := exitOK
	flops := st.DAG.FLOPs()
	for i, r := range results {
		if !r.OK() {
			fmt.Fprintf(stdout, "%s: %s: %s\n", names[i], r.Err, r.Msg)
			status = exitFailed
			continue
		}
		fmt.Fprintf(stdout, "%s: %.3f ms (median of %d), %.2f GFLOP/s on %s (%s)\n",
			names[i], r.Median*1e3, len(r.Times), flops/r.Median/1e9, t, m.Name())
	}
	if len(results) == 2 && results[0].OK() && results[1].OK() {
		fmt.Fprintf(stdout, "speed-up over the naive schedule: %.1fx\n", results[1].Median/results[0].Median)
	}
	return status
}
