package ui

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"

	"github.com/tabtune/tabtune/wasm/engine/api"
)

// StageInfo and IterInfo are a State's stages and loops, replayed the
// result of op "replay": the message API's types.
type (
	StageInfo = api.StageInfo
	IterInfo  = api.IterInfo
	replayed  = api.Replayed
)

// RunPoint is one measurement of the playground's schedule.
type RunPoint struct {
	Steps         int
	GFLOPS, Naive float64
}

// PlayState is the Playground: a schedule built by hand, step by step.
type PlayState struct {
	Workload, Target string
	Steps            []json.RawMessage
	undo, redo       [][]json.RawMessage
	// After the last replay: the steps in words, the loop nest, its diff
	// from the previous one, the stages (for the forms), the loop IR.
	Texts  []string
	Loops  string
	Diff   []DiffLine
	Stages []StageInfo
	IR     string
	// Err is why the last step did not apply (or the schedule does not
	// lower); Msg a note.
	Err, Msg string
	Busy     bool
	Form     PlayForm
	Runs     []RunPoint
	Running  bool
	// Compare is the auto-scheduler's schedule of the same workload.
	Compare    *Entry
	CompareIR  string
	Comparing  bool
	CompareMsg string
	seq        int
}

// PlayForm is the step form: a kind and the fields it needs, as
// positions into the current stages and loops.
type PlayForm struct {
	Kind                    string
	Stage, Iter, To         int
	Factor                  string
	TargetStage, TargetIter int
	Reader                  int
}

// StepKinds are the steps the playground offers, in its menu.
var StepKinds = []string{"split", "reorder", "fuse", "compute_at", "compute_inline", "cache_write", "cache_read", "rfactor", "vectorize", "parallel", "unroll"}

// startPlay opens the playground on a workload with steps (nil: naive).
func (a *App) startPlay(wl string, steps []json.RawMessage) {
	p := &a.Play
	*p = PlayState{Workload: wl, Target: a.Tune.Target, Form: PlayForm{Kind: "split", Factor: "4", Stage: -1}}
	if steps != nil {
		p.Steps = steps
	}
	a.replay(p.Steps, "", false)
}

// replay shows the schedule of steps. With check, the last step is new:
// if it does not apply, the steps stay as they were and Err says why.
func (a *App) replay(steps []json.RawMessage, before string, check bool) {
	p := &a.Play
	p.seq++
	seq, wl := p.seq, p.Workload
	p.Busy = true
	a.async(func() {
		var r replayed
		err := a.call("replay", map[string]any{"workload": wl, "steps": steps}, &r, nil)
		a.update(func() {
			if p.seq != seq {
				return
			}
			p.Busy = false
			if err != nil {
				p.Err = errText(err)
				return
			}
			if check && r.Applied < len(steps) {
				last := r.Steps[len(r.Steps)-1]
				p.Err = fmt.Sprintf("step %d does not apply: %s", len(steps), last.Error)
				return
			}
			if check {
				p.undo = append(p.undo, p.Steps)
				p.redo = nil
			}
			p.Err = ""
			if r.LowerError != "" {
				p.Err = "the schedule does not lower: " + r.LowerError
			}
			p.Steps = steps[:r.Applied]
			p.Texts = p.Texts[:0]
			for _, s := range r.Steps[:r.Applied] {
				p.Texts = append(p.Texts, s.Text)
			}
			if before == "" {
				before = r.Loops
			}
			p.Diff = Diff(before, r.Loops)
			p.Loops, p.Stages, p.IR = r.Loops, r.Stages, r.IR
			p.Form.fit(p.Stages)
			a.host.SetFragment(a.shareFragment())
		})
	})
}

// Apply adds the form's step; it is kept only if it applies.
func (a *App) Apply() {
	p := &a.Play
	step, err := p.Form.Step(p.Stages)
	if err != nil {
		p.Err = err.Error()
		return
	}
	steps := append(append([]json.RawMessage(nil), p.Steps...), step)
	a.replay(steps, p.Loops, true)
}

