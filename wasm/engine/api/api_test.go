package api_test

import (
	"context"
	"encoding/json"
	"hash/fnv"
	"strings"
	"testing"
	"time"

	"github.com/tabtune/tabtune/search/records"
	"github.com/tabtune/tabtune/targets"
	"github.com/tabtune/tabtune/wasm/engine/api"
)

// fakeMeasurer times a kernel by a hash of its code; a kernel measured
// while slow is set sleeps, so that stop can catch it.
type fakeMeasurer struct{ slow bool }

func (*fakeMeasurer) Name() string { return "fake" }

func (m *fakeMeasurer) Measure(ctx context.Context, _ *targets.Workload, cs []targets.Candidate) []targets.Result {
	out := make([]targets.Result, len(cs))
	for i, c := range cs {
		if m.slow {
			select {
			case <-ctx.Done():
			case <-time.After(20 * time.Millisecond):
			}
		}
		if ctx.Err() != nil {
			out[i] = targets.Failed(targets.MeasureError, "stopped")
			continue
		}
		h := fnv.New64a()
		h.Write(c.Wasm)
		out[i] = targets.Timed([]float64{1e-4 * (1 + float64(h.Sum64()%1000)/100)})
	}
	return out
}

func newEngine(t *testing.T, store api.Store) *api.Engine {
	t.Helper()
	e, errs := api.New(api.Config{Measurer: &fakeMeasurer{}, Store: store, Tabtune: "test"})
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	return e
}

// call sends one request and returns its reply as JSON-decoded data.
func call(t *testing.T, e *api.Engine, op string, args any) (map[string]any, *api.Error, []any) {
	t.Helper()
	raw, _ := json.Marshal(args)
	var events []any
	r := e.Handle(context.Background(), api.Request{V: 1, ID: 1, Op: op, Args: raw}, func(ev api.Event) { events = append(events, ev.Data) })
	if !r.OK {
		return nil, r.Error, events
	}
	data, err := json.Marshal(r.Result)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(data, &m); err != nil {
		t.Fatal(err)
	}
	return m, nil, events
}

const gmmSteps = `[{"kind":"split","stage":2,"iter":0,"lengths":[4],"inner_to_outer":true},
 {"kind":"split","stage":2,"iter":2,"lengths":[8],"inner_to_outer":true},
 {"kind":"reorder","stage":2,"order":[0,2,4,1,3]},
 {"kind":"annotate","stage":2,"iter":4,"ann":"vectorize"}]`

