//go:build !js

// Package wazero is the "wazero" measurer: it runs WebAssembly kernels
// in-process with wazero (github.com/tetratelabs/wazero), compiled by its
// optimizing compiler. It needs nothing installed and is tabtune's
// default measurer on the command line.
//
// It is excluded from GOOS=js builds: wazero's compiler emits native
// amd64/arm64 code, and in a browser the page's own engine measures
// kernels (the browser measurer).
//
// # Design
//
// A Measurer holds two runtimes for its whole life:
//
//   - the guarded runtime, configured WithCloseOnContextDone(true), where
//     every candidate runs once under a context deadline of
//     Options.Timeout. That setting inserts a check in every loop and
//     makes kernels many times slower (NOTES.md), but it stops a kernel
//     that never returns;
//   - the timed runtime, without it, where only candidates that passed
//     the guarded run are timed. A kernel that was never verified is
//     never run there, so nothing can hang it.
//
// Measure works in two phases. First, up to Config.Parallel workers take
// candidates in turn: compile in the guarded runtime (a failure is a
// CompileError), check the calling convention (targets.Inspect), give
// the module a fresh memory laid out by targets.NewLayout, grown by the
// scratch_bytes the instance exports, write the image
// (targets.Layout.Prepare: inputs, NaN outputs and scratch, canaries),
// run kernel once (a trap is a RuntimeError, the deadline a Timeout),
// check the image (targets.Layout.Verify: a WrongResult names the first
// bad element); and, for a candidate that verified, compile it again in
// the timed runtime, the slow part done in parallel. Second, one
// candidate at a time and with nothing else of the measurer running, the
// verified candidates are instantiated in the timed runtime with the
// same image and timed by targets.Sample; the outputs are checked once
// more after the timed calls. Modules, memories and compiled code are
// closed after each candidate.
//
// Memories are capped by Options.MaxMemory (WithMemoryLimitPages). Each
// kernel gets its own memory: a tiny module that exports a memory of the
// right size, handed to the kernel's env.memory import through an
// import resolver, so candidates can be instantiated concurrently.
//
// wazero does not implement relaxed SIMD: a candidate that uses it fails
// to compile, with a message that says so.
package wazero

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"strings"
	"sync"
	"time"

	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/api"
	"github.com/tetratelabs/wazero/experimental"
	"github.com/tetratelabs/wazero/sys"

	"github.com/tabtune/tabtune/targets"
)

// Name is the measurer's name.
const Name = "wazero"

// Config configures a Measurer.
type Config struct {
	// Options are the measuring options (zero fields take defaults).
	Options targets.Options
	// Parallel is how many candidates are compiled and verified at once
	// (default: GOMAXPROCS, at most 8). Timing is always one at a time.
	Parallel int
}

// Measurer measures WebAssembly candidates with wazero. It is safe for
// concurrent use; Measure calls run one after the other, so that timings
// never overlap.
type Measurer struct {
	opts     targets.Options
	parallel int

	mu       sync.Mutex // one Measure at a time
	initErr  error
	guarded  wazero.Runtime
	timed    wazero.Runtime
	compiler bool
	closed   bool
}

var _ targets.Measurer = (*Measurer)(nil)

// New returns a Measurer. Its runtimes start on the first Measure.
func New(cfg Config) *Measurer {
	p := cfg.Parallel
	if p <= 0 {
		p = min(runtime.GOMAXPROCS(0), 8)
	}
	return &Measurer{opts: cfg.Options.WithDefaults(), parallel: p}
}

// Name returns "wazero".
func (m *Measurer) Name() string { return Name }

// Engine says which wazero engine runs the kernels: "wazero compiler",
// or "wazero interpreter" on a platform that the compiler does not
// support (its times then say little about V8's).
func (m *Measurer) Engine() string {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.start()
	if m.compiler {
		return "wazero compiler"
	}
	return "wazero interpreter"
}

// Close releases the runtimes. Measure after Close returns MeasureError.
func (m *Measurer) Close() error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.closed = true
	var errs []error
	for _, r := range []wazero.Runtime{m.guarded, m.timed} {
		if r != nil {
			errs = append(errs, r.Close(context.Background()))
		}
	}
	m.guarded, m.timed = nil, nil
	return errors.Join(errs...)
}