// ApplyJSON adds a step given as JSON (for lessons' hints and tests).
func (a *App) ApplyJSON(step string) {
	p := &a.Play
	steps := append(append([]json.RawMessage(nil), p.Steps...), json.RawMessage(step))
	a.replay(steps, p.Loops, true)
}

// Undo takes the last change back; Redo does it again.
func (a *App) Undo() {
	p := &a.Play
	if len(p.undo) == 0 {
		return
	}
	p.redo = append(p.redo, p.Steps)
	prev := p.undo[len(p.undo)-1]
	p.undo = p.undo[:len(p.undo)-1]
	a.replay(prev, p.Loops, false)
}

// Redo applies the last undone change again.
func (a *App) Redo() {
	p := &a.Play
	if len(p.redo) == 0 {
		return
	}
	p.undo = append(p.undo, p.Steps)
	next := p.redo[len(p.redo)-1]
	p.redo = p.redo[:len(p.redo)-1]
	a.replay(next, p.Loops, false)
}

// CanUndo and CanRedo say whether Undo and Redo have anything to do.
func (p *PlayState) CanUndo() bool { return len(p.undo) > 0 }

// CanRedo reports whether there is an undone change.
func (p *PlayState) CanRedo() bool { return len(p.redo) > 0 }

// Reset goes back to the naive schedule (undoable).
func (a *App) Reset() {
	p := &a.Play
	if len(p.Steps) == 0 {
		return
	}
	p.undo = append(p.undo, p.Steps)
	p.redo = nil
	a.replay(nil, p.Loops, false)
}

// SetForm changes a field of the step form from its control's text.
func (a *App) SetForm(field, value string) {
	f := &a.Play.Form
	n, _ := strconv.Atoi(value)
	switch field {
	case "kind":
		f.Kind = value
	case "stage":
		f.Stage = n
	case "iter":
		f.Iter = n
	case "to":
		f.To = n
	case "factor":
		f.Factor = value
	case "target":
		f.TargetStage = n
	case "target_iter":
		f.TargetIter = n
	case "reader":
		f.Reader = n
	}
	f.fit(a.Play.Stages)
}

// fit keeps the form's choices among what exists: a stage the kind can
// act on, a loop of it, a target stage and loop.
func (f *PlayForm) fit(stages []StageInfo) {
	ok := f.StageChoices(stages)
	if !contains(ok, f.Stage) && len(ok) > 0 {
		f.Stage = ok[len(ok)-1]
	}
	iters := f.IterChoices(stages)
	if !contains(iters, f.Iter) && len(iters) > 0 {
		f.Iter = iters[len(iters)-1]
	}
	if f.Stage >= 0 && f.Stage < len(stages) && f.To >= len(stages[f.Stage].Iters) {
		f.To = 0
	}
	ts := f.TargetChoices(stages)
	if !contains(ts, f.TargetStage) && len(ts) > 0 {
		f.TargetStage = ts[0]
	}
	if f.TargetStage >= 0 && f.TargetStage < len(stages) && f.TargetIter >= len(stages[f.TargetStage].Iters) {
		f.TargetIter = 0
	}
	rs := f.ReaderChoices(stages)
	if !contains(rs, f.Reader) && len(rs) > 0 {
		f.Reader = rs[0]
	}
}

func contains(xs []int, x int) bool {
	for _, y := range xs {
		if y == x {
			return true
		}
	}
	return false
}

// StageChoices are the stages the form's kind can act on: inputs for
// cache_read, computed stages at the root or attached otherwise.
func (f *PlayForm) StageChoices(stages []StageInfo) []int {
	var out []int
	for i, s := range stages {
		switch {
		case f.Kind == "cache_read":
			if s.Input {
				out = append(out, i)
			}
		case s.Input || s.Attach == "inline":
		case f.Kind == "compute_at" || f.Kind == "compute_inline":
			if i != len(stages)-1 {
				out = append(out, i)
			}
		default:
			out = append(out, i)
		}
	}
	return out
}

