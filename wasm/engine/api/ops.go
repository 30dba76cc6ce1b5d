package api

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"sort"
	"unicode/utf8"

	"github.com/tabtune/tabtune/compiler/codegen/wasm/wasmbin"
	"github.com/tabtune/tabtune/compiler/ir"
	"github.com/tabtune/tabtune/compiler/lower"
	"github.com/tabtune/tabtune/compiler/ops"
	"github.com/tabtune/tabtune/compiler/schedule"
	"github.com/tabtune/tabtune/compiler/te"
	"github.com/tabtune/tabtune/search/evolve"
	"github.com/tabtune/tabtune/search/flow"
	"github.com/tabtune/tabtune/search/records"
	"github.com/tabtune/tabtune/search/sample"
	"github.com/tabtune/tabtune/search/sketch"
	"github.com/tabtune/tabtune/targets"
	"github.com/tabtune/tabtune/targets/build"
)

// opFunc runs one operation: args in req.Args, progress through emit.
type opFunc func(e *Engine, ctx context.Context, req Request, emit func(any)) (any, error)

// opsByName is the registry of operations: a new operation is its
// function and one line here.
var opsByName = map[string]opFunc{
	"ops":            opOps,
	"parse":          opParse,
	"show":           opShow,
	"sketches":       opSketches,
	"lower":          opLower,
	"replay":         opReplay,
	"run":            opRun,
	"tune":           opTune,
	"stop":           opStop,
	"records.list":   opRecordsList,
	"records.import": opRecordsImport,
	"records.export": opRecordsExport,
	"export":         opExport,
}

