//go:build !js

package main

import (
	"context"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/tabtune/tabtune/compiler/ops"
	"github.com/tabtune/tabtune/search/flow"
	"github.com/tabtune/tabtune/targets"
	"github.com/tabtune/tabtune/targets/cpu"
)

// TestHalidePeers: on shapes where every extent differs (so that a
// transposed or misordered dimension shows) and a strided convolution,
// each auto-scheduler's pipeline, called through its wrapper on 1 and 2
// threads, computes what the workload says, as the cpu measurer verifies
// it against the naive kernel. Skips without Halide 14 or gcc/g++.
func TestHalidePeers(t *testing.T) {
	for _, tool := range []string{cpu.DefaultCompiler, "g++"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("%s not found", tool)
		}
	}
	h := newHalide("g++", "")
	defer h.Close()
	ctx := context.Background()
	h.build(ctx)
	if h.err != nil {
		if strings.Contains(h.err.Error(), "apt-get install "+halideInstall) {
			t.Skip(h.err)
		}
		t.Fatal(h.err)
	}
	small := conv{n: 2, ci: 3, h: 9, w: 7, co: 5, kh: 3, kw: 2, stride: 2, pad: 1}
	for _, c := range []struct {
		spec     string
		pipeline halidePipeline
	}{
		{"gmm:M=24,N=40,K=16", gmmHalide(24, 40, 16)},
		{"c2d:N=2,CI=3,H=9,W=7,CO=5,KH=3,KW=2,stride=2,pad=1", c2dHalide(small)},
	} {
		d, err := ops.BuildSpec(c.spec)
		if err != nil {
			t.Fatal(err)
		}
		m := cpu.New(cpu.Config{Options: targets.Options{Timeout: time.Minute}})
		w, err := m.Workload(ctx, d, flow.InputSeed)
		m.Close()
		if err != nil {
			t.Fatal(err)
		}
		for _, threads := range []int{1, 2} {
			for _, p := range h.peers(ctx, c.pipeline, threads) {
				if p.missing != "" {
					t.Errorf("%s, %s on %d threads: %s", c.spec, p.name, threads, p.missing)
					continue
				}
				pm := cpu.New(cpu.Config{Options: targets.Options{Timeout: time.Minute}, Libraries: p.libraries, Objects: p.objects})
				r := pm.Measure(ctx, w, []targets.Candidate{{Kind: targets.CPU, Source: p.source}})[0]
				pm.Close()
				if !r.OK() {
					t.Errorf("%s, %s on %d threads: %s: %s", c.spec, p.name, threads, r.Err, r.Msg)
				}
			}
		}
	}
}

// TestHalideMissing: without a C++ compiler every Halide peer says why it
// was not made, and none is measured.
func TestHalideMissing(t *testing.T) {
	h := newHalide("/nonexistent/c++", "")
	defer h.Close()
	peers := h.peers(context.Background(), gmmHalide(8, 8, 8), 1)
	if len(peers) != len(halideSchedulers) {
		t.Fatalf("%d peers, want %d", len(peers), len(halideSchedulers))
	}
	for _, p := range peers {
		if p.missing == "" || p.source != "" {
			t.Errorf("%s: missing %q, source %d bytes; want a reason and no source", p.name, p.missing, len(p.source))
		}
	}
}
