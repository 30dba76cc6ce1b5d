package main

import (
	"io"

	"github.com/tabtune/tabtune/compiler/ops"
)

// runOps lists the operator zoo.
func runOps(args []string, stdout, stderr io.Writer) int {
	fs := newFlags("ops", "ops", "Lists the operators of the zoo, their parameters with defaults, and what\nthey compute. Pick one with -workload NAME:PARAM=VALUE,...", stderr)
	if status, ok := parseFlags(fs, args); !ok {
		return status
	}
	io.WriteString(stdout, ops.Usage())
	return exitOK
}
