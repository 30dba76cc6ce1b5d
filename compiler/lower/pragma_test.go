package lower

import (
	"reflect"
	"testing"

	"github.com/tabtune/tabtune/compiler/ir"
	"github.com/tabtune/tabtune/compiler/ops"
	"github.com/tabtune/tabtune/compiler/schedule"
)

// loops lowers st and returns its loops by variable name.
func loops(t *testing.T, st *schedule.State) map[string]*ir.For {
	t.Helper()
	f, err := Lower(st)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]*ir.For{}
	ir.WalkStmt(f.Body, func(s ir.Stmt) bool {
		if l, ok := s.(*ir.For); ok {
			out[l.Var.Name] = l
		}
		return true
	})
	return out
}

// TestPragmaSurvivesSplitAndFuse checks that a pragma set before a split
// or a fuse reaches the loop IR, on the outer loop of the split and on the
// fused loop, and that GPU bindings reach it as typed bindings.
func TestPragmaSurvivesSplitAndFuse(t *testing.T) {
	d, err := ops.BuildSpec("gmm:M=8,N=6,K=4")
	if err != nil {
		t.Fatal(err)
	}
	unroll := func(v int64) []ir.Pragma { return []ir.Pragma{{Key: ir.AutoUnrollMaxStep, Value: v}} }
	st, err := schedule.Replay(d, []schedule.Step{
		schedule.PragmaStep{Stage: 2, Iter: 0, Pragma: ir.AutoUnrollMaxStep, Value: 16},
		schedule.Split{Stage: 2, Iter: 0, Lengths: []int64{2}, InnerToOuter: true},
	})
	if err != nil {
		t.Fatal(err)
	}
	got := loops(t, st)
	if got["i.0"] == nil || !reflect.DeepEqual(got["i.0"].Pragmas, unroll(16)) {
		t.Errorf("after split: i.0 is %+v, want the pragma", got["i.0"])
	}
	if got["i.1"] == nil || got["i.1"].Pragmas != nil {
		t.Errorf("after split: i.1 is %+v, want no pragma", got["i.1"])
	}
	checkLowered(t, st, d)

	st, err = schedule.Replay(d, []schedule.Step{
		schedule.PragmaStep{Stage: 2, Iter: 0, Pragma: ir.AutoUnrollMaxStep, Value: 16},
		schedule.PragmaStep{Stage: 2, Iter: 1, Pragma: ir.AutoUnrollMaxStep, Value: 64},
		schedule.Fuse{Stage: 2, Iters: []int{0, 1}},
		schedule.Annotate{Stage: 2, Iter: 0, Ann: schedule.AnnBlockX},
	})
	if err != nil {
		t.Fatal(err)
	}
	got = loops(t, st)
	fused := got["i@j"]
	if fused == nil || !reflect.DeepEqual(fused.Pragmas, unroll(64)) {
		t.Fatalf("after fuse: i@j is %+v, want the larger pragma", fused)
	}
	if fused.Kind != ir.ThreadBound || fused.Thread != ir.BlockX {
		t.Errorf("i@j runs as %s bound to %s, want blockIdx.x", fused.Kind, fused.Thread)
	}
	if k := got["k"]; k == nil || k.Thread != ir.NoThread {
		t.Errorf("k is %+v, want no binding", k)
	}
}