// start creates the runtimes once; m.mu is held.
func (m *Measurer) start() {
	if m.guarded != nil || m.initErr != nil {
		return
	}
	ctx := context.Background()
	limit := m.opts.MaxPages()
	newRuntime := func(c wazero.RuntimeConfig) (r wazero.Runtime, err error) {
		defer func() {
			if p := recover(); p != nil {
				err = fmt.Errorf("%v", p)
			}
		}()
		return wazero.NewRuntimeWithConfig(ctx, c.WithMemoryLimitPages(limit)), nil
	}
	m.compiler = true
	g, err := newRuntime(wazero.NewRuntimeConfigCompiler().WithCloseOnContextDone(true))
	if err != nil {
		// The compiler does not run on this platform: interpret.
		m.compiler = false
		g, err = newRuntime(wazero.NewRuntimeConfigInterpreter().WithCloseOnContextDone(true))
	}
	if err != nil {
		m.initErr = fmt.Errorf("wazero: %v", err)
		return
	}
	c := wazero.NewRuntimeConfigCompiler()
	if !m.compiler {
		c = wazero.NewRuntimeConfigInterpreter()
	}
	t, err := newRuntime(c)
	if err != nil {
		g.Close(ctx)
		m.initErr = fmt.Errorf("wazero: %v", err)
		return
	}
	m.guarded, m.timed = g, t
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
		return targets.FillResults(len(cands), targets.Failed(targets.MeasureError, "wazero: measurer closed"))
	}
	m.start()
	if m.initErr != nil {
		return targets.FillResults(len(cands), targets.Failed(targets.MeasureError, "%v", m.initErr))
	}

	// Phase 1, in parallel: compile, verify, compile for timing.
	results := make([]targets.Result, len(cands))
	timedCode := make([]wazero.CompiledModule, len(cands))
	var wg sync.WaitGroup
	next := make(chan int)
	for range min(m.parallel, len(cands)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				results[i], timedCode[i] = m.safeVerify(ctx, w, layout, &cands[i])
			}
		}()
	}
	for i := range cands {
		next <- i
	}
	close(next)
	wg.Wait()

	// Phase 2, one at a time: time the verified candidates, starting from
	// a collected heap so that phase 1's garbage costs no pause there.
	runtime.GC()
	for i, code := range timedCode {
		if code == nil {
			continue
		}
		if err := ctx.Err(); err != nil {
			results[i] = targets.Failed(targets.MeasureError, "not timed: %v", err)
		} else {
			results[i] = m.safeTime(w, layout, code, cands[i].Cutoff)
		}
		code.Close(context.Background())
	}
	return results
}

// safeVerify is verify, with a panic (a bug in wazero or here) reported
// as a MeasureError rather than ending the program.
func (m *Measurer) safeVerify(ctx context.Context, w *targets.Workload, layout targets.Layout, c *targets.Candidate) (r targets.Result, code wazero.CompiledModule) {
	defer func() {
		if p := recover(); p != nil {
			r, code = targets.Failed(targets.MeasureError, "wazero: internal error: %v", p), nil
		}
	}()
	return m.verify(ctx, w, layout, c)
}

// safeTime is timeOne, with a panic reported as a MeasureError.
func (m *Measurer) safeTime(w *targets.Workload, layout targets.Layout, code wazero.CompiledModule, cutoff time.Duration) (r targets.Result) {
	defer func() {
		if p := recover(); p != nil {
			r = targets.Failed(targets.MeasureError, "wazero: internal error: %v", p)
		}
	}()
	return m.timeOne(w, layout, code, cutoff)
}

