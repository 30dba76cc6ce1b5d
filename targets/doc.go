// Package targets says where kernels run and how they are measured.
//
// A Target (wasm-simd, cpu, cuda, with flags) names the hardware a
// kernel is tuned for; ParseTarget and String are its text form, stored
// in records.
//
// A Measurer takes one Workload (its tensors, input data and reference
// outputs, shared by a batch) and a batch of Candidates (built kernels),
// and returns one Result per candidate: the seconds per run of several
// timed samples and their median, or an ErrorKind with a message. The
// measurers are:
//
//   - package targets/wazero, name "wazero": in-process, with wazero's
//     optimizing compiler; needs nothing installed; the default.
//   - package targets/node, name "node": V8, the engine of Chromium, in a
//     long-lived node process that runs the harness shipped beside it.
//   - package targets/browser, name "browser": in the page, each
//     candidate in a measuring Web Worker terminated at the time limit
//     (GOOS=js; the engine in wasm/engine uses it).
//   - the bridge client (cpu, cuda) will implement the same interface.
//
// Package targets/local opens the measurers that run on the command
// line's machine by name, and says which targets each can run.
//
// Whatever the engine, a WebAssembly candidate goes through the same
// steps, and this package holds the parts they share:
//
//  1. Inspect checks the module against the calling convention (it
//     imports env.memory, exports kernel(i32 x n) and the i32 global
//     scratch_bytes) and finds the memory's minimum size. A violation is
//     a CompileError.
//  2. NewLayout places the tensors in memory, 16-byte aligned, with
//     Guard bytes of canary around each; the scratch area goes last, once
//     the instance's scratch_bytes is known (WithScratch).
//  3. Layout.Prepare writes the memory image: canary everywhere, the
//     inputs, NaN in the outputs and the scratch area.
//  4. One verification run, under a time limit (Options.TimeoutOf: the
//     measurer's Options.Timeout, or a longer Candidate.Timeout). A trap
//     is a RuntimeError, running past the limit a Timeout.
//  5. Layout.Verify checks the image: inputs unchanged, canaries intact
//     (no write outside the kernel's own buffers) and every output within
//     Workload.Atol/Rtol of the reference (Compare). Anything else is a
//     WrongResult, with a message naming the first bad element.
//  6. Only a candidate that verified is timed (Sample): warm-up calls
//     are discarded, then samples of one or more calls are timed until
//     there are at least Options.Repeats of them and Options.MinTime has
//     passed. Result.Times holds seconds per call of each sample.
//
// Nothing is fast until it is right (DESIGN.md, rule 3): a result with an
// error never carries times. Everything here is portable: the package
// builds for GOOS=js GOARCH=wasm, like the rest of the core.
package targets