func TestOps(t *testing.T) {
	e := newEngine(t, nil)
	res, aerr, _ := call(t, e, "ops", nil)
	if aerr != nil || len(res["ops"].([]any)) < 10 {
		t.Fatalf("ops: %v %v", res, aerr)
	}
	res, aerr, _ = call(t, e, "parse", map[string]string{"src": "A = input(f32, [4, 3])\nB[i, j] = A[i, j] * 2.0\n"})
	if aerr != nil || res["flops"].(float64) != 12 || len(res["tensors"].([]any)) != 2 {
		t.Fatalf("parse: %v %v", res, aerr)
	}
	_, aerr, _ = call(t, e, "parse", map[string]string{"src": "A = input(f32, [4])\nB[i] = A[i] +\n"})
	if aerr == nil || aerr.Kind != api.KindInput || aerr.Line != 2 || aerr.Col == 0 {
		t.Fatalf("parse error: %+v", aerr)
	}
	prog := map[string]any{"workload": "gmm:M=16,N=16,K=8", "steps": json.RawMessage(gmmSteps)}
	res, aerr, _ = call(t, e, "show", prog)
	if aerr != nil || len(res["steps"].([]any)) != 4 || !strings.Contains(res["loops"].(string), "vectorize") {
		t.Fatalf("show: %v %v", res, aerr)
	}
	res, aerr, _ = call(t, e, "sketches", map[string]any{"workload": "gmm:M=64,N=64,K=64"})
	if aerr != nil || len(res["sketches"].([]any)) == 0 {
		t.Fatalf("sketches: %v %v", res, aerr)
	}
	res, aerr, _ = call(t, e, "lower", map[string]any{"workload": "gmm:M=16,N=16,K=8", "steps": json.RawMessage(gmmSteps), "trace": true})
	if aerr != nil || !strings.Contains(res["wat"].(string), "f32x4") || len(res["passes"].([]any)) < 2 {
		t.Fatalf("lower: %v %v", res, aerr)
	}
	bad := `[{"kind":"split","stage":2,"iter":0,"lengths":[4],"inner_to_outer":true},{"kind":"reorder","stage":2,"order":[0,0,1]}]`
	res, aerr, _ = call(t, e, "replay", map[string]any{"workload": "gmm:M=16,N=16,K=8", "steps": json.RawMessage(bad)})
	if aerr != nil || res["applied"].(float64) != 1 {
		t.Fatalf("replay: %v %v", res, aerr)
	}
	steps := res["steps"].([]any)
	if len(steps) != 2 || steps[1].(map[string]any)["error"] == "" || !strings.Contains(res["loops"].(string), "i.1") {
		t.Fatalf("replay steps: %v", res)
	}
	stages := res["stages"].([]any)
	if c := stages[2].(map[string]any); len(stages) != 3 || c["name"] != "C" || c["attach"] != "root" || len(c["iters"].([]any)) != 4 ||
		c["iters"].([]any)[3].(map[string]any)["kind"] != "reduce" || stages[0].(map[string]any)["input"] != true {
		t.Fatalf("replay stages: %v", stages)
	}
	_, aerr, _ = call(t, e, "show", map[string]any{"workload": "gmm:M=16,N=16,K=8", "steps": json.RawMessage(bad)})
	if aerr == nil || aerr.Step == nil || *aerr.Step != 1 {
		t.Fatalf("show of a bad step: %+v", aerr)
	}
	res, aerr, _ = call(t, e, "run", map[string]any{"workload": "gmm:M=16,N=16,K=8", "steps": json.RawMessage(gmmSteps), "baseline": true})
	if aerr != nil || res["schedule"].(map[string]any)["err"] != "none" || res["naive"] == nil {
		t.Fatalf("run: %v %v", res, aerr)
	}
	res, aerr, _ = call(t, e, "export", map[string]any{"workload": "gmm:M=16,N=16,K=8", "steps": json.RawMessage(gmmSteps)})
	if aerr != nil || len(res["files"].([]any)) != 3 {
		t.Fatalf("export: %v %v", res, aerr)
	}
}

func TestErrors(t *testing.T) {
	e := newEngine(t, nil)
	for _, c := range []struct {
		req  api.Request
		want string
	}{
		{api.Request{V: 2, Op: "ops"}, "version 2"},
		{api.Request{V: 1, Op: "fly"}, `unknown op "fly"`},
		{api.Request{V: 1, Op: "parse", Args: json.RawMessage(`{"source": 1}`)}, "bad args"},
		{api.Request{V: 1, Op: "show", Args: json.RawMessage(`{"workload": "nosuch:M=1"}`)}, "nosuch"},
		{api.Request{V: 1, Op: "tune", Args: json.RawMessage(`{"workload": "gmm:M=8,N=8,K=8", "target": "cuda"}`)}, "bridge"},
		{api.Request{V: 1, Op: "run", Args: json.RawMessage(`{"workload": "gmm:M=8,N=8,K=8", "target": "gpu"}`)}, "unknown kind"},
		{api.Request{V: 1, Op: "tune", Args: json.RawMessage(`{"workload": "gmm:M=8,N=8,K=8", "trials": -3}`)}, "out of range"},
	} {
		r := e.Handle(context.Background(), c.req, nil)
		if r.OK || r.Error == nil || !strings.Contains(r.Error.Msg, c.want) {
			t.Errorf("%s %s: %+v, want an error with %q", c.req.Op, c.req.Args, r.Error, c.want)
		}
	}
}

