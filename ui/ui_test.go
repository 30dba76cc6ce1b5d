package ui

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tabtune/tabtune/wasm/engine/api"
)

// engineHost is a Host over a real engine (api.Engine, no measurer: the
// tests use the ops that need none), with the page's storage and URL in
// memory.
type engineHost struct {
	e     *api.Engine
	mu    sync.Mutex
	store map[string]string
	frag  string
	files []string
	// xnnpack says the server has XNNPACK; it then takes xnnSeconds, or
	// fails with xnnErr, and keeps the ops it was asked to time.
	xnnpack    bool
	xnnSeconds float64
	xnnErr     error
	xnnOps     []PeerOp
}

func newHost(t *testing.T) *engineHost {
	e, skipped := api.New(api.Config{Tabtune: "test"})
	if len(skipped) > 0 {
		t.Fatal(skipped)
	}
	return &engineHost{e: e, store: map[string]string{}}
}

func (h *engineHost) Call(op string, args any, progress func(json.RawMessage)) (json.RawMessage, error) {
	data, err := json.Marshal(args)
	if err != nil {
		return nil, err
	}
	if args == nil {
		data = []byte("{}")
	}
	r := h.e.Handle(context.Background(), api.Request{V: api.Version, Op: op, Args: data}, nil)
	if r.Error != nil {
		return nil, r.Error
	}
	return json.Marshal(r.Result)
}

func (h *engineHost) Download(name string, data []byte, mime string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.files = append(h.files, name)
}
func (h *engineHost) Load(key string) string {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.store[key]
}
func (h *engineHost) Save(key, value string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.store[key] = value
}
func (h *engineHost) Fragment() string {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.frag
}
func (h *engineHost) SetFragment(frag string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.frag = frag
}
func (h *engineHost) Link(frag string) string { return "http://127.0.0.1/#" + frag }
func (h *engineHost) SetTheme(string)         {}
func (h *engineHost) ReadFile(id string) (string, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.store["file:"+id], nil
}

func (h *engineHost) HasXNNPACK() bool { return h.xnnpack }
func (h *engineHost) TimeXNNPACK(op PeerOp) (float64, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.xnnOps = append(h.xnnOps, op)
	return h.xnnSeconds, h.xnnErr
}

// wait polls cond under the App's lock until it holds.
func wait(t *testing.T, a *App, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		a.mu.Lock()
		ok := cond()
		a.mu.Unlock()
		if ok {
			return
		}
		time.Sleep(5 * time.Millisecond)
	}
	t.Fatalf("timed out waiting for %s", what)
}

// do runs a handler as the renderer does: under the lock.
func do(a *App, f func()) {
	a.mu.Lock()
	defer a.mu.Unlock()
	f()
}

func started(t *testing.T) (*App, *engineHost) {
	h := newHost(t)
	a := New(h, nil)
	a.Start()
	wait(t, a, "GMM's canonical text", func() bool { return strings.Contains(a.Work.Src, "sum(A[i, k] * B[k, j], k)") })
	return a, h
}

func TestWorkloadOpensOnGMMAndParsesAsYouType(t *testing.T) {
	a, _ := started(t)
	if a.View != "workload" || a.Work.Op != "gmm" || a.Work.Workload() != DefaultSpec || a.Work.Parsed.FLOPs != 2*256*256*256 {
		t.Fatalf("opened on %s, op %s, workload %q, parsed %+v", a.View, a.Work.Op, a.Work.Workload(), a.Work.Parsed)
	}
	do(a, func() { a.EditorInput("A = input(f32, [4])\nB[i] = A[i] +\n") })
	wait(t, a, "the parse error", func() bool { return a.Work.Err != "" })
	if !strings.HasPrefix(a.Work.Err, "line 2, column ") || a.Work.ErrLine != "B[i] = A[i] +" || !strings.HasSuffix(a.Work.ErrCaret, "^") {
		t.Fatalf("error %q at %q / %q", a.Work.Err, a.Work.ErrLine, a.Work.ErrCaret)
	}
	// A newer text wins over an older reply.
	do(a, func() {
		a.EditorInput("A = input(f32, [4])\nB[i] = A[i] + 1.0\n")
		a.EditorInput("A = input(f32, [8])\nB[i] = A[i] * 3.0\n")
	})
	wait(t, a, "the last text parsed", func() bool { return a.Work.Err == "" && strings.Contains(a.Work.Parsed.Text, "* 3.0") })
	if a.Work.Workload() != a.Work.Src || a.Work.Label() != "B[i] = A[i] * 3.0" {
		t.Fatalf("workload %q label %q", a.Work.Workload(), a.Work.Label())
	}
	do(a, func() { a.SetParam("M", "64") })
	wait(t, a, "GMM 64x256", func() bool { return strings.Contains(a.Work.Src, "[64, 256]") })
	if a.Work.Workload() != "gmm:M=64,N=256,K=256" {
		t.Fatalf("workload %q", a.Work.Workload())
	}
}

