package model

import (
	"testing"
)

// benchPrograms are about rows rows of 150 features, in programs of 1 to 6
// rows.
func benchPrograms(rows int) []Program {
	progs := synthPrograms(7, rows*2/7, 6, 150)
	return progs
}

func countRows(progs []Program) int {
	n := 0
	for _, p := range progs {
		n += len(p.Rows)
	}
	return n
}

// BenchmarkTrain trains DefaultParams (200 trees) on about 20k rows of 150
// features.
func BenchmarkTrain(b *testing.B) {
	progs := benchPrograms(20000)
	b.Logf("%d programs, %d rows", len(progs), countRows(progs))
	p := DefaultParams()
	for b.Loop() {
		if _, err := Train(progs, p); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkPredict scores programs with a model of DefaultParams.
func BenchmarkPredict(b *testing.B) {
	progs := benchPrograms(20000)
	m, err := Train(progs, DefaultParams())
	if err != nil {
		b.Fatal(err)
	}
	test := synthPrograms(8, 1000, 6, 150)
	batch := make([][][]float32, len(test))
	for i, p := range test {
		batch[i] = p.Rows
	}
	rows := countRows(test)
	b.ResetTimer()
	for b.Loop() {
		m.PredictBatch(batch)
	}
	s := b.Elapsed().Seconds()
	b.ReportMetric(float64(rows*b.N)/s, "rows/s")
	b.ReportMetric(float64(len(test)*b.N)/s, "programs/s")
}
