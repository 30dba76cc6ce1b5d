package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/tabtune/tabtune/search/records"
	"github.com/tabtune/tabtune/targets"
	"github.com/tabtune/tabtune/targets/build"
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

// confirmTimes is how many more times tune's confirmation times each of
// the fastest schedules.
const confirmTimes = 2

// howFound says how the best schedule was found (the round and part of
// the search of its first record, and with date, when) and, when it was
// timed more than once, that its time is the lower median of its times.
func howFound(log *records.Log, key, target string, best *records.Record, date bool) string {
	h := records.StepsHash(best.Steps)
	first := log.First(key, target, h)
	if first == nil {
		first = best
	}
	s := fmt.Sprintf("found in round %d (%s)", first.Round, first.Origin)
	if date {
		s += " on " + first.Time.Format("2006-01-02 15:04")
	}
	if n := log.TimesMeasured(key, target, h); n > 1 {
		s += fmt.Sprintf(", timed %d times (the lower median shown)", n)
	}
	return s
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
				best.Result.Median*1e3, best.GFLOPS(), best.Measurer, howFound(log, w.Key, t, best, true))
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
	fs := newFlags("export", "export -log FILE -workload SPEC [-target wasm-simd] -o DIR",
		"Writes the best schedule the log holds for the workload and target into\n"+
			"DIR: kernel.wasm (the module, with the calling convention of README),\n"+
			"kernel.wat (its text) and steps.json (the schedule, to replay).", stderr)
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
	best := log.Best(d.Key(), t.String())
	if best == nil {
		return fail(stderr, "export", fmt.Errorf("%s holds no verified schedule of this workload on %s", *logPath, t))
	}
	st, err := best.Replay(d)
	if err != nil {
		return fail(stderr, "export", err)
	}
	files, err := build.Export(st, t)
	if err != nil {
		return fail(stderr, "export", err)
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
