package lower

import (
	"testing"

	"github.com/tabtune/tabtune/compiler/schedule"
	"github.com/tabtune/tabtune/compiler/schedule/schedtest"
)

func TestC2DSketchSmall(t *testing.T) {
	st := schedtest.C2DSketch(t)
	if n := len(st.Steps); n < 18 || n > 24 {
		t.Errorf("the sketch has %d steps", n)
	}
	if _, err := Lower(st); err != nil {
		t.Fatal(err)
	}
}

// BenchmarkApplyLowerC2D replays the 20-step C2D sketch and lowers it:
// what the search pays per candidate it scores.
func BenchmarkApplyLowerC2D(b *testing.B) {
	st := schedtest.C2DSketch(b)
	d, steps := st.DAG, st.Steps
	b.ReportAllocs()
	for b.Loop() {
		s, err := schedule.Replay(d, steps)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := Lower(s); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkApplyC2D replays the sketch only.
func BenchmarkApplyC2D(b *testing.B) {
	st := schedtest.C2DSketch(b)
	d, steps := st.DAG, st.Steps
	b.ReportAllocs()
	for b.Loop() {
		if _, err := schedule.Replay(d, steps); err != nil {
			b.Fatal(err)
		}
	}
}
