//go:build js && wasm

package ui

import (
	"encoding/json"
	"fmt"
	"syscall/js"

	"github.com/vugu/vugu"
	"github.com/vugu/vugu/domrender"
)

// Run renders the app into the page's #app element until the page goes
// away. The page script must have loaded vugu's render helper
// (vugu-render.js) and the engine client (window.tabtune) first.
func Run() error {
	r, err := domrender.New("#app")
	if err != nil {
		return fmt.Errorf("ui: starting the renderer: %w", err)
	}
	env, err := vugu.NewBuildEnv(r.EventEnv())
	if err != nil {
		return fmt.Errorf("ui: %w", err)
	}
	a := New(pageHost{js.Global()}, r.EventEnv())
	root := &Shell{App: a}
	listenKeys(a, r.EventEnv())
	go a.Start()
	for ok := true; ok; ok = r.EventWait() {
		if err := r.Render(env.RunBuild(root)); err != nil {
			return fmt.Errorf("ui: render: %w", err)
		}
	}
	return nil
}

// listenKeys wires the page's keyboard shortcuts to App.Key.
func listenKeys(a *App, env vugu.EventEnv) {
	doc := js.Global().Get("document")
	doc.Call("addEventListener", "keydown", js.FuncOf(func(_ js.Value, args []js.Value) any {
		ev := args[0]
		tag := doc.Get("activeElement").Get("tagName").String()
		inField := tag == "INPUT" || tag == "TEXTAREA" || tag == "SELECT"
		alt, ctrl, shift := ev.Get("altKey").Bool(), ev.Get("ctrlKey").Bool() || ev.Get("metaKey").Bool(), ev.Get("shiftKey").Bool()
		if !alt && !ctrl {
			return nil
		}
		key := ev.Get("key").String()
		if alt {
			key = ev.Get("code").String() // Alt+digit gives other characters on some layouts
			if len(key) == 6 && key[:5] == "Digit" {
				key = key[5:]
			}
		}
		env.Lock()
		used := a.Key(key, alt, ctrl, shift, inField)
		if used {
			ev.Call("preventDefault")
			env.UnlockRender()
		} else {
			env.UnlockOnly()
		}
		return nil
	}))
}

// pageHost is Host in a page: the engine through window.tabtune.
type pageHost struct{ g js.Value }

// Call implements Host.
func (h pageHost) Call(op string, args any, progress func(json.RawMessage)) (json.RawMessage, error) {
	data, err := json.Marshal(args)
	if err != nil {
		return nil, err
	}
	if args == nil {
		data = []byte("{}")
	}
	jsArgs := h.g.Get("JSON").Call("parse", string(data))
	var cb js.Func
	var onProgress any = js.Undefined()
	if progress != nil {
		cb = js.FuncOf(func(_ js.Value, a []js.Value) any {
			raw := h.g.Get("JSON").Call("stringify", a[0]).String()
			go progress(json.RawMessage(raw))
			return nil
		})
		defer cb.Release()
		onProgress = cb
	}
	v, err := await(h.g.Get("tabtune").Call("call", op, jsArgs, onProgress))
	if err != nil {
		return nil, err
	}
	return json.RawMessage(h.g.Get("JSON").Call("stringify", v).String()), nil
}

// await waits for a promise; a rejection is an *EngineError when the
// reason is the client's Error (with kind, line, col, step).
func await(p js.Value) (js.Value, error) {
	type settled struct {
		v  js.Value
		ok bool
	}
	ch := make(chan settled, 1)
	ok := js.FuncOf(func(_ js.Value, args []js.Value) any { ch <- settled{args[0], true}; return nil })
	fail := js.FuncOf(func(_ js.Value, args []js.Value) any { ch <- settled{args[0], false}; return nil })
	defer ok.Release()
	defer fail.Release()
	p.Call("then", ok, fail)
	s := <-ch
	if s.ok {
		return s.v, nil
	}
	return js.Value{}, engineError(s.v)
}

