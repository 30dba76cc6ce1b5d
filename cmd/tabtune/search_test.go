package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestRunMeasures(t *testing.T) {
	status, out, errOut := tabtune(t, "run", "-workload", "gmm:M=16,N=16,K=8", "-steps", "testdata/gmm_tiled.json", "-min-time", "1ms", "-baseline", "-measurer", "wasm")
	if status != 0 && !strings.Contains(errOut, "does not") {
		// gmm_tiled.json is written for gmm:M=20,N=24,K=12; use that.
		status, out, errOut = tabtune(t, "run", "-workload", gmmTiledSpec, "-steps", "testdata/gmm_tiled.json", "-min-time", "1ms", "-baseline", "-measurer", "wasm")
	}
	if status != 0 || !strings.Contains(out, "GFLOP/s on wasm-simd (wazero)") || !strings.Contains(out, "speed-up over the naive schedule") {
		t.Fatalf("status %d\n%s\n%s", status, out, errOut)
	}
}

func TestSketches(t *testing.T) {
	status, out, errOut := tabtune(t, "sketches", "-workload", "gmm:M=64,N=64,K=64")
	if status != 0 || !strings.Contains(out, "5 sketches for wasm-simd") || !strings.Contains(out, "for k.0 in 0..?") {
		t.Fatalf("status %d\n%s\n%s", status, out, errOut)
	}
	status, out, errOut = tabtune(t, "sketches", "-workload", "gmm:M=64,N=64,K=64", "-target", "cuda")
	if status != 0 || !strings.Contains(out, "1 sketches for cuda") || !strings.Contains(out, "add_cache_read(A)") || !strings.Contains(out, "A.shared = ...") {
		t.Fatalf("cuda: status %d\n%s\n%s", status, out, errOut)
	}
}

// TestTuneShowExport tunes a small workload, resumes, then reads the log
// back with show and export.
func TestTuneShowExport(t *testing.T) {
	dir := t.TempDir()
	log := filepath.Join(dir, "log.jsonl")
	args := []string{"tune", "-workload", "gmm:M=16,N=16,K=16", "-trials", "12", "-batch", "6", "-population", "32", "-min-time", "1ms", "-log", log}
	status, out, errOut := tabtune(t, args...)
	// The naive schedule is measured first (not a trial), and the 4
	// fastest are timed twice more at the end (-confirm 4), so the best
	// was timed 3 times.
	if status != 0 || !strings.Contains(out, "best: ") || !strings.Contains(out, "loop nest:") || !strings.Contains(out, "timed 3 times") {
		t.Fatalf("status %d\n%s\n%s", status, out, errOut)
	}
	data, _ := os.ReadFile(log)
	first := strings.Count(string(data), "\n")
	if confirms := strings.Count(string(data), `"origin":"confirm"`); first != 1+12+confirms || confirms < 8 || confirms%2 != 0 {
		t.Fatalf("the log holds %d records, %d of them confirmations", first, confirms)
	}
	status, out, errOut = tabtune(t, append(args, "-confirm", "0")...)
	if status != 0 || !strings.Contains(out, fmt.Sprintf("resuming: %d records", first)) {
		t.Fatalf("resume: status %d\n%s\n%s", status, out, errOut)
	}
	data, _ = os.ReadFile(log)
	if n := strings.Count(string(data), "\n"); n != first+12 {
		t.Errorf("the log holds %d records, want %d", n, first+12)
	}
	status, out, errOut = tabtune(t, "show", "-log", log)
	if status != 0 || !strings.Contains(out, fmt.Sprintf("%d records", first+12)) || !strings.Contains(out, "best: ") {
		t.Fatalf("show: status %d\n%s\n%s", status, out, errOut)
	}
	exp := filepath.Join(dir, "out")
	status, out, errOut = tabtune(t, "export", "-log", log, "-workload", "gmm:M=16,N=16,K=16", "-o", exp)
	if status != 0 {
		t.Fatalf("export: status %d\n%s\n%s", status, out, errOut)
	}
	for _, f := range []string{"kernel.wasm", "kernel.wat", "steps.json"} {
		if st, err := os.Stat(filepath.Join(exp, f)); err != nil || st.Size() == 0 {
			t.Errorf("export did not write %s: %v", f, err)
		}
	}
	status, _, errOut = tabtune(t, "export", "-log", log, "-workload", "gmm:M=8,N=8,K=8", "-o", exp)
	if status != 2 || !strings.Contains(errOut, "no verified schedule") {
		t.Errorf("export of an absent workload: status %d, %s", status, errOut)
	}
}