func opNames() []string {
	names := make([]string, 0, len(opsByName))
	for n := range opsByName {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// decode reads a request's args into v, refusing unknown fields.
func decode(req Request, v any) error {
	if len(bytes.TrimSpace(req.Args)) == 0 {
		req.Args = json.RawMessage("{}")
	}
	dec := json.NewDecoder(bytes.NewReader(req.Args))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return &Error{Kind: KindInput, Msg: fmt.Sprintf("%s: bad args: %v", req.Op, err)}
	}
	return nil
}

// Program names a workload and a schedule of it: the args most
// operations share.
type Program struct {
	// Workload is an operator spec (gmm:M=64,N=64,K=64) or a program in the
	// text format.
	Workload string `json:"workload"`
	// Steps is the schedule: a steps document ({"version":1,"steps":[...]})
	// or its array of steps; empty means the naive schedule.
	Steps json.RawMessage `json:"steps,omitempty"`
	// Target is a target string; empty means wasm-simd.
	Target string `json:"target,omitempty"`
}

func (p Program) dag() (*te.DAG, error) { return flow.Workload(p.Workload) }

func (p Program) steps() ([]schedule.Step, error) {
	raw := bytes.TrimSpace(p.Steps)
	if len(raw) == 0 || string(raw) == "null" {
		return nil, nil
	}
	if raw[0] == '[' {
		raw = append(append([]byte(`{"version":1,"steps":`), raw...), '}')
	}
	return schedule.UnmarshalSteps(raw)
}

func (p Program) target() (targets.Target, error) {
	if p.Target == "" {
		return targets.Target{Kind: targets.WasmSIMD}, nil
	}
	return targets.ParseTarget(p.Target)
}

// resolve resolves the workload, replays the steps and reads the target.
func (p Program) resolve() (*schedule.State, targets.Target, error) {
	st, err := p.state()
	if err != nil {
		return nil, targets.Target{}, err
	}
	t, err := p.target()
	return st, t, err
}

// state resolves the workload and replays the steps.
func (p Program) state() (*schedule.State, error) {
	d, err := p.dag()
	if err != nil {
		return nil, err
	}
	steps, err := p.steps()
	if err != nil {
		return nil, err
	}
	return schedule.Replay(d, steps)
}

// OpInfo describes an operator of the zoo (op "ops").
type OpInfo struct {
	Name   string      `json:"name"`
	Doc    string      `json:"doc"`
	Params []ParamInfo `json:"params"`
	// Spec is the spec at the defaults, Small a tiny shape's spec.
	Spec  string `json:"spec"`
	Small string `json:"small"`
}

// ParamInfo is one parameter of an operator.
type ParamInfo struct {
	Name    string `json:"name"`
	Default int64  `json:"default"`
	Doc     string `json:"doc"`
}

func opOps(e *Engine, _ context.Context, req Request, _ func(any)) (any, error) {
	if err := decode(req, &struct{}{}); err != nil {
		return nil, err
	}
	var out []OpInfo
	for _, o := range ops.All() {
		info := OpInfo{Name: o.Name, Doc: o.Doc, Spec: o.Name, Small: o.Name}
		small := ""
		for i, p := range o.Params {
			info.Params = append(info.Params, ParamInfo{p.Name, p.Default, p.Doc})
			sep := ","
			if i == 0 {
				sep = ":"
			}
			if v, ok := o.Small[p.Name]; ok {
				small += fmt.Sprintf("%s%s=%d", sep, p.Name, v)
			}
		}
		if small != "" {
			info.Small = o.Name + ":" + small[1:]
		}
		out = append(out, info)
	}
	return map[string]any{"ops": out}, nil
}

// TensorInfo describes a tensor of a program.
type TensorInfo struct {
	Name  string  `json:"name"`
	Shape []int64 `json:"shape"`
	DType string  `json:"dtype"`
	// Role is "input", "output" or "stage" (an intermediate).
	Role string `json:"role"`
}

// Parsed is a program as the page shows it (ops "parse" and "show").
type Parsed struct {
	Text    string       `json:"text"`
	Key     string       `json:"key"`
	FLOPs   float64      `json:"flops"`
	Tensors []TensorInfo `json:"tensors"`
}

func parsed(d *te.DAG) Parsed {
	p := Parsed{Text: d.String(), Key: d.Key(), FLOPs: d.FLOPs()}
	roles := map[*te.Tensor]string{}
	for _, t := range d.Inputs {
		roles[t] = "input"
	}
	for _, t := range d.Outputs {
		roles[t] = "output"
	}
	for _, t := range d.Tensors {
		role := roles[t]
		if role == "" {
			role = "stage"
		}
		p.Tensors = append(p.Tensors, TensorInfo{t.Name, t.Shape, t.DType.String(), role})
	}
	return p
}

func opParse(e *Engine, _ context.Context, req Request, _ func(any)) (any, error) {
	var a struct {
		Src string `json:"src"`
	}
	if err := decode(req, &a); err != nil {
		return nil, err
	}
	d, err := flow.Workload(a.Src)
	if err != nil {
		return nil, err
	}
	return parsed(d), nil
}

// Shown is a schedule as the page shows it (op "show").
type Shown struct {
	Parsed
	// Steps are the steps one per line, with names resolved.
	Steps []string `json:"steps"`
	// Loops is the loop structure of every stage.
	Loops string `json:"loops"`
}

func shown(st *schedule.State) Shown {
	return Shown{Parsed: parsed(st.DAG), Steps: splitLines(st.StepsString()), Loops: st.String()}
}

func splitLines(s string) []string {
	var out []string
	for _, l := range bytes.Split([]byte(s), []byte("\n")) {
		if len(l) > 0 {
			out = append(out, string(l))
		}
	}
	return out
}

func opShow(e *Engine, _ context.Context, req Request, _ func(any)) (any, error) {
	var p Program
	if err := decode(req, &p); err != nil {
		return nil, err
	}
	st, err := p.state()
	if err != nil {
		return nil, err
	}
	return shown(st), nil
}

// SketchInfo is one deduced sketch (op "sketches").
type SketchInfo struct {
	Rules []string `json:"rules"`
	// Loops is the sketch's loop nest, ? for each open tile size.
	Loops     string `json:"loops"`
	Tiles     int    `json:"tiles"`
	Locations int    `json:"locations"`
	Stages    int    `json:"stages"`
}

func opSketches(e *Engine, _ context.Context, req Request, _ func(any)) (any, error) {
	var p Program
	if err := decode(req, &p); err != nil {
		return nil, err
	}
	st, t, err := p.resolve()
	if err != nil {
		return nil, err
	}
	sks, err := sketch.NewPolicy(t).Generate(st.DAG)
	if err != nil {
		return nil, err
	}
	out := []SketchInfo{}
	for _, sk := range sks {
		sp := sample.NewSpace(sk, t)
		out = append(out, SketchInfo{Rules: sk.Rules, Loops: sk.String(), Tiles: len(sk.Tiles), Locations: len(sp.Locations), Stages: len(sp.Stages)})
	}
	return map[string]any{"target": t.String(), "sketches": out}, nil
}

// Lowered is a schedule's code (op "lower").
type Lowered struct {
	// IR is the loop IR after lowering.
	IR string `json:"ir"`
	// Passes, with trace, is the IR after each lowering and code
	// generator pass that changed it.
	Passes []PassIR `json:"passes,omitempty"`
	// WAT is the module's text, Bytes its size (wasm-simd).
	WAT   string `json:"wat,omitempty"`
	Bytes int    `json:"bytes,omitempty"`
}

// PassIR is the IR after one pass.
type PassIR struct {
	Pass string `json:"pass"`
	IR   string `json:"ir"`
}

func opLower(e *Engine, _ context.Context, req Request, _ func(any)) (any, error) {
	var a struct {
		Program
		Trace bool `json:"trace"`
	}
	if err := decode(req, &a); err != nil {
		return nil, err
	}
	st, t, err := a.resolve()
	if err != nil {
		return nil, err
	}
	var out Lowered
	var watch func(string, *ir.Func)
	if a.Trace {
		watch = func(pass string, f *ir.Func) { out.Passes = append(out.Passes, PassIR{pass, f.String()}) }
	}
	f, err := lower.Trace(st, watch)
	if err != nil {
		return nil, err
	}
	out.IR = f.String()
	b, err := build.For(t)
	if err != nil {
		return nil, err
	}
	if a.Trace {
		if _, err := b.Prepare(f, t, func(pass string, f *ir.Func) {
			out.Passes = append(out.Passes, PassIR{"codegen " + pass, f.String()})
		}); err != nil {
			return nil, err
		}
	}
	if t.Kind != targets.WasmSIMD {
		return out, nil
	}
	k, err := build.Wasm(st, t)
	if err != nil {
		return nil, err
	}
	if out.WAT, err = wasmbin.Disassemble(k.Wasm); err != nil {
		return nil, err
	}
	out.Bytes = len(k.Wasm)
	return out, nil
}

// StepResult is one step of a replay (op "replay").
type StepResult struct {
	// Text is the step with its stage and iterators named.
	Text string `json:"text"`
	OK   bool   `json:"ok"`
	// Error says why the step does not apply.
	Error string `json:"error,omitempty"`
}

// Replayed is the outcome of replaying steps one at a time.
type Replayed struct {
	Steps []StepResult `json:"steps"`
	// Applied counts the steps that applied, from the first; Loops and
	// IR are the schedule after them.
	Applied int    `json:"applied"`
	Loops   string `json:"loops"`
	IR      string `json:"ir"`
	// LowerError says why the schedule does not lower, when it does not.
	LowerError string `json:"lower_error,omitempty"`
	// Stages are the stages and their current loops after the applied
	// steps: what a playground's forms may name.
	Stages []StageInfo `json:"stages"`
}

// StageInfo is one stage of a State and its current loops, in the
// positions that steps name them by.
type StageInfo struct {
	Name string `json:"name"`
	// Input is true for a placeholder, which has no loops.
	Input bool `json:"input,omitempty"`
	// Attach is "root", "inline" or "at".
	Attach string     `json:"attach"`
	Iters  []IterInfo `json:"iters"`
}

// IterInfo is one current loop of a stage.
type IterInfo struct {
	Name   string `json:"name"`
	Extent int64  `json:"extent"`
	// Kind is "spatial" or "reduce"; Ann the annotation ("none", "vectorize", ...).
	Kind string `json:"kind"`
	Ann  string `json:"ann"`
}

func stageInfos(st *schedule.State) []StageInfo {
	out := make([]StageInfo, len(st.Stages))
	for i, s := range st.Stages {
		si := StageInfo{Name: s.Name(), Input: s.IsInput(), Attach: [...]string{"root", "inline", "at"}[s.Attach.Kind], Iters: []IterInfo{}}
		for j := range s.Iters {
			n := s.Iter(j)
			si.Iters = append(si.Iters, IterInfo{Name: n.Name, Extent: n.Extent, Kind: n.Kind.String(), Ann: n.Ann.String()})
		}
		out[i] = si
	}
	return out
}

func opReplay(e *Engine, _ context.Context, req Request, _ func(any)) (any, error) {
	var p Program
	if err := decode(req, &p); err != nil {
		return nil, err
	}
	d, err := p.dag()
	if err != nil {
		return nil, err
	}
	steps, err := p.steps()
	if err != nil {
		return nil, err
	}
	st := schedule.New(d)
	out := Replayed{Steps: []StepResult{}}
	for _, s := range steps {
		next, err := st.Apply(s)
		if err != nil {
			out.Steps = append(out.Steps, StepResult{Text: s.String(), Error: err.Error()})
			break
		}
		lines := splitLines(next.StepsString())
		out.Steps = append(out.Steps, StepResult{Text: lines[len(lines)-1], OK: true})
		st = next
		out.Applied++
	}
	out.Loops, out.Stages = st.String(), stageInfos(st)
	if f, err := lower.Lower(st); err != nil {
		out.LowerError = err.Error()
	} else {
		out.IR = f.String()
	}
	return out, nil
}

// Timing is a measured kernel (op "run", and the best of a tune).
type Timing struct {
	Err    string    `json:"err"`
	Msg    string    `json:"msg,omitempty"`
	Median float64   `json:"median"`
	Times  []float64 `json:"times,omitempty"`
	GFLOPS float64   `json:"gflops"`
}

func timing(r targets.Result, flops float64) Timing {
	t := Timing{Err: r.Err.String(), Msg: r.Msg, Median: r.Median, Times: r.Times}
	if r.OK() && r.Median > 0 {
		t.GFLOPS = flops / r.Median / 1e9
	}
	return t
}

func opRun(e *Engine, ctx context.Context, req Request, emit func(any)) (any, error) {
	var a struct {
		Program
		Baseline bool `json:"baseline"`
		// Wasm, base64, is a module to run instead of the schedule's: a
		// kernel written or exported elsewhere, with the calling
		// convention of DESIGN.md, checked against the workload.
		Wasm string `json:"wasm,omitempty"`
	}
	if err := decode(req, &a); err != nil {
		return nil, err
	}
	st, t, err := a.resolve()
	if err != nil {
		return nil, err
	}
	if err := flow.Check(t); err != nil {
		return nil, err
	}
	var built []targets.Candidate
	if a.Wasm != "" {
		mod, err := base64.StdEncoding.DecodeString(a.Wasm)
		if err != nil {
			return nil, &Error{Kind: KindInput, Msg: fmt.Sprintf("run: wasm is not base64: %v", err)}
		}
		if t.Kind != targets.WasmSIMD {
			return nil, &Error{Kind: KindInput, Msg: fmt.Sprintf("run: a wasm module runs on wasm-simd, not %s", t)}
		}
		c := targets.Candidate{Kind: t.Kind, Wasm: mod, Relaxed: t.Relaxed}
		c.ID = c.Digest()
		built = append(built, c)
	} else {
		c, err := build.Build(st, t)
		if err != nil {
			return nil, err
		}
		built = append(built, c)
	}
	if a.Baseline {
		c, err := build.Build(schedule.New(st.DAG), t)
		if err != nil {
			return nil, err
		}
		built = append(built, c)
	}
	ctx, done, err := e.begin(ctx, req.ID)
	if err != nil {
		return nil, err
	}
	defer done()
	emit(map[string]any{"phase": "reference"})
	w, err := e.cfg.Reference.Workload(ctx, st.DAG, flow.InputSeed)
	if err != nil {
		return nil, err
	}
	emit(map[string]any{"phase": "measure"})
	rs := e.cfg.Measurer.Measure(ctx, w, built)
	if ctx.Err() != nil {
		return nil, &Error{Kind: KindStopped, Msg: "stopped"}
	}
	out := map[string]any{"schedule": timing(rs[0], st.DAG.FLOPs()), "measurer": e.cfg.Measurer.Name(), "target": t.String()}
	if a.Baseline {
		out["naive"] = timing(rs[1], st.DAG.FLOPs())
	}
	return out, nil
}

// TuneArgs are the args of op "tune".
type TuneArgs struct {
	Workload   string `json:"workload"`
	Target     string `json:"target,omitempty"`
	Trials     int    `json:"trials,omitempty"`
	Batch      int    `json:"batch,omitempty"`
	Seed       uint64 `json:"seed,omitempty"`
	Population int    `json:"population,omitempty"`
	Confirm    int    `json:"confirm,omitempty"`
}

// Progress is the data of a tune's progress events.
type Progress struct {
	Phase  string `json:"phase"`
	Trials int    `json:"trials"`
	Budget int    `json:"budget"`
	Round  int    `json:"round,omitempty"`
	// Measured and Failed in the round.
	Measured int `json:"measured,omitempty"`
	Failed   int `json:"failed,omitempty"`
	// Best so far, in seconds and GFLOP/s (0 while none verified).
	Best   float64 `json:"best"`
	GFLOPS float64 `json:"gflops"`
	// ModelAccuracy is tune.Round.ModelAccuracy (-1 when unknown).
	ModelAccuracy float64 `json:"model_accuracy"`
	// Top are the fastest schedules so far, with their steps and how
	// each was found.
	Top     []Entry `json:"top,omitempty"`
	Elapsed float64 `json:"elapsed"`
}

// Entry is one schedule of the records.
type Entry struct {
	Median float64         `json:"median"`
	GFLOPS float64         `json:"gflops"`
	Origin string          `json:"origin"`
	Round  int             `json:"round"`
	How    string          `json:"how,omitempty"`
	Steps  json.RawMessage `json:"steps,omitempty"`
	Lines  []string        `json:"lines,omitempty"`
}

func (e *Engine) entry(r *records.Record, key, target string, full bool) Entry {
	en := Entry{Median: r.Result.Median, GFLOPS: r.GFLOPS(), Origin: r.Origin, Round: r.Round}
	if !full {
		return en
	}
	en.How = flow.HowFound(e.log, key, target, r, true)
	if data, err := schedule.MarshalSteps(r.Steps); err == nil {
		en.Steps = data
	}
	if st, err := r.State(); err == nil {
		en.Lines = splitLines(st.StepsString())
	}
	return en
}

// TopCount is how many of the fastest schedules progress events carry.
const TopCount = 5

func opTune(e *Engine, ctx context.Context, req Request, emit func(any)) (any, error) {
	var a TuneArgs
	if err := decode(req, &a); err != nil {
		return nil, err
	}
	d, err := flow.Workload(a.Workload)
	if err != nil {
		return nil, err
	}
	p := Program{Target: a.Target}
	t, err := p.target()
	if err != nil {
		return nil, err
	}
	if a.Trials < 0 || a.Trials > 100000 || a.Batch < 0 || a.Batch > 4096 || a.Population < 0 || a.Population > 1<<16 || a.Confirm < 0 || a.Confirm > 64 {
		return nil, &Error{Kind: KindInput, Msg: "tune: trials (0..100000), batch (0..4096), population (0..65536) and confirm (0..64) out of range"}
	}
	cfg := flow.Config{Target: t, Trials: a.Trials, Batch: a.Batch, Seed: a.Seed, Confirm: a.Confirm}
	cfg.Search = evolve.DefaultParams()
	if a.Population > 0 {
		cfg.Search.Population = a.Population
	}
	if cfg.Seed == 0 {
		cfg.Seed = 1
	}
	if err := flow.Check(t); err != nil {
		return nil, err
	}
	ctx, done, err := e.begin(ctx, req.ID)
	if err != nil {
		return nil, err
	}
	defer done()
	env := flow.Env{Measurer: e.cfg.Measurer, Reference: e.cfg.Reference, Log: e.log, Writer: records.NewWriter(storeWriter{e}), Tabtune: e.cfg.Tabtune}
	key, target := d.Key(), t.String()
	res, err := flow.Tune(ctx, env, d, cfg, func(ev flow.Event) {
		pr := Progress{Phase: string(ev.Phase), Trials: ev.Trials, Budget: ev.Budget, ModelAccuracy: -1, Elapsed: ev.Elapsed.Seconds()}
		if ev.Phase == flow.PhaseMeasure {
			pr.Round, pr.Measured, pr.Failed = ev.Round.Index, ev.Round.Measured, ev.Round.Failed
		}
		if ev.Phase == flow.PhaseRound {
			pr.Round, pr.Measured, pr.Failed, pr.ModelAccuracy = ev.Round.Index, ev.Round.Measured, ev.Round.Failed, ev.Round.ModelAccuracy
			for _, r := range e.log.TopK(key, target, TopCount) {
				pr.Top = append(pr.Top, e.entry(r, key, target, true))
			}
		}
		if b := ev.Round.Best; b != nil {
			pr.Best, pr.GFLOPS = b.Result.Median, b.GFLOPS()
		}
		emit(pr)
	})
	if err != nil {
		if ctx.Err() != nil {
			return nil, &Error{Kind: KindStopped, Msg: "stopped"}
		}
		return nil, err
	}
	out := map[string]any{"trials": res.Trials, "took": res.Took.Seconds(), "stop": string(res.Stop), "measurer": e.cfg.Measurer.Name(), "target": target, "key": key}
	if res.Best != nil {
		out["best"] = e.entry(res.Best, key, target, true)
	}
	if res.Naive != nil {
		out["naive"] = timing(*res.Naive, d.FLOPs())
	}
	return out, nil
}

func opStop(e *Engine, _ context.Context, req Request, _ func(any)) (any, error) {
	if err := decode(req, &struct{}{}); err != nil {
		return nil, err
	}
	id, ok := e.stop()
	return map[string]any{"stopped": ok, "id": id}, nil
}

// WorkloadRecords is one workload of the records (op "records.list").
type WorkloadRecords struct {
	Key     string          `json:"key"`
	Text    string          `json:"text"`
	Targets []TargetRecords `json:"targets"`
}

// TargetRecords are a workload's records on one target.
type TargetRecords struct {
	Target string `json:"target"`
	Count  int    `json:"count"`
	Best   *Entry `json:"best,omitempty"`
}

func opRecordsList(e *Engine, _ context.Context, req Request, _ func(any)) (any, error) {
	if err := decode(req, &struct{}{}); err != nil {
		return nil, err
	}
	out := []WorkloadRecords{}
	for _, w := range e.log.Workloads() {
		wr := WorkloadRecords{Key: w.Key, Text: w.Text}
		for _, t := range e.log.Targets(w.Key) {
			tr := TargetRecords{Target: t, Count: e.log.Count(w.Key, t)}
			if b := e.log.Best(w.Key, t); b != nil {
				en := e.entry(b, w.Key, t, true)
				tr.Best = &en
			}
			wr.Targets = append(wr.Targets, tr)
		}
		out = append(out, wr)
	}
	return map[string]any{"workloads": out}, nil
}

func opRecordsImport(e *Engine, _ context.Context, req Request, _ func(any)) (any, error) {
	var a struct {
		JSONL string `json:"jsonl"`
	}
	if err := decode(req, &a); err != nil {
		return nil, err
	}
	added, errs := e.addLines(bytes.Split([]byte(a.JSONL), []byte("\n")), true)
	skipped := []string{}
	for _, err := range errs {
		skipped = append(skipped, err.Error())
	}
	return map[string]any{"added": added, "skipped": skipped}, nil
}

func opRecordsExport(e *Engine, _ context.Context, req Request, _ func(any)) (any, error) {
	if err := decode(req, &struct{}{}); err != nil {
		return nil, err
	}
	lines, err := e.cfg.Store.Lines()
	if err != nil {
		return nil, err
	}
	var b bytes.Buffer
	for _, l := range lines {
		b.Write(l)
		b.WriteByte('\n')
	}
	return map[string]any{"jsonl": b.String(), "lines": len(lines)}, nil
}

// File is one exported file: Text when it is UTF-8, else Base64.
type File struct {
	Name   string `json:"name"`
	About  string `json:"about"`
	Text   string `json:"text,omitempty"`
	Base64 string `json:"base64,omitempty"`
	Bytes  int    `json:"bytes"`
}

func opExport(e *Engine, _ context.Context, req Request, _ func(any)) (any, error) {
	var p Program
	if err := decode(req, &p); err != nil {
		return nil, err
	}
	st, t, err := p.resolve()
	if err != nil {
		return nil, err
	}
	d := st.DAG
	var files []build.File
	var best *records.Record
	if len(st.Steps) > 0 {
		if files, err = build.Export(st, t); err != nil {
			return nil, err
		}
	} else if best, files, err = flow.Export(e.log, d, t); err != nil {
		return nil, err
	}
	out := map[string]any{"target": t.String()}
	if best != nil {
		out["best"] = e.entry(best, d.Key(), t.String(), true)
	}
	var fs []File
	for _, f := range files {
		x := File{Name: f.Name, About: f.About, Bytes: len(f.Data)}
		if utf8.Valid(f.Data) && !bytes.ContainsRune(f.Data, 0) {
			x.Text = string(f.Data)
		} else {
			x.Base64 = base64.StdEncoding.EncodeToString(f.Data)
		}
		fs = append(fs, x)
	}
	out["files"] = fs
	return out, nil
}
