//go:build !js

// Package node is the "node" measurer: it runs WebAssembly kernels in V8,
// the engine of Chromium, inside one long-lived node process, so that
// tuning from the command line sees what a browser user will see.
//
// It starts a process, so it is excluded from GOOS=js builds.
//
// # Design
//
// The process runs harness.js, shipped in this package and embedded in
// the binary: the Measurer writes it into a temporary directory and
// starts `node [flags] harness.js`. The node executable is Config.Node,
// else $TABTUNE_NODE, else "node" on PATH. They talk in JSON lines, one
// request at a time (the protocol is at the top of harness.js):
//
//   - once per workload, a "workload" request names files in the
//     temporary directory holding the inputs' bytes and the reference
//     outputs (little-endian), and gives the layout (targets.NewLayout).
//     The harness caches it under a digest of the workload's contents;
//     the Measurer keeps the last few loaded and drops older ones;
//   - per candidate, a "measure" request carries the module's bytes
//     (base64) and the timing options. The harness compiles it
//     (WebAssembly.compile), makes a WebAssembly.Memory for the layout,
//     instantiates it with {env: {memory}}, grows the memory by the
//     exported scratch_bytes, writes the memory image, runs the kernel
//     once and checks the image, exactly as package targets does
//     (Layout.Prepare, Layout.Verify); then it warms up and times
//     samples with performance.now() as targets.Sample does, and checks
//     the outputs again.
//
// Before the verification run the harness sends a "verifying" event,
// after it a "verified" event with its duration. A kernel that never
// returns would hang V8, so the Go side is a watchdog: compiling, the
// verification run and the timed runs each have a deadline (Timeout,
// Timeout, and a bound computed from the verification run's duration);
// past one, the process is killed (by its pid) and the candidate is a
// Timeout. The next candidate starts a fresh process and reloads the
// workload; the measurer keeps working. A process that dies during a
// candidate makes it a RuntimeError with the end of node's stderr.
//
// When node cannot be started (not installed, bad path), every candidate
// gets a MeasureError that says so and how to fix it: the candidates are
// not at fault. Available reports the same up front.
//
// V8 first runs a function with code from its baseline compiler,
// Liftoff, and tiers a hot one up to TurboFan in the background, at a
// moment a harness cannot see: a kernel timed too early is timed in
// Liftoff code, several times slower. So node runs with --no-liftoff
// unless Config.Liftoff is set: every kernel runs TurboFan code from its
// first call. The warm-up calls are still discarded.
//
// V8 also compiles a module's functions lazily, at their first call, and
// so the verification run of a kernel included its compilation: 10-25 ms
// of TurboFan for a small unrolled kernel, against runs of 0.2-3 ms. The
// tuner times a candidate whose first run is slower than a few times the
// best by that run alone (targets.Candidate.Cutoff), and so it timed most
// candidates after the first fast one by their compile time: in a
// 64-trial tune of c1d, 59 of 64 random candidates were timed by their
// first run, 28 with eager compilation. With --no-wasm-lazy-compilation,
// WebAssembly.compile compiles every function, under the compile phase's
// deadline, and the first run is a run.
//
// Node 20 runs relaxed SIMD only with --experimental-wasm-relaxed-simd.
// The Measurer passes it when Config.Relaxed is set, and restarts node
// with it when a candidate marked Relaxed comes; a node that refuses the
// flag (newer ones enable relaxed SIMD by default) is started without it.
package node

// This file holds the measuring flow: the Measurer, measuring one
// candidate under its deadlines, the bound on the timed runs, starting
// node when needed and loading workloads into it.

import (
	"context"
	_ "embed"
	"errors"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/tabtune/tabtune/targets"
	"github.com/tabtune/tabtune/targets/browser"
)

// harnessJS runs in node; it requires kernel.js (browser.Assets), the
// measuring core it shares with the page's measuring worker, which is
// written beside it.
//
//go:embed harness.js
var harnessJS []byte

// Name is the measurer's name.
const Name = "node"

// RelaxedFlag is node 20's flag that enables relaxed SIMD.
const RelaxedFlag = "--experimental-wasm-relaxed-simd"

