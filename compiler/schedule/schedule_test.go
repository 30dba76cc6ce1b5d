package schedule

import (
	"encoding/json"
	"reflect"
	"strconv"
	"strings"
	"testing"

	"github.com/tabtune/tabtune/compiler/ir"
	"github.com/tabtune/tabtune/compiler/te"
)

const matmulRelu = `
A = input(f32, [10, 7])
B = input(f32, [7, 12])
C[i, j] = sum(A[i, k] * B[k, j], k)
D[i, j] = max(C[i, j], 0.0)
`

const softmaxSrc = `
X = input(f32, [6, 10])
M[i] = max_over(X[i, j], j)
E[i, j] = exp(X[i, j] - M[i])
S[i] = sum(E[i, j], j)
Y[i, j] = E[i, j] / S[i]
`

func parse(t testing.TB, src string) *te.DAG {
	t.Helper()
	d, err := te.Parse(src)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func apply(t testing.TB, st *State, steps ...Step) *State {
	t.Helper()
	for _, s := range steps {
		var err error
		if st, err = st.Apply(s); err != nil {
			t.Fatal(err)
		}
	}
	return st
}

func iterNamesOf(st *State, stage string) string {
	return iterNames(st.Stages[st.StageByName(stage)])
}

func TestSplitFuseReorder(t *testing.T) {
	st := New(parse(t, matmulRelu))
	st = apply(t, st,
		Split{Stage: 2, Iter: 0, Lengths: []int64{2, 3}, InnerToOuter: true},
		Split{Stage: 2, Iter: 3, Lengths: []int64{4}, InnerToOuter: false},
		Reorder{Stage: 2, Order: []int{0, 3, 1, 4, 5, 2}},
		Fuse{Stage: 2, Iters: []int{0, 1}},
	)
	if got, want := iterNamesOf(st, "C"), "i.0@j.0, i.1, j.1, k, i.2"; got != want {
		t.Errorf("iterators: got %q, want %q", got, want)
	}
	c := st.Stages[2]
	var exts []int64
	for _, n := range c.Iters {
		exts = append(exts, c.Nodes[n].Extent)
	}
	// i: 10 = ceil(10/6)=2 x 2 x 3; j: 12 = 4 x 3; fused 2*4 = 8.
	if want := []int64{8, 2, 3, 7, 3}; !reflect.DeepEqual(exts, want) {
		t.Errorf("extents: got %v, want %v", exts, want)
	}
}

func TestStatesAreValues(t *testing.T) {
	st0 := New(parse(t, matmulRelu))
	st1 := apply(t, st0, Split{Stage: 2, Iter: 0, Lengths: []int64{4}, InnerToOuter: true})
	st2 := apply(t, st1, Annotate{Stage: 2, Iter: 1, Ann: AnnUnroll})
	if got := iterNamesOf(st0, "C"); got != "i, j, k" {
		t.Errorf("the initial state changed: %s", got)
	}
	if st1.Stages[2].Iter(1).Ann != AnnNone || st2.Stages[2].Iter(1).Ann != AnnUnroll {
		t.Error("annotate changed the state it was applied to")
	}
	if st1.Stages[3] != st2.Stages[3] {
		t.Error("an untouched stage was copied")
	}
}

func TestStepErrors(t *testing.T) {
	d := parse(t, matmulRelu)
	sm := parse(t, softmaxSrc)
	cases := []struct {
		dag   *te.DAG
		steps []Step
		want  string
	}{
		{d, []Step{Split{Stage: 2, Iter: 5, Lengths: []int64{2}, InnerToOuter: true}},
			"step 0 (split) on stage C: no iterator 5; the stage has 3 (i, j, k)"},
		{d, []Step{Split{Stage: 2, Iter: 0, Lengths: []int64{0}, InnerToOuter: true}},
			"step 0 (split) on stage C, iterator i: split lengths must be positive, got [0]"},
		{d, []Step{Split{Stage: 9, Iter: 0, Lengths: []int64{2}}},
			"step 0 (split): no stage 9; the state has 4 stages"},
		{d, []Step{Split{Stage: 0, Iter: 0, Lengths: []int64{2}}},
			"step 0 (split) on stage A: A is an input; it has no loops to schedule"},
		{d, []Step{ComputeAt{Stage: 3, Target: 2, TargetIter: 0}},
			"step 0 (compute_at) on stage D: D is an output; it has no consumer to be computed in"},
		{d, []Step{CacheWrite{Stage: 2, Scope: ir.Local}, ComputeAt{Stage: 2, Target: 4, TargetIter: 0}},
			"step 1 (compute_at) on stage C.local: D does not read C.local, nor is a reader of it computed inside D"},
		{d, []Step{ComputeInline{Stage: 2}},
			"step 0 (compute_inline) on stage C: C is a reduction; only element-wise stages can be inlined"},
		{d, []Step{ComputeInline{Stage: 3}},
			"step 0 (compute_inline) on stage D: D is an output; it must be stored"},
		{d, []Step{Fuse{Stage: 2, Iters: []int{0, 2}}},
			"step 0 (fuse) on stage C, iterator k: fused iterators must be consecutive, got positions [0 2]"},
		{d, []Step{Fuse{Stage: 2, Iters: []int{1, 2}}},
			"step 0 (fuse) on stage C, iterator k: cannot fuse spatial and reduction iterators"},
		{d, []Step{Reorder{Stage: 2, Order: []int{0, 0, 1}}},
			"step 0 (reorder) on stage C: iterator i is listed twice"},
		{d, []Step{Annotate{Stage: 2, Iter: 2, Ann: AnnParallel}},
			"step 0 (annotate) on stage C, iterator k: parallel on a reduction iterator would race on the accumulator; use rfactor first"},
		{d, []Step{ComputeAt{Stage: 2, Target: 3, TargetIter: 1}, Split{Stage: 3, Iter: 1, Lengths: []int64{4}, InnerToOuter: true}},
			"step 1 (split) on stage D, iterator j: stage C is computed at this iterator; split or fuse before compute_at"},
		{d, []Step{Split{Stage: 2, Iter: 0, Lengths: []int64{2}, InnerToOuter: true}, CacheWrite{Stage: 2, Scope: ir.Local}},
			"step 1 (cache_write) on stage C: cache_write must come before the stage is split, fused or moved"},
		{d, []Step{CacheRead{Stage: 0, Scope: ir.Scope(7), Readers: []int{2}}},
			`step 0 (cache_read) on stage A: unknown scope Scope(7); use global, local or shared`},
		{d, []Step{CacheRead{Stage: 0, Scope: ir.Shared, Readers: []int{3}}},
			"step 0 (cache_read) on stage A: stage 3 is not a reader of A"},
		{d, []Step{Rfactor{Stage: 3, Iter: 0, FactorIter: 0}},
			"step 0 (rfactor) on stage D, iterator i: D has no reduction"},
		{d, []Step{Rfactor{Stage: 2, Iter: 0, FactorIter: 0}},
			"step 0 (rfactor) on stage C, iterator i: rfactor needs a reduction iterator"},
		{d, []Step{FollowSplit{Stage: 3, Iter: 0, SrcStep: 0, NSplit: 1}},
			"step 0 (follow_split): source step 0 is not an earlier step"},
		{d, []Step{Annotate{Stage: 2, Iter: 0, Ann: AnnVectorize}, FollowSplit{Stage: 3, Iter: 0, SrcStep: 0, NSplit: 1}},
			"step 1 (follow_split): source step 0 is a annotate, not a split"},
		{d, []Step{PragmaStep{Stage: 2, Iter: 0, Pragma: "unroll_explicit", Value: 1}},
			`step 0 (pragma) on stage C, iterator i: unknown pragma "unroll_explicit"; known: auto_unroll_max_step`},
		{d, []Step{StorageAlign{Stage: 3, Iter: 0, Factor: 16, Offset: 1}},
			"step 0 (storage_align) on stage D, iterator i: D is an output; outputs are dense"},
		{d, []Step{StorageOrder{Stage: 3, Order: []int{1, 0}}},
			"step 0 (storage_order) on stage D: D is an output; outputs are dense row-major"},
		{d, []Step{StorageOrder{Stage: 0, Order: []int{1, 0}}},
			"step 0 (storage_order) on stage A: A is an input; it has no loops to schedule"},
		{d, []Step{StorageOrder{Stage: 2, Order: []int{0}}},
			"step 0 (storage_order) on stage C: order [0] has 1 dimensions; the buffer has 2"},
		{d, []Step{StorageOrder{Stage: 2, Order: []int{1, 1}}},
			"step 0 (storage_order) on stage C: order [1 1] is not a permutation of 0..1"},
		// B.global is read by C.local, computed inside C at j: B.global may
		// go at C's loop j or outside it, not deeper.
		{d, []Step{CacheWrite{Stage: 2, Scope: ir.Local}, CacheRead{Stage: 1, Scope: ir.Global, Readers: []int{2}},
			ComputeAt{Stage: 3, Target: 4, TargetIter: 0}, ComputeAt{Stage: 2, Target: 4, TargetIter: 1}},
			"step 3 (compute_at) on stage B.global, iterator j: B.global is computed inside loop j of C, deeper than its consumer C.local"},
		{d, []Step{CacheWrite{Stage: 2, Scope: ir.Local}, CacheRead{Stage: 1, Scope: ir.Global, Readers: []int{2}},
			ComputeAt{Stage: 3, Target: 4, TargetIter: 1}, ComputeAt{Stage: 2, Target: 4, TargetIter: 0},
			Reorder{Stage: 4, Order: []int{1, 0}}},
			"step 4 (reorder) on stage C: B.global is computed inside loop i of C, deeper than its consumer C.local"},
		{d, []Step{CacheWrite{Stage: 2, Scope: ir.Local}, CacheRead{Stage: 1, Scope: ir.Global, Readers: []int{2}},
			ComputeAt{Stage: 3, Target: 4, TargetIter: 1}, ComputeAt{Stage: 2, Target: 4, TargetIter: 1},
			ComputeRoot{Stage: 3}},
			"step 4 (compute_root) on stage C.local: B.global is computed inside C, but its consumer C.local is not"},
		{sm, []Step{ComputeAt{Stage: 2, Target: 4, TargetIter: 0}},
			"step 0 (compute_at) on stage E: E has several consumers (S, Y); S is neither Y nor computed inside it"},
		// E is read by S and Y: with S computed at Y's row loop i, E may go
		// there too (before S, in stage order), not deeper.
		{sm, []Step{ComputeAt{Stage: 3, Target: 4, TargetIter: 0}, ComputeAt{Stage: 2, Target: 4, TargetIter: 1}},
			"step 1 (compute_at) on stage E, iterator j: E is computed inside loop j of Y, deeper than its consumer S"},
		{sm, []Step{ComputeAt{Stage: 3, Target: 4, TargetIter: 0}, ComputeAt{Stage: 2, Target: 4, TargetIter: 0}, ComputeRoot{Stage: 3}},
			"step 2 (compute_root) on stage S: E is computed inside Y, but its consumer S is not"},
	}
	for _, c := range cases {
		st := New(c.dag)
		var err error
		for _, s := range c.steps {
			if st, err = st.Apply(s); err != nil {
				break
			}
		}
		if err == nil {
			t.Errorf("%v: no error, want %q", c.steps, c.want)
			continue
		}
		if err.Error() != c.want {
			t.Errorf("%v:\n got %q\nwant %q", c.steps, err.Error(), c.want)
		}
	}
}

func TestCacheWriteAndRfactorAddStages(t *testing.T) {
	st := New(parse(t, matmulRelu))
	st = apply(t, st, CacheWrite{Stage: 2, Scope: ir.Local}, ComputeAt{Stage: 2, Target: 3, TargetIter: 1})
	var names []string
	for _, s := range st.Stages {
		names = append(names, s.Name())
	}
	if got := strings.Join(names, " "); got != "A B C.local C D" {
		t.Errorf("stages: %s", got)
	}
	if a := st.Stages[2].Attach; a.Kind != AttachAt || a.Stage != 3 {
		t.Errorf("C.local attach: %+v", a)
	}
	sm := New(parse(t, softmaxSrc))
	sm = apply(t, sm,
		Split{Stage: 3, Iter: 1, Lengths: []int64{4}, InnerToOuter: true},
		Rfactor{Stage: 3, Iter: 2, FactorIter: 1},
	)
	if got := iterNamesOf(sm, "S.rf"); got != "i, j.1, j.0" {
		t.Errorf("S.rf iterators: %s", got)
	}
	if got := iterNamesOf(sm, "S"); got != "i, j.1" {
		t.Errorf("S iterators: %s", got)
	}
}

// sampleSteps is a schedule that uses every step kind.
func sampleSteps() []Step {
	return []Step{
		CacheWrite{Stage: 2, Scope: ir.Local},
		Split{Stage: 4, Iter: 0, Lengths: []int64{2, 2}, InnerToOuter: true},
		Split{Stage: 4, Iter: 3, Lengths: []int64{3, 2}, InnerToOuter: true},
		Reorder{Stage: 4, Order: []int{0, 3, 1, 4, 2, 5}},
		Fuse{Stage: 4, Iters: []int{0, 1}},
		Annotate{Stage: 4, Iter: 0, Ann: AnnParallel},
		ComputeAt{Stage: 3, Target: 4, TargetIter: 2},
		ComputeAt{Stage: 2, Target: 3, TargetIter: 1},
		FollowSplit{Stage: 2, Iter: 0, SrcStep: 1, NSplit: 1},
		FollowFusedSplit{Stage: 2, Iter: 2, SrcSteps: []int{1, 2}, Level: 1, FactorOrNparts: true},
		PragmaStep{Stage: 4, Iter: 0, Pragma: ir.AutoUnrollMaxStep, Value: 16},
		Annotate{Stage: 4, Iter: 4, Ann: AnnVectorize},
		CacheRead{Stage: 1, Scope: ir.Shared, Readers: []int{2}},
		StorageAlign{Stage: 2, Iter: 0, Factor: 8, Offset: 1},
		StorageOrder{Stage: 2, Order: []int{1, 0}},
		ComputeRoot{Stage: 2},
		ComputeInline{Stage: 2},
	}
}

func TestJSONRoundTrip(t *testing.T) {
	d := parse(t, matmulRelu)
	steps := sampleSteps()
	st := apply(t, New(d), steps...)
	kinds := map[string]bool{}
	for _, s := range steps {
		kinds[s.Kind()] = true
	}
	kinds["rfactor"] = true         // covered below
	kinds["separate_window"] = true // separate_test.go
	for _, k := range Kinds() {
		if !kinds[k] {
			t.Errorf("sampleSteps does not use %s", k)
		}
	}
	data, err := MarshalSteps(st.Steps)
	if err != nil {
		t.Fatal(err)
	}
	back, err := UnmarshalSteps(data)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(back, st.Steps) {
		t.Fatalf("round trip changed the steps:\n%v\n%v", st.Steps, back)
	}
	re, err := Replay(d, back)
	if err != nil {
		t.Fatal(err)
	}
	if re.String() != st.String() {
		t.Errorf("replay differs:\n%s\n%s", st, re)
	}
	rf := []Step{Split{Stage: 2, Iter: 2, Lengths: []int64{4}, InnerToOuter: true}, Rfactor{Stage: 2, Iter: 3, FactorIter: 0}}
	data, _ = MarshalSteps(rf)
	back, err = UnmarshalSteps(data)
	if err != nil || !reflect.DeepEqual(back, rf) {
		t.Errorf("rfactor round trip: %v %v", back, err)
	}
}

func TestJSONForm(t *testing.T) {
	data, err := MarshalSteps([]Step{Split{Stage: 2, Iter: 0, Lengths: []int64{4, 2}, InnerToOuter: true}})
	if err != nil {
		t.Fatal(err)
	}
	want := `{"version":1,"steps":[{"kind":"split","stage":2,"iter":0,"lengths":[4,2],"inner_to_outer":true}]}`
	if string(data) != want {
		t.Errorf("got %s\nwant %s", data, want)
	}
	bad := []struct{ in, want string }{
		{`{"version":2,"steps":[]}`, "schedule: steps have version 2; this tabtune reads version 1"},
		{`{"version":1,"steps":[{"kind":"tile"}]}`, `schedule: step 0: unknown step kind "tile"`},
		{`{"version":1,"steps":[{"kind":"split","stage":2,"factor":4}]}`, `schedule: step 0: split: json: unknown field "factor"`},
		{`{"version":1,"steps":[{"kind":"annotate","ann":"simd"}]}`, `schedule: step 0: annotate: unknown annotation "simd"`},
		{`{"version":1,"steps":[{"kind":"cache_read","stage":0,"scope":"texture","readers":[2]}]}`, `schedule: step 0: cache_read: unknown scope "texture"; use global, local or shared`},
		{`[1,2]`, "schedule: reading steps: json: cannot unmarshal array into Go value of type schedule.stepsDoc"},
	}
	for _, b := range bad {
		_, err := UnmarshalSteps([]byte(b.in))
		if err == nil || err.Error() != b.want {
			t.Errorf("%s:\n got %v\nwant %s", b.in, err, b.want)
		}
	}
}

func FuzzReplay(f *testing.F) {
	d := parse(f, matmulRelu)
	data, _ := MarshalSteps(sampleSteps())
	f.Add(data)
	f.Add([]byte(`{"version":1,"steps":[{"kind":"rfactor","stage":2,"iter":2,"factor_iter":0}]}`))
	f.Add([]byte(`{"version":1,"steps":[{"kind":"follow_split","stage":2,"iter":0,"src_step":0,"n_split":3}]}`))
	// Issue 9: trailing data, keys given twice, truncated text, long
	// lists, a huge alignment factor, names that grow with split and fuse,
	// many added stages.
	for _, doc := range []string{
		`{"version":1,"steps":[]}{"version":1,"steps":[]}`,
		`{"version":1,"steps":[]} junk`,
		`{"version":1,"steps":[{"kind":"split","stage":2,"stage":2,"iter":0,"lengths":[2],"inner_to_outer":true}]}`,
		`{"version":1,"steps":[{"kind":"split","stage":2,"it`,
		`{"version":1,"steps":[{"kind":"split","stage":2,"iter":0,"lengths":[` + strings.Repeat("1,", 1100) + `1],"inner_to_outer":true}]}`,
		`{"version":1,"steps":[{"kind":"storage_align","stage":2,"iter":0,"factor":9000000000000000000,"offset":1}]}`,
		repeatDoc(8, split1+`,{"kind":"fuse","stage":2,"iters":[0,1]}`),
		repeatDoc(20, `{"kind":"cache_read","stage":0,"scope":"shared","readers":[2]}`),
		repeatDoc(300, split1),
	} {
		f.Add([]byte(doc))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		steps, err := UnmarshalSteps(data)
		if err != nil {
			return
		}
		st, err := Replay(d, steps)
		if err != nil {
			return
		}
		// A state that replays prints, and its steps survive a round trip.
		_ = st.String()
		again, err := MarshalSteps(st.Steps)
		if err != nil {
			t.Fatal(err)
		}
		var v any
		if json.Unmarshal(again, &v) != nil {
			t.Fatal("marshalled steps are not JSON")
		}
		if _, err := UnmarshalSteps(again); err != nil {
			t.Fatal(err)
		}
	})
}

