package main

import (
	"errors"
	"fmt"
	"io"

	"github.com/tabtune/tabtune/compiler/interp"
	"github.com/tabtune/tabtune/compiler/lower"
)

// runCheck lowers a schedule, runs the kernel in the interpreter on
// deterministic random inputs and compares its outputs with the direct
// evaluation of the workload.
func runCheck(args []string, stdout, stderr io.Writer) int {
	fs := newFlags("check", "check -workload SPEC [-steps FILE.json] [-seed N] [-max-steps N]",
		"Lowers the schedule (the steps replayed on the workload; without steps, the\n"+
			"naive schedule), runs the kernel in the interpreter on random inputs made\n"+
			"from the seed, and compares its outputs with a direct evaluation of the\n"+
			"workload. Exit status 1 on a mismatch or a failing kernel, 2 on bad input.", stderr)
	workload, steps := workloadFlags(fs)
	seed := fs.Int64("seed", 1, "seed of the random inputs")
	maxSteps := fs.Int64("max-steps", 0, fmt.Sprintf("step budget of each interpreter run; 0 means the default (%d), negative no limit", interp.DefaultMaxSteps))
	if status, ok := parseFlags(fs, args); !ok {
		return status
	}
	st, err := loadWorkloadState(*workload, *steps)
	if err != nil {
		return fail(stderr, "check", err)
	}
	printWorkload(stdout, *workload, st.DAG)
	printSteps(stdout, st)
	f, err := lower.Lower(st)
	if err != nil {
		return fail(stderr, "check", err)
	}
	diff, err := interp.Options{MaxSteps: *maxSteps}.Check(f, st.DAG, *seed)
	if errors.Is(err, interp.ErrMemoryLimit) {
		return fail(stderr, "check", fmt.Errorf("%w (use smaller shapes)", err))
	}
	if errors.Is(err, interp.ErrStepLimit) {
		return fail(stderr, "check", fmt.Errorf("%w (the workload is too large to interpret quickly: use smaller shapes, or raise -max-steps)", err))
	}
	if err != nil {
		fmt.Fprintf(stdout, "kernel failed: %v: FAILED\n", err)
		fmt.Fprintf(stderr, "tabtune check: kernel failed: %v\n", err)
		return exitFailed
	}
	if diff.Problem != "" {
		fmt.Fprintf(stdout, "%s: MISMATCH\n", diff.Problem)
		return exitFailed
	}
	fmt.Fprintf(stdout, "max abs error %.2g, max rel error %.2g", diff.MaxAbs, diff.MaxRel)
	if diff.OK {
		fmt.Fprintf(stdout, ": OK\n")
		return exitOK
	}
	fmt.Fprintf(stdout, ": MISMATCH\n%s\n", diff.String())
	return exitFailed
}
