package ops_test

import (
	"math/rand/v2"
	"testing"

	"github.com/tabtune/tabtune/compiler/interp"
	"github.com/tabtune/tabtune/compiler/lower"
	"github.com/tabtune/tabtune/compiler/ops"
	"github.com/tabtune/tabtune/compiler/schedule/schedtest"
)

// TestPhasesRandomSchedules is the property test of the phase
// decomposition at the shapes Small leaves out: random schedules of
// transposed convolutions lower to loops that compute what the program
// says (the zoo-wide property tests cover Small).
func TestPhasesRandomSchedules(t *testing.T) {
	for _, spec := range []string{
		// Phases that no tap reaches (K < stride): zeros in the interleaving.
		"t2d:N=1,CI=2,H=3,W=4,CO=3,KH=2,KW=1,stride=3,pad=0",
		// Two classes along both dimensions, of several residues each (the
		// interleaving clamps them) and with a carry inside a class.
		"t2d:N=1,CI=2,H=3,W=3,CO=2,KH=5,KW=4,stride=3,pad=1",
		// The stride divides K and the output: one stage of phases.
		"t2d:N=1,CI=3,H=3,W=4,CO=2,KH=4,KW=4,stride=2,pad=1",
		// Stride 1: one stage, the flipped convolution.
		"t2d:N=1,CI=2,H=4,W=3,CO=3,KH=3,KW=2,stride=1,pad=1",
		// pad a multiple of the stride: no carry between phases.
		"conv2d_bwd_data:N=1,CI=2,H=8,W=7,CO=3,KH=5,KW=4,stride=3,pad=3",
	} {
		d, err := ops.BuildSpec(spec)
		if err != nil {
			t.Fatalf("%s: %v", spec, err)
		}
		for c := range 24 {
			rng := rand.New(rand.NewPCG(uint64(c), 13))
			st := schedtest.VectorizeInner(schedtest.RandomState(rng, d, 12, nil), rng)
			f, err := lower.Lower(st)
			if err != nil {
				t.Fatalf("%s, case %d: %v\n%s", spec, c, err, st.StepsString())
			}
			diff, err := interp.Check(f, d, int64(c))
			if err != nil || !diff.OK {
				t.Fatalf("%s, case %d: %v %v\n%s\n%s", spec, c, err, diff, st.StepsString(), f)
			}
		}
	}
}
