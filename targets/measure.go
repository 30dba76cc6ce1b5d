package targets

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"time"
)

// ErrorKind says why a candidate has no time.
type ErrorKind int

// The error kinds. Their String forms are also their JSON forms.
const (
	// None: the candidate verified and was timed.
	None ErrorKind = iota
	// CompileError: the module does not compile or link, or breaks the
	// calling convention (imports, exports, parameter count).
	CompileError
	// RuntimeError: the verification run trapped (out-of-bounds access,
	// unreachable, stack overflow, ...) or needed more memory than allowed.
	RuntimeError
	// WrongResult: the kernel ran but an output differs from the
	// reference, or it wrote into an input or outside its buffers.
	WrongResult
	// Timeout: the verification run (or, in node, compiling) did not
	// finish within Options.Timeout.
	Timeout
	// MeasureError: the measurer itself failed (its engine is missing or
	// crashed outside a kernel, the workload is malformed, the context was
	// cancelled). It says nothing about the candidate, which a search
	// should measure again rather than count as bad.
	MeasureError
)

var errorKindNames = [...]string{"none", "compile error", "runtime error", "wrong result", "timeout", "measure error"}

// String returns "none", "compile error", "runtime error", "wrong
// result", "timeout" or "measure error".
func (k ErrorKind) String() string {
	if k >= 0 && int(k) < len(errorKindNames) {
		return errorKindNames[k]
	}
	return fmt.Sprintf("ErrorKind(%d)", int(k))
}

// ParseErrorKind reads the String form of an ErrorKind.
func ParseErrorKind(s string) (ErrorKind, error) {
	for i, n := range errorKindNames {
		if n == s {
			return ErrorKind(i), nil
		}
	}
	return 0, fmt.Errorf("unknown error kind %q", s)
}

// MarshalText writes the String form.
func (k ErrorKind) MarshalText() ([]byte, error) {
	if k < 0 || int(k) >= len(errorKindNames) {
		return nil, fmt.Errorf("invalid error kind %d", int(k))
	}
	return []byte(k.String()), nil
}

// UnmarshalText reads the String form.
func (k *ErrorKind) UnmarshalText(b []byte) error {
	v, err := ParseErrorKind(string(b))
	if err == nil {
		*k = v
	}
	return err
}

// The element types of tensors.
const (
	F32 = "f32"
	I32 = "i32"
)

// Tensor describes one kernel argument: a dense row-major array of 4-byte
// elements.
type Tensor struct {
	// Name is the tensor's name in the expression, used in messages.
	Name string
	// Shape is the extent of each dimension, outermost first; an empty
	// shape is a scalar.
	Shape []int64
	// DType is F32 or I32.
	DType string
}

// Elems is the number of elements.
func (t Tensor) Elems() int64 {
	n := int64(1)
	for _, d := range t.Shape {
		n *= d
	}
	return n
}

// Bytes is the size in bytes (4 per element).
func (t Tensor) Bytes() int64 { return 4 * t.Elems() }

// Workload is what every candidate of a batch computes: its arguments,
// the input data and the reference outputs. A measurer reads it and never
// changes it; the node measurer caches it by a digest of its contents, so
// it is sent to the engine once.
type Workload struct {
	// Key identifies the workload in records and messages (the
	// expression's workload key).
	Key string
	// Inputs and Outputs are the kernel's tensors, in the order of its
	// pointer parameters: inputs first, in DAG order, then outputs.
	Inputs, Outputs []Tensor
	// InputData holds each input's elements as little-endian bytes
	// (float32 or int32 by DType), len(InputData[i]) == Inputs[i].Bytes().
	InputData [][]byte
	// Want holds each output's reference values, len(Want[i]) ==
	// Outputs[i].Elems(). An i32 output is compared after conversion to
	// float32.
	Want [][]float32
	// Atol and Rtol bound the difference from the reference: an output
	// element g agrees with its reference w when |g-w| <= Atol + Rtol*|w|.
	// NaN agrees only with NaN, an infinity only with itself.
	Atol, Rtol float64
	// Poison is the bit pattern written into the outputs and the scratch
	// area before a verification run; 0 means PoisonF32 (a quiet NaN).
	// A program whose max (min) would skip a NaN, as max(acc, NaN) = acc
	// does, is poisoned with +Inf (-Inf) instead, which max (min) keeps:
	// see PoisonFor.
	Poison uint32
}

