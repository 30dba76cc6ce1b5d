//go:build !js

// Package cpu is the "cpu" measurer: it compiles C kernels (package
// compiler/codegen/c) with the system C compiler and times them in a
// runner subprocess, on the machine tabtune runs on. The bridge runs the
// same measurer on a lab machine.
//
// # Design
//
// A Measurer owns a private temporary directory for its whole life
// (removed by Close). On its first batch it writes the runner's C source
// (runner/runner.c, embedded) there and compiles it once.
//
// Measure works in two phases, as the wazero measurer does. First, in a
// fresh directory of the batch (removed afterwards), every candidate is
// compiled to a shared object at fixed flags, -O3 -march=MCPU -fopenmp
// -shared -fPIC, as many at once as there are cores; the compiler is run
// with an argument list (os/exec), never through a shell, so no text of a
// candidate reaches one. A compiler failure is a CompileError with its
// first messages.
//
// Second, one candidate at a time, a runner process loads the shared
// object (dlopen; a load failure is a CompileError) and says how much
// scratch the kernel needs. The memory image (targets.Layout.Prepare:
// inputs, NaN outputs and scratch, canaries) is written to a file that
// the runner reads into 64-byte aligned memory, runs the kernel on once
// and writes back; targets.Layout.Verify checks it (a WrongResult names
// the first bad element, a write outside the buffers or into an input).
// A verified kernel is timed by targets.Sample, each sample run by the
// runner between two readings of the monotonic clock, from the same image
// reloaded; its outputs are checked once more after the timed calls.
// Each step waits at most Options.Timeout for the runner's answer: past
// it the runner is killed and the candidate is a Timeout. A kernel that
// crashes kills the runner, which costs that candidate a RuntimeError;
// the next candidate gets a new runner.
//
// Workload makes a measuring workload with the reference of a program too
// large for the interpreter from its unscheduled kernel compiled and run
// the same way (Reference): a flow Referencer for a machine that has only
// a C compiler, such as the bridge's.
package cpu

import (
	"context"
	_ "embed"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"time"

	"github.com/tabtune/tabtune/targets"
)

// Name is the measurer's name.
const Name = "cpu"

// DefaultCompiler is the C compiler used when Config.Compiler is empty.
const DefaultCompiler = "gcc"

//go:embed runner/runner.c
var runnerSource string

// Config configures a Measurer.
type Config struct {
	// Options control timing and limits.
	Options targets.Options
	// Compiler is the C compiler, a name looked up in PATH or a path:
	// gcc (the default) or clang; any compiler that takes GCC's flags.
	Compiler string
	// MCPU is the -march value; empty means native.
	MCPU string
	// Parallel bounds how many candidates compile at once; 0 means the
	// number of cores.
	Parallel int
	// Libraries are libraries that every kernel is linked with, by name
	// (-lNAME): "openblas" links libopenblas. They let a measurer time
	// library kernels wrapped in the kernel calling convention (the peers
	// of bench/cpu) exactly as it times candidates. A name is letters,
	// digits and "_.+-", not starting with "-".
	Libraries []string
	// Objects are object files or static libraries (.o, .a) that every
	// kernel is linked with, by absolute path: the ahead-of-time compiled
	// pipelines that a peer's kernel calls (Halide's, in bench/cpu).
	Objects []string
}

// Measurer is the cpu measurer. Its methods are safe for concurrent use;
// batches are measured one at a time.
type Measurer struct {
	cfg  Config
	opts targets.Options

	mu      sync.Mutex
	dir     string // the private directory, made on the first batch
	runner  string // the compiled runner
	initErr error
	closed  bool
}

// New returns a measurer; nothing is started before the first batch.
func New(cfg Config) *Measurer {
	if cfg.Compiler == "" {
		cfg.Compiler = DefaultCompiler
	}
	if cfg.MCPU == "" {
		cfg.MCPU = "native"
	}
	if cfg.Parallel <= 0 {
		cfg.Parallel = runtime.NumCPU()
	}
	return &Measurer{cfg: cfg, opts: cfg.Options.WithDefaults()}
}