func TestAnnotationThreads(t *testing.T) {
	for a := AnnNone; a <= AnnVThread; a++ {
		th := a.Thread()
		if a.IsThread() != th.Bound() {
			t.Errorf("%s: IsThread %v but binds %s", a, a.IsThread(), th)
		}
		if a.IsThread() && th.String() != a.String() {
			t.Errorf("%s binds %s", a, th)
		}
	}
	if AnnThreadY.Thread() != ir.ThreadY || AnnVThread.Thread() != ir.VThread || AnnParallel.Thread() != ir.NoThread {
		t.Error("annotations map to the wrong bindings")
	}
}

// pragmasOf prints the pragmas on the current loops of a stage.
func pragmasOf(st *State, stage string) string {
	s := st.Stages[st.StageByName(stage)]
	var out []string
	for _, n := range s.Iters {
		for _, p := range s.PragmasOf(n) {
			out = append(out, s.Nodes[n].Name+":"+string(p.Key)+"="+strconv.FormatInt(p.Value, 10))
		}
	}
	return strings.Join(out, " ")
}

func TestSplitKeepsPragmaOnOuterLoop(t *testing.T) {
	d := parse(t, matmulRelu)
	for _, innerToOuter := range []bool{true, false} {
		st := apply(t, New(d),
			PragmaStep{Stage: 2, Iter: 0, Pragma: ir.AutoUnrollMaxStep, Value: 16},
			Split{Stage: 2, Iter: 0, Lengths: []int64{2, 3}, InnerToOuter: innerToOuter},
		)
		if got, want := pragmasOf(st, "C"), "i.0:auto_unroll_max_step=16"; got != want {
			t.Errorf("inner_to_outer=%v: pragmas %q, want %q", innerToOuter, got, want)
		}
		if !strings.Contains(st.String(), "for i.0 in 0..2 pragma(auto_unroll_max_step=16)\n") {
			t.Errorf("inner_to_outer=%v: state\n%s", innerToOuter, st)
		}
	}
	// A follow_split moves it too, and splitting another loop leaves it.
	st := apply(t, New(d),
		Split{Stage: 2, Iter: 0, Lengths: []int64{5}, InnerToOuter: true},
		PragmaStep{Stage: 3, Iter: 0, Pragma: ir.AutoUnrollMaxStep, Value: 8},
		FollowSplit{Stage: 3, Iter: 0, SrcStep: 0, NSplit: 1},
		Split{Stage: 3, Iter: 2, Lengths: []int64{4}, InnerToOuter: true},
	)
	if got, want := pragmasOf(st, "D"), "i.0:auto_unroll_max_step=8"; got != want {
		t.Errorf("follow_split: pragmas %q, want %q", got, want)
	}
}

