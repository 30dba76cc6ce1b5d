package ui

import (
	"strings"

	"github.com/tabtune/tabtune/wasm/engine/api"
)

// Sketch is one deduced sketch (op "sketches").
type Sketch = api.SketchInfo

// SketchState is the Sketches view: the tuning space the deducer found
// for the workload.
type SketchState struct {
	For      string // the workload they are of
	Target   string
	Sketches []Sketch
	Err      string
	Loading  bool
}

// loadSketches asks the engine for the workload's sketches, once per
// workload.
func (a *App) loadSketches() {
	wl := a.Work.Workload()
	if a.Sketch.For == wl && (a.Sketch.Loading || a.Sketch.Err == "") {
		return
	}
	a.Sketch = SketchState{For: wl, Loading: true}
	a.async(func() {
		var res struct {
			Target   string   `json:"target"`
			Sketches []Sketch `json:"sketches"`
		}
		err := a.call("sketches", map[string]string{"workload": wl, "target": a.Tune.Target}, &res, nil)
		a.update(func() {
			if a.Sketch.For != wl {
				return
			}
			a.Sketch.Loading = false
			if err != nil {
				a.Sketch.Err = errText(err)
				return
			}
			a.Sketch.Target, a.Sketch.Sketches = res.Target, res.Sketches
		})
	})
}

// Seg is a piece of a line, marked when it is an open knob.
type Seg struct {
	Text string
	Knob bool
}

// Knobs splits a sketch's loop nest into lines of segments, each "?" (an
// open tile size) a marked segment of its own.
func Knobs(loops string) [][]Seg {
	var out [][]Seg
	for _, line := range strings.Split(strings.TrimRight(loops, "\n"), "\n") {
		var segs []Seg
		for {
			i := strings.IndexByte(line, '?')
			if i < 0 {
				break
			}
			if i > 0 {
				segs = append(segs, Seg{Text: line[:i]})
			}
			segs = append(segs, Seg{Text: "?", Knob: true})
			line = line[i+1:]
		}
		if line != "" || len(segs) == 0 {
			segs = append(segs, Seg{Text: line})
		}
		out = append(out, segs)
	}
	return out
}

// knobCount counts a sketch's open tile sizes.
func knobCount(s Sketch) int { return strings.Count(s.Loops, "?") }