// PoisonBits is the poison of a verification run: Poison, or PoisonF32.
func (w *Workload) PoisonBits() uint32 {
	if w.Poison == 0 {
		return PoisonF32
	}
	return w.Poison
}

// Tensors lists the inputs then the outputs: the kernel's pointer
// parameters in order.
func (w *Workload) Tensors() []Tensor {
	return append(append([]Tensor(nil), w.Inputs...), w.Outputs...)
}

// Digest identifies a workload's contents: its key, tensors, input data,
// reference outputs and tolerances. Measurers that keep workloads loaded
// in an engine (node's harness, the page's measuring host) cache them
// under it, so two workloads with one Key but other data get two entries.
func (w *Workload) Digest() string {
	h := sha256.New()
	put := func(s string) { fmt.Fprintf(h, "%d:%s;", len(s), s) }
	put(w.Key)
	put(fmt.Sprint(w.PoisonBits()))
	for _, t := range w.Tensors() {
		put(fmt.Sprint(t.Name, t.Shape, t.DType))
	}
	for _, d := range w.InputData {
		put(string(d))
	}
	for _, want := range w.Want {
		put("want")
		h.Write(EncodeF32(want))
	}
	put(fmt.Sprint(w.Atol, w.Rtol))
	return hex.EncodeToString(h.Sum(nil)[:12])
}

// Validate reports a malformed workload: no outputs, a bad shape or
// dtype, data of the wrong size, negative tolerances.
func (w *Workload) Validate() error {
	if w == nil {
		return fmt.Errorf("nil workload")
	}
	if len(w.Outputs) == 0 {
		return fmt.Errorf("workload %q: no outputs", w.Key)
	}
	for _, t := range w.Tensors() {
		if t.DType != F32 && t.DType != I32 {
			return fmt.Errorf("workload %q: tensor %s: dtype %q (want f32 or i32)", w.Key, t.Name, t.DType)
		}
		n := int64(1)
		for _, d := range t.Shape {
			if d <= 0 || d > 1<<32 {
				return fmt.Errorf("workload %q: tensor %s: bad shape %v", w.Key, t.Name, t.Shape)
			}
			n *= d
			if n > 1<<32 {
				return fmt.Errorf("workload %q: tensor %s: shape %v too large", w.Key, t.Name, t.Shape)
			}
		}
	}
	if len(w.InputData) != len(w.Inputs) {
		return fmt.Errorf("workload %q: %d inputs but %d input data", w.Key, len(w.Inputs), len(w.InputData))
	}
	for i, t := range w.Inputs {
		if int64(len(w.InputData[i])) != t.Bytes() {
			return fmt.Errorf("workload %q: input %s: %d bytes of data, want %d", w.Key, t.Name, len(w.InputData[i]), t.Bytes())
		}
	}
	if len(w.Want) != len(w.Outputs) {
		return fmt.Errorf("workload %q: %d outputs but %d reference outputs", w.Key, len(w.Outputs), len(w.Want))
	}
	for i, t := range w.Outputs {
		if int64(len(w.Want[i])) != t.Elems() {
			return fmt.Errorf("workload %q: output %s: %d reference values, want %d", w.Key, t.Name, len(w.Want[i]), t.Elems())
		}
	}
	if !(w.Atol >= 0 && w.Rtol >= 0) {
		return fmt.Errorf("workload %q: tolerances atol=%g rtol=%g must be >= 0", w.Key, w.Atol, w.Rtol)
	}
	return nil
}