// IterChoices are the loops of the form's stage the kind can name:
// reduction loops for rfactor, all but the last for fuse (it fuses a
// loop with the next).
func (f *PlayForm) IterChoices(stages []StageInfo) []int {
	if f.Stage < 0 || f.Stage >= len(stages) {
		return nil
	}
	var out []int
	its := stages[f.Stage].Iters
	for i, it := range its {
		if (f.Kind == "rfactor" && it.Kind != "reduce") || (f.Kind == "fuse" && i == len(its)-1) {
			continue
		}
		out = append(out, i)
	}
	return out
}

// TargetChoices are the stages compute_at can attach the form's stage to.
func (f *PlayForm) TargetChoices(stages []StageInfo) []int {
	var out []int
	for i, s := range stages {
		if i != f.Stage && !s.Input && s.Attach != "inline" && len(s.Iters) > 0 {
			out = append(out, i)
		}
	}
	return out
}

// ReaderChoices are the stages a cache_read can serve.
func (f *PlayForm) ReaderChoices(stages []StageInfo) []int {
	var out []int
	for i, s := range stages {
		if !s.Input && s.Attach != "inline" {
			out = append(out, i)
		}
	}
	return out
}

// Needs says which fields the form's kind shows.
func (f *PlayForm) Needs(field string) bool {
	k := f.Kind
	switch field {
	case "iter":
		return k != "compute_at" && k != "compute_inline" && k != "cache_write" && k != "cache_read"
	case "factor":
		return k == "split"
	case "to":
		return k == "reorder" || k == "rfactor"
	case "target":
		return k == "compute_at"
	case "reader":
		return k == "cache_read"
	}
	return false
}

// Step is the form as a step in the JSON form.
func (f *PlayForm) Step(stages []StageInfo) (json.RawMessage, error) {
	if f.Stage < 0 || f.Stage >= len(stages) {
		return nil, fmt.Errorf("%s: pick a stage", f.Kind)
	}
	var step map[string]any
	switch f.Kind {
	case "split":
		n, err := strconv.ParseInt(strings.TrimSpace(f.Factor), 10, 64)
		if err != nil || n < 1 {
			return nil, fmt.Errorf("split: the inner length must be a whole number of at least 1, not %q", f.Factor)
		}
		step = map[string]any{"stage": f.Stage, "iter": f.Iter, "lengths": []int64{n}, "inner_to_outer": true}
	case "reorder":
		n := len(stages[f.Stage].Iters)
		var order []int
		for i := 0; i < n; i++ {
			if i != f.Iter {
				order = append(order, i)
			}
		}
		to := min(max(f.To, 0), len(order))
		order = append(order[:to], append([]int{f.Iter}, order[to:]...)...)
		step = map[string]any{"stage": f.Stage, "order": order}
	case "fuse":
		step = map[string]any{"stage": f.Stage, "iters": []int{f.Iter, f.Iter + 1}}
	case "compute_at":
		step = map[string]any{"stage": f.Stage, "target": f.TargetStage, "target_iter": f.TargetIter}
	case "compute_inline":
		step = map[string]any{"stage": f.Stage}
	case "cache_write":
		step = map[string]any{"stage": f.Stage, "scope": "local"}
	case "cache_read":
		step = map[string]any{"stage": f.Stage, "scope": "local", "readers": []int{f.Reader}}
	case "rfactor":
		step = map[string]any{"stage": f.Stage, "iter": f.Iter, "factor_iter": max(f.To, 0)}
	case "vectorize", "parallel", "unroll":
		step = map[string]any{"kind": "annotate", "stage": f.Stage, "iter": f.Iter, "ann": f.Kind}
	default:
		return nil, fmt.Errorf("unknown step %q", f.Kind)
	}
	if step["kind"] == nil {
		step["kind"] = f.Kind
	}
	return json.Marshal(step)
}

// IterLabel names loop i of a stage for a menu.
func IterLabel(it IterInfo, i int) string {
	s := fmt.Sprintf("%d: %s (%d", i, it.Name, it.Extent)
	if it.Kind == "reduce" {
		s += ", reduce"
	}
	if it.Ann != "none" && it.Ann != "" {
		s += ", " + it.Ann
	}
	return s + ")"
}