// TestTuneStopAndRecords: a tune reports progress and its best; stop ends
// another within a candidate; records survive a new engine on the same
// store, and round-trip through JSONL.
func TestTuneStopAndRecords(t *testing.T) {
	store := &api.MemStore{}
	e := newEngine(t, store)
	args := map[string]any{"workload": "gmm:M=16,N=16,K=16", "trials": 16, "batch": 8, "population": 32, "confirm": 2}
	res, aerr, events := call(t, e, "tune", args)
	if aerr != nil || res["best"] == nil || res["trials"].(float64) != 16 {
		t.Fatalf("tune: %v %v", res, aerr)
	}
	rounds := 0
	for _, ev := range events {
		if ev.(api.Progress).Phase == "round" {
			rounds++
		}
	}
	if rounds != 2 {
		t.Errorf("%d round events", rounds)
	}

	slow, _ := api.New(api.Config{Measurer: &fakeMeasurer{slow: true}, Store: store})
	done := make(chan api.Reply)
	raw, _ := json.Marshal(map[string]any{"workload": "gmm:M=16,N=16,K=24", "trials": 64, "batch": 8, "population": 32})
	firstRound := make(chan bool, 1)
	go func() {
		done <- slow.Handle(context.Background(), api.Request{V: 1, ID: 9, Op: "tune", Args: raw}, func(ev api.Event) {
			if ev.Data.(api.Progress).Phase == "round" {
				select {
				case firstRound <- true:
				default:
				}
			}
		})
	}()
	<-firstRound
	if r := slow.Handle(context.Background(), api.Request{V: 1, ID: 10, Op: "tune", Args: raw}, nil); r.OK || r.Error.Kind != api.KindBusy {
		t.Errorf("a second tune: %+v", r)
	}
	start := time.Now()
	if r := slow.Handle(context.Background(), api.Request{V: 1, ID: 11, Op: "stop"}, nil); !r.OK {
		t.Fatalf("stop: %+v", r.Error)
	}
	r := <-done
	if took := time.Since(start); took > time.Second || !r.OK || r.Result.(map[string]any)["stop"] != "interrupted" {
		t.Errorf("stop took %s; reply %+v", took, r)
	}

	lines, _ := store.Lines()
	again := newEngine(t, store)
	res, aerr, _ = call(t, again, "records.list", nil)
	if aerr != nil || len(res["workloads"].([]any)) != 2 {
		t.Fatalf("records after reload: %v %v", res, aerr)
	}
	res, _, _ = call(t, again, "records.export", nil)
	jsonl := res["jsonl"].(string)
	if int(res["lines"].(float64)) != len(lines) {
		t.Errorf("exported %v lines of %d", res["lines"], len(lines))
	}
	recs, errs := records.Read(strings.NewReader(jsonl))
	if len(errs) > 0 || len(recs) != len(lines) {
		t.Fatalf("exported JSONL: %d records, %v", len(recs), errs)
	}
	fresh := newEngine(t, nil)
	res, _, _ = call(t, fresh, "records.import", map[string]string{"jsonl": jsonl + "not json\n"})
	if int(res["added"].(float64)) != len(lines) || len(res["skipped"].([]any)) != 1 {
		t.Errorf("import: %v", res)
	}
	res, _, _ = call(t, fresh, "records.import", map[string]string{"jsonl": jsonl})
	if res["added"].(float64) != 0 {
		t.Errorf("a second import added %v", res["added"])
	}
	res, aerr, _ = call(t, fresh, "export", map[string]any{"workload": "gmm:M=16,N=16,K=16"})
	if aerr != nil || res["best"] == nil {
		t.Errorf("export of the best: %v %v", res, aerr)
	}
}