// engineError reads a rejected call's reason.
func engineError(v js.Value) error {
	if v.Type() != js.TypeObject {
		return &EngineError{Kind: "internal", Msg: v.Call("toString").String()}
	}
	ee := &EngineError{Kind: str(v.Get("kind")), Msg: str(v.Get("message"))}
	if l := v.Get("line"); l.Type() == js.TypeNumber {
		ee.Line = l.Int()
	}
	if c := v.Get("col"); c.Type() == js.TypeNumber {
		ee.Col = c.Int()
	}
	if s := v.Get("step"); s.Type() == js.TypeNumber {
		i := s.Int()
		ee.Step = &i
	}
	if ee.Msg == "" {
		ee.Msg = v.Call("toString").String()
	}
	return ee
}

func str(v js.Value) string {
	if v.Type() == js.TypeString {
		return v.String()
	}
	return ""
}

// Download implements Host.
func (h pageHost) Download(name string, data []byte, mime string) {
	arr := h.g.Get("Uint8Array").New(len(data))
	js.CopyBytesToJS(arr, data)
	h.g.Get("tabtuneDownload").Invoke(name, arr, mime)
}

// Load implements Host.
func (h pageHost) Load(key string) string {
	v := h.g.Get("localStorage").Call("getItem", "tabtune."+key)
	if v.Type() != js.TypeString {
		if key == "theme" && h.g.Call("matchMedia", "(prefers-color-scheme: dark)").Get("matches").Bool() {
			return "dark" // no choice made yet: follow the system's
		}
		return ""
	}
	return v.String()
}

// Save implements Host.
func (h pageHost) Save(key, value string) {
	h.g.Get("localStorage").Call("setItem", "tabtune."+key, value)
}

// Fragment implements Host.
func (h pageHost) Fragment() string {
	f := h.g.Get("location").Get("hash").String()
	if len(f) > 0 && f[0] == '#' {
		f = f[1:]
	}
	return f
}

// SetFragment implements Host.
func (h pageHost) SetFragment(frag string) {
	loc := h.g.Get("location")
	url := loc.Get("pathname").String() + loc.Get("search").String() + "#" + frag
	h.g.Get("history").Call("replaceState", nil, "", url)
}

// Link implements Host.
func (h pageHost) Link(frag string) string {
	loc := h.g.Get("location")
	return loc.Get("origin").String() + loc.Get("pathname").String() + "#" + frag
}

// SetTheme implements Host.
func (h pageHost) SetTheme(theme string) {
	h.g.Get("document").Get("documentElement").Get("dataset").Set("theme", theme)
}

// ReadFile implements Host.
func (h pageHost) ReadFile(inputID string) (string, error) {
	in := h.g.Get("document").Call("getElementById", inputID)
	if in.IsNull() || in.Get("files").Length() == 0 {
		return "", fmt.Errorf("no file picked")
	}
	v, err := await(in.Get("files").Index(0).Call("text"))
	if err != nil {
		return "", err
	}
	in.Set("value", "") // picking the same file again is a change
	return v.String(), nil
}

// HasXNNPACK implements Host: the page script's tabtuneXNNPACK says
// whether the manifest lists XNNPACK's files.
func (h pageHost) HasXNNPACK() bool {
	x := h.g.Get("tabtuneXNNPACK")
	return x.Type() == js.TypeObject && x.Get("available").Truthy()
}

// TimeXNNPACK implements Host through the page script's tabtuneXNNPACK.
func (h pageHost) TimeXNNPACK(op PeerOp) (float64, error) {
	if !h.HasXNNPACK() {
		return 0, fmt.Errorf("this server has no XNNPACK (tabtune serve -xnnpack DIR)")
	}
	data, err := json.Marshal(op)
	if err != nil {
		return 0, err
	}
	v, err := await(h.g.Get("tabtuneXNNPACK").Call("time", h.g.Get("JSON").Call("parse", string(data))))
	if err != nil {
		return 0, err
	}
	if v.Type() != js.TypeNumber {
		return 0, fmt.Errorf("no time came back")
	}
	return v.Float(), nil
}
