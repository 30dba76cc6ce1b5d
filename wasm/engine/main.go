//go:build js && wasm

// Command engine is tabtune's app in a browser tab, one WebAssembly
// binary with two modes chosen at start: in the page (a window, with a
// document) it runs the UI (package ui, vugu components); in the engine's
// dedicated Web Worker it runs the engine, the flows of search/flow, so
// that the page never freezes. One binary means the browser downloads and
// compiles the Go runtime and the shared packages once: the page compiles
// the module and hands it to the worker (web/app.js).
//
// The engine speaks the message API of package api
// (wasm/engine/api): the page posts requests to the worker, and the worker
// posts replies and events back.
//
// The worker's script (web/engine-worker.js) sets the stage before it
// starts this program: it installs the measuring host
// (globalThis.tabtuneMeasure, targets/browser) and the records store
// (globalThis.tabtuneStore, IndexedDB: lines() and append(line), each
// returning a Promise), then runs the module. At start the engine reads
// the stored records, installs globalThis.tabtuneHandle (which the script
// calls with each request as JSON text) and posts the ready event. Every
// request is handled in its own goroutine; a js.FuncOf handler never
// blocks.
package main

import (
	"context"
	"encoding/json"
	"fmt"
	"syscall/js"

	"github.com/tabtune/tabtune/targets/browser"
	"github.com/tabtune/tabtune/ui"
	"github.com/tabtune/tabtune/wasm/engine/api"
)

// version is tabtune's version, set with -ldflags "-X main.version=...".
var version = "devel"

func main() {
	if !js.Global().Get("document").IsUndefined() {
		if err := ui.Run(); err != nil {
			js.Global().Get("console").Call("error", err.Error())
		}
		return
	}
	ctx := context.Background()
	m := browser.New(browser.Config{})
	info := map[string]any{"measurer": m.Name()}
	if hi, err := m.Info(); err != nil {
		info["measure_error"] = err.Error()
	} else {
		info["cross_origin_isolated"] = hi.CrossOriginIsolated
		info["relaxed_simd"] = hi.RelaxedSIMD
		info["clock_resolution"] = hi.ClockResolution
		if note := hi.Note(); note != "" {
			info["note"] = note
		}
	}
	e, skipped := api.New(api.Config{Measurer: m, Reference: reference{m}, Store: newStore(info), Tabtune: version, Info: info})
	if len(skipped) > 0 {
		msgs := make([]string, len(skipped))
		for i, err := range skipped {
			msgs[i] = err.Error()
		}
		info["skipped_records"] = msgs
	}
	handle := js.FuncOf(func(_ js.Value, args []js.Value) any {
		if len(args) == 0 {
			return nil
		}
		text := args[0].String()
		go serve(ctx, e, text)
		return nil
	})
	js.Global().Set("tabtuneHandle", handle)
	post(api.Event{Event: "ready", Data: e.Ready()})
	select {} // the worker lives as long as the page
}

// serve answers one request given as JSON text.
func serve(ctx context.Context, e *api.Engine, text string) {
	var req api.Request
	if err := json.Unmarshal([]byte(text), &req); err != nil {
		post(api.Reply{ID: req.ID, Error: &api.Error{Kind: api.KindInput, Msg: fmt.Sprintf("not a request: %v", err)}})
		return
	}
	post(e.Handle(ctx, req, func(ev api.Event) { post(ev) }))
}

// post sends a message to the page as a JavaScript object.
func post(v any) {
	data, err := json.Marshal(v)
	if err != nil {
		data, _ = json.Marshal(api.Event{Event: "error", Data: err.Error()})
	}
	js.Global().Call("postMessage", js.Global().Get("JSON").Call("parse", string(data)))
}
