package records

import (
	"reflect"
	"testing"

	"github.com/tabtune/tabtune/compiler/schedule"
	"github.com/tabtune/tabtune/targets"
)

// splits returns a schedule of matmulRelu that differs by n.
func splits(n int64) []schedule.Step {
	return []schedule.Step{schedule.Split{Stage: 3, Iter: 0, Lengths: []int64{n}, InnerToOuter: true}}
}

func TestLogBestTopK(t *testing.T) {
	d := parse(t, matmulRelu)
	key := d.Key()
	slow := record(t, d, splits(1), 0.003)
	fast := record(t, d, splits(2), 0.001)
	mid := record(t, d, splits(3), 0.002)
	tie := record(t, d, splits(4), 0.002)
	again := record(t, d, splits(2), 0.0015) // fast, measured again
	compileErr := record(t, d, splits(5), 0)
	compileErr.Result = targets.Failed(targets.CompileError, "no")
	wrong := record(t, d, splits(6), 0)
	wrong.Result = targets.Result{Times: []float64{1e-9}, Median: 1e-9, Err: targets.WrongResult, Msg: "C[0] = 1, want 2"}
	measureErr := record(t, d, splits(7), 0)
	measureErr.Result = targets.Failed(targets.MeasureError, "node is missing")
	otherTarget := record(t, d, splits(8), 1e-6)
	otherTarget.Target = "cpu -cores=2 -mcpu=native"
	otherWork := record(t, parse(t, goldenProgram), nil, 1e-6)

	var l Log // the zero Log is ready
	if l.Best(key, "wasm-simd") != nil || l.TopK(key, "wasm-simd", 3) != nil || l.Count(key, "wasm-simd") != 0 {
		t.Error("an empty log has records")
	}
	l.Add(slow, compileErr, wrong, measureErr, otherTarget)
	l.Add(fast, mid, tie, again, otherWork)

	if got := l.Best(key, "wasm-simd"); got != fast {
		t.Errorf("Best = %+v, want the fastest", got)
	}
	if got := l.TopK(key, "wasm-simd", 3); !reflect.DeepEqual(got, []*Record{fast, mid, tie}) {
		t.Errorf("TopK 3 = %v", got)
	}
	if got := l.TopK(key, "wasm-simd", 10); !reflect.DeepEqual(got, []*Record{fast, mid, tie, slow}) {
		t.Errorf("TopK 10 = %v", got)
	}
	if got := l.TopK(key, "wasm-simd", 0); got != nil {
		t.Errorf("TopK 0 = %v", got)
	}
	if n := l.Count(key, "wasm-simd"); n != 8 {
		t.Errorf("Count = %d, want 8", n)
	}
	// Targets are compared in canonical form.
	if got := l.Best(key, "cpu -mcpu=native  -cores=2"); got != otherTarget {
		t.Errorf("Best on cpu = %v", got)
	}
	if got := l.Targets(key); !reflect.DeepEqual(got, []string{"wasm-simd", "cpu -mcpu=native -cores=2"}) {
		t.Errorf("Targets = %q", got)
	}
	if got := l.Workloads(); !reflect.DeepEqual(got, []Workload{WorkloadOf(d), otherWork.Workload}) {
		t.Errorf("Workloads = %v", got)
	}
	if l.Best(otherWork.Workload.Key, "wasm-simd") != otherWork || l.Best("nope", "wasm-simd") != nil {
		t.Error("Best of the other workload")
	}

	// A later, faster record takes over.
	faster := record(t, d, splits(9), 0.0005)
	l.Add(faster)
	if got := l.Best(key, "wasm-simd"); got != faster {
		t.Errorf("Best after Add = %v", got)
	}

	// A lucky timing that two more measurements do not confirm: the
	// schedule counts with the lower median of its times, 4 ms.
	lucky := record(t, d, splits(10), 0.0001)
	l.Add(lucky)
	if got := l.Best(key, "wasm-simd"); got != lucky {
		t.Errorf("Best after the lucky record = %v", got)
	}
	confirm1, confirm2 := record(t, d, splits(10), 0.004), record(t, d, splits(10), 0.005)
	l.Add(confirm1, confirm2)
	if got := l.Best(key, "wasm-simd"); got != faster {
		t.Errorf("Best after the re-measurements = %v, want the 0.5 ms schedule", got)
	}
	if got := l.TopK(key, "wasm-simd", 10); !reflect.DeepEqual(got, []*Record{faster, fast, mid, tie, slow, confirm1}) {
		t.Errorf("TopK after the re-measurements = %v", got)
	}
	if n := l.TimesMeasured(key, "wasm-simd", StepsHash(splits(10))); n != 3 {
		t.Errorf("TimesMeasured = %d, want 3", n)
	}
	if got := l.First(key, "wasm-simd", StepsHash(splits(10))); got != lucky {
		t.Errorf("First = %v, want the lucky record", got)
	}
}

func TestLogMeasured(t *testing.T) {
	d := parse(t, matmulRelu)
	key := d.Key()
	ok := record(t, d, splits(2), 0.001)
	bad := record(t, d, splits(3), 0)
	bad.Result = targets.Failed(targets.RuntimeError, "trap")
	flaky := record(t, d, splits(4), 0)
	flaky.Result = targets.Failed(targets.MeasureError, "cancelled")
	l := NewLog()
	for _, r := range []*Record{ok, bad, flaky} {
		if l.Measured(key, "wasm-simd", StepsHash(r.Steps)) {
			t.Errorf("%v measured before Add", r.Steps)
		}
	}
	l.Add(ok, bad, flaky)
	if !l.Measured(key, "wasm-simd", StepsHash(splits(2))) || !l.Measured(key, "wasm-simd", StepsHash(splits(3))) {
		t.Error("a measured schedule is not Measured")
	}
	if l.Measured(key, "wasm-simd", StepsHash(splits(4))) {
		t.Error("a measure error counts as measured")
	}
	if l.Measured(key, "cpu", StepsHash(splits(2))) || l.Measured("other", "wasm-simd", StepsHash(splits(2))) {
		t.Error("Measured on another target or workload")
	}
}

func TestStepsHash(t *testing.T) {
	// The hash is part of the format: a change here breaks resuming from
	// older logs.
	if got, want := StepsHash(splits(2)), "89cf4ca2d084fda28befa0fce3db6fa7"; got != want {
		t.Errorf("StepsHash = %s, want %s", got, want)
	}
	if StepsHash(nil) != StepsHash([]schedule.Step{}) {
		t.Error("nil and empty steps hash differently")
	}
	seen := map[string]int{}
	all := allSteps()
	for i := 0; i <= len(all); i++ {
		h := StepsHash(all[:i])
		if j, ok := seen[h]; ok {
			t.Errorf("prefixes %d and %d hash equally", i, j)
		}
		seen[h] = i
		if StepsHash(allSteps()[:i]) != h {
			t.Errorf("prefix %d hashes differently twice", i)
		}
	}
	if StepsHash(splits(2)) == StepsHash(splits(3)) {
		t.Error("different lengths hash equally")
	}
	a := []schedule.Step{schedule.Annotate{Stage: 2, Iter: 0, Ann: schedule.AnnParallel}}
	b := []schedule.Step{schedule.Annotate{Stage: 2, Iter: 0, Ann: schedule.AnnVectorize}}
	if StepsHash(a) == StepsHash(b) {
		t.Error("different annotations hash equally")
	}
}
