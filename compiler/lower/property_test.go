package lower

import (
	"flag"
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/tabtune/tabtune/compiler/interp"
	"github.com/tabtune/tabtune/compiler/schedule"
	"github.com/tabtune/tabtune/compiler/schedule/schedtest"
	"github.com/tabtune/tabtune/compiler/te"
)

var propertyCases = flag.Int("property.n", 360, "random schedules the property test checks")

// TestRandomSchedules is the property test: random valid step sequences on
// every zoo operator at small shapes lower to programs that compute what the
// direct evaluator computes. A step that does not apply is skipped; a state
// that applied must lower and must match.
func TestRandomSchedules(t *testing.T) {
	names, dags := schedtest.SmallDAGs(t)
	refs := make([][]interp.Data, len(dags))
	inputs := make([][]interp.Data, len(dags))
	for i, d := range dags {
		inputs[i] = interp.RandomInputs(d, 1)
		var err error
		if refs[i], err = interp.Eval(d, inputs[i]); err != nil {
			t.Fatalf("%s: eval: %v", names[i], err)
		}
	}
	applied := map[string]int{}
	for c := 0; c < *propertyCases; c++ {
		rng := rand.New(rand.NewPCG(uint64(c), 7))
		w := c % len(dags)
		st := schedtest.RandomState(rng, dags[w], 12, func(s schedule.Step) { applied[s.Kind()]++ })
		if err := checkState(st, dags[w], inputs[w], refs[w]); err != nil {
			data, _ := schedule.MarshalSteps(st.Steps)
			t.Fatalf("case %d, %s: %v\nsteps: %s\n%s", c, names[w], err, data, st.StepsString())
		}
	}
	t.Logf("steps applied: %v", applied)
	for _, k := range []string{"split", "reorder", "fuse", "compute_at", "compute_inline", "cache_write", "annotate", "rfactor", "cache_read", "follow_split", "follow_fused_split", "storage_align", "storage_order", "pragma"} {
		if applied[k] == 0 && *propertyCases >= 100 {
			t.Errorf("no %s step applied: the generator needs a look", k)
		}
	}
}

func checkState(st *schedule.State, d *te.DAG, inputs, want []interp.Data) error {
	f, err := Lower(st)
	if err != nil {
		return err
	}
	args := append([]interp.Data(nil), inputs...)
	for _, o := range d.Outputs {
		args = append(args, interp.PoisonData(o.DType, int(o.Size())))
	}
	if err := interp.Run(f, args); err != nil {
		return fmt.Errorf("%v\n%s", err, f)
	}
	diff := interp.Compare(args[len(inputs):], want)
	if !diff.OK {
		return fmt.Errorf("mismatch: %v\n%s", diff, f)
	}
	return nil
}