func TestSketches(t *testing.T) {
	a, _ := started(t)
	do(a, func() { a.Show("sketches") })
	wait(t, a, "sketches", func() bool { return !a.Sketch.Loading })
	if a.Sketch.Err != "" || len(a.Sketch.Sketches) < 2 || knobCount(a.Sketch.Sketches[0]) == 0 {
		t.Fatalf("%+v", a.Sketch)
	}
}

func TestPlaygroundStepsUndoAndShare(t *testing.T) {
	a, h := started(t)
	do(a, func() { a.Show("playground") })
	wait(t, a, "the naive nest", func() bool { return len(a.Play.Stages) == 3 })
	p := &a.Play
	if p.Form.Stage != 2 || len(p.Form.IterChoices(p.Stages)) != 3 {
		t.Fatalf("form %+v over %+v", p.Form, p.Stages)
	}
	// split j by 4, then vectorize j.1.
	do(a, func() {
		a.SetForm("iter", "1")
		a.SetForm("factor", "4")
		a.Apply()
	})
	wait(t, a, "the split", func() bool { return len(p.Steps) == 1 && !p.Busy })
	added := false
	for _, d := range p.Diff {
		added = added || d.Op == '+' && strings.TrimSpace(d.Text) == "for j.1 in 0..4"
	}
	if !added || !strings.Contains(p.Loops, "j.1 in 0..4") {
		t.Fatalf("diff %v loops %s", p.Diff, p.Loops)
	}
	do(a, func() {
		a.SetForm("kind", "vectorize")
		a.SetForm("iter", "2")
		a.Apply()
	})
	wait(t, a, "the vectorize", func() bool { return len(p.Steps) == 2 && !p.Busy })
	// A bad step: run the reduction in parallel (vectorizing it is fine:
	// the generators give it vector accumulators).
	do(a, func() {
		a.SetForm("kind", "parallel")
		a.SetForm("iter", "3")
		a.Apply()
	})
	wait(t, a, "the bad step's error", func() bool { return p.Err != "" })
	if len(p.Steps) != 2 || !strings.Contains(p.Err, "step 3 does not apply") || !strings.Contains(p.Err, "reduction") {
		t.Fatalf("steps %d, error %q", len(p.Steps), p.Err)
	}
	do(a, a.Undo)
	wait(t, a, "undo", func() bool { return len(p.Steps) == 1 && !p.Busy })
	do(a, a.Redo)
	wait(t, a, "redo", func() bool { return len(p.Steps) == 2 && !p.Busy && p.Err == "" })
	if p.CanRedo() || !p.CanUndo() || !strings.Contains(p.Loops, "vectorize") {
		t.Fatalf("after redo: %+v", p)
	}
	// The fragment follows the playground; a fresh App opens it.
	frag := h.Fragment()
	s, err := DecodeShare(frag)
	if err != nil || len(s.Steps) != 2 || s.Workload != DefaultSpec {
		t.Fatalf("fragment %q: %+v %v", frag, s, err)
	}
	h2 := newHost(t)
	h2.frag = frag
	b := New(h2, nil)
	b.Start()
	wait(t, b, "the shared playground", func() bool { return b.View == "playground" && len(b.Play.Texts) == 2 })
	if b.Play.Loops != p.Loops {
		t.Fatalf("shared loops\n%s\nwant\n%s", b.Play.Loops, p.Loops)
	}
}

