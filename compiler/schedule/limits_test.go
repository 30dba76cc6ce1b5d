package schedule

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

// repeatDoc writes a document of n copies of one step.
func repeatDoc(n int, step string) string {
	return `{"version":1,"steps":[` + strings.TrimSuffix(strings.Repeat(step+",", n), ",") + `]}`
}

const split1 = `{"kind":"split","stage":2,"iter":0,"lengths":[1],"inner_to_outer":true}`

func TestJSONErrors(t *testing.T) {
	bad := []struct{ in, want string }{
		{`{"version":1,"steps":[]}{"version":1,"steps":[]}`,
			"schedule: reading steps: line 1, column 25: data after the end of the document"},
		{"{\"version\":1,\"steps\":[]}\n junk", "schedule: reading steps: line 2, column 2: data after the end of the document"},
		{`{"version":1,"steps":[],"version":2}`, `schedule: reading steps: line 1, column 25: key "version" is given twice`},
		{`{"version":1,"steps":[{"kind":"split","stage":2,"stage":3,"iter":0,"lengths":[2]}]}`,
			`schedule: reading steps: line 1, column 49: key "stage" is given twice`},
		{"{\"version\":1,\n \"steps\":[{\"kind\":\"split\",", "schedule: reading steps: line 2, column 27: the document ends early"},
		{"{\"version\":1,\n \"steps\":[}", "schedule: reading steps: line 2, column 11: invalid character '}' looking for beginning of value"},
		{"", "schedule: reading steps: line 1, column 1: the document ends early"},
		{repeatDoc(MaxSteps+1, `{}`), fmt.Sprintf("schedule: reading steps: line 1, column %d: the steps: more than 10000 elements", 22+3*MaxSteps+1)},
		{`{"version":1,"steps":[{"kind":"split","stage":2,"iter":0,"lengths":[` + strings.Repeat("1,", 2000) + `1]}]}`,
			"schedule: reading steps: line 1, column 2117: a list: more than 1024 elements"},
		{strings.Repeat("[", 100) + strings.Repeat("]", 100), "schedule: reading steps: line 1, column 66: the document is nested too deeply (more than 64 levels)"},
	}
	for _, b := range bad {
		_, err := UnmarshalSteps([]byte(b.in))
		if err == nil || err.Error() != b.want {
			in := b.in
			if len(in) > 80 {
				in = in[:80] + "..."
			}
			t.Errorf("%s:\n got %v\nwant %s", in, err, b.want)
		}
	}
	if _, err := UnmarshalStep([]byte(`{"kind":"fuse","stage":2,"iters":[0,1],"iters":[1]}`)); err == nil ||
		err.Error() != `line 1, column 40: key "iters" is given twice` {
		t.Errorf("UnmarshalStep: %v", err)
	}
}

// TestHostileSchedules feeds schedules that are costly if nothing bounds
// them; each must end in an error, fast. Each takes well under a second
// alone; the bound is generous (a shared CI machine is slow) but still
// catches the minutes an unbounded schedule would take.
func TestHostileSchedules(t *testing.T) {
	const hostileLimit = 10 * time.Second
	d := parse(t, matmulRelu)
	cacheRead := func(n int) string {
		return `{"version":1,"steps":[{"kind":"cache_read","stage":0,"scope":"shared","readers":[2]}` +
			strings.Repeat(`,{"kind":"cache_read","stage":0,"scope":"shared","readers":[1]}`, n-1) + `]}`
	}
	splitFuse := strings.TrimSuffix(strings.Repeat(split1+`,{"kind":"fuse","stage":2,"iters":[0,1]},`, 40), ",")
	tests := []struct{ name, doc, want string }{
		{"deep split", repeatDoc(MaxSteps, split1),
			"step 127 (split) on stage C, iterator i" + strings.Repeat(".0", 127) + ": the new iterator's name would have 257 characters, more than 256: the schedule splits and fuses too deeply"},
		{"split and fuse", `{"version":1,"steps":[` + splitFuse + `]}`,
			"step 11 (fuse) on stage C: the new iterator's name would have 379 characters, more than 256: the schedule splits and fuses too deeply"},
		{"many stages", cacheRead(MaxAddedStages + 1),
			"step 1000 (cache_read) on stage A: the steps have added 1000 stages already, the most a schedule may add"},
		{"align", `{"version":1,"steps":[{"kind":"storage_align","stage":2,"iter":0,"factor":9000000000000000000,"offset":1}]}`,
			"step 0 (storage_align) on stage C, iterator i: factor must be at most 65536, not 9000000000000000000"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			start := time.Now()
			steps, err := UnmarshalSteps([]byte(tc.doc))
			if err != nil {
				t.Fatal(err)
			}
			_, err = Replay(d, steps)
			if err == nil || err.Error() != tc.want {
				t.Errorf("got  %v\nwant %s", err, tc.want)
			}
			if el := time.Since(start); el > hostileLimit {
				t.Errorf("took %v", el)
			}
		})
	}
	if _, err := Replay(d, make([]Step, MaxSteps+1)); err == nil || err.Error() != "schedule: 10001 steps: a schedule has at most 10000" {
		t.Errorf("too many steps: %v", err)
	}
	// The loops of a stage are bounded, whatever the lengths.
	st := New(d)
	ones := make([]int64, MaxLoops)
	for i := range ones {
		ones[i] = 1
	}
	if _, err := st.Apply(Split{Stage: 2, Iter: 0, Lengths: ones}); err == nil ||
		!strings.Contains(err.Error(), "the stage would have 259 loops; a stage has at most 256") {
		t.Errorf("long split: %v", err)
	}
}

// TestReplayIsApply checks that Replay, which changes one state in place,
// gives what applying the steps one by one gives, and leaves the states
// Apply made from its result alone.
func TestReplayIsApply(t *testing.T) {
	d := parse(t, matmulRelu)
	steps := sampleSteps()
	for n := range len(steps) + 1 {
		want := apply(t, New(d), steps[:n]...)
		got, err := Replay(d, steps[:n])
		if err != nil {
			t.Fatal(err)
		}
		if got.String() != want.String() || got.StepsString() != want.StepsString() {
			t.Fatalf("after %d steps, Replay gives\n%s\nApply gives\n%s", n, got, want)
		}
		if n < len(steps) {
			before := got.String()
			next := apply(t, got, steps[n:]...)
			if got.String() != before || next.String() != apply(t, New(d), steps...).String() {
				t.Fatalf("applying to a replayed state changed it")
			}
		}
	}
}