// Name returns "cpu".
func (m *Measurer) Name() string { return Name }

// Available reports whether the C compiler can be found.
func (m *Measurer) Available() error { return CompilerAvailable(m.cfg.Compiler) }

// CompilerAvailable reports whether the C compiler cc (a name in PATH or
// a path) can be found, with what to install when not.
func CompilerAvailable(cc string) error {
	if _, err := exec.LookPath(cc); err != nil {
		return fmt.Errorf("the cpu measurer needs a C compiler: %s was not found (install gcc, e.g. apt-get install gcc, or clang)", cc)
	}
	return nil
}

// Close removes the measurer's directory. A closed measurer measures
// nothing.
func (m *Measurer) Close() error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.closed = true
	if m.dir == "" {
		return nil
	}
	err := os.RemoveAll(m.dir)
	m.dir = ""
	return err
}

// start makes the private directory and compiles the runner, once.
func (m *Measurer) start() {
	if m.dir != "" || m.initErr != nil {
		return
	}
	if err := m.Available(); err != nil {
		m.initErr = err
		return
	}
	if err := checkLinks(m.cfg.Libraries, m.cfg.Objects); err != nil {
		m.initErr = err
		return
	}
	dir, err := os.MkdirTemp("", "tabtune-cpu-")
	if err != nil {
		m.initErr = fmt.Errorf("cpu: %w", err)
		return
	}
	src, bin := filepath.Join(dir, "runner.c"), filepath.Join(dir, "runner")
	if err := os.WriteFile(src, []byte(runnerSource), 0o600); err != nil {
		os.RemoveAll(dir)
		m.initErr = fmt.Errorf("cpu: %w", err)
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), compileTimeout)
	defer cancel()
	out, err := exec.CommandContext(ctx, m.cfg.Compiler, "-O2", "-o", bin, src, "-ldl").CombinedOutput()
	if err != nil {
		os.RemoveAll(dir)
		m.initErr = fmt.Errorf("cpu: compiling the runner with %s: %v: %s", m.cfg.Compiler, err, firstLines(string(out), 5))
		return
	}
	m.dir, m.runner = dir, bin
}

// Measure compiles the candidates, then verifies and times them one at a
// time (see the package documentation).
func (m *Measurer) Measure(ctx context.Context, w *targets.Workload, cands []targets.Candidate) []targets.Result {
	m.mu.Lock()
	defer m.mu.Unlock()
	layout, r, ok := targets.PrecheckBatch(w)
	if !ok {
		return targets.FillResults(len(cands), r)
	}
	if m.closed {
		return targets.FillResults(len(cands), targets.Failed(targets.MeasureError, "cpu: measurer closed"))
	}
	m.start()
	if m.initErr != nil {
		return targets.FillResults(len(cands), targets.Failed(targets.MeasureError, "%v", m.initErr))
	}
	batch, err := os.MkdirTemp(m.dir, "batch-")
	if err != nil {
		return targets.FillResults(len(cands), targets.Failed(targets.MeasureError, "cpu: %v", err))
	}
	defer os.RemoveAll(batch)

	results := make([]targets.Result, len(cands))
	objects := m.compileAll(ctx, batch, cands, results)
	for i, so := range objects {
		if so == "" {
			continue
		}
		if err := ctx.Err(); err != nil {
			results[i] = targets.Failed(targets.MeasureError, "not measured: %v", err)
			continue
		}
		results[i] = m.measureOne(ctx, w, layout, so, filepath.Join(batch, fmt.Sprintf("k%d.img", i)), &cands[i])
	}
	return results
}

// compileTimeout bounds one compilation (or Options.Timeout, if longer).
const compileTimeout = 2 * time.Minute