func TestFormOffersOnlyWhatExists(t *testing.T) {
	stages := []StageInfo{
		{Name: "A", Input: true, Attach: "root"},
		{Name: "B", Attach: "root", Iters: []IterInfo{{Name: "i", Extent: 8, Kind: "spatial", Ann: "none"}}},
		{Name: "C", Attach: "root", Iters: []IterInfo{{Name: "i", Extent: 8, Kind: "spatial", Ann: "none"}, {Name: "k", Extent: 8, Kind: "reduce", Ann: "none"}}},
	}
	f := PlayForm{Kind: "rfactor", Stage: -1}
	f.fit(stages)
	if f.Stage != 2 || !equal(f.IterChoices(stages), []int{1}) {
		t.Fatalf("rfactor form %+v: iters %v", f, f.IterChoices(stages))
	}
	f = PlayForm{Kind: "cache_read", Stage: 2}
	f.fit(stages)
	if f.Stage != 0 || !equal(f.ReaderChoices(stages), []int{1, 2}) {
		t.Fatalf("cache_read form %+v", f)
	}
	f = PlayForm{Kind: "compute_at", Stage: 1}
	f.fit(stages)
	if !equal(f.StageChoices(stages), []int{1}) || f.TargetStage != 2 {
		t.Fatalf("compute_at form %+v", f)
	}
	for _, c := range []struct {
		form PlayForm
		want string
	}{
		{PlayForm{Kind: "reorder", Stage: 2, Iter: 1, To: 0}, `{"kind":"reorder","order":[1,0],"stage":2}`},
		{PlayForm{Kind: "split", Stage: 2, Iter: 0, Factor: "4"}, `{"inner_to_outer":true,"iter":0,"kind":"split","lengths":[4],"stage":2}`},
		{PlayForm{Kind: "unroll", Stage: 1, Iter: 0}, `{"ann":"unroll","iter":0,"kind":"annotate","stage":1}`},
		{PlayForm{Kind: "compute_at", Stage: 1, TargetStage: 2, TargetIter: 0}, `{"kind":"compute_at","stage":1,"target":2,"target_iter":0}`},
	} {
		got, err := c.form.Step(stages)
		if err != nil || string(got) != c.want {
			t.Errorf("%+v: %s %v, want %s", c.form, got, err, c.want)
		}
	}
	if _, err := (&PlayForm{Kind: "split", Stage: 2, Factor: "x"}).Step(stages); err == nil || !strings.Contains(err.Error(), "whole number") {
		t.Errorf("split by x: %v", err)
	}
}

func equal(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestShareRoundTripAndBadLinks(t *testing.T) {
	s := Shared{Workload: "A = input(f32, [4])\nB[i] = A[i] * 2.0\n", Steps: []json.RawMessage{json.RawMessage(`{"kind":"compute_root","stage":1}`)}}
	got, err := DecodeShare("#" + EncodeShare(s))
	if err != nil || got.Workload != s.Workload || string(got.Steps[0]) != string(s.Steps[0]) {
		t.Fatalf("%+v %v", got, err)
	}
	for frag, want := range map[string]string{
		"other":     "not a playground state",
		"play=%%%":  "damaged",
		"play=e30":  "version 0",
		"play=bm90": "does not read",
	} {
		if _, err := DecodeShare(frag); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%q: %v, want %q", frag, err, want)
		}
	}
}

func TestDiff(t *testing.T) {
	got := Diff("a\nb\nc\n", "a\nx\nc\nd\n")
	var b strings.Builder
	for _, d := range got {
		b.WriteString(d.Mark() + d.Text + "\n")
	}
	if want := " a\n-b\n+x\n c\n+d\n"; b.String() != want {
		t.Fatalf("diff:\n%s\nwant\n%s", b.String(), want)
	}
}

