package lower

import (
	"strings"
	"testing"

	"github.com/tabtune/tabtune/compiler/interp"
	"github.com/tabtune/tabtune/compiler/schedule"
	"github.com/tabtune/tabtune/compiler/schedule/schedtest"
	"github.com/tabtune/tabtune/compiler/te"
)

// TestHandSchedules applies the hand-written schedules to every zoo
// operator at its small shape: each must apply, lower, and compute what the
// unscheduled program computes.
func TestHandSchedules(t *testing.T) {
	names, dags := schedtest.SmallDAGs(t)
	for w, d := range dags {
		t.Run(names[w]+"/naive", func(t *testing.T) { checkLowered(t, schedule.New(d), d) })
		for _, r := range schedtest.Recipes {
			t.Run(names[w]+"/"+r.Name, func(t *testing.T) {
				b := schedtest.New(t, d)
				r.Apply(b)
				if len(b.St.Steps) < 3 {
					t.Fatalf("only %d steps: %s", len(b.St.Steps), b.St.StepsString())
				}
				checkLowered(t, b.St, d)
			})
		}
	}
}

func checkLowered(t *testing.T, st *schedule.State, d *te.DAG) {
	t.Helper()
	f, err := Lower(st)
	if err != nil {
		t.Fatalf("%v\n%s", err, st.StepsString())
	}
	diff, err := interp.Check(f, d, 3)
	if err != nil {
		t.Fatalf("%v\n%s", err, f)
	}
	if !diff.OK {
		t.Fatalf("mismatch: %v\n%s\n%s", diff, st.StepsString(), f)
	}
	if strings.Contains(f.String(), "<nil>") {
		t.Fatalf("nil expression in\n%s", f)
	}
}
