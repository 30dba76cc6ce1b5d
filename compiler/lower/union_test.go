package lower

import (
	"strings"
	"testing"

	"github.com/tabtune/tabtune/compiler/schedule"
	"github.com/tabtune/tabtune/compiler/te"
)

// TestRegionUnion: a stage computed in a loop that two of its consumers
// share gets the union of what they read: F reads one column of E's row,
// Y all of it.
func TestRegionUnion(t *testing.T) {
	d, err := te.Parse(`X = input(f32, [6, 10])
E[i, j] = exp(X[i, j])
F[i] = E[i, 0] * 2.0
Y[i, j] = E[i, j] + F[i]
`)
	if err != nil {
		t.Fatal(err)
	}
	st := schedule.New(d)
	for _, s := range []schedule.Step{
		schedule.ComputeAt{Stage: 2, Target: 3, TargetIter: 0},
		schedule.ComputeAt{Stage: 1, Target: 3, TargetIter: 0},
	} {
		if st, err = st.Apply(s); err != nil {
			t.Fatal(err)
		}
	}
	checkLowered(t, st, d)
	f, err := Lower(st)
	if err != nil {
		t.Fatal(err)
	}
	if text := f.String(); !strings.Contains(text, "E: f32[1, 10]") {
		t.Errorf("E is not one row:\n%s", text)
	}
}
