package sketch

import (
	"strings"
	"testing"

	"github.com/tabtune/tabtune/compiler/ir"
	"github.com/tabtune/tabtune/compiler/schedule"
)

// stageOf returns the named stage of a state, failing the test if none.
func stageOf(t *testing.T, st *schedule.State, name string) *schedule.Stage {
	t.Helper()
	i := st.StageByName(name)
	if i < 0 {
		t.Fatalf("no stage %s in\n%s", name, st)
	}
	return st.Stages[i]
}

// attachedAt reports where a stage is computed: the stage and loop it is
// attached to, or "" at the root.
func attachedAt(st *schedule.State, s *schedule.Stage) string {
	if s.Attach.Kind != schedule.AttachAt {
		return ""
	}
	t := st.Stages[s.Attach.Stage]
	return t.Name() + "." + t.Nodes[s.Attach.Node].Name
}

// TestGPUSketchStructure: the GPU sketches of GMM, C2D, NRM and softmax
// have the shape of Ansor's: SSSRRSRS tiles with a register accumulator
// computed at the thread level of its consumer, shared-memory copies of
// the inputs at the outer reduction step, and cross-thread reductions
// whose partials are bound to threadIdx.x.
func TestGPUSketchStructure(t *testing.T) {
	gmm := generateFor(t, "gmm:M=64,N=64,K=64", "cuda")[0].State
	local := stageOf(t, gmm, "C.local")
	var order []string
	for n := range local.Iters {
		order = append(order, local.Iter(n).Name)
	}
	if got := attachedAt(gmm, local); got != "C.j.2" {
		t.Errorf("C.local computed at %q, want C.j.2 (the thread level)", got)
	}
	if want := "i.0 j.0 i.1 j.1 i.2 j.2 k.0 k.1 i.3 j.3 k.2 i.4 j.4"; strings.Join(order, " ") != want {
		t.Errorf("C.local loops %v, want %s", order, want)
	}
	for _, in := range []string{"A.shared", "B.shared"} {
		s := stageOf(t, gmm, in)
		if s.Scope != ir.Shared || attachedAt(gmm, s) != "C.local.k.0" {
			t.Errorf("%s: scope %s, computed at %q; want shared at C.local.k.0", in, s.Scope, attachedAt(gmm, s))
		}
	}

	for _, sk := range generateFor(t, "c2d:N=1,CI=8,H=8,W=8,CO=8", "cuda") {
		st := sk.State
		if s := stageOf(t, st, "pad"); s.Attach.Kind != schedule.AttachInline {
			t.Errorf("c2d: pad not inlined into its shared copy")
		}
		// The copies are computed at the last of the three reduction
		// loops of the outer reduction tile.
		local, last, seen := stageOf(t, st, "out.local"), "", 0
		for n := range local.Iters {
			if it := local.Iter(n); it.Kind == schedule.Reduce {
				if seen++; seen == 3 {
					last = it.Name
				}
			}
		}
		if !strings.HasSuffix(last, ".0") {
			t.Errorf("c2d: outer reduction tile ends with %s", last)
		}
		for _, in := range []string{"pad.shared", "kernel.shared"} {
			if s := stageOf(t, st, in); s.Scope != ir.Shared || attachedAt(st, s) != "out.local."+last {
				t.Errorf("c2d %s computed at %q, want out.local.%s", in, attachedAt(st, s), last)
			}
		}
	}

	nrm := generateFor(t, "nrm:B=1,M=32,N=32", "cuda")[0].State
	rf := stageOf(t, nrm, "norm_red.rf")
	if rf.Iter(0).Ann != schedule.AnnThreadX || rf.Iter(0).Name != "i@j.1" || attachedAt(nrm, rf) != "norm_red.b" {
		t.Errorf("nrm: partials not per thread inside norm_red's loop:\n%s", nrm)
	}

	softmax := generateFor(t, "softmax:M=4,N=128", "cuda")[0].State
	out := stageOf(t, softmax, "out")
	if attachedAt(softmax, stageOf(t, softmax, "expsum")) != "out.i" || out.Iter(len(out.Iters)-1).Ann != schedule.AnnThreadX {
		t.Errorf("softmax: the row sum does not share its consumer's threads:\n%s", softmax)
	}
	if attachedAt(softmax, stageOf(t, softmax, "expsum.rf")) != "expsum.i" {
		t.Errorf("softmax: partials not inside the row sum:\n%s", softmax)
	}
}