// EagerFlag makes V8 compile a module's functions when it compiles the
// module rather than at their first call, so that a kernel's first run
// (the verification run, which the cutoff reads) does not include its
// compilation.
const EagerFlag = "--no-wasm-lazy-compilation"

// maxWorkloads is how many workloads stay loaded in the harness.
const maxWorkloads = 4

// Config configures a Measurer.
type Config struct {
	// Options are the measuring options (zero fields take defaults).
	Options targets.Options
	// Node is the node executable; empty means $TABTUNE_NODE, else
	// "node" on PATH.
	Node string
	// Relaxed starts node with RelaxedFlag from the first candidate on.
	Relaxed bool
	// Liftoff keeps V8's baseline compiler. By default node runs with
	// --no-liftoff: kernels then run TurboFan code from their first call,
	// the code a browser runs once it has tiered a hot kernel up, and the
	// warm-up need not guess when V8's dynamic tier-up has happened (it
	// waits for a budget of executed code, then compiles in the
	// background).
	Liftoff bool
	// Flags are more node or V8 flags.
	Flags []string
	// StartTimeout bounds node's start and the loading of a workload
	// (default 15s).
	StartTimeout time.Duration
}

// Measurer measures WebAssembly candidates in node. It is safe for
// concurrent use; Measure calls run one after the other.
type Measurer struct {
	cfg  Config
	opts targets.Options

	mu         sync.Mutex
	p          *proc
	dir        string   // harness.js and workload files
	files      []string // digests of the workloads with files in dir, oldest first
	relaxed    bool     // start node with RelaxedFlag
	relaxedBad bool     // node refused RelaxedFlag
	version    string
	closed     bool
}

var _ targets.Measurer = (*Measurer)(nil)

// New returns a Measurer; node starts on the first Measure.
func New(cfg Config) *Measurer {
	if cfg.StartTimeout <= 0 {
		cfg.StartTimeout = 15 * time.Second
	}
	return &Measurer{cfg: cfg, opts: cfg.Options.WithDefaults(), relaxed: cfg.Relaxed}
}

// Name returns "node".
func (m *Measurer) Name() string { return Name }

// Available starts node if it is not running and reports why it cannot.
func (m *Measurer) Available() error {
	m.mu.Lock()
	defer m.mu.Unlock()
	_, err := m.proc()
	return err
}

// Version is the running node's version and V8's, as in "node v20.20.2,
// V8 11.3.244.8-node.33"; it starts node if needed.
func (m *Measurer) Version() (string, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if _, err := m.proc(); err != nil {
		return "", err
	}
	return m.version, nil
}

// Close stops node and removes the temporary directory.
func (m *Measurer) Close() error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.closed = true
	if m.p != nil {
		m.p.stop()
		m.p = nil
	}
	if m.dir != "" {
		err := os.RemoveAll(m.dir)
		m.dir = ""
		return err
	}
	return nil
}

// Measure verifies and times each candidate; see the package doc.
func (m *Measurer) Measure(ctx context.Context, w *targets.Workload, cands []targets.Candidate) []targets.Result {
	m.mu.Lock()
	defer m.mu.Unlock()
	layout, r, ok := targets.PrecheckBatch(w)
	if !ok {
		return targets.FillResults(len(cands), r)
	}
	if m.closed {
		return targets.FillResults(len(cands), targets.Failed(targets.MeasureError, "node: measurer closed"))
	}
	digest := w.Digest()
	results := make([]targets.Result, len(cands))
	for i := range cands {
		r, fatal := m.measureOne(ctx, w, layout, digest, &cands[i])
		results[i] = r
		if fatal {
			// node cannot start: the rest fail the same way.
			for j := i + 1; j < len(cands); j++ {
				results[j] = r
			}
			break
		}
	}
	return results
}

