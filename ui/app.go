// Package ui is tabtune's app in the page: the views a person sees
// (Workload, Sketches, Tune, Code, Playground, Lessons), written as vugu
// components (github.com/vugu/vugu) over one App value that holds the
// state of every view.
//
// The page runs the same WebAssembly binary as the engine's worker
// (wasm/engine chooses the mode at start), so the Go runtime is downloaded
// and compiled once. The UI never computes anything heavy itself: every
// parse, replay, lowering, run and tune is a request to the engine worker
// (the message API of wasm/engine/api) through a Host, and the replies
// arrive on goroutines that update the App under the render lock. So
// typing in the editor never waits on the engine: a keystroke only stores
// the text and schedules a parse; the reply redraws when it comes, and a
// reply to an older text is dropped.
//
// Everything that touches the browser (the engine client, downloads,
// local storage, the URL's fragment, the theme) is behind Host, so the
// views' logic is plain Go and is tested natively against a real engine
// (api.Engine) in ui_test.go.
package ui

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/tabtune/tabtune/wasm/engine/api"
	"github.com/vugu/vugu"
)

// Host is what the App needs from the page.
type Host interface {
	// Call sends one request to the engine and waits for its reply;
	// progress receives the request's events. An engine error is an
	// *EngineError.
	Call(op string, args any, progress func(json.RawMessage)) (json.RawMessage, error)
	// Download offers a file to save.
	Download(name string, data []byte, mime string)
	// Load and Save keep small values across visits (localStorage).
	Load(key string) string
	Save(key, value string)
	// Fragment is the URL's fragment without '#'; SetFragment replaces it
	// without reloading. Link is the page's address with a fragment.
	Fragment() string
	SetFragment(frag string)
	Link(frag string) string
	// SetTheme applies "light" or "dark" to the page.
	SetTheme(theme string)
	// ReadFile returns the text of the file picked in the file input of
	// that id; it waits for the browser to read it.
	ReadFile(inputID string) (string, error)
	// HasXNNPACK says whether the server has XNNPACK's files (tabtune
	// serve -xnnpack); TimeXNNPACK loads them into the page, once, and
	// times op there (tfjs-backend-wasm, SIMD, one thread): the median
	// seconds of one run.
	HasXNNPACK() bool
	TimeXNNPACK(op PeerOp) (float64, error)
}

// EngineError is a failed engine request: the message API's error, with
// its kind and, for a parse error, its line and column.
type EngineError = api.Error

// The views, in the order of the tabs.
var views = []struct{ ID, Label, Key string }{
	{"workload", "Workload", "1"},
	{"sketches", "Sketches", "2"},
	{"tune", "Tune", "3"},
	{"code", "Code", "4"},
	{"playground", "Playground", "5"},
	{"lessons", "Lessons", "6"},
}

// App is the state of every view.
type App struct {
	host Host
	env  vugu.EventEnv
	mu   sync.Mutex // stands in for env's lock when there is no env (tests)

	// View is the view shown; Theme "light" or "dark".
	View   string
	Theme  string
	Status string
	// Ready is true once the engine answered its first request.
	Ready bool

	Work   WorkloadState
	Sketch SketchState
	Tune   TuneState
	Code   CodeState
	Play   PlayState
	Learn  LessonState
	// ShareShown shows the playground's link.
	ShareShown bool
}

// New makes the App over a host; env is the renderer's event environment
// (nil in tests: updates then take a mutex and render nothing).
func New(host Host, env vugu.EventEnv) *App {
	a := &App{host: host, env: env, View: "workload", Theme: "light"}
	a.Work.Spec = DefaultSpec
	a.Tune.Trials, a.Tune.Batch, a.Tune.Seed, a.Tune.Target = 64, 32, 1, "wasm-simd"
	a.Learn.Done = map[string]bool{}
	return a
}

