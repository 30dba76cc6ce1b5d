package main

import (
	"fmt"
	"os"
	"strings"

	"github.com/tabtune/tabtune/compiler/schedule"
	"github.com/tabtune/tabtune/compiler/te"
	"github.com/tabtune/tabtune/search/flow"
)

// loadWorkload resolves a -workload argument to a DAG. An argument that
// names an existing file, or ends in .te, is read and parsed in the text
// format; anything else is an operator spec of the zoo (gmm:M=64,N=64,K=64)
// or a program's text (flow.Workload). Parse errors name the file, line and
// column (file:line:col: message).
func loadWorkload(arg string) (*te.DAG, error) {
	if isFile(arg) || strings.HasSuffix(arg, ".te") {
		src, err := os.ReadFile(arg)
		if err != nil {
			return nil, err
		}
		return flow.ParseFile(arg, string(src))
	}
	return flow.Workload(arg)
}

// isFile reports whether path names an existing regular file.
func isFile(path string) bool {
	fi, err := os.Stat(path)
	return err == nil && fi.Mode().IsRegular()
}

// loadState replays the steps of the JSON file stepsPath on d; with no
// file it is the naive schedule of d. Errors name the file and, for a step
// that does not apply, the step, stage and iterator.
func loadState(d *te.DAG, stepsPath string) (*schedule.State, error) {
	if stepsPath == "" {
		return schedule.New(d), nil
	}
	data, err := os.ReadFile(stepsPath)
	if err != nil {
		return nil, err
	}
	steps, err := schedule.UnmarshalSteps(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", stepsPath, err)
	}
	st, err := schedule.Replay(d, steps)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", stepsPath, err)
	}
	return st, nil
}

// loadWorkloadState is loadWorkload then loadState.
func loadWorkloadState(workload, stepsPath string) (*schedule.State, error) {
	d, err := loadWorkload(workload)
	if err != nil {
		return nil, err
	}
	return loadState(d, stepsPath)
}