// Run measures the playground's schedule and the naive one.
func (a *App) Run() {
	p := &a.Play
	if p.Running {
		return
	}
	p.Running, p.Msg = true, "measuring…"
	wl, target, steps := p.Workload, p.Target, p.Steps
	a.async(func() {
		var res struct {
			Schedule Timing `json:"schedule"`
			Naive    Timing `json:"naive"`
		}
		err := a.call("run", map[string]any{"workload": wl, "target": target, "steps": steps, "baseline": true}, &res, nil)
		a.update(func() {
			p.Running = false
			if err != nil {
				p.Msg = errText(err)
				return
			}
			if res.Schedule.Err != "none" {
				p.Msg = fmt.Sprintf("the kernel failed: %s %s", res.Schedule.Err, res.Schedule.Msg)
				return
			}
			p.Runs = append(p.Runs, RunPoint{len(steps), res.Schedule.GFLOPS, res.Naive.GFLOPS})
			p.Msg = fmt.Sprintf("%.2f GFLOP/s after %s: %.2f× the naive schedule (%.2f GFLOP/s)", res.Schedule.GFLOPS, stepsSummary(len(steps)), res.Schedule.GFLOPS/res.Naive.GFLOPS, res.Naive.GFLOPS)
			a.checkLesson(res.Schedule.GFLOPS / res.Naive.GFLOPS)
		})
	})
}

// Chart lays out the speed of each run against its number of steps.
func (p *PlayState) Chart() Chart {
	s := Series{XLabel: "steps", YLabel: "GFLOP/s", W: 420, H: 180, XMax: 4}
	naive := 0.0
	for _, r := range p.Runs {
		s.X, s.Y = append(s.X, float64(r.Steps)), append(s.Y, r.GFLOPS)
		naive = r.Naive
	}
	s.Refs = []RefLevel{{naive, "naive", "naive"}}
	return s.Draw()
}

// CompareAuto tunes the same workload with the auto-scheduler and shows
// its schedule beside the playground's.
func (a *App) CompareAuto() {
	p := &a.Play
	if p.Comparing {
		return
	}
	p.Comparing, p.Compare, p.CompareMsg = true, nil, "the auto-scheduler is tuning the same expression…"
	wl, target := p.Workload, p.Target
	args := map[string]any{"workload": wl, "target": target, "trials": a.Tune.Trials, "batch": a.Tune.Batch, "seed": a.Tune.Seed, "confirm": 2}
	a.async(func() {
		var res struct {
			Best *Entry `json:"best"`
		}
		err := a.call("tune", args, &res, func(raw json.RawMessage) {
			var pr progress
			if json.Unmarshal(raw, &pr) == nil && pr.Phase == "round" {
				a.update(func() {
					p.CompareMsg = fmt.Sprintf("the auto-scheduler is tuning: %d of %d trials, best %.2f GFLOP/s", pr.Trials, pr.Budget, pr.GFLOPS)
				})
			}
		})
		var shown struct {
			Loops string `json:"loops"`
		}
		if err == nil && res.Best != nil {
			err = a.call("show", map[string]any{"workload": wl, "steps": res.Best.Steps}, &shown, nil)
		}
		a.update(func() {
			p.Comparing = false
			switch {
			case err != nil:
				p.CompareMsg = errText(err)
			case res.Best == nil:
				p.CompareMsg = "the auto-scheduler found no schedule that verified"
			default:
				p.Compare, p.CompareIR = res.Best, shown.Loops
				p.CompareMsg = fmt.Sprintf("the auto-scheduler: %.2f GFLOP/s; %s", res.Best.GFLOPS, res.Best.How)
				a.checkLessonAuto()
			}
		})
	})
}

// Mine is the playground's best measured speed in words.
func (p *PlayState) Mine() string {
	best := 0.0
	for _, r := range p.Runs {
		if r.Steps == len(p.Steps) {
			best = r.GFLOPS
		}
	}
	if best == 0 {
		return "not measured yet: press Run"
	}
	return fmt.Sprintf("%.2f GFLOP/s", best)
}
