// Package web holds the files of the tabtune app that `tabtune serve`
// serves: the page (index.html, app.js, app.css), the engine's worker
// script (engine-worker.js) and its records store (store.js), and, under
// dist/, what make builds: the app (engine.wasm, the Go program in
// wasm/engine compiled for GOOS=js: the engine in the worker, the UI of
// package ui in the page), the Go runtime's wasm_exec.js and vugu's render
// helper (vugu-render.js).
// The measuring scripts come from targets/browser.
//
// A tabtune built without running make has no engine: Missing says so.
package web

import (
	"embed"
	"io/fs"
)

//go:embed index.html app.js app.css engine-worker.js store.js favicon.svg all:dist
var files embed.FS

// Files returns the app's files: the page's and the engine's, at the root.
func Files() fs.FS {
	return files
}

// Built lists the files that make builds into dist/.
var Built = []string{"dist/engine.wasm", "dist/wasm_exec.js", "dist/vugu-render.js"}

// Missing lists the built files this binary lacks (none when make built
// them before it).
func Missing() []string {
	var out []string
	for _, name := range Built {
		if _, err := fs.Stat(files, name); err != nil {
			out = append(out, name)
		}
	}
	return out
}