// update changes the App from a goroutine and asks for a render.
func (a *App) update(f func()) {
	if a.env == nil {
		a.mu.Lock()
		defer a.mu.Unlock()
		f()
		return
	}
	a.env.Lock()
	defer a.env.UnlockRender()
	f()
}

// async runs f on a goroutine: handlers return at once, and f reports
// back through update.
func (a *App) async(f func()) { go f() }

// call is Host.Call with the result decoded into out.
func (a *App) call(op string, args any, out any, progress func(json.RawMessage)) error {
	raw, err := a.host.Call(op, args, progress)
	if err != nil {
		return err
	}
	if out == nil {
		return nil
	}
	if err := json.Unmarshal(raw, out); err != nil {
		return fmt.Errorf("%s: reading the reply: %w", op, err)
	}
	return nil
}

// Start loads what the views need from the engine and from the page:
// the theme, lesson progress, the operators, and the playground state
// of a shared link. It blocks until the engine answers; call it on a
// goroutine.
func (a *App) Start() {
	a.update(func() {
		if t := a.host.Load("theme"); t == "dark" || t == "light" {
			a.Theme = t
		}
		a.host.SetTheme(a.Theme)
		a.Learn.load(a.host.Load("lessons"))
		a.Tune.XNN.Have = a.host.HasXNNPACK()
		a.Status = "starting the engine…"
	})
	var ops struct {
		Ops []OpInfo `json:"ops"`
	}
	err := a.call("ops", nil, &ops, nil)
	a.update(func() {
		if err != nil {
			a.Status = "the engine did not answer: " + err.Error()
			return
		}
		a.Ready, a.Status = true, "engine ready: measuring in this tab"
		a.Work.Ops = ops.Ops
		a.Work.selectSpec(a.Work.Spec)
	})
	a.parse(a.Work.Spec, 0)
	if frag := a.host.Fragment(); frag != "" {
		a.OpenShared(frag)
	}
}

// Show switches to a view, loading what it needs.
func (a *App) Show(view string) {
	for _, v := range views {
		if v.ID == view {
			a.View = view
		}
	}
	switch a.View {
	case "sketches":
		a.loadSketches()
	case "playground":
		if a.Play.Workload == "" {
			a.startPlay(a.Work.Workload(), nil)
		}
	}
}

// Key handles the page's keyboard shortcuts: Alt+1..6 switch views,
// Ctrl+Z and Ctrl+Y (or Ctrl+Shift+Z) undo and redo in the playground.
// It reports whether the key was used.
func (a *App) Key(key string, alt, ctrl, shift, inField bool) bool {
	if alt && !ctrl {
		for _, v := range views {
			if v.Key == key {
				a.Show(v.ID)
				return true
			}
		}
	}
	if ctrl && !alt && !inField && a.View == "playground" {
		switch strings.ToLower(key) {
		case "z":
			if shift {
				a.Redo()
			} else {
				a.Undo()
			}
			return true
		case "y":
			a.Redo()
			return true
		}
	}
	return false
}

// ToggleTheme switches between light and dark and remembers the choice.
func (a *App) ToggleTheme() {
	if a.Theme == "dark" {
		a.Theme = "light"
	} else {
		a.Theme = "dark"
	}
	a.host.SetTheme(a.Theme)
	a.host.Save("theme", a.Theme)
}

// ThemeLabel names the theme a click switches to.
func (a *App) ThemeLabel() string {
	if a.Theme == "dark" {
		return "Light theme"
	}
	return "Dark theme"
}

// errText is an error in words, with its position when it has one.
func errText(err error) string {
	var ee *EngineError
	if errors.As(err, &ee) && ee.Line > 0 {
		return fmt.Sprintf("line %d, column %d: %s", ee.Line, ee.Col, ee.Msg)
	}
	return err.Error()
}

// debounce is how long the editor waits after a keystroke before it asks
// the engine to parse.
const debounce = 120 * time.Millisecond
