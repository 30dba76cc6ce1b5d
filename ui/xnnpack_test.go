package ui

import (
	"errors"
	"strings"
	"testing"
)

func TestXNNPACKOp(t *testing.T) {
	a, _ := started(t)
	for _, c := range []struct {
		workload, op string
		flops        float64
		err          string
	}{
		{"gmm:M=256,N=256,K=256", "matMul", 2 * 256 * 256 * 256, ""},
		{"gmm:M=1,N=3,K=5", "matMul", 30, ""},
		{"gmm:K=5", "matMul", 2 * 1024 * 1024 * 5, ""},
		{"c2d", "conv2d", 2 * 64 * 56 * 56 * 64 * 9, ""},
		{"dep", "", 0, "no equivalent of dep (only of gmm and c2d)"},
		{"c2d:N=1,CI=64,H=56,W=56,CO=64,KH=3,KW=3,stride=1,pad=1", "conv2d", 2 * 64 * 56 * 56 * 64 * 9, ""},
		{"c2d:N=2,CI=3,H=7,W=6,CO=5,KH=3,KW=3,stride=2,pad=1", "conv2d", 2 * 2 * 5 * 4 * 3 * 3 * 9, ""},
		{"dep:N=1,C=32,H=112,W=112,KH=3,KW=3,stride=1,pad=1", "", 0, "no equivalent of dep (only of gmm and c2d)"},
		{"A = input(f32, [4])\nB[i] = A[i] * 3.0\n", "", 0, "no equivalent of an edited expression"},
		{"gmm:M=256,N=256", "matMul", 2 * 256 * 256 * 1024, ""},
		{"gmm:M=256,N=256,K=256,B=2", "", 0, "parameters other than M,N,K"},
		{"gmm:M=256,N=x,K=256", "", 0, `"N=x" is not a size`},
		{"gmm:M=0,N=4,K=4", "", 0, "does no work"},
		{"c2d:N=1,CI=3,H=2,W=2,CO=4,KH=3,KW=3,stride=1,pad=0", "", 0, "has no output"},
		{"c2d:N=1,CI=3,H=8,W=8,CO=4,KH=3,KW=3,stride=0,pad=0", "", 0, "stride must be at least 1"},
	} {
		p, err := xnnpackOp(c.workload, a.Work.Ops)
		if c.err != "" {
			if err == nil || !strings.Contains(err.Error(), c.err) {
				t.Errorf("%q: %v, want %q", c.workload, err, c.err)
			}
			continue
		}
		if err != nil || p.Op != c.op || p.FLOPs != c.flops {
			t.Errorf("%q: %+v %v, want %s with %g FLOPs", c.workload, p, err, c.op, c.flops)
		}
	}
	// Without the operators' defaults a parameter left out is missing.
	if _, err := xnnpackOp("gmm:M=256,N=256", nil); err == nil || !strings.Contains(err.Error(), "gmm:M=256,N=256 has no K") {
		t.Errorf("no defaults: %v", err)
	}
}

// TestXNNPACKLine: with a server that has XNNPACK the Tune view offers it
// for GMM, and its speed becomes the chart's XNNPACK line; a failure says
// why and draws nothing; another operator says XNNPACK has no equivalent;
// without the files there is no control.
func TestXNNPACKLine(t *testing.T) {
	if a, _ := started(t); a.Tune.XNN.Have {
		t.Fatal("a server without XNNPACK offers it")
	}
	h := newHost(t)
	h.xnnpack, h.xnnErr = true, errors.New("could not load xnnpack/tf-core.min.js")
	a := New(h, nil)
	a.Start()
	wait(t, a, "the operators", func() bool { return a.Ready })
	if !a.Tune.XNN.Have || !a.XNNPACKApplies() || a.XNNPACKNote() != "" {
		t.Fatalf("GMM 256: %+v, applies %v, note %q", a.Tune.XNN, a.XNNPACKApplies(), a.XNNPACKNote())
	}
	do(a, a.LoadXNNPACK)
	wait(t, a, "the failure", func() bool { return !a.Tune.XNN.Busy })
	if !strings.Contains(a.XNNPACKNote(), "could not load xnnpack/tf-core.min.js") || len(a.Tune.Chart().Refs) != 0 {
		t.Fatalf("a failed load: note %q, chart %+v", a.XNNPACKNote(), a.Tune.Chart().Refs)
	}
	h.mu.Lock()
	h.xnnErr, h.xnnSeconds = nil, 2*256*256*256/20e9
	h.mu.Unlock()
	do(a, a.LoadXNNPACK)
	wait(t, a, "XNNPACK's time", func() bool { return !a.Tune.XNN.Busy })
	if len(h.xnnOps) != 2 || h.xnnOps[1].Op != "matMul" || h.xnnOps[1].Dims["K"] != 256 {
		t.Fatalf("timed %+v", h.xnnOps)
	}
	refs := a.Tune.Chart().Refs
	if len(refs) != 1 || refs[0].Class != "xnnpack" || refs[0].Label != "XNNPACK 20.00" || !strings.Contains(a.XNNPACKNote(), "20.00 GFLOP/s") {
		t.Fatalf("chart %+v, note %q", refs, a.XNNPACKNote())
	}
	// A tune of another workload does not show GMM 256's line.
	do(a, func() { a.Tune.Workload = "gmm:M=512,N=512,K=512" })
	if refs := a.Tune.Chart().Refs; len(refs) != 0 || !strings.Contains(a.XNNPACKNote(), "the chart is the tune of gmm:M=512,N=512,K=512") {
		t.Errorf("another workload's chart %+v, note %q", refs, a.XNNPACKNote())
	}
	do(a, func() { a.PickOp("dep") })
	wait(t, a, "dep's text", func() bool { return a.Work.Workload() == "dep" })
	if a.XNNPACKApplies() || !strings.Contains(a.XNNPACKNote(), "XNNPACK has no equivalent of dep") {
		t.Errorf("dep: applies %v, note %q", a.XNNPACKApplies(), a.XNNPACKNote())
	}
	do(a, a.LoadXNNPACK)
	if a.Tune.XNN.Busy || len(h.xnnOps) != 2 {
		t.Errorf("dep was timed: %+v", h.xnnOps)
	}
}
