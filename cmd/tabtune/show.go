package main

import (
	"fmt"
	"io"

	"github.com/tabtune/tabtune/compiler/lower"
)

// runShow prints a workload and the loop structure of a schedule of it.
func runShow(args []string, stdout, stderr io.Writer) int {
	fs := newFlags("show", "show -workload SPEC [-steps FILE.json] | show -log FILE",
		"Prints the workload (its canonical text, key and FLOP count), the steps,\nand the loop structure of the schedule: each stage's loops, with the\nstages computed inside them.", stderr)
	workload, steps := workloadFlags(fs)
	logPath := fs.String("log", "", "a records `file`: print the best schedule of each workload and target in it")
	if status, ok := parseFlags(fs, args); !ok {
		return status
	}
	if *logPath != "" {
		if err := checkLogFile(*logPath); err != nil {
			return fail(stderr, "show", err)
		}
		return showLog(*logPath, stdout, stderr)
	}
	st, err := loadWorkloadState(*workload, *steps)
	if err != nil {
		return fail(stderr, "show", err)
	}
	printWorkload(stdout, *workload, st.DAG)
	printSteps(stdout, st)
	// Stages computed inside another loop run over a region only: show
	// the extents lowering infers.
	ext, err := lower.InferBound(st)
	if err != nil {
		return fail(stderr, "show", err)
	}
	fmt.Fprintf(stdout, "loops:\n%s", indent(st.StringWithExtents(ext)))
	return exitOK
}
