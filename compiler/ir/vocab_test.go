package ir

import (
	"encoding/json"
	"testing"
)

func TestScopeText(t *testing.T) {
	for _, s := range []Scope{Global, Local, Shared} {
		b, err := json.Marshal(s)
		if err != nil {
			t.Fatal(err)
		}
		if want := `"` + s.String() + `"`; string(b) != want {
			t.Errorf("%v marshals as %s, want %s", s, b, want)
		}
		var back Scope
		if err := json.Unmarshal(b, &back); err != nil || back != s {
			t.Errorf("%s reads back as %v, %v", b, back, err)
		}
	}
	if got := []string{Global.String(), Local.String(), Shared.String()}; got[0] != "global" || got[1] != "local" || got[2] != "shared" {
		t.Errorf("scope names changed: %v", got)
	}
	var s Scope
	err := json.Unmarshal([]byte(`"texture"`), &s)
	if want := `unknown scope "texture"; use global, local or shared`; err == nil || err.Error() != want {
		t.Errorf("unknown scope: got %v, want %s", err, want)
	}
	if _, err := json.Marshal(Scope(7)); err == nil {
		t.Error("an invalid scope was written")
	}
	if err := Scope(7).Check(); err == nil || err.Error() != "unknown scope Scope(7); use global, local or shared" {
		t.Errorf("Check: %v", err)
	}
	if Shared.Check() != nil {
		t.Error("Check refuses shared")
	}
}

func TestPragmaKey(t *testing.T) {
	if AutoUnrollMaxStep.Check() != nil || !AutoUnrollMaxStep.Known() {
		t.Error("auto_unroll_max_step is not known")
	}
	b, _ := json.Marshal(AutoUnrollMaxStep)
	if string(b) != `"auto_unroll_max_step"` {
		t.Errorf("marshals as %s", b)
	}
	err := PragmaKey("unroll_explicit").Check()
	if want := `unknown pragma "unroll_explicit"; known: auto_unroll_max_step`; err == nil || err.Error() != want {
		t.Errorf("got %v, want %s", err, want)
	}
}

func TestThreadNames(t *testing.T) {
	want := []string{"none", "blockIdx.x", "blockIdx.y", "blockIdx.z", "threadIdx.x", "threadIdx.y", "threadIdx.z", "vthread"}
	for i, w := range want {
		th := Thread(i)
		if th.String() != w {
			t.Errorf("Thread(%d) = %s, want %s", i, th, w)
		}
		if th.Bound() != (th != NoThread) {
			t.Errorf("%s: Bound() = %v", th, th.Bound())
		}
	}
	if Thread(len(want)).Bound() || Thread(len(want)).String() != "Thread(8)" {
		t.Error("out of range thread")
	}
}