// Candidate is one built kernel to measure.
type Candidate struct {
	// Kind is the target kind the kernel was built for, which says what
	// it holds: WasmSIMD a WebAssembly module (Wasm), CPU C source
	// (Source), CUDA CUDA source (Source) and its launch dimensions.
	// Empty means WasmSIMD.
	Kind Kind
	// ID identifies what is executed: a digest of the kernel's code and
	// its launch configuration (Digest). Two candidates with the same ID
	// run the same code however their schedules differ, so a tuner
	// measures one of them; records keep it. Builders set it.
	ID string
	// Wasm is the module's bytes (WasmSIMD), following the calling
	// convention of DESIGN.md.
	Wasm []byte
	// Relaxed says the module uses relaxed SIMD: measurers that cannot
	// run it say so in a CompileError.
	Relaxed bool
	// Source is the C or CUDA source (CPU, CUDA).
	Source string
	// Launch is the CUDA grid and block dimensions (x, y, z each) that
	// the thread bindings imply (CUDA).
	Launch [6]int
	// Cutoff, when positive, spares the time of timing a slow kernel
	// precisely: one whose first run takes longer than Cutoff is timed
	// by that run alone, with no warm-up and no repeats. A tuner sets it
	// to a multiple of the best time so far (Ansor bounds such kernels
	// by a timeout instead); the kernel is still verified.
	Cutoff time.Duration
	// Timeout, when longer than Options.Timeout, is this candidate's time
	// limit instead (TimeoutOf): for a trusted kernel known to end but to
	// be slow, such as the naive schedule of a large program, which the
	// default limit would cut off.
	Timeout time.Duration
}

// WasmKind reports whether c is a WebAssembly candidate.
func (c *Candidate) WasmKind() bool { return c.Kind == "" || c.Kind == WasmSIMD }

// Digest is the identity of what c executes: the SHA-256, in hex, of its
// kind, its code (module bytes or source), the relaxed flag and, for
// CUDA, the launch dimensions. Cutoff and ID do not take part.
func (c *Candidate) Digest() string {
	h := sha256.New()
	kind := c.Kind
	if kind == "" {
		kind = WasmSIMD
	}
	fmt.Fprintf(h, "%s\x00%t\x00%v\x00%d\x00", kind, c.Relaxed, c.Launch, len(c.Wasm))
	h.Write(c.Wasm)
	h.Write([]byte(c.Source))
	return hex.EncodeToString(h.Sum(nil))
}

// Result is the outcome of measuring one candidate.
type Result struct {
	// Times holds seconds per kernel call, one per timed sample (a
	// sample times one or more consecutive calls). Empty unless Err is
	// None.
	Times []float64
	// Median is the median of Times, in seconds; 0 unless Err is None.
	Median float64
	// Err is None, or why there is no time.
	Err ErrorKind
	// Msg explains Err (the compiler's message, the trap, the first wrong
	// element); empty when Err is None.
	Msg string
}

// OK reports whether the candidate verified and was timed.
func (r Result) OK() bool { return r.Err == None }

// Failed returns a Result with an error and no times.
func Failed(kind ErrorKind, format string, args ...any) Result {
	return Result{Err: kind, Msg: fmt.Sprintf(format, args...)}
}

// Timed returns the Result of a verified candidate with its times.
func Timed(times []float64) Result {
	return Result{Times: times, Median: Median(times)}
}

// Measurer measures batches of candidates of one workload.
type Measurer interface {
	// Measure returns one Result per candidate, in order. It never
	// panics and never hangs on a bad kernel: each candidate's failure is
	// in its Result, and the next one is measured. When ctx is done, the
	// remaining candidates get MeasureError.
	Measure(ctx context.Context, w *Workload, cands []Candidate) []Result
	// Name is the measurer's name in records and on the command line:
	// "wazero", "node", "browser", "bridge".
	Name() string
}

