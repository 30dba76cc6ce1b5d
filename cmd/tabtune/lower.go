package main

import (
	"fmt"
	"io"

	"github.com/tabtune/tabtune/compiler/ir"
	"github.com/tabtune/tabtune/compiler/lower"
)

// runLower prints the loop IR of a schedule, or with -trace the IR after
// each lowering pass that changed it.
func runLower(args []string, stdout, stderr io.Writer) int {
	fs := newFlags("lower", "lower -workload SPEC [-steps FILE.json] [-trace]",
		"Lowers the schedule (the steps replayed on the workload; without steps, the\nnaive schedule) and prints the loop IR of the kernel.", stderr)
	workload, steps := workloadFlags(fs)
	trace := fs.Bool("trace", false, "print the IR after each lowering pass that changes it, headed by the pass's name")
	if status, ok := parseFlags(fs, args); !ok {
		return status
	}
	st, err := loadWorkloadState(*workload, *steps)
	if err != nil {
		return fail(stderr, "lower", err)
	}
	var watch func(string, *ir.Func)
	if *trace {
		first := true
		watch = func(pass string, f *ir.Func) {
			if !first {
				fmt.Fprintln(stdout)
			}
			first = false
			fmt.Fprintf(stdout, "// after pass %s\n%s", pass, ensureNewline(f.String()))
		}
	}
	f, err := lower.Trace(st, watch)
	if err != nil {
		return fail(stderr, "lower", err)
	}
	if !*trace {
		io.WriteString(stdout, ensureNewline(f.String()))
	}
	return exitOK
}

func ensureNewline(s string) string {
	if len(s) > 0 && s[len(s)-1] != '\n' {
		return s + "\n"
	}
	return s
}
