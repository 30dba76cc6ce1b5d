//go:build js

package browser

import (
	"context"
	"fmt"
	"sync"
	"syscall/js"
	"time"

	"github.com/tabtune/tabtune/targets"
)

// Name is the measurer's name.
const Name = "browser"

// HostGlobal is the global through which the engine's worker script
// installs the measuring host: globalThis.tabtuneMeasure =
// createMeasureHost({...}) (host.js).
const HostGlobal = "tabtuneMeasure"

// Config configures a Measurer.
type Config struct {
	// Options are the measuring options (zero fields take defaults).
	Options targets.Options
	// Host is the measuring host (a createMeasureHost object). Undefined,
	// the zero js.Value, means globalThis.tabtuneMeasure, looked up at
	// each Measure.
	Host js.Value
}

// Measurer measures WebAssembly candidates in measuring workers of the
// page (see the package doc). It is safe for concurrent use; Measure
// calls run one after the other. Its methods block until JavaScript
// answers: call them from a goroutine, never inside a js.FuncOf handler.
type Measurer struct {
	cfg  Config
	opts targets.Options

	mu   sync.Mutex
	info *Info // of the host last asked
	from js.Value
}

var _ targets.Measurer = (*Measurer)(nil)

// New returns a Measurer.
func New(cfg Config) *Measurer {
	return &Measurer{cfg: cfg, opts: cfg.Options.WithDefaults()}
}

// Name returns "browser".
func (m *Measurer) Name() string { return Name }

// Info is what the host says about the engine it measures in.
type Info struct {
	// CrossOriginIsolated: the page is cross-origin isolated, so
	// performance.now() steps by 5 us rather than 100 us.
	CrossOriginIsolated bool
	// RelaxedSIMD: the engine validates relaxed SIMD (f32x4.relaxed_madd).
	RelaxedSIMD bool
	// ClockResolution is the smallest step of performance.now() seen.
	ClockResolution time.Duration
}

// CoarseClock is the clock step above which Note warns.
const CoarseClock = 20 * time.Microsecond

// Note is a sentence for the user when timing is coarse, else "".
func (i Info) Note() string {
	if i.ClockResolution <= CoarseClock {
		return ""
	}
	why := ""
	if !i.CrossOriginIsolated {
		why = ": the page is not cross-origin isolated (it needs the headers Cross-Origin-Opener-Policy: same-origin and Cross-Origin-Embedder-Policy: require-corp)"
	}
	return fmt.Sprintf("timing is coarse: performance.now() steps by %v%s; fast kernels are timed over many calls, so their times stay usable but less precise", i.ClockResolution, why)
}

// Info asks the host about the engine. It fails when no host is
// installed.
func (m *Measurer) Info() (Info, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	host, err := m.host()
	if err != nil {
		return Info{}, err
	}
	return m.hostInfo(host)
}

func (m *Measurer) hostInfo(host js.Value) (Info, error) {
	if m.info != nil && m.from.Equal(host) {
		return *m.info, nil
	}
	v, err := call(host, "info")
	if err != nil {
		return Info{}, err
	}
	i := Info{
		CrossOriginIsolated: v.Get("crossOriginIsolated").Truthy(),
		RelaxedSIMD:         v.Get("relaxedSimd").Truthy(),
	}
	if r := v.Get("clockResolution"); r.Type() == js.TypeNumber {
		i.ClockResolution = time.Duration(r.Float() * float64(time.Second))
	}
	m.info, m.from = &i, host
	return i, nil
}

// host returns the measuring host, or an error saying how to install it.
func (m *Measurer) host() (js.Value, error) {
	h := m.cfg.Host
	if h.IsUndefined() {
		h = js.Global().Get(HostGlobal)
	}
	if h.Type() != js.TypeObject || h.Get("measure").Type() != js.TypeFunction {
		return js.Value{}, fmt.Errorf("browser measurer: no measuring host: globalThis.%s is not installed (the engine's worker script loads host.js and sets globalThis.%s = createMeasureHost({script: 'measure-worker.js'}))", HostGlobal, HostGlobal)
	}
	return h, nil
}

// Measure verifies and times each candidate; see the package doc.
func (m *Measurer) Measure(ctx context.Context, w *targets.Workload, cands []targets.Candidate) []targets.Result {
	m.mu.Lock()
	defer m.mu.Unlock()
	layout, r, ok := targets.PrecheckBatch(w)
	if !ok {
		return targets.FillResults(len(cands), r)
	}
	host, err := m.host()
	if err != nil {
		return targets.FillResults(len(cands), targets.Failed(targets.MeasureError, "%v", err))
	}
	b := batch{m: m, host: host, w: w, layout: layout, key: w.Digest()}
	results := make([]targets.Result, len(cands))
	for i := range cands {
		results[i] = b.measure(ctx, &cands[i])
	}
	return results
}

