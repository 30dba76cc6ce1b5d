// Package records is the tuning log: every measured schedule, one JSON
// object per line (JSON Lines), in the manner of Ansor's measure_record.
//
// A line is self-contained: it carries the workload's canonical text as
// well as its key, so any tabtune (the command line, the browser, the
// bridge) can parse the program and replay the steps without anything
// else. Fields, in the order they are written:
//
//	{"v":1,
//	 "workload":{"key":"8c0f…","text":"A = input(f32, [64, 64])\n…"},
//	 "target":"wasm-simd",
//	 "measurer":"wasm",
//	 "steps":[{"kind":"split","stage":2,"iter":0,"lengths":[8,4],"inner_to_outer":true},…],
//	 "result":{"times":[0.0012,0.0011],"median":0.00115,"err":"","msg":""},
//	 "flops":524288,
//	 "time":"2026-11-25T16:00:00Z",
//	 "tabtune":"devel",
//	 "round":3,
//	 "origin":"evolve",
//	 "kernel":"3f9a…"}
//
// (on one line). v is the format version, Version. workload.key is
// te.DAG.Key of the text, which is te.DAG.String. target is a
// targets.Target in its String form. steps are the step objects of
// schedule.MarshalStep, in order. result.times are seconds per call and
// result.median their median; result.err is "" for a timed candidate, or
// the text form of a targets.ErrorKind ("compile error", "runtime error",
// "wrong result", "timeout", "measure error") with result.msg explaining
// it. flops counts the whole program's floating-point operations
// (te.DAG.FLOPs). time is when it was measured, RFC 3339 in UTC. tabtune
// is the version that measured it; round is the search round and origin
// says how the schedule was found ("sample", "evolve", "random",
// "hand", ...). kernel is the identity of the code that ran
// (targets.Candidate.ID: a digest of the module or source and its launch
// configuration); it is absent from records written before it existed.
//
// Compatibility: a reader ignores fields it does not know, and treats a
// missing field as its zero value, so new fields may be added without
// changing v. Any change that an older reader would misread (a field
// renamed, removed or given a new meaning or type, a new step format)
// bumps v; a reader rejects, line by line and with a clear message, a
// version newer than its own, and keeps reading the other lines. Steps
// follow the step format of schedule.FormatVersion: a record version
// implies a step format version, and a step kind or step field that a
// reader does not know makes that line an error.
//
// Writing is append-only and crash-tolerant: each record is one Write of
// a whole line, flushed and synced, so an interrupted tuning run loses at
// most the line it was writing. Reading skips a truncated last line with a
// warning and reports every other bad line with its number without
// stopping. A Log indexes records in memory for the questions a search
// asks: the best schedules of a workload on a target, and whether a
// schedule was measured already (to resume without measuring it again).
package records

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"time"

	"github.com/tabtune/tabtune/compiler/schedule"
	"github.com/tabtune/tabtune/compiler/te"
	"github.com/tabtune/tabtune/targets"
)

// Version is the format version written in field v. Readers accept
// versions 1 to Version.
const Version = 1

// The origins of a schedule used by tabtune itself; Origin may hold
// others.
const (
	OriginSample  = "sample"  // filled in from a sketch by the sampler
	OriginEvolve  = "evolve"  // made by the evolutionary search, among the best it scored
	OriginSketch  = "sketch"  // the best the evolution scored in one sketch, measured in turn (evolve.Params.SketchShare)
	OriginFresh   = "fresh"   // a random draw of the round, among the best the model scored (evolve.Params.FreshShare)
	OriginRandom  = "random"  // picked at random, for exploration
	OriginConfirm = "confirm" // a schedule measured again to confirm its time (tune.Task.Confirm)
	OriginHand    = "hand"    // written by a person
	OriginNaive   = "naive"   // the naive schedule, measured as the baseline (tune.Task.Baseline)
)

// Workload names the program a record measured: its key and its
// canonical text.
type Workload struct {
	// Key is te.DAG.Key of the program.
	Key string
	// Text is te.DAG.String, the program's canonical text.
	Text string
}

// WorkloadOf returns the workload of a program.
func WorkloadOf(d *te.DAG) Workload { return Workload{Key: d.Key(), Text: d.String()} }

