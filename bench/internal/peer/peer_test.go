package peer

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// The JSON of a Job has the keys bench/peer/zoo.js reads.
func TestJobJSON(t *testing.T) {
	j := Job{ID: "gmm:M=2", Op: "gmm", Params: map[string]int64{"M": 2}, Atol: 1e-5, Rtol: 1e-4,
		Inputs:  []JobTensor{{Name: "A", Shape: []int64{2, 3}, File: "a.f32"}},
		Outputs: []JobTensor{{Name: "C", Shape: []int64{2, 2}, File: "c.f32"}}}
	data, err := json.Marshal(j)
	if err != nil {
		t.Fatal(err)
	}
	js, err := os.ReadFile(filepath.Join("..", "..", "peer", "zoo.js"))
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(data, &m); err != nil {
		t.Fatal(err)
	}
	want := []string{"id", "op", "params", "inputs", "outputs", "atol", "rtol"}
	if len(m) != len(want) {
		t.Errorf("a Job has keys %v, want %v", m, want)
	}
	for _, k := range want {
		if _, ok := m[k]; !ok {
			t.Errorf("a Job has no key %q: %s", k, data)
		}
		if !strings.Contains(string(js), "job."+k) {
			t.Errorf("zoo.js does not read job.%s", k)
		}
	}
	in := m["inputs"].([]any)[0].(map[string]any)
	for _, k := range []string{"name", "shape", "file"} {
		if _, ok := in[k]; !ok {
			t.Errorf("a JobTensor has no key %q: %s", k, data)
		}
	}
}

// CopyFor picks the smallest copy that holds the bytes, else the largest.
func TestCopyFor(t *testing.T) {
	l := Limits{Copy: []Copy{{256, 80}, {4096, 40}, {65536, 10}}}
	for _, tc := range []struct{ bytes, want float64 }{
		{1000, 80}, {256 * 1024, 80}, {256*1024 + 1, 40}, {4 << 20, 40}, {5 << 20, 10}, {1 << 30, 10},
	} {
		if got := l.CopyFor(tc.bytes); got != tc.want {
			t.Errorf("CopyFor(%v) = %v, want %v", tc.bytes, got, tc.want)
		}
	}
	if got := (Limits{}).CopyFor(1); got != 0 {
		t.Errorf("no copies: CopyFor = %v, want 0", got)
	}
}

// Max keeps the larger of each limit.
func TestLimitsMax(t *testing.T) {
	a := Limits{PeakGFLOPS: 40, Copy: []Copy{{256, 80}, {4096, 20}}}
	b := Limits{PeakGFLOPS: 30, Copy: []Copy{{256, 70}, {4096, 30}, {65536, 9}}}
	got := a.Max(b)
	want := Limits{PeakGFLOPS: 40, Copy: []Copy{{256, 80}, {4096, 30}, {65536, 9}}}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("Max = %v, want %v", got, want)
	}
}
