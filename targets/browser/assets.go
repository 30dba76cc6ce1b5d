// Package browser is the "browser" measurer: it verifies and times
// WebAssembly kernels inside the page, in the engine the user's browser
// really has, each candidate in a measuring Web Worker that is
// terminated at the time limit, so that a kernel that loops forever costs
// one Timeout, not the tab.
//
// # Design
//
// Three JavaScript files do the measuring; the Go side (browser.go, built
// for GOOS=js only) drives them through syscall/js:
//
//   - kernel.js is the measuring core shared with the node measurer
//     (targets/node runs it under its harness.js): the memory image,
//     verification and timing of package targets, step for step.
//   - measure-worker.js is the measuring worker: it runs one candidate at
//     a time through kernel.js, with the workload sent once and cached by
//     key, and posts a "verifying" event before the kernel runs and a
//     "verified" event after the verification run.
//   - host.js runs where the Go engine runs (the engine's Web Worker, or
//     node) and defines createMeasureHost({spawn}). The engine's worker
//     script installs one as globalThis.tabtuneMeasure. For each
//     candidate the host posts it to its measuring worker and keeps the
//     watchdog of the node measurer: compiling and the verification run
//     each get Options.Timeout, the timed runs a bound derived from the
//     verification run's duration; past one it terminates the worker,
//     answers Timeout, and starts a fresh worker (with the workload sent
//     again) for the next candidate.
//
// Measurer (GOOS=js) sends the workload to the host once per digest of
// its contents, then each candidate's module bytes, and awaits the
// Promise the host returns without blocking the JS event loop. Inspect
// and the arity check run in Go first, as in every measurer, so the same
// calling-convention errors read the same everywhere.
//
// Assets, in this file, builds on every platform so that the command
// line can serve the scripts (tabtune serve) and the node measurer can
// write kernel.js beside its harness.
package browser

import "embed"

// Assets holds the measuring scripts, to serve beside the engine:
//
//   - kernel.js: the measuring core (memory image, verification, timing),
//     a CommonJS module in node and a classic script in a Web Worker
//     (self.tabtuneKernel); the node harness requires it too;
//   - measure-worker.js: the measuring worker's script, for new
//     Worker(url) in a page or worker_threads in node; it loads kernel.js
//     from its own directory;
//   - host.js: createMeasureHost, which the engine's worker script loads
//     (importScripts, or require in node) and installs as
//     globalThis.tabtuneMeasure for the Measurer.
//
//go:embed *.js
var Assets embed.FS