// Record is one measured schedule: a line of the log.
type Record struct {
	Workload Workload
	// Target is the targets.Target the schedule was built for, in its
	// String form.
	Target string
	// Measurer is the name of the targets.Measurer that timed it
	// ("wazero", "node", "browser", "bridge"; "wasm" in records written
	// before the wazero measurer took its name).
	Measurer string
	// Steps is the schedule, applied to the workload's initial state.
	Steps []schedule.Step
	// Result is the outcome: times, or why there are none.
	Result targets.Result
	// FLOPs counts the program's floating-point operations.
	FLOPs float64
	// Time is when the schedule was measured.
	Time time.Time
	// Tabtune is the version of tabtune that measured it.
	Tabtune string
	// Round is the search round that proposed it.
	Round int
	// Origin says how the schedule was found (OriginSample, ...).
	Origin string
	// Kernel is the identity of the kernel that was measured
	// (targets.Candidate.ID); empty in records written before it existed.
	Kernel string
}

// OK reports whether the schedule verified and has a time: no error and
// a positive median.
func (r *Record) OK() bool { return r.Result.Err == targets.None && r.Result.Median > 0 }

// GFLOPS is the speed the median time gives, in 10^9 floating-point
// operations per second; 0 unless OK.
func (r *Record) GFLOPS() float64 {
	if !r.OK() {
		return 0
	}
	return r.FLOPs / r.Result.Median / 1e9
}

// State parses the workload's text and replays the steps on it. The text
// must have the record's key.
func (r *Record) State() (*schedule.State, error) {
	d, err := te.Parse(r.Workload.Text)
	if err != nil {
		return nil, fmt.Errorf("records: workload %s: %w", r.Workload.Key, err)
	}
	if d.Key() != r.Workload.Key {
		return nil, fmt.Errorf("records: workload key %s does not match its text, whose key is %s", r.Workload.Key, d.Key())
	}
	return r.Replay(d)
}

// Replay replays the steps on d, which must be the record's workload. It
// is State for a caller that has parsed the program already.
func (r *Record) Replay(d *te.DAG) (*schedule.State, error) {
	if d.Key() != r.Workload.Key {
		return nil, fmt.Errorf("records: the record is for workload %s, not %s", r.Workload.Key, d.Key())
	}
	st, err := schedule.Replay(d, r.Steps)
	if err != nil {
		return nil, fmt.Errorf("records: workload %s: %w", r.Workload.Key, err)
	}
	return st, nil
}

// wire is a record as it is written: field order is line order.
type wire struct {
	V        int               `json:"v"`
	Workload wireWorkload      `json:"workload"`
	Target   string            `json:"target"`
	Measurer string            `json:"measurer"`
	Steps    []json.RawMessage `json:"steps"`
	Result   wireResult        `json:"result"`
	FLOPs    float64           `json:"flops"`
	Time     time.Time         `json:"time"`
	Tabtune  string            `json:"tabtune"`
	Round    int               `json:"round"`
	Origin   string            `json:"origin"`
	Kernel   string            `json:"kernel,omitempty"`
}

type wireWorkload struct {
	Key  string `json:"key"`
	Text string `json:"text"`
}

type wireResult struct {
	Times  []float64 `json:"times"`
	Median float64   `json:"median"`
	Err    string    `json:"err"`
	Msg    string    `json:"msg"`
}

// MarshalJSON writes the record as one line of the log, without the
// newline. A record without a workload key or text or a target, with an
// invalid error kind or with a time or FLOP count that is not finite is an
// error.
func (r Record) MarshalJSON() ([]byte, error) {
	if err := r.check(); err != nil {
		return nil, err
	}
	w := wire{
		V:        Version,
		Workload: wireWorkload{Key: r.Workload.Key, Text: r.Workload.Text},
		Target:   r.Target,
		Measurer: r.Measurer,
		Steps:    make([]json.RawMessage, len(r.Steps)),
		Result:   wireResult{Times: r.Result.Times, Median: r.Result.Median, Msg: r.Result.Msg},
		FLOPs:    r.FLOPs,
		Time:     r.Time.UTC(),
		Tabtune:  r.Tabtune,
		Round:    r.Round,
		Origin:   r.Origin,
		Kernel:   r.Kernel,
	}
	if w.Result.Times == nil {
		w.Result.Times = []float64{}
	}
	if r.Result.Err != targets.None {
		w.Result.Err = r.Result.Err.String()
	}
	for i, s := range r.Steps {
		if s == nil {
			return nil, fmt.Errorf("records: step %d is nil", i)
		}
		raw, err := schedule.MarshalStep(s)
		if err != nil {
			return nil, fmt.Errorf("records: step %d: %w", i, err)
		}
		// What is written must read back (an out-of-range annotation
		// writes, as its String form, but does not read).
		if _, err := schedule.UnmarshalStep(raw); err != nil {
			return nil, fmt.Errorf("records: step %d (%s) would not read back: %w", i, s.Kind(), err)
		}
		w.Steps[i] = raw
	}
	return marshalLine(&w)
}