func TestFuseMergesPragmas(t *testing.T) {
	d := parse(t, matmulRelu)
	pragma := func(iter int, v int64) Step {
		return PragmaStep{Stage: 3, Iter: iter, Pragma: ir.AutoUnrollMaxStep, Value: v}
	}
	cases := []struct {
		name  string
		steps []Step
		want  string
	}{
		{"one loop", []Step{pragma(1, 16)}, "i@j:auto_unroll_max_step=16"},
		{"both, the larger stays", []Step{pragma(0, 64), pragma(1, 16)}, "i@j:auto_unroll_max_step=64"},
		// On one loop the last pragma of a key holds: i's 100 was replaced by 4.
		{"last on a loop holds", []Step{pragma(0, 100), pragma(0, 4), pragma(1, 16)}, "i@j:auto_unroll_max_step=16"},
		{"none", nil, ""},
	}
	for _, c := range cases {
		st := apply(t, New(d), c.steps...)
		st = apply(t, st, Fuse{Stage: 3, Iters: []int{0, 1}})
		if got := pragmasOf(st, "D"); got != c.want {
			t.Errorf("%s: pragmas %q, want %q", c.name, got, c.want)
		}
	}
	// Pragmas of loops that are not fused stay where they are.
	st := apply(t, New(d), PragmaStep{Stage: 2, Iter: 2, Pragma: ir.AutoUnrollMaxStep, Value: 32}, Fuse{Stage: 2, Iters: []int{0, 1}})
	if got, want := pragmasOf(st, "C"), "k:auto_unroll_max_step=32"; got != want {
		t.Errorf("unfused loop: pragmas %q, want %q", got, want)
	}
}

func TestReorderKeepsPragmas(t *testing.T) {
	st := apply(t, New(parse(t, matmulRelu)),
		PragmaStep{Stage: 2, Iter: 0, Pragma: ir.AutoUnrollMaxStep, Value: 16},
		Reorder{Stage: 2, Order: []int{1, 2, 0}},
	)
	if got, want := pragmasOf(st, "C"), "i:auto_unroll_max_step=16"; got != want {
		t.Errorf("pragmas %q, want %q", got, want)
	}
}