// batch is one Measure call.
type batch struct {
	m      *Measurer
	host   js.Value
	w      *targets.Workload
	layout targets.Layout
	key    string
}

// measure measures one candidate.
func (b *batch) measure(ctx context.Context, c *targets.Candidate) targets.Result {
	if err := ctx.Err(); err != nil {
		return targets.Failed(targets.MeasureError, "not measured: %v", err)
	}
	if !c.WasmKind() {
		return targets.Failed(targets.MeasureError, "the browser measurer runs WebAssembly candidates, not %q", c.Kind)
	}
	info, err := targets.Inspect(c.Wasm)
	if err == nil {
		err = info.CheckArity(b.w)
	}
	if err != nil {
		return targets.Failed(targets.CompileError, "%v", err)
	}
	if c.Relaxed {
		hi, err := b.m.hostInfo(b.host)
		if err != nil {
			return targets.Failed(targets.MeasureError, "browser: measuring host: %v", err)
		}
		if !hi.RelaxedSIMD {
			return targets.Failed(targets.CompileError, "this browser does not run relaxed SIMD (WebAssembly.validate refuses f32x4.relaxed_madd): tune without -relaxed")
		}
	}
	if err := b.load(); err != nil {
		return targets.Failed(targets.MeasureError, "browser: loading the workload: %v", err)
	}
	o := b.m.opts
	req := map[string]any{
		"key": b.key, "wasm": bytesJS(c.Wasm),
		"min_pages": info.MemoryMin, "max_pages": o.MaxPages(), "import_max": info.MemoryMax, "has_import_max": info.HasMemoryMax,
		"warmup": o.Warmup, "warmup_time": o.WarmupTime.Seconds(), "repeats": o.Repeats,
		"min_time": o.MinTime.Seconds(), "max_repeats": o.MaxRepeats, "cutoff": c.Cutoff.Seconds(),
		"timeout": o.TimeoutOf(c).Seconds(),
	}
	p, err := call(b.host, "measure", req)
	if err != nil {
		return targets.Failed(targets.MeasureError, "browser: measuring host: %v", err)
	}
	v, err := await(ctx, p, func() { call(p, "abort") })
	if ctx.Err() != nil {
		return targets.Failed(targets.MeasureError, "not measured: %v", ctx.Err())
	}
	if err != nil {
		return targets.Failed(targets.MeasureError, "browser: measuring host: %v", err)
	}
	return result(v)
}

// result reads the host's answer.
func result(v js.Value) targets.Result {
	if v.Type() != js.TypeObject {
		return targets.Failed(targets.MeasureError, "browser: measuring host answered %s", jsString(v))
	}
	kind, err := targets.ParseErrorKind(jsString(v.Get("err")))
	if err != nil {
		return targets.Failed(targets.MeasureError, "browser: measuring host: %v", err)
	}
	msg := jsString(v.Get("msg"))
	switch kind {
	case targets.None:
		ts := v.Get("times")
		if ts.Type() != js.TypeObject || ts.Length() == 0 {
			return targets.Failed(targets.MeasureError, "browser: measuring host: no times")
		}
		times := make([]float64, ts.Length())
		for i := range times {
			times[i] = ts.Index(i).Float()
		}
		return targets.Timed(times)
	case targets.Timeout:
		// The node measurer's words, so that a timeout reads the same.
		if phase, limit := v.Get("phase"), v.Get("limit"); phase.Type() == js.TypeString && limit.Type() == js.TypeNumber {
			d := time.Duration(limit.Float() * float64(time.Second))
			return targets.Failed(targets.Timeout, "%s took longer than %v", phase.String(), d.Round(time.Millisecond))
		}
	}
	if msg == "" {
		msg = kind.String()
	}
	return targets.Failed(kind, "%s", msg)
}

// load gives the host the workload unless it has it.
func (b *batch) load() error {
	has, err := call(b.host, "hasWorkload", b.key)
	if err != nil || has.Truthy() {
		return err
	}
	l := b.layout
	tensors := make([]any, len(l.Tensors))
	for i, t := range l.Tensors {
		var data []byte
		if i < l.NumInputs {
			data = b.w.InputData[i]
		} else {
			data = targets.EncodeF32(b.w.Want[i-l.NumInputs])
		}
		shape := make([]any, len(t.Shape))
		for j, d := range t.Shape {
			shape[j] = d
		}
		tensors[i] = map[string]any{
			"name": t.Name, "shape": shape, "dtype": t.DType, "offset": l.Offsets[i],
			"bytes": t.Bytes(), "input": i < l.NumInputs, "data": bytesJS(data),
		}
	}
	_, err = call(b.host, "loadWorkload", b.key, map[string]any{
		"tensors": tensors, "scratch_offset": l.ScratchOffset, "atol": b.w.Atol, "rtol": b.w.Rtol, "poison": b.w.PoisonBits(),
	})
	return err
}