// measureOne measures one candidate. fatal says that no candidate can be
// measured (node does not start).
func (m *Measurer) measureOne(ctx context.Context, w *targets.Workload, layout targets.Layout, digest string, c *targets.Candidate) (targets.Result, bool) {
	if err := ctx.Err(); err != nil {
		return targets.Failed(targets.MeasureError, "not measured: %v", err), false
	}
	if !c.WasmKind() {
		return targets.Failed(targets.MeasureError, "the node measurer runs WebAssembly candidates, not %q", c.Kind), false
	}
	info, err := targets.Inspect(c.Wasm)
	if err == nil {
		err = info.CheckArity(w)
	}
	if err != nil {
		return targets.Failed(targets.CompileError, "%v", err), false
	}
	if c.Relaxed && !m.relaxed {
		m.relaxed = true
		if m.p != nil && !m.relaxedBad {
			m.p.stop()
			m.p = nil
		}
	}
	p, err := m.proc()
	if err != nil {
		return targets.Failed(targets.MeasureError, "%v", err), true
	}
	if err := m.load(ctx, p, w, layout, digest); err != nil {
		m.kill()
		if ctx.Err() != nil {
			return targets.Failed(targets.MeasureError, "not measured: %v", ctx.Err()), false
		}
		return targets.Failed(targets.MeasureError, "node: loading the workload: %v", err), false
	}

	o := m.opts
	p.nextID++
	id := p.nextID
	req := measureReq{
		ID: id, Op: "measure", Key: digest, Wasm: c.Wasm,
		MinPages: info.MemoryMin, MaxPages: o.MaxPages(), ImportMax: info.MemoryMax, HasImportMax: info.HasMemoryMax,
		Warmup: o.Warmup, WarmupTime: o.WarmupTime.Seconds(), Repeats: o.Repeats,
		MinTime: o.MinTime.Seconds(), MaxRepeats: o.MaxRepeats, Cutoff: c.Cutoff.Seconds(),
	}
	if err := p.send(req); err != nil {
		m.kill()
		return targets.Failed(targets.MeasureError, "node: %v", err), false
	}
	phase := "compiling the module"
	timeout := o.TimeoutOf(c)
	limit := timeout
	deadline := time.Now().Add(limit)
	for {
		msg, err := p.next(ctx, deadline)
		switch {
		case err == nil:
		case ctx.Err() != nil:
			m.kill()
			return targets.Failed(targets.MeasureError, "not measured: %v", ctx.Err()), false
		case errors.Is(err, errDeadline):
			m.kill()
			return targets.Failed(targets.Timeout, "%s took longer than %v", phase, limit.Round(time.Millisecond)), false
		default:
			m.kill()
			return targets.Failed(targets.RuntimeError, "while %s: %v", phase, err), false
		}
		if msg.ID != id {
			continue
		}
		switch {
		case msg.Error != "":
			return targets.Failed(targets.MeasureError, "node harness: %s", msg.Error), false
		case msg.Result != nil:
			kind, err := targets.ParseErrorKind(msg.Result.Err)
			if err != nil {
				return targets.Failed(targets.MeasureError, "node harness: %v", err), false
			}
			if kind != targets.None {
				return targets.Failed(kind, "%s", msg.Result.Msg), false
			}
			if len(msg.Result.Times) == 0 {
				return targets.Failed(targets.MeasureError, "node harness: no times"), false
			}
			return targets.Timed(msg.Result.Times), false
		case msg.Event == "verifying":
			phase, limit = "the verification run", timeout
			deadline = time.Now().Add(limit)
		case msg.Event == "verified":
			phase, limit = "the timed runs", m.timingBound(msg.Seconds, timeout)
			deadline = time.Now().Add(limit)
		}
	}
}

// timingBound bounds the warm-up and timed runs of a kernel whose
// verification run took verify seconds (see targets.Sample): the calls
// they make, each no slower than a few times the first one, and the
// warm-up and sample times, with a wide margin, plus the candidate's time
// limit.
func (m *Measurer) timingBound(verify float64, timeout time.Duration) time.Duration {
	o := m.opts
	t := math.Max(verify, 1e-3)
	calls := float64(o.Warmup + o.Repeats + 2)
	secs := 4*(calls*t+(o.WarmupTime+o.MinTime).Seconds()) + 1
	return timeout + time.Duration(secs*float64(time.Second))
}

// kill kills the process after a timeout or a failure.
func (m *Measurer) kill() {
	if m.p != nil {
		m.p.kill()
		m.p = nil
	}
}

