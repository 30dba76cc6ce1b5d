package schedule

import (
	"encoding/json"
	"testing"
)

// TestRefsNameJSONFields checks that every reference a step declares is
// one of its JSON fields.
func TestRefsNameJSONFields(t *testing.T) {
	steps := append(sampleSteps(), Rfactor{Stage: 2, Iter: 3, FactorIter: 0})
	for _, s := range steps {
		raw, err := MarshalStep(s)
		if err != nil {
			t.Fatal(err)
		}
		var fields map[string]json.RawMessage
		if err := json.Unmarshal(raw, &fields); err != nil {
			t.Fatal(err)
		}
		if len(s.refs()) == 0 {
			t.Errorf("%s declares no references", s.Kind())
		}
		for _, r := range s.refs() {
			if _, ok := fields[r.field]; !ok {
				t.Errorf("%s refers through %q, which is not one of its fields %s", s.Kind(), r.field, raw)
			}
		}
	}
}

// tileStep is a step as a new one might be written, with fields named
// unlike any step's today.
type tileStep struct {
	Producer int   `json:"producer"`
	Into     int   `json:"into"`
	Loop     int   `json:"loop"`
	Loops    []int `json:"loops"`
	Users    []int `json:"users"`
	Size     int   `json:"size"`
}

func (tileStep) Kind() string       { return "tile" }
func (tileStep) String() string     { return "tile" }
func (tileStep) apply(c *ctx) error { return c.errorf("not a real step") }
func (s tileStep) refs() []ref {
	return []ref{stageRef("producer", s.Producer), stageRef("into", s.Into), iterRef("loop", s.Into, s.Loop),
		itersRef("loops", s.Producer, s.Loops), stagesRef("users", s.Users)}
}

func TestDescribeNamesDeclaredRefs(t *testing.T) {
	st := New(parse(t, matmulRelu)) // A, B, C[i, j, k], D[i, j]
	got := describe(st, tileStep{Producer: 2, Into: 3, Loop: 1, Loops: []int{2, 0}, Users: []int{3, 9}, Size: 4})
	want := "tile(producer=C, into=D, loop=j, loops=[k, i], users=[D, 9], size=4)"
	if got != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
	// Numbers that do not resolve stay numbers.
	got = describe(st, ComputeAt{Stage: 7, Target: 3, TargetIter: 5})
	if want := "compute_at(stage=7, target=D, target_iter=5)"; got != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
}
