package ui

import (
	"fmt"
	"strconv"
	"strings"
)

// The components: each view is a vugu component (its .vugu file) over
// the App.

// Shell is the page: the tabs and the view shown.
type Shell struct{ App *App }

// WorkloadView is the Workload view.
type WorkloadView struct{ App *App }

// SketchView is the Sketches view.
type SketchView struct{ App *App }

// TuneView is the Tune view.
type TuneView struct{ App *App }

// CodeView is the Code view.
type CodeView struct{ App *App }

// PlayView is the Playground.
type PlayView struct{ App *App }

// LessonView is the Lessons view.
type LessonView struct{ App *App }

// ChartView draws a Chart as SVG.
type ChartView struct {
	Chart Chart
	ID    string
}

func tabClass(on bool) string {
	if on {
		return "tab on"
	}
	return "tab"
}

func pickClass(on bool) string {
	if on {
		return "pick on"
	}
	return "pick"
}

// current is an aria-current or aria-pressed value.
func current(on bool) string { return strconv.FormatBool(on) }

func num(i int) string { return strconv.Itoa(i) }

func gf(v float64) string {
	if v <= 0 {
		return "–"
	}
	return fmt.Sprintf("%.2f", v)
}

func ms(seconds float64) string { return fmt.Sprintf("%.3f", seconds*1e3) }

func orDash(s string) string {
	if s == "" {
		return "–"
	}
	return s
}

func howFound(e Entry) string {
	if e.How != "" {
		return e.How
	}
	return fmt.Sprintf("round %d (%s)", e.Round, e.Origin)
}

func sketchCount(s SketchState) string {
	return fmt.Sprintf("%d sketches on %s", len(s.Sketches), s.Target)
}

func sketchTitle(i int, s Sketch) string {
	return fmt.Sprintf("Sketch %d: %d open knobs, %d stages", i+1, knobCount(s), s.Stages)
}

// knobLines is a sketch's loop nest without its rules line, split at
// the knobs.
func knobLines(loops string) [][]Seg {
	if strings.HasPrefix(loops, "rules:") {
		_, loops, _ = strings.Cut(loops, "\n")
	}
	return Knobs(loops)
}

func segClass(s Seg) string {
	if s.Knob {
		return "knob"
	}
	return ""
}

func stepsSummary(n int) string {
	if n == 1 {
		return "1 step"
	}
	return fmt.Sprintf("%d steps", n)
}

func loopHelp(mapped bool) string {
	if mapped {
		return "Pick a loop in the IR to highlight its WebAssembly."
	}
	return "The code generator changed the loops (unrolled or vectorized some), so the IR's loops are not matched to the module's."
}

func lineClass(l CodeLine) string {
	if l.In {
		return "line in"
	}
	return "line"
}

func watTitle(bytes int) string { return fmt.Sprintf("WebAssembly text (%d bytes)", bytes) }

func lessons() []Lesson { return Lessons }

func lessonClass(done bool) string {
	if done {
		return "panel lesson complete"
	}
	return "panel lesson"
}

func startLabel(done bool) string {
	if done {
		return "Again"
	}
	return "Start"
}

func stepKinds() []string { return StepKinds }

func iterLabel(stages []StageInfo, stage, i int) string {
	if stage < 0 || stage >= len(stages) || i >= len(stages[stage].Iters) {
		return num(i)
	}
	return IterLabel(stages[stage].Iters[i], i)
}

// positions lists the loop positions of a stage.
func positions(stages []StageInfo, stage int) []int {
	if stage < 0 || stage >= len(stages) {
		return nil
	}
	out := make([]int, len(stages[stage].Iters))
	for i := range out {
		out[i] = i
	}
	return out
}

func playLabel(wl string) string {
	lines := strings.Split(strings.TrimSpace(wl), "\n")
	return lines[len(lines)-1]
}

// PlayWorkload opens the playground on the Workload view's expression.
func (a *App) PlayWorkload() {
	a.Learn.Active = ""
	a.startPlay(a.Work.Workload(), nil)
	a.View = "playground"
}

// PlayCode opens the Code view's schedule in the playground.
func (a *App) PlayCode() {
	a.Learn.Active = ""
	a.startPlay(a.Code.Workload, stepList(a.Code.Steps))
	a.View = "playground"
}

// ShowShare shows the link that reproduces the playground.
func (a *App) ShowShare() { a.ShareShown = true }