// Options control measuring. A zero field takes its default.
type Options struct {
	// Warmup is the least number of calls run and discarded before
	// timing (default 2).
	Warmup int
	// WarmupTime is the least time spent in warm-up calls (default 10ms),
	// so that V8 tiers the kernel up before it is timed.
	WarmupTime time.Duration
	// Repeats is the least number of timed samples (default 3).
	Repeats int
	// MinTime is the least total time of the timed samples (default
	// 20ms): samples go on until both Repeats and MinTime are reached.
	MinTime time.Duration
	// MaxRepeats caps the number of samples (default 50). A sample calls
	// the kernel as many times as it takes to last MinTime/MaxRepeats, so
	// that fast kernels are timed above the clock's resolution.
	MaxRepeats int
	// Timeout bounds each step of a candidate that could hang (default
	// 5s): above all its verification run, and in node its compilation
	// too. Past it the candidate is a Timeout.
	Timeout time.Duration
	// MaxMemory caps a candidate's memory in bytes (default 1 GiB): a
	// kernel whose tensors and scratch area need more is a RuntimeError.
	MaxMemory int64
}

// The defaults of Options.
const (
	DefaultWarmup     = 2
	DefaultWarmupTime = 10 * time.Millisecond
	DefaultRepeats    = 3
	DefaultMinTime    = 20 * time.Millisecond
	DefaultMaxRepeats = 50
	DefaultTimeout    = 5 * time.Second
	DefaultMaxMemory  = 1 << 30
)

// WithDefaults returns o with each zero or negative field set to its
// default. MaxMemory is capped at 4 GiB, the most a wasm32 memory holds.
func (o Options) WithDefaults() Options {
	if o.Warmup <= 0 {
		o.Warmup = DefaultWarmup
	}
	if o.WarmupTime <= 0 {
		o.WarmupTime = DefaultWarmupTime
	}
	if o.Repeats <= 0 {
		o.Repeats = DefaultRepeats
	}
	if o.MinTime <= 0 {
		o.MinTime = DefaultMinTime
	}
	if o.MaxRepeats <= 0 {
		o.MaxRepeats = DefaultMaxRepeats
	}
	if o.MaxRepeats < o.Repeats {
		o.MaxRepeats = o.Repeats
	}
	if o.Timeout <= 0 {
		o.Timeout = DefaultTimeout
	}
	if o.MaxMemory <= 0 {
		o.MaxMemory = DefaultMaxMemory
	}
	if o.MaxMemory > 1<<32 {
		o.MaxMemory = 1 << 32
	}
	return o
}

// TimeoutOf is the time limit of candidate c: Options.Timeout, or the
// candidate's own Timeout when that is longer.
func (o Options) TimeoutOf(c *Candidate) time.Duration {
	return max(o.WithDefaults().Timeout, c.Timeout)
}

// MaxPages is MaxMemory in 64 KiB wasm pages (at least 1).
func (o Options) MaxPages() uint32 {
	p := o.WithDefaults().MaxMemory / PageSize
	if p < 1 {
		p = 1
	}
	return uint32(p)
}

// PrecheckBatch checks a batch's workload and lays out its memory: the
// Layout, or the Result every candidate gets when the batch cannot be
// measured at all (a malformed workload, one that does not lay out) and
// not ok. Measurers call it first.
func PrecheckBatch(w *Workload) (Layout, Result, bool) {
	if err := w.Validate(); err != nil {
		return Layout{}, Failed(MeasureError, "%v", err), false
	}
	l, err := NewLayout(w)
	if err != nil {
		return Layout{}, Failed(MeasureError, "%v", err), false
	}
	return l, Result{}, true
}

// FillResults returns n copies of r.
func FillResults(n int, r Result) []Result {
	rs := make([]Result, n)
	for i := range rs {
		rs[i] = r
	}
	return rs
}
