package main

import (
	"fmt"
	"io"
)

// runShow prints a workload and the loop structure of a schedule of it.
func runShow(args []string, stdout, stderr io.Writer) int {
	fs := newFlags("show", "show -workload SPEC [-steps FILE.json]",
		"Prints the workload (its canonical text, key and FLOP count), the steps,\nand the loop structure of the schedule: each stage's loops, with the\nstages computed inside them.", stderr)
	workload, steps := workloadFlags(fs)
	if status, ok := parseFlags(fs, args); !ok {
		return status
	}
	st, err := loadWorkloadState(*workload, *steps)
	if err != nil {
		return fail(stderr, "show", err)
	}
	printWorkload(stdout, *workload, st.DAG)
	printSteps(stdout, st)
	fmt.Fprintf(stdout, "loops:\n%s", indent(st.String()))
	return exitOK
}
