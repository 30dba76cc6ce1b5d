package ui

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"strings"
)

// CodeState is the Code view: one schedule's loop IR and WebAssembly side
// by side.
type CodeState struct {
	Workload, Target string
	Steps            json.RawMessage
	Entry            Entry
	source           string
	// IR is the loop IR the code generator encoded (after its passes),
	// one line each; WAT the module's text.
	IR      []CodeLine
	WAT     []string
	Bytes   int
	Loading bool
	Err     string
	// Sel is the loop picked in the IR (-1: none); Mapped says whether
	// the IR's loops and the module's loops correspond one to one.
	Sel    int
	Mapped bool
	Msg    string
}

// CodeLine is a line of the IR: Loop is the index of the loop it opens
// (-1 if none), In whether it lies in the picked loop.
type CodeLine struct {
	Text string
	Loop int
	In   bool
}

// Source says which schedule the view shows.
func (c *CodeState) Source() string { return c.source }

// HasCode reports whether a schedule is shown.
func (c *CodeState) HasCode() bool { return len(c.IR) > 0 }

// openCode shows a schedule's code, lowering it with the engine.
func (a *App) openCode(wl, target string, e Entry) {
	a.Code = CodeState{Workload: wl, Target: target, Steps: e.Steps, Entry: e, source: a.Code.source, Loading: true, Sel: -1}
	a.async(func() {
		var low struct {
			IR     string `json:"ir"`
			Passes []struct {
				Pass string `json:"pass"`
				IR   string `json:"ir"`
			} `json:"passes"`
			WAT   string `json:"wat"`
			Bytes int    `json:"bytes"`
		}
		err := a.call("lower", map[string]any{"workload": wl, "target": target, "steps": e.Steps, "trace": true}, &low, nil)
		a.update(func() {
			c := &a.Code
			if c.Workload != wl || string(c.Steps) != string(e.Steps) {
				return
			}
			c.Loading = false
			if err != nil {
				c.Err = errText(err)
				return
			}
			text := low.IR
			if n := len(low.Passes); n > 0 {
				text = low.Passes[n-1].IR
			}
			c.IR, c.WAT, c.Bytes = irLines(text), strings.Split(strings.TrimRight(low.WAT, "\n"), "\n"), low.Bytes
			c.Mapped = countLoops(c.IR) == len(watLoops(c.WAT))
		})
	})
}

// irLines splits the IR into lines and numbers its loops.
func irLines(text string) []CodeLine {
	var out []CodeLine
	n := 0
	for _, l := range strings.Split(strings.TrimRight(text, "\n"), "\n") {
		cl := CodeLine{Text: l, Loop: -1}
		if isLoop(l) {
			cl.Loop = n
			n++
		}
		out = append(out, cl)
	}
	return out
}

// isLoop reports whether an IR line opens a loop that the code
// generator emits as a WebAssembly loop: vectorized and unrolled loops
// become straight-line code.
func isLoop(line string) bool {
	i := strings.Index(line, "for (")
	if i < 0 || !strings.HasSuffix(strings.TrimSpace(line), "{") {
		return false
	}
	prefix := line[:i]
	return !strings.Contains(prefix, "vectorized") && !strings.Contains(prefix, "unrolled")
}

func countLoops(lines []CodeLine) int {
	n := 0
	for _, l := range lines {
		if l.Loop >= 0 {
			n++
		}
	}
	return n
}

// watLoops returns the line of each loop instruction of the module text.
func watLoops(wat []string) []int {
	var out []int
	for i, l := range wat {
		if t := strings.TrimSpace(l); t == "loop" || strings.HasPrefix(t, "loop ") {
			out = append(out, i)
		}
	}
	return out
}

// block returns the lines [from, to] of the block opened at line i: up
// to the next line at the same indentation (the closing brace or end).
func block(lines []string, i int) (int, int) {
	indent := len(lines[i]) - len(strings.TrimLeft(lines[i], " "))
	for j := i + 1; j < len(lines); j++ {
		t := strings.TrimLeft(lines[j], " ")
		if len(lines[j])-len(t) == indent && t != "" {
			return i, j
		}
	}
	return i, len(lines) - 1
}

