package main

import (
	"errors"
	"fmt"
	"os"

	"github.com/tabtune/tabtune/compiler/te"
	"github.com/tabtune/tabtune/search/records"
	"github.com/tabtune/tabtune/targets"
	"github.com/tabtune/tabtune/targets/build"
)

// This file holds the checks of a command's input that run before any
// work: a workload too large for the memory it will run in is refused
// before its inputs are made, a file that is not a log before it is shown
// as an empty one.

// checkRunMemory refuses a workload whose tensors do not fit in the
// memory a measurer gives a kernel (opts.MaxMemory), before its inputs are
// drawn.
func checkRunMemory(d *te.DAG, opts targets.Options) error {
	return build.CheckMemory(d, opts.WithDefaults().MaxMemory)
}

// checkLogFile refuses a file none of whose lines is a record (a .te
// file given to show -log, say), which would otherwise read as an empty
// log. A missing file is left to the reader's own error.
func checkLogFile(path string) error {
	recs, errs := records.ReadFile(path)
	if len(recs) > 0 || len(errs) == 0 || errors.Is(errs[0], os.ErrNotExist) {
		return nil
	}
	return fmt.Errorf("%s is not a records file: no line of it is a record (%v)", path, errs[0])
}
