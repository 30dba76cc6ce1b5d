//go:build unix

package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/tabtune/tabtune/search/records"
)

// TestTuneInterrupt stops a tuning run with SIGINT (Ctrl-C) once the log
// holds a few records: tune must stop cleanly, report the best so far,
// and leave a log whose every line is a whole record that a resumed run
// reads back.
func TestTuneInterrupt(t *testing.T) {
	dir := t.TempDir()
	log := filepath.Join(dir, "log.jsonl")
	args := []string{"tune", "-workload", "gmm:M=16,N=16,K=16", "-trials", "100000", "-batch", "8",
		"-population", "32", "-min-time", "1ms", "-measurer", "wasm", "-log", log}
	type result struct {
		status      int
		out, errOut string
	}
	done := make(chan result, 1)
	go func() {
		var out, errOut bytes.Buffer
		status := run(args, &out, &errOut)
		done <- result{status, out.String(), errOut.String()}
	}()
	deadline := time.After(2 * time.Minute)
	for lines := 0; lines < 4; {
		select {
		case r := <-done:
			t.Fatalf("tune ended before the interrupt: status %d\n%s\n%s", r.status, r.out, r.errOut)
		case <-deadline:
			t.Fatal("the log holds no records after 2 minutes")
		case <-time.After(20 * time.Millisecond):
		}
		data, _ := os.ReadFile(log)
		lines = bytes.Count(data, []byte("\n"))
	}
	if err := syscall.Kill(os.Getpid(), syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	var r result
	select {
	case r = <-done:
	case <-time.After(time.Minute):
		t.Fatal("tune did not stop within a minute of SIGINT")
	}
	if r.status != 0 || !strings.Contains(r.errOut, "interrupted: the log holds every measurement made") || !strings.Contains(r.out, "best: ") {
		t.Fatalf("status %d\n%s\n%s", r.status, r.out, r.errOut)
	}
	data, err := os.ReadFile(log)
	if err != nil {
		t.Fatal(err)
	}
	if len(data) == 0 || data[len(data)-1] != '\n' {
		t.Fatalf("the log does not end in a whole line: %q", data[max(0, len(data)-80):])
	}
	recs, errs := records.ReadFile(log)
	if len(errs) > 0 {
		t.Fatalf("the interrupted log does not read back: %v", errs)
	}
	if n := bytes.Count(data, []byte("\n")); len(recs) != n {
		t.Fatalf("%d records read from %d lines", len(recs), n)
	}
	for _, rec := range recs {
		if rec.Result.Err != 0 && strings.Contains(rec.Result.Msg, "not measured") {
			t.Errorf("a candidate cut off by the interrupt was logged: %+v", rec.Result)
		}
	}
	status, out, errOut := tabtune(t, "tune", "-workload", "gmm:M=16,N=16,K=16", "-trials", "4", "-batch", "4",
		"-population", "32", "-min-time", "1ms", "-measurer", "wasm", "-log", log)
	if status != 0 || !strings.Contains(out, "resuming: ") {
		t.Fatalf("resume after the interrupt: status %d\n%s\n%s", status, out, errOut)
	}
}
