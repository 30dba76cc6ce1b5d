package targets

import (
	"encoding/json"
	"strings"
	"testing"
)

func TestErrorKindText(t *testing.T) {
	for k := None; k <= MeasureError; k++ {
		b, err := json.Marshal(k)
		if err != nil {
			t.Fatal(err)
		}
		var back ErrorKind
		if err := json.Unmarshal(b, &back); err != nil || back != k {
			t.Errorf("%v: %s -> %v, %v", k, b, back, err)
		}
	}
	if WrongResult.String() != "wrong result" || ErrorKind(42).String() != "ErrorKind(42)" {
		t.Error("String")
	}
	if _, err := ParseErrorKind("oops"); err == nil {
		t.Error("ParseErrorKind accepted oops")
	}
}

func testWorkload() *Workload {
	return &Workload{
		Key:       "w",
		Inputs:    []Tensor{{Name: "A", Shape: []int64{3}, DType: F32}, {Name: "I", Shape: []int64{2, 2}, DType: I32}},
		Outputs:   []Tensor{{Name: "C", Shape: []int64{2, 3}, DType: F32}},
		InputData: [][]byte{EncodeF32([]float32{1, 2, 3}), EncodeI32([]int32{1, -2, 3, -4})},
		Want:      [][]float32{{1, 2, 3, 4, 5, 6}},
		Atol:      1e-6,
		Rtol:      1e-5,
	}
}

func TestValidate(t *testing.T) {
	if err := testWorkload().Validate(); err != nil {
		t.Fatal(err)
	}
	for name, c := range map[string]struct {
		edit func(w *Workload)
		msg  string
	}{
		"dtype":   {func(w *Workload) { w.Inputs[0].DType = "f64" }, `dtype "f64"`},
		"shape":   {func(w *Workload) { w.Outputs[0].Shape = []int64{2, 0} }, "bad shape"},
		"data":    {func(w *Workload) { w.InputData[0] = w.InputData[0][:8] }, "8 bytes of data, want 12"},
		"ndata":   {func(w *Workload) { w.InputData = w.InputData[:1] }, "2 inputs but 1 input data"},
		"want":    {func(w *Workload) { w.Want[0] = w.Want[0][:5] }, "5 reference values, want 6"},
		"outputs": {func(w *Workload) { w.Outputs, w.Want = nil, nil }, "no outputs"},
		"tol":     {func(w *Workload) { w.Atol = -1 }, "tolerances"},
	} {
		w := testWorkload()
		c.edit(w)
		err := w.Validate()
		if err == nil || !strings.Contains(err.Error(), c.msg) {
			t.Errorf("%s: %v, want %q", name, err, c.msg)
		}
		if _, r, ok := PrecheckBatch(w); ok || r.Err != MeasureError {
			t.Errorf("%s: PrecheckBatch %+v", name, r)
		}
	}
}

func TestOptionsDefaults(t *testing.T) {
	o := Options{}.WithDefaults()
	if o.Warmup != DefaultWarmup || o.Repeats != DefaultRepeats || o.MinTime != DefaultMinTime ||
		o.Timeout != DefaultTimeout || o.MaxRepeats != DefaultMaxRepeats || o.MaxMemory != DefaultMaxMemory {
		t.Errorf("%+v", o)
	}
	if p := (Options{}).MaxPages(); p != 1<<14 {
		t.Errorf("MaxPages %d", p)
	}
	if o := (Options{Repeats: 80}).WithDefaults(); o.MaxRepeats != 80 {
		t.Errorf("MaxRepeats %d below Repeats", o.MaxRepeats)
	}
	if o := (Options{MaxMemory: 1 << 40}).WithDefaults(); o.MaxMemory != 1<<32 {
		t.Errorf("MaxMemory %d", o.MaxMemory)
	}
}