// UnmarshalJSON reads one line of the log. A version newer than Version is
// a *VersionError; unknown fields are ignored (see the package comment).
func (r *Record) UnmarshalJSON(data []byte) error {
	var head struct {
		V *json.RawMessage `json:"v"`
	}
	if err := json.Unmarshal(data, &head); err != nil {
		return fmt.Errorf("records: not a record: %w", err)
	}
	if head.V == nil {
		return errors.New("records: not a record: no format version (field v)")
	}
	var v int
	if err := json.Unmarshal(*head.V, &v); err != nil {
		return fmt.Errorf("records: format version %s is not an integer", *head.V)
	}
	if v > Version {
		return &VersionError{Version: v}
	}
	if v < 1 {
		return fmt.Errorf("records: bad format version %d (versions start at 1)", v)
	}
	var w wire
	if err := json.Unmarshal(data, &w); err != nil {
		return fmt.Errorf("records: %w", err)
	}
	rec := Record{
		Workload: Workload{Key: w.Workload.Key, Text: w.Workload.Text},
		Target:   w.Target,
		Measurer: w.Measurer,
		Result:   targets.Result{Times: w.Result.Times, Median: w.Result.Median, Msg: w.Result.Msg},
		FLOPs:    w.FLOPs,
		Time:     w.Time,
		Tabtune:  w.Tabtune,
		Round:    w.Round,
		Origin:   w.Origin,
		Kernel:   w.Kernel,
	}
	if len(rec.Result.Times) == 0 {
		rec.Result.Times = nil
	}
	if w.Result.Err != "" {
		k, err := targets.ParseErrorKind(w.Result.Err)
		if err != nil {
			return fmt.Errorf("records: result: %w", err)
		}
		rec.Result.Err = k
	}
	if len(w.Steps) > schedule.MaxSteps {
		return fmt.Errorf("records: %d steps: more than %d", len(w.Steps), schedule.MaxSteps)
	}
	if len(w.Steps) > 0 {
		rec.Steps = make([]schedule.Step, len(w.Steps))
		for i, raw := range w.Steps {
			s, err := schedule.UnmarshalStep(raw)
			if err != nil {
				return fmt.Errorf("records: step %d: %w", i, err)
			}
			rec.Steps[i] = s
		}
	}
	if err := rec.check(); err != nil {
		return err
	}
	*r = rec
	return nil
}

// VersionError is a record written in a newer format than this tabtune
// reads.
type VersionError struct {
	Version int // the record's version
}

func (e *VersionError) Error() string {
	return fmt.Sprintf("records: the record has format version %d, newer than this tabtune reads (%d); update tabtune to read it", e.Version, Version)
}

// check is what both writing and reading require of a record.
func (r *Record) check() error {
	switch {
	case r.Workload.Key == "":
		return errors.New("records: the workload has no key")
	case r.Workload.Text == "":
		return fmt.Errorf("records: workload %s has no text", r.Workload.Key)
	case r.Target == "":
		return errors.New("records: no target")
	}
	if y := r.Time.UTC().Year(); y < 0 || y > 9999 {
		return fmt.Errorf("records: time %v is out of range (years 0 to 9999 in UTC)", r.Time)
	}
	if _, err := r.Result.Err.MarshalText(); err != nil {
		return fmt.Errorf("records: result: %w", err)
	}
	finite := func(what string, x float64) error {
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return fmt.Errorf("records: %s is %v", what, x)
		}
		return nil
	}
	for i, t := range r.Result.Times {
		if err := finite(fmt.Sprintf("result time %d", i), t); err != nil {
			return err
		}
	}
	if err := finite("the result's median", r.Result.Median); err != nil {
		return err
	}
	return finite("the FLOP count", r.FLOPs)
}