// proc returns the running process, starting one if needed.
func (m *Measurer) proc() (*proc, error) {
	if m.closed {
		return nil, errors.New("node: measurer closed")
	}
	if m.p != nil {
		select {
		case <-m.p.done:
			m.p.stop()
			m.p = nil
		default:
			return m.p, nil
		}
	}
	path := m.cfg.Node
	if path == "" {
		path = os.Getenv("TABTUNE_NODE")
	}
	if path == "" {
		path = "node"
	}
	exe, err := exec.LookPath(path)
	if err != nil {
		return nil, fmt.Errorf("node measurer: cannot find node (install node 20 or later, or set TABTUNE_NODE): %v", err)
	}
	if m.dir == "" {
		dir, err := os.MkdirTemp("", "tabtune-node-")
		if err != nil {
			return nil, fmt.Errorf("node measurer: %v", err)
		}
		kernelJS, err := browser.Assets.ReadFile("kernel.js")
		if err == nil {
			err = os.WriteFile(filepath.Join(dir, "kernel.js"), kernelJS, 0o644)
		}
		if err == nil {
			err = os.WriteFile(filepath.Join(dir, "harness.js"), harnessJS, 0o644)
		}
		if err != nil {
			os.RemoveAll(dir)
			return nil, fmt.Errorf("node measurer: %v", err)
		}
		m.dir, m.files = dir, nil
	}
	args := func() []string {
		var a []string
		if m.relaxed && !m.relaxedBad {
			a = append(a, RelaxedFlag)
		}
		if !m.cfg.Liftoff {
			a = append(a, "--no-liftoff")
		}
		a = append(a, EagerFlag)
		a = append(a, m.cfg.Flags...)
		return append(a, filepath.Join(m.dir, "harness.js"))
	}
	p, ready, err := start(exe, args(), m.cfg.StartTimeout)
	if err != nil && m.relaxed && !m.relaxedBad && strings.Contains(err.Error(), "bad option") {
		// A newer node: relaxed SIMD is on without the flag.
		m.relaxedBad = true
		p, ready, err = start(exe, args(), m.cfg.StartTimeout)
	}
	if err != nil {
		return nil, fmt.Errorf("node measurer: cannot start %s: %v", exe, err)
	}
	m.p = p
	m.version = fmt.Sprintf("node %s, V8 %s", ready.Node, ready.V8)
	return p, nil
}

// load makes sure the process has the workload, writing its files first.
func (m *Measurer) load(ctx context.Context, p *proc, w *targets.Workload, layout targets.Layout, digest string) error {
	if p.loaded[digest] {
		return nil
	}
	have := false
	for _, d := range m.files {
		have = have || d == digest
	}
	file := func(kind string, i int) string {
		return filepath.Join(m.dir, fmt.Sprintf("%s.%s%d.bin", digest, kind, i))
	}
	if !have {
		for len(m.files) >= maxWorkloads {
			old := m.files[0]
			m.files = m.files[1:]
			if p.loaded[old] {
				if err := p.call(ctx, request{Op: "drop", Key: old}, m.cfg.StartTimeout); err != nil {
					return err
				}
				delete(p.loaded, old)
			}
			matches, _ := filepath.Glob(filepath.Join(m.dir, old+".*"))
			for _, f := range matches {
				os.Remove(f)
			}
		}
		for i, d := range w.InputData {
			if err := os.WriteFile(file("in", i), d, 0o644); err != nil {
				return err
			}
		}
		for i, want := range w.Want {
			if err := os.WriteFile(file("want", i), targets.EncodeF32(want), 0o644); err != nil {
				return err
			}
		}
		m.files = append(m.files, digest)
	}
	req := request{Op: "workload", Key: digest, ScratchOffset: layout.ScratchOffset, Atol: w.Atol, Rtol: w.Rtol, Poison: w.PoisonBits()}
	for i, t := range layout.Tensors {
		tm := tensorMsg{Name: t.Name, Shape: t.Shape, DType: t.DType, Offset: layout.Offsets[i], Bytes: t.Bytes(), Input: i < layout.NumInputs}
		if tm.Input {
			tm.File = file("in", i)
		} else {
			tm.File = file("want", i-layout.NumInputs)
		}
		if tm.Shape == nil {
			tm.Shape = []int64{}
		}
		req.Tensors = append(req.Tensors, tm)
	}
	if err := p.call(ctx, req, m.cfg.StartTimeout); err != nil {
		return err
	}
	p.loaded[digest] = true
	return nil
}