// PickLoop highlights loop n of the IR and, when the loops correspond,
// the module's code of that loop.
func (a *App) PickLoop(n int) {
	c := &a.Code
	if c.Sel == n {
		n = -1
	}
	c.Sel = n
	texts := make([]string, len(c.IR))
	start := -1
	for i, l := range c.IR {
		texts[i] = l.Text
		c.IR[i].In = false
		if l.Loop == n && n >= 0 {
			start = i
		}
	}
	if start >= 0 {
		from, to := block(texts, start)
		for i := from; i <= to; i++ {
			c.IR[i].In = true
		}
	}
}

// WATParts splits the module's text into before, in and after the picked
// loop's code (a few large text nodes render fast).
func (c *CodeState) WATParts() [3]string {
	if c.Sel < 0 || !c.Mapped {
		return [3]string{strings.Join(c.WAT, "\n"), "", ""}
	}
	from, to := block(c.WAT, watLoops(c.WAT)[c.Sel])
	return [3]string{strings.Join(c.WAT[:from], "\n") + "\n", strings.Join(c.WAT[from:to+1], "\n"), "\n" + strings.Join(c.WAT[to+1:], "\n")}
}

// Summary is the shown schedule in a line.
func (c *CodeState) Summary() string {
	e := c.Entry
	s := fmt.Sprintf("%s on %s", c.Workload, c.Target)
	if e.GFLOPS > 0 {
		s += fmt.Sprintf(": %.2f GFLOP/s (%.3f ms)", e.GFLOPS, e.Median*1e3)
	}
	if e.How != "" {
		s += "; " + e.How
	}
	return s
}

// DownloadKernel saves the kernel's files (.wasm, .wat, steps.json).
func (a *App) DownloadKernel() {
	c := a.Code
	a.async(func() {
		var res struct {
			Files []struct {
				Name   string `json:"name"`
				Text   string `json:"text"`
				Base64 string `json:"base64"`
			} `json:"files"`
		}
		err := a.call("export", map[string]any{"workload": c.Workload, "target": c.Target, "steps": c.Steps}, &res, nil)
		a.update(func() {
			if err != nil {
				a.Code.Msg = errText(err)
				return
			}
			var names []string
			for _, f := range res.Files {
				data, mime := []byte(f.Text), "text/plain"
				if f.Base64 != "" {
					data, _ = base64.StdEncoding.DecodeString(f.Base64)
					mime = "application/wasm"
				}
				a.host.Download(f.Name, data, mime)
				names = append(names, f.Name)
			}
			a.Code.Msg = "saved " + strings.Join(names, ", ")
		})
	})
}

// DownloadRecords saves every record as the JSON-lines log the command
// line reads.
func (a *App) DownloadRecords() {
	a.async(func() {
		var res struct {
			JSONL string `json:"jsonl"`
			Lines int    `json:"lines"`
		}
		err := a.call("records.export", nil, &res, nil)
		a.update(func() {
			if err != nil {
				a.Code.Msg = errText(err)
				return
			}
			a.host.Download("tabtune-records.jsonl", []byte(res.JSONL), "application/jsonl")
			a.Code.Msg = fmt.Sprintf("saved %d records as tabtune-records.jsonl", res.Lines)
		})
	})
}

// ImportRecords reads the JSON-lines log picked in the file input
// "import" (one written by tabtune tune -log, or exported by a page) into
// the engine's records.
func (a *App) ImportRecords() {
	a.async(func() {
		text, err := a.host.ReadFile("import")
		var res struct {
			Added   int      `json:"added"`
			Skipped []string `json:"skipped"`
		}
		if err == nil {
			err = a.call("records.import", map[string]string{"jsonl": text}, &res, nil)
		}
		a.update(func() {
			if err != nil {
				a.Code.Msg = "import: " + errText(err)
				return
			}
			a.Code.Msg = fmt.Sprintf("imported %d records", res.Added)
			if len(res.Skipped) > 0 {
				a.Code.Msg += fmt.Sprintf("; %d lines skipped (%s)", len(res.Skipped), res.Skipped[0])
			}
		})
	})
}

// ShowPlayCode opens the playground's schedule in the Code view.
func (a *App) ShowPlayCode() {
	p := &a.Play
	doc, err := json.Marshal(map[string]any{"version": 1, "steps": p.Steps})
	if err != nil {
		p.Err = err.Error()
		return
	}
	a.Code.source = "the playground's schedule"
	a.openCode(p.Workload, p.Target, Entry{Steps: doc})
	a.View = "code"
}