// verify runs one candidate in the guarded runtime. For a candidate that
// verified it returns its code compiled in the timed runtime.
func (m *Measurer) verify(ctx context.Context, w *targets.Workload, layout targets.Layout, c *targets.Candidate) (targets.Result, wazero.CompiledModule) {
	if err := ctx.Err(); err != nil {
		return targets.Failed(targets.MeasureError, "not measured: %v", err), nil
	}
	if !c.WasmKind() {
		return targets.Failed(targets.MeasureError, "the wasm measurer runs WebAssembly candidates, not %q", c.Kind), nil
	}
	code, err := m.guarded.CompileModule(ctx, c.Wasm)
	if err != nil {
		if ctx.Err() != nil {
			return targets.Failed(targets.MeasureError, "not measured: %v", ctx.Err()), nil
		}
		msg := "wazero: " + err.Error()
		if c.Relaxed {
			msg = "wazero does not implement relaxed SIMD (measure with node or in a browser): " + err.Error()
		}
		return targets.Failed(targets.CompileError, "%s", msg), nil
	}
	defer code.Close(context.Background())
	info, err := targets.Inspect(c.Wasm)
	if err == nil {
		err = info.CheckArity(w)
	}
	if err != nil {
		return targets.Failed(targets.CompileError, "%v", err), nil
	}

	inst, res := m.instantiate(ctx, m.guarded, code, info, layout)
	if inst == nil {
		return res, nil
	}
	defer inst.close()
	inst.layout.Prepare(inst.memory(), w)
	limit := m.opts.TimeoutOf(c)
	tctx, cancel := context.WithTimeout(ctx, limit)
	err = inst.kernel.CallWithStack(tctx, inst.stack())
	cancel()
	if err != nil {
		return callError(ctx, err, limit), nil
	}
	if kind, msg := inst.layout.Verify(inst.memory(), w); kind != targets.None {
		return targets.Failed(kind, "%s", msg), nil
	}

	timedCode, err := m.timed.CompileModule(ctx, c.Wasm)
	if err != nil {
		return targets.Failed(targets.CompileError, "wazero (timed runtime): %v", err), nil
	}
	return targets.Result{}, timedCode
}

// callError classifies the error of a guarded call made under a time
// limit.
func callError(ctx context.Context, err error, limit time.Duration) targets.Result {
	var exit *sys.ExitError
	if errors.As(err, &exit) {
		if ctx.Err() != nil {
			return targets.Failed(targets.MeasureError, "not measured: %v", ctx.Err())
		}
		if exit.ExitCode() == sys.ExitCodeDeadlineExceeded {
			return targets.Failed(targets.Timeout, "kernel did not return within %v", limit)
		}
		return targets.Failed(targets.RuntimeError, "kernel exited: %v", err)
	}
	return targets.Failed(targets.RuntimeError, "%s", firstLine(err.Error()))
}

// timeOne times a verified candidate in the timed runtime, from the same
// memory image as its verification, and checks the outputs again after.
// A kernel slower than cutoff is timed by one call (targets.Sample).
func (m *Measurer) timeOne(w *targets.Workload, layout targets.Layout, code wazero.CompiledModule, cutoff time.Duration) targets.Result {
	ctx := context.Background()
	inst, res := m.instantiate(ctx, m.timed, code, memoryNeeds(code), layout)
	if inst == nil {
		return res
	}
	defer inst.close()
	mem := inst.memory()
	inst.layout.Prepare(mem, w)
	stack := inst.stack()
	args := append([]uint64(nil), stack...)
	times, err := targets.Sample(m.opts, cutoff, func(n int) (float64, error) {
		start := time.Now()
		for range n {
			copy(stack, args)
			if err := inst.kernel.CallWithStack(ctx, stack); err != nil {
				return 0, err
			}
		}
		return time.Since(start).Seconds(), nil
	})
	if err != nil {
		return targets.Failed(targets.RuntimeError, "timed run: %s", firstLine(err.Error()))
	}
	if kind, msg := inst.layout.Verify(inst.memory(), w); kind != targets.None {
		return targets.Failed(kind, "after the timed runs: %s", msg)
	}
	return targets.Timed(times)
}

// memoryNeeds reads the memory import's limits of compiled code.
func memoryNeeds(code wazero.CompiledModule) targets.ModuleInfo {
	var info targets.ModuleInfo
	for _, d := range code.ImportedMemories() {
		info.MemoryMin = d.Min()
		if max, ok := d.Max(); ok {
			info.MemoryMax, info.HasMemoryMax = max, true
		}
	}
	return info
}

// instance is a kernel instantiated with its own memory.
type instance struct {
	mod, memMod api.Module
	kernel      api.Function
	layout      targets.Layout // with the instance's scratch area
	nargs       int
}

func (in *instance) memory() []byte {
	mem := in.memMod.Memory()
	b, _ := mem.Read(0, mem.Size())
	return b
}

// stack returns the kernel's arguments.
func (in *instance) stack() []uint64 {
	args := in.layout.Args()
	s := make([]uint64, len(args))
	for i, a := range args {
		s[i] = api.EncodeU32(a)
	}
	return s
}

func (in *instance) close() {
	ctx := context.Background()
	in.mod.Close(ctx)
	in.memMod.Close(ctx)
}

