package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestUnmeasurableTargetRefused: a target that no measurer here can run is
// refused at once, with exit 2, saying what it takes, before any search.
func TestUnmeasurableTargetRefused(t *testing.T) {
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"tune", "-workload", "gmm:M=64,N=64,K=64", "-target", "cuda"}, "CUDA kernels are compiled and timed by a bridge"},
		{[]string{"tune", "-workload", "gmm:M=64,N=64,K=64", "-target", "cuda", "-measurer", "node"}, "tabtune bridge"},
		{[]string{"tune", "-network", "resnet50", "-target", "cpu", "-measurer", "wazero"}, "cpu kernels are compiled with the system C compiler"},
		{[]string{"run", "-workload", "gmm:M=64,N=64,K=64", "-target", "cuda"}, "bridge"},
		{[]string{"tune", "-workload", "gmm:M=64,N=64,K=64", "-target", "wasm-simd -relaxed", "-measurer", "wazero"}, "wazero cannot run relaxed SIMD"},
		{[]string{"tune", "-workload", "gmm:M=64,N=64,K=64", "-measurer", "quantum"}, `unknown measurer "quantum"`},
	} {
		start := time.Now()
		status, out, errOut := tabtune(t, c.args...)
		if took := time.Since(start); took > badInputLimit {
			t.Errorf("%v: took %s", c.args, took)
		}
		if status != exitBadInput || !strings.Contains(errOut, c.want) || strings.Contains(out, "tuning") {
			t.Errorf("%v: status %d, stdout %q, stderr %q; want 2 and %q", c.args, status, out, errOut, c.want)
		}
	}
}

// TestNetworkBudget: a budget too small to give every layer a first round
// is refused with the minimum; a small network is tuned, every layer gets
// a round, and the estimated latency is printed against the naive one.
func TestNetworkBudget(t *testing.T) {
	status, _, errOut := tabtune(t, "tune", "-network", "resnet50", "-trials", "20")
	if status != exitBadInput || !strings.Contains(errOut, "give -trials 96 or more") {
		t.Fatalf("status %d, %s", status, errOut)
	}
	dir := t.TempDir()
	net := filepath.Join(dir, "net.txt")
	if err := os.WriteFile(net, []byte("2 gmm:M=8,N=8,K=8\n1 gmm:M=16,N=8,K=4\n3 gmm:M=4,N=12,K=8\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	log := filepath.Join(dir, "net.jsonl")
	status, out, errOut := tabtune(t, "tune", "-network", net, "-trials", "14", "-batch", "8", "-population", "32",
		"-min-time", "1ms", "-measurer", "wazero", "-confirm", "0", "-log", log)
	if status != exitOK {
		t.Fatalf("status %d\n%s\n%s", status, out, errOut)
	}
	for _, want := range []string{"gmm:M=8,N=8,K=8", "gmm:M=16,N=8,K=4", "gmm:M=4,N=12,K=8", "network latency", "the naive network"} {
		if !strings.Contains(out, want) {
			t.Errorf("no %q in\n%s", want, out)
		}
	}
	if strings.Contains(out, "not reached") {
		t.Errorf("a layer got no round:\n%s", out)
	}
	data, err := os.ReadFile(log)
	if err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(string(data), `"origin":"naive"`); n != 3 {
		t.Errorf("%d naive records, want one per layer", n)
	}
}
