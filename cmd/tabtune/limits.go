package main

import (
	"github.com/tabtune/tabtune/compiler/te"
	"github.com/tabtune/tabtune/targets"
	"github.com/tabtune/tabtune/targets/build"
)

// This file holds the checks of a command's input that run before any
// work: a workload too large for the memory it will run in is refused
// before its inputs are made.

// checkRunMemory refuses a workload whose tensors do not fit in the
// memory a measurer gives a kernel (opts.MaxMemory), before its inputs are
// drawn.
func checkRunMemory(d *te.DAG, opts targets.Options) error {
	return build.CheckMemory(d, opts.WithDefaults().MaxMemory)
}