// instantiate gives compiled code a memory that holds the layout and its
// scratch area, and instantiates it. On failure it returns nil and the
// Result to report.
func (m *Measurer) instantiate(ctx context.Context, r wazero.Runtime, code wazero.CompiledModule, info targets.ModuleInfo, layout targets.Layout) (*instance, targets.Result) {
	limit := m.opts.MaxPages()
	tooBig := func(l targets.Layout) targets.Result {
		return targets.Failed(targets.RuntimeError, "tensors and scratch area need %d bytes, more than the limit of %d (Options.MaxMemory)", l.Size(), m.opts.MaxMemory)
	}
	pages := max(layout.Pages(), uint64(info.MemoryMin))
	if pages > uint64(limit) {
		return nil, tooBig(layout)
	}
	if info.HasMemoryMax && uint64(info.MemoryMax) < pages {
		return nil, targets.Failed(targets.CompileError, "memory import allows at most %d pages; the tensors need %d", info.MemoryMax, pages)
	}
	memCode, err := r.CompileModule(ctx, memoryModule(uint32(pages), info.MemoryMax, info.HasMemoryMax))
	if err != nil {
		return nil, targets.Failed(targets.MeasureError, "wazero: memory module: %v", err)
	}
	defer memCode.Close(ctx)
	memMod, err := r.InstantiateModule(ctx, memCode, wazero.NewModuleConfig().WithName("").WithStartFunctions())
	if err != nil {
		return nil, targets.Failed(targets.MeasureError, "wazero: memory module: %v", err)
	}
	resolve := experimental.WithImportResolver(ctx, func(name string) api.Module {
		if name == "env" {
			return memMod
		}
		return nil
	})
	// A start function runs under the guarded runtime's deadline too.
	ictx, cancel := context.WithTimeout(resolve, m.opts.Timeout)
	mod, err := r.InstantiateModule(ictx, code, wazero.NewModuleConfig().WithName("").WithStartFunctions())
	cancel()
	if err != nil {
		memMod.Close(ctx)
		var exit *sys.ExitError
		switch {
		case errors.As(err, &exit):
			return nil, callError(ctx, err, m.opts.Timeout)
		case strings.Contains(err.Error(), "wasm error:"):
			return nil, targets.Failed(targets.RuntimeError, "start function: %s", firstLine(err.Error()))
		}
		return nil, targets.Failed(targets.CompileError, "wazero: instantiate: %v", err)
	}
	in := &instance{mod: mod, memMod: memMod, kernel: mod.ExportedFunction("kernel")}
	g := mod.ExportedGlobal("scratch_bytes")
	if in.kernel == nil || g == nil {
		in.close()
		return nil, targets.Failed(targets.CompileError, "module does not export kernel and scratch_bytes")
	}
	in.layout = layout.WithScratch(api.DecodeU32(g.Get()))
	need := in.layout.Pages()
	if need > uint64(limit) {
		in.close()
		return nil, tooBig(in.layout)
	}
	if cur := uint64(memMod.Memory().Size() / targets.PageSize); need > cur {
		if _, ok := memMod.Memory().Grow(uint32(need - cur)); !ok {
			in.close()
			if info.HasMemoryMax {
				return nil, targets.Failed(targets.RuntimeError, "memory cannot grow to %d pages for the scratch area: the import allows at most %d", need, info.MemoryMax)
			}
			return nil, tooBig(in.layout)
		}
	}
	return in, targets.Result{}
}

// memoryModule encodes a module that exports one memory of min pages
// (and max, if hasMax) as "memory".
func memoryModule(min, max uint32, hasMax bool) []byte {
	b := []byte{0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00}
	lim := []byte{0x01} // one memory
	if hasMax {
		lim = append(lim, 0x01)
		lim = uleb(lim, min)
		lim = uleb(lim, max)
	} else {
		lim = append(lim, 0x00)
		lim = uleb(lim, min)
	}
	b = append(b, 5)
	b = uleb(b, uint32(len(lim)))
	b = append(b, lim...)
	exp := []byte{0x01, 0x06, 'm', 'e', 'm', 'o', 'r', 'y', 0x02, 0x00}
	b = append(b, 7, byte(len(exp)))
	return append(b, exp...)
}

func uleb(b []byte, v uint32) []byte {
	for {
		c := byte(v & 0x7f)
		v >>= 7
		if v == 0 {
			return append(b, c)
		}
		b = append(b, c|0x80)
	}
}

// firstLine is the first line of an error message: wazero follows a trap
// with a stack trace.
func firstLine(s string) string {
	s, _, _ = strings.Cut(s, "\n")
	return s
}
