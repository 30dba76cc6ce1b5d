package ui

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/tabtune/tabtune/wasm/engine/api"
)

// DefaultSpec is the workload the page opens on: GMM 256, which tunes in
// seconds in a tab.
const DefaultSpec = "gmm:M=256,N=256,K=256"

// OpInfo is an operator of the zoo (op "ops"); Parsed a program as the
// engine shows it (op "parse"). The UI reads the engine's replies into
// the message API's own types.
type (
	OpInfo = api.OpInfo
	Parsed = api.Parsed
)

// Param is one operator parameter in the form.
type Param struct {
	Name, Doc, Value string
}

// WorkloadState is the Workload view: an operator with its parameters
// (Spec), and the editor's text (Src), which is the workload once edited.
type WorkloadState struct {
	Ops []OpInfo
	// Op is the operator picked, Params its form; Spec their spec.
	Op     string
	Params []Param
	Spec   string
	// Src is the editor's text; SpecText the canonical text of Spec (the
	// editor holds it until the user edits it).
	Src, SpecText string
	Parsed        *Parsed
	// Err is the parse error of the text, ErrLine its line and ErrCaret
	// a caret under its column.
	Err, ErrLine, ErrCaret string
	seq                    int
	timer                  *time.Timer
}

// Workload is what the engine is asked about: the edited program, or the
// operator's spec while the editor holds its canonical text.
func (w *WorkloadState) Workload() string {
	if s := strings.TrimSpace(w.Src); s != "" && w.Src != w.SpecText {
		return w.Src
	}
	return w.Spec
}

// Label names the workload in a line: the spec, or the program's last line.
func (w *WorkloadState) Label() string {
	wl := w.Workload()
	if wl == w.Spec {
		return wl
	}
	lines := strings.Split(strings.TrimSpace(wl), "\n")
	return lines[len(lines)-1]
}

// selectSpec shows an operator spec in the form.
func (w *WorkloadState) selectSpec(spec string) {
	name, args, _ := strings.Cut(spec, ":")
	vals := map[string]string{}
	for _, kv := range strings.Split(args, ",") {
		if k, v, ok := strings.Cut(kv, "="); ok {
			vals[k] = v
		}
	}
	for _, o := range w.Ops {
		if o.Name != name {
			continue
		}
		w.Op, w.Params, w.Spec = name, nil, spec
		for _, p := range o.Params {
			v, ok := vals[p.Name]
			if !ok {
				v = strconv.FormatInt(p.Default, 10)
			}
			w.Params = append(w.Params, Param{p.Name, p.Doc, v})
		}
		return
	}
}

// specOf builds the spec of the form.
func (w *WorkloadState) specOf() string {
	var b strings.Builder
	b.WriteString(w.Op)
	for i, p := range w.Params {
		sep := ","
		if i == 0 {
			sep = ":"
		}
		fmt.Fprintf(&b, "%s%s=%s", sep, p.Name, strings.TrimSpace(p.Value))
	}
	return b.String()
}

// OpDoc is the picked operator's description.
func (w *WorkloadState) OpDoc() string {
	for _, o := range w.Ops {
		if o.Name == w.Op {
			return o.Doc
		}
	}
	return ""
}

// PickOp selects an operator at its default parameters (GMM at 256).
func (a *App) PickOp(name string) {
	for _, o := range a.Work.Ops {
		if o.Name == name {
			spec := o.Spec
			if name == "gmm" {
				spec = DefaultSpec
			}
			a.Work.selectSpec(spec)
			a.useSpec()
		}
	}
}

// SetParam changes a parameter of the picked operator.
func (a *App) SetParam(name, value string) {
	for i := range a.Work.Params {
		if a.Work.Params[i].Name == name {
			a.Work.Params[i].Value = value
		}
	}
	a.Work.Spec = a.Work.specOf()
	a.useSpec()
}

// useSpec makes the form's spec the workload: the editor gets its
// canonical text when the engine answers.
func (a *App) useSpec() {
	a.Work.SpecText, a.Work.Src = "", ""
	a.Work.seq++
	seq, spec := a.Work.seq, a.Work.Spec
	a.async(func() { a.parse(spec, seq) })
}

// EditorInput takes the editor's text after a keystroke. It only stores
// the text and schedules a parse: typing never waits on the engine.
func (a *App) EditorInput(text string) {
	a.Work.Src = text
	a.Work.seq++
	seq := a.Work.seq
	if a.Work.timer != nil {
		a.Work.timer.Stop()
	}
	a.Work.timer = time.AfterFunc(debounce, func() { a.parse(text, seq) })
}

// parse asks the engine about src; the reply counts only if no newer
// text or spec came meanwhile (seq). A spec's canonical text fills the
// editor.
func (a *App) parse(src string, seq int) {
	var p Parsed
	err := a.call("parse", map[string]string{"src": src}, &p, nil)
	a.update(func() {
		w := &a.Work
		if seq != w.seq {
			return
		}
		if err != nil {
			w.Err = errText(err)
			w.ErrLine, w.ErrCaret = "", ""
			if ee, ok := err.(*EngineError); ok && ee.Line > 0 {
				lines := strings.Split(src, "\n")
				if ee.Line <= len(lines) {
					w.ErrLine = lines[ee.Line-1]
					w.ErrCaret = strings.Repeat(" ", max(ee.Col-1, 0)) + "^"
				}
			}
			return
		}
		w.Err, w.ErrLine, w.ErrCaret = "", "", ""
		w.Parsed = &p
		if src == w.Spec {
			w.SpecText, w.Src = p.Text, p.Text
		}
	})
}

// FLOPsText is the parsed program's work in words.
func (w *WorkloadState) FLOPsText() string {
	if w.Parsed == nil {
		return ""
	}
	return fmt.Sprintf("%s FLOP", human(w.Parsed.FLOPs))
}

// human writes a count with a metric prefix (3.36e7 -> "33.6 M").
func human(v float64) string {
	switch {
	case v >= 1e9:
		return fmt.Sprintf("%.3g G", v/1e9)
	case v >= 1e6:
		return fmt.Sprintf("%.3g M", v/1e6)
	case v >= 1e3:
		return fmt.Sprintf("%.3g k", v/1e3)
	}
	return fmt.Sprintf("%.3g ", v)
}

// shape writes a tensor's shape as [a, b].
func shape(s []int64) string {
	parts := make([]string, len(s))
	for i, n := range s {
		parts[i] = strconv.FormatInt(n, 10)
	}
	return "[" + strings.Join(parts, ", ") + "]"
}

// TuneNow starts tuning the workload and shows the Tune view.
func (a *App) TuneNow() {
	a.Show("tune")
	a.StartTune()
}
