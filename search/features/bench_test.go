package features

import (
	"testing"

	"github.com/tabtune/tabtune/compiler/lower"
	"github.com/tabtune/tabtune/compiler/schedule/schedtest"
)

// BenchmarkExtractC2D extracts the features of the lowered C2D sketch.
func BenchmarkExtractC2D(b *testing.B) {
	f, err := lower.Lower(schedtest.C2DSketch(b))
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		Extract(f)
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "states/s")
}

// BenchmarkExtractStateC2D lowers the C2D sketch and extracts its
// features: what the search pays per candidate it scores, but replaying
// the steps.
func BenchmarkExtractStateC2D(b *testing.B) {
	st := schedtest.C2DSketch(b)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := ExtractState(st); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "states/s")
}
