package ui

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"

	"github.com/tabtune/tabtune/wasm/engine/api"
)

// Entry is a schedule of the records, Timing a measured kernel, progress
// a tune's progress event: the message API's types.
type (
	Entry    = api.Entry
	Timing   = api.Timing
	progress = api.Progress
)

// TuneState is the Tune view.
type TuneState struct {
	// The form.
	Target              string
	Trials, Batch, Seed int
	// Workload is what the last tune tuned.
	Workload, Label string
	Running         bool
	// Phase says what the tune is doing, Round the last round in words,
	// Accuracy the cost model's.
	Phase, Round, Accuracy, Err string
	Trial, Budget               int
	// Points are (trials, best GFLOP/s) after each round; Naive is the
	// naive schedule's GFLOP/s.
	Points [][2]float64
	Naive  float64
	Top    []Entry
	Best   *Entry
	// Measurer says what timed the kernels.
	Measurer string
	// XNN is XNNPACK's reference line, when the user loads it.
	XNN PeerState
}

// SetTuneField changes a field of the tune form from its input's text.
func (a *App) SetTuneField(name, value string) {
	n, err := strconv.Atoi(strings.TrimSpace(value))
	switch name {
	case "target":
		a.Tune.Target = value
	case "trials":
		if err == nil && n > 0 {
			a.Tune.Trials = n
		}
	case "batch":
		if err == nil && n > 0 {
			a.Tune.Batch = n
		}
	case "seed":
		if err == nil && n > 0 {
			a.Tune.Seed = n
		}
	}
}

// StartTune measures the naive schedule, then tunes the workload with
// the form's settings, drawing each round as it comes.
func (a *App) StartTune() {
	if a.Tune.Running {
		return
	}
	t := &a.Tune
	wl := a.Work.Workload()
	t.Workload, t.Label = wl, a.Work.Label()
	t.Running, t.Err, t.Points, t.Naive, t.Top, t.Best = true, "", nil, 0, nil, nil
	t.Phase, t.Round, t.Accuracy, t.Trial, t.Budget = "measuring the naive schedule…", "", "", 0, t.Trials
	args := map[string]any{"workload": wl, "target": t.Target, "trials": t.Trials, "batch": t.Batch, "seed": t.Seed, "confirm": 2}
	a.async(func() {
		var naive struct {
			Schedule Timing `json:"schedule"`
			Measurer string `json:"measurer"`
		}
		err := a.call("run", map[string]any{"workload": wl, "target": args["target"]}, &naive, nil)
		a.update(func() {
			if err == nil {
				t.Naive, t.Measurer = naive.Schedule.GFLOPS, naive.Measurer
			}
			t.Phase = "computing the reference outputs…"
		})
		var res struct {
			Trials   int     `json:"trials"`
			Took     float64 `json:"took"`
			Stop     string  `json:"stop"`
			Measurer string  `json:"measurer"`
			Best     *Entry  `json:"best"`
		}
		err = a.call("tune", args, &res, func(raw json.RawMessage) {
			var p progress
			if json.Unmarshal(raw, &p) != nil {
				return
			}
			a.update(func() { t.progress(p) })
		})
		a.update(func() {
			t.Running = false
			if err != nil {
				t.Err, t.Phase = errText(err), ""
				return
			}
			t.Phase = fmt.Sprintf("done: %d trials in %.1f s", res.Trials, res.Took)
			if res.Stop != "" {
				t.Phase += " (" + res.Stop + ")"
			}
			t.Measurer, t.Best = res.Measurer, res.Best
			if res.Best != nil {
				a.Code.source = "the best schedule found by the tuner"
				a.openCode(wl, args["target"].(string), *res.Best)
			}
		})
	})
}

// progress takes one progress event.
func (t *TuneState) progress(p progress) {
	t.Trial, t.Budget = p.Trials, p.Budget
	switch p.Phase {
	case "round":
		t.Points = append(t.Points, [2]float64{float64(p.Trials), p.GFLOPS})
		t.Round = fmt.Sprintf("round %d: %d measured, %d failed; best %.2f GFLOP/s after %d of %d trials, %.1f s", p.Round, p.Measured, p.Failed, p.GFLOPS, p.Trials, p.Budget, p.Elapsed)
		if p.ModelAccuracy >= 0 {
			t.Accuracy = fmt.Sprintf("%.0f%%", 100*p.ModelAccuracy)
		}
		t.Top = p.Top
		t.Phase = "searching…"
	case "reference":
		t.Phase = "computing the reference outputs…"
	case "confirm":
		t.Phase = "timing the fastest schedules again…"
	case "baseline":
		t.Phase = "measuring the naive schedule…"
	default:
		t.Phase = p.Phase + "…"
	}
}

// StopTune asks the engine to stop the running tune (it stops within one
// candidate).
func (a *App) StopTune() {
	a.Tune.Phase = "stopping…"
	a.async(func() { a.call("stop", nil, nil, nil) })
}

// Percent is the tune's progress for the bar, 0..100.
func (t *TuneState) Percent() string {
	if t.Budget <= 0 {
		return "0"
	}
	return strconv.Itoa(min(100, 100*t.Trial/t.Budget))
}

// BestGFLOPS is the best so far in words.
func (t *TuneState) BestGFLOPS() string {
	if t.Best != nil {
		return fmt.Sprintf("%.2f", t.Best.GFLOPS)
	}
	if n := len(t.Points); n > 0 {
		return fmt.Sprintf("%.2f", t.Points[n-1][1])
	}
	return "–"
}

// Speedup is the best against the naive schedule, in words.
func (t *TuneState) Speedup() string {
	best := 0.0
	if t.Best != nil {
		best = t.Best.GFLOPS
	} else if n := len(t.Points); n > 0 {
		best = t.Points[n-1][1]
	}
	if t.Naive <= 0 || best <= 0 {
		return "–"
	}
	return fmt.Sprintf("%.1f×", best/t.Naive)
}

// Chart lays out best GFLOP/s against trials, with the naive line.
func (t *TuneState) Chart() Chart {
	s := Series{XMax: float64(t.Budget), XLabel: "trials", YLabel: "GFLOP/s", W: 640, H: 260}
	for _, p := range t.Points {
		s.X, s.Y = append(s.X, p[0]), append(s.Y, p[1])
	}
	s.Refs = []RefLevel{{t.Naive, "naive", "naive"}}
	if x := t.XNN; x.GFLOPS > 0 && (t.Workload == "" || t.Workload == x.For) {
		s.Refs = append(s.Refs, RefLevel{x.GFLOPS, "XNNPACK", "xnnpack"})
	}
	return s.Draw()
}

// ShowEntry opens one of the top schedules in the Code view.
func (a *App) ShowEntry(i int) {
	if i < 0 || i >= len(a.Tune.Top) {
		return
	}
	a.Code.source = fmt.Sprintf("schedule #%d of the tune", i+1)
	a.openCode(a.Tune.Workload, a.Tune.Target, a.Tune.Top[i])
	a.View = "code"
}

// PlayEntry opens one of the top schedules in the playground.
func (a *App) PlayEntry(i int) {
	if i < 0 || i >= len(a.Tune.Top) {
		return
	}
	a.startPlay(a.Tune.Workload, stepList(a.Tune.Top[i].Steps))
	a.View = "playground"
}

// stepList reads a steps document into its steps.
func stepList(doc json.RawMessage) []json.RawMessage {
	var d struct {
		Steps []json.RawMessage `json:"steps"`
	}
	if json.Unmarshal(doc, &d) != nil {
		return nil
	}
	return d.Steps
}
