package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/tabtune/tabtune/search/flow"
	"github.com/tabtune/tabtune/search/records"
	"github.com/tabtune/tabtune/targets"
)

// readLog reads a records file into a Log, reporting bad lines.
func readLog(path string, stderr io.Writer) (*records.Log, error) {
	recs, errs := records.ReadFile(path)
	for _, e := range errs {
		if errors.Is(e, os.ErrNotExist) {
			return nil, e
		}
		fmt.Fprintf(stderr, "tabtune: %v (skipped)\n", e)
	}
	return records.NewLog(recs...), nil
}

// openLog reads a records file for resuming (a missing file is an empty
// log) and opens it for appending. close must be called when done; with
// an empty path there is no file and the writer is nil.
func openLog(path string, stderr io.Writer) (log *records.Log, w *records.Writer, close func(), err error) {
	log = &records.Log{}
	if path == "" {
		return log, nil, func() {}, nil
	}
	log, w, f, skipped, err := records.Resume(path)
	for _, e := range skipped {
		fmt.Fprintf(stderr, "tabtune: %v (skipped)\n", e)
	}
	if err != nil {
		return nil, nil, nil, err
	}
	return log, w, func() { f.Close() }, nil
}

// showLog prints, per workload and target of a log, the best schedule:
// its time, GFLOP/s, and how it was found.
func showLog(path string, stdout, stderr io.Writer) int {
	log, err := readLog(path, stderr)
	if err != nil {
		return fail(stderr, "show", err)
	}
	ws := log.Workloads()
	if len(ws) == 0 {
		fmt.Fprintf(stdout, "%s holds no records\n", path)
		return exitOK
	}
	for _, w := range ws {
		for _, t := range log.Targets(w.Key) {
			fmt.Fprintf(stdout, "workload %s on %s: %d records\n", w.Key, t, log.Count(w.Key, t))
			fmt.Fprint(stdout, indent(w.Text))
			best := log.Best(w.Key, t)
			if best == nil {
				fmt.Fprintf(stdout, "  no schedule verified\n\n")
				continue
			}
			fmt.Fprintf(stdout, "  best: %.3f ms, %.2f GFLOP/s, measured with %s, %s\n",
				best.Result.Median*1e3, best.GFLOPS(), best.Measurer, flow.HowFound(log, w.Key, t, best, true))
			if st, err := best.State(); err == nil {
				fmt.Fprintf(stdout, "  steps (%d):\n%s", len(st.Steps), indent(indent(st.StepsString())))
			}
			fmt.Fprintln(stdout)
		}
	}
	return exitOK
}

// runExport writes the best kernel of a workload in a log: its module,
// the module's text, and the steps.
func runExport(args []string, stdout, stderr io.Writer) int {
	fs := newFlags("export", "export -log FILE -workload SPEC [-target wasm-simd|cpu] -o DIR",
		"Writes the best schedule the log holds for the workload and target into\n"+
			"DIR: the target's kernel files (wasm-simd: kernel.wasm, the module with\n"+
			"the calling convention of README, and kernel.wat, its text; cpu:\n"+
			"kernel.c, one self-contained C file) and steps.json (the schedule, to\n"+
			"replay).", stderr)
	logPath := fs.String("log", "", "the records `file`")
	workload := fs.String("workload", "", "the workload `SPEC`")
	target := fs.String("target", string(targets.WasmSIMD), "the `target`")
	out := fs.String("o", "", "the output `directory`")
	if status, ok := parseFlags(fs, args); !ok {
		return status
	}
	if *logPath == "" || *workload == "" || *out == "" {
		return fail(stderr, "export", errors.New("-log, -workload and -o are required"))
	}
	t, err := targets.ParseTarget(*target)
	if err != nil {
		return fail(stderr, "export", err)
	}
	d, err := loadWorkload(*workload)
	if err != nil {
		return fail(stderr, "export", err)
	}
	log, err := readLog(*logPath, stderr)
	if err != nil {
		return fail(stderr, "export", err)
	}
	best, files, err := flow.Export(log, d, t)
	if err != nil {
		return fail(stderr, "export", fmt.Errorf("%s: %w", *logPath, err))
	}
	if err := os.MkdirAll(*out, 0o755); err != nil {
		return fail(stderr, "export", err)
	}
	fmt.Fprintf(stdout, "wrote %s: the best schedule (%.3f ms, %.2f GFLOP/s on %s):\n", *out, best.Result.Median*1e3, best.GFLOPS(), t)
	for _, f := range files {
		if err := os.WriteFile(filepath.Join(*out, f.Name), f.Data, 0o644); err != nil {
			return fail(stderr, "export", err)
		}
		fmt.Fprintf(stdout, "  %-12s %8d bytes  %s\n", f.Name, len(f.Data), f.About)
	}
	return exitOK
}