// compileAll compiles the candidates in parallel into dir and returns the
// path of each shared object, or "" with the candidate's result set.
func (m *Measurer) compileAll(ctx context.Context, dir string, cands []targets.Candidate, results []targets.Result) []string {
	objects := make([]string, len(cands))
	var wg sync.WaitGroup
	next := make(chan int)
	for range min(m.cfg.Parallel, len(cands)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				objects[i], results[i] = m.compile(ctx, dir, i, &cands[i])
			}
		}()
	}
	for i := range cands {
		next <- i
	}
	close(next)
	wg.Wait()
	return objects
}

// compile writes one candidate's C and compiles it to a shared object.
func (m *Measurer) compile(ctx context.Context, dir string, i int, c *targets.Candidate) (string, targets.Result) {
	if c.Kind != targets.CPU {
		kind := c.Kind
		if c.WasmKind() {
			kind = targets.WasmSIMD
		}
		return "", targets.Failed(targets.MeasureError, "the cpu measurer runs cpu candidates, not %s", kind)
	}
	if strings.TrimSpace(c.Source) == "" {
		return "", targets.Failed(targets.CompileError, "the candidate has no C source")
	}
	if err := ctx.Err(); err != nil {
		return "", targets.Failed(targets.MeasureError, "not measured: %v", err)
	}
	src, so := filepath.Join(dir, fmt.Sprintf("k%d.c", i)), filepath.Join(dir, fmt.Sprintf("k%d.so", i))
	if err := os.WriteFile(src, []byte(c.Source), 0o600); err != nil {
		return "", targets.Failed(targets.MeasureError, "cpu: %v", err)
	}
	timeout := max(compileTimeout, m.opts.Timeout)
	cctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	out, err := exec.CommandContext(cctx, m.cfg.Compiler, CompileFlags(m.cfg.MCPU, src, so, m.cfg.Objects, m.cfg.Libraries)...).CombinedOutput()
	switch {
	case err == nil:
		return so, targets.Result{}
	case ctx.Err() != nil:
		return "", targets.Failed(targets.MeasureError, "not measured: %v", ctx.Err())
	case cctx.Err() != nil:
		return "", targets.Failed(targets.Timeout, "%s did not compile the kernel within %v", m.cfg.Compiler, timeout)
	}
	var exit *exec.ExitError
	if !errors.As(err, &exit) {
		return "", targets.Failed(targets.MeasureError, "cpu: running %s: %v", m.cfg.Compiler, err)
	}
	return "", targets.Failed(targets.CompileError, "%s: %s", m.cfg.Compiler, firstLines(strings.ReplaceAll(string(out), src, "kernel.c"), 8))
}

// CompileFlags are the compiler's arguments that build src into the
// shared object so for -march=mcpu: the fixed flags of every kernel, then
// the objects (Config.Objects) and -lNAME for each of libs
// (Config.Libraries).
func CompileFlags(mcpu, src, so string, objects, libs []string) []string {
	flags := []string{"-O3", "-march=" + mcpu, "-fopenmp", "-shared", "-fPIC", "-o", so, src}
	flags = append(flags, objects...)
	for _, l := range libs {
		flags = append(flags, "-l"+l)
	}
	return append(flags, "-lm")
}

// checkLinks reports a library name of Config.Libraries that is not a
// plain name, or an object of Config.Objects that is not an absolute
// path, so that none is taken for another flag of the compiler.
func checkLinks(libs, objects []string) error {
	for _, o := range objects {
		if !filepath.IsAbs(o) {
			return fmt.Errorf("cpu: object %q: want an absolute path", o)
		}
	}
	for _, l := range libs {
		ok := l != "" && !strings.HasPrefix(l, "-")
		for _, r := range l {
			ok = ok && (r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("_.+-", r))
		}
		if !ok {
			return fmt.Errorf("cpu: library %q: want a name such as openblas (letters, digits and _.+-, not starting with -)", l)
		}
	}
	return nil
}

// firstLines returns the first n lines of s, trimmed.
func firstLines(s string, n int) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	if len(lines) > n {
		lines = append(lines[:n], "...")
	}
	return strings.Join(lines, "\n")
}
