package lower

import (
	"testing"

	"github.com/tabtune/tabtune/compiler/interp"
	"github.com/tabtune/tabtune/compiler/ops"
	"github.com/tabtune/tabtune/compiler/schedule"
	"github.com/tabtune/tabtune/compiler/schedule/schedtest"
)

// FuzzLower replays arbitrary steps on a small conv2d (padding, a
// reduction, non-dividing shapes): any state that applies must lower to a
// program that computes what the direct evaluator computes.
func FuzzLower(f *testing.F) {
	d, err := ops.BuildSpec("c2d:N=1,CI=2,H=5,W=6,CO=3,KH=3,KW=3,stride=2,pad=1")
	if err != nil {
		f.Fatal(err)
	}
	inputs := interp.RandomInputs(d, 1)
	want, err := interp.Eval(d, inputs)
	if err != nil {
		f.Fatal(err)
	}
	for _, r := range schedtest.Recipes {
		b := schedtest.New(f, d)
		r.Apply(b)
		data, _ := schedule.MarshalSteps(b.St.Steps)
		f.Add(data)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		steps, err := schedule.UnmarshalSteps(data)
		if err != nil || len(steps) > 40 {
			return
		}
		st, err := schedule.Replay(d, steps)
		if err != nil {
			return
		}
		for _, s := range st.Stages {
			for _, n := range s.Nodes {
				if n.Extent > 64 {
					return // a split that multiplies the work: slow, not wrong
				}
			}
		}
		if err := checkState(st, d, inputs, want); err != nil {
			t.Fatalf("%v\n%s", err, st.StepsString())
		}
	})
}