func TestChart(t *testing.T) {
	c := Series{X: []float64{32, 64}, Y: []float64{10, 40}, XMax: 64, Refs: []RefLevel{{2, "naive", "naive"}}, W: 640, H: 260, XLabel: "trials"}.Draw()
	if len(c.Dots) != 2 || !strings.HasPrefix(c.Path, "M") || len(c.Refs) != 1 || c.Refs[0].Y <= c.Dots[1].Y {
		t.Fatalf("%+v", c)
	}
	if last := c.YTicks[len(c.YTicks)-1]; last.Label != "50" {
		t.Fatalf("y ticks %+v", c.YTicks)
	}
	if empty := (Series{W: 100, H: 100}).Draw(); empty.Path != "" || len(empty.YTicks) == 0 {
		t.Fatalf("empty chart %+v", empty)
	}
}

func TestLessonsProgressIsKept(t *testing.T) {
	a, h := started(t)
	do(a, func() { a.StartLesson("order") })
	wait(t, a, "the lesson's playground", func() bool { return a.View == "playground" && len(a.Play.Stages) == 3 })
	do(a, func() { a.checkLesson(1.5) })
	if a.Learn.Done["order"] || !strings.Contains(a.Learn.Msg, "goal") {
		t.Fatalf("below the goal: %+v", a.Learn)
	}
	do(a, func() { a.checkLesson(Lessons[0].Goal) })
	if !a.Learn.Done["order"] || h.Load("lessons") != "order" {
		t.Fatalf("at the goal: %+v, stored %q", a.Learn, h.Load("lessons"))
	}
	b := New(h, nil)
	b.Start()
	if !b.Learn.Done["order"] || b.Learn.Progress() != "1 of 7 lessons done" {
		t.Fatalf("progress after a reload: %+v", b.Learn)
	}
}

func TestKeys(t *testing.T) {
	a, _ := started(t)
	do(a, func() {
		if !a.Key("5", true, false, false, false) || a.View != "playground" {
			t.Errorf("Alt+5: %s", a.View)
		}
		if a.Key("z", false, true, false, true) {
			t.Error("Ctrl+Z in a field belongs to the field")
		}
	})
}

func TestErrText(t *testing.T) {
	if got := errText(&EngineError{Msg: "bad", Line: 2, Col: 3}); got != "line 2, column 3: bad" {
		t.Error(got)
	}
	if got := errText(errors.New("plain")); got != "plain" {
		t.Error(got)
	}
}

func TestImportRecords(t *testing.T) {
	a, h := started(t)
	log, err := os.ReadFile("../search/records/testdata/before_vocab.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	h.Save("file:import", string(log)+"not json\n")
	do(a, a.ImportRecords)
	wait(t, a, "the import", func() bool { return strings.HasPrefix(a.Code.Msg, "imported") })
	if !strings.Contains(a.Code.Msg, "1 lines skipped") {
		t.Fatalf("import: %s", a.Code.Msg)
	}
}

// Every lesson's solution applies and lowers, and the producer lesson's
// goal is met by it.
func TestLessonSolutions(t *testing.T) {
	a, _ := started(t)
	for _, l := range Lessons {
		if l.Solution == "" {
			if !l.Auto {
				t.Errorf("lesson %s has no solution", l.ID)
			}
			continue
		}
		var want []json.RawMessage
		if err := json.Unmarshal([]byte(l.Solution), &want); err != nil {
			t.Fatalf("lesson %s: %v", l.ID, err)
		}
		do(a, func() { a.StartLesson(l.ID) })
		wait(t, a, l.ID+"'s playground", func() bool { return !a.Play.Busy && a.Play.Loops != "" })
		do(a, a.ShowSolution)
		wait(t, a, l.ID+"'s solution", func() bool { return !a.Play.Busy && (len(a.Play.Steps) == len(want) || a.Play.Err != "") })
		if a.Play.Err != "" || a.Play.IR == "" {
			t.Errorf("lesson %s: the solution: %s", l.ID, a.Play.Err)
			continue
		}
		do(a, func() { a.checkLesson(1) })
		if l.Attached != "" && !a.Learn.Done[l.ID] {
			t.Errorf("lesson %s: the solution does not meet the goal: %s", l.ID, a.Learn.Msg)
		}
		do(a, a.Undo)
		wait(t, a, l.ID+"'s undo", func() bool { return !a.Play.Busy && len(a.Play.Steps) == 0 })
	}
}
