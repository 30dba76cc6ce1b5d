// Package api is the tabtune engine's message API: what the page asks the
// engine (a Web Worker running the Go flows compiled to WebAssembly) and
// what it answers. It is plain Go, with no syscall/js: the worker's glue
// (package main beside it) turns postMessage data into Requests and
// Replies and Events back, and tests drive the same Engine natively and
// under node.
//
// # Messages (version 1)
//
// Every message is a JSON object. The page sends requests:
//
//	{"v": 1, "id": 7, "op": "parse", "args": {...}}
//
// and the engine answers each with exactly one reply:
//
//	{"id": 7, "ok": true, "result": {...}}
//	{"id": 7, "ok": false, "error": {"kind": "input", "msg": "...", "line": 2, "col": 5}}
//
// Long operations (tune, run) send events before their reply:
//
//	{"id": 7, "event": "progress", "data": {...}}
//
// and, once at start, the engine says it is ready:
//
//	{"event": "ready", "data": {"v": 1, "tabtune": "...", "ops": [...], ...}}
//
// Error kinds: "input" (bad input from the user: an expression that does
// not parse, a step that does not apply, an unknown operator; line and col
// are set when known, step when a step is at fault), "busy" (a tune is
// running), "stopped" (the request was stopped), "internal" (a bug). The
// operations, their arguments and results are the Args and Result types
// of ops.go, one per op, documented there; their JSON field names are the
// wire names.
package api

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"

	"github.com/tabtune/tabtune/compiler/schedule"
	"github.com/tabtune/tabtune/compiler/te"
	"github.com/tabtune/tabtune/search/flow"
	"github.com/tabtune/tabtune/search/records"
	"github.com/tabtune/tabtune/targets"
)

// Version is the message API's version, the v of requests and of the
// ready event. A request with another v is refused.
const Version = 1

// Request is a message from the page.
type Request struct {
	V    int             `json:"v"`
	ID   int64           `json:"id"`
	Op   string          `json:"op"`
	Args json.RawMessage `json:"args,omitempty"`
}

// Reply is the engine's answer to one request.
type Reply struct {
	ID     int64  `json:"id"`
	OK     bool   `json:"ok"`
	Result any    `json:"result,omitempty"`
	Error  *Error `json:"error,omitempty"`
}

// Event is a message the engine sends on its own: progress of a request
// (ID set), or the ready event (ID 0).
type Event struct {
	ID    int64  `json:"id,omitempty"`
	Event string `json:"event"`
	Data  any    `json:"data,omitempty"`
}

// The error kinds.
const (
	KindInput    = "input"
	KindBusy     = "busy"
	KindStopped  = "stopped"
	KindInternal = "internal"
)

// Error is a failed request's reason.
type Error struct {
	Kind string `json:"kind"`
	Msg  string `json:"msg"`
	// Line and Col locate a parse error in the program's text (1-based).
	Line int `json:"line,omitempty"`
	Col  int `json:"col,omitempty"`
	// Step is the index of the step at fault, when one is; -1 otherwise.
	Step *int `json:"step,omitempty"`
}

func (e *Error) Error() string { return e.Msg }

// inputError wraps err as bad input, with its location when it has one.
func inputError(err error) *Error {
	var ae *Error
	if errors.As(err, &ae) {
		return ae
	}
	e := &Error{Kind: KindInput, Msg: err.Error()}
	var pe *te.ParseError
	if errors.As(err, &pe) {
		e.Line, e.Col, e.Msg = pe.Line, pe.Column, pe.Msg
	}
	var se *schedule.StepError
	if errors.As(err, &se) {
		i := se.Index
		e.Step = &i
	}
	return e
}

// Store keeps the records' lines where they survive a reload (IndexedDB in
// a page, memory in tests).
type Store interface {
	// Append adds one record's line (JSON, no newline).
	Append(line []byte) error
	// Lines returns every line stored, oldest first.
	Lines() ([][]byte, error)
}

// Config is what the glue gives an Engine.
type Config struct {
	// Measurer times kernels (the browser measurer in a page).
	Measurer targets.Measurer
	// Reference makes workloads; nil means flow.Interp.
	Reference flow.Referencer
	// Store keeps records; nil means memory only.
	Store Store
	// Tabtune is the version written in records and said when ready.
	Tabtune string
	// Info is added to the ready event's data (the host's facts: whether
	// the page is cross-origin isolated, relaxed SIMD support).
	Info map[string]any
}

// Engine answers requests. Requests may come concurrently; one tune or run
// measures at a time, and stop cancels it.
type Engine struct {
	cfg Config
	log *records.Log

	mu      sync.Mutex
	cancel  context.CancelFunc // of the running measuring request, if any
	running int64              // its id
	lines   map[string]bool    // lines in the store, to import each once
}

// New makes an Engine and loads the store's records into its log; lines
// that do not read are skipped and returned.
func New(cfg Config) (*Engine, []error) {
	if cfg.Store == nil {
		cfg.Store = &MemStore{}
	}
	if cfg.Reference == nil {
		cfg.Reference = flow.Interp{}
	}
	e := &Engine{cfg: cfg, log: &records.Log{}, lines: map[string]bool{}}
	lines, err := cfg.Store.Lines()
	if err != nil {
		return e, []error{fmt.Errorf("reading the stored records: %w", err)}
	}
	_, skipped := e.addLines(lines, false)
	return e, skipped
}

// Ready is the data of the ready event.
func (e *Engine) Ready() map[string]any {
	d := map[string]any{"v": Version, "tabtune": e.cfg.Tabtune, "ops": opNames(), "records": len(e.lines)}
	for k, v := range e.cfg.Info {
		d[k] = v
	}
	return d
}

// Handle answers one request, sending its events to emit first. It never
// panics: a panic in an operation is an internal error.
func (e *Engine) Handle(ctx context.Context, req Request, emit func(Event)) (reply Reply) {
	reply.ID = req.ID
	defer func() {
		if p := recover(); p != nil {
			reply = Reply{ID: req.ID, Error: &Error{Kind: KindInternal, Msg: fmt.Sprintf("internal error in %s: %v", req.Op, p)}}
		}
	}()
	if req.V != Version {
		reply.Error = &Error{Kind: KindInput, Msg: fmt.Sprintf("message version %d: this engine speaks version %d", req.V, Version)}
		return reply
	}
	op, ok := opsByName[req.Op]
	if !ok {
		reply.Error = &Error{Kind: KindInput, Msg: fmt.Sprintf("unknown op %q (ops: %v)", req.Op, opNames())}
		return reply
	}
	if emit == nil {
		emit = func(Event) {}
	}
	res, err := op(e, ctx, req, func(data any) { emit(Event{ID: req.ID, Event: "progress", Data: data}) })
	if err != nil {
		var ae *Error
		if !errors.As(err, &ae) {
			ae = inputError(err)
		}
		reply.Error = ae
		return reply
	}
	reply.OK, reply.Result = true, res
	return reply
}

// begin marks a measuring request as running and returns its context; a
// second one while one runs is refused as busy.
func (e *Engine) begin(ctx context.Context, id int64) (context.Context, func(), error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.cancel != nil {
		return nil, nil, &Error{Kind: KindBusy, Msg: fmt.Sprintf("request %d is measuring: stop it first", e.running)}
	}
	ctx, cancel := context.WithCancel(ctx)
	e.cancel, e.running = cancel, id
	return ctx, func() {
		e.mu.Lock()
		defer e.mu.Unlock()
		cancel()
		e.cancel, e.running = nil, 0
	}, nil
}

// stop cancels the running measuring request; it reports whether there
// was one.
func (e *Engine) stop() (int64, bool) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.cancel == nil {
		return 0, false
	}
	e.cancel()
	return e.running, true
}

// storeWriter is the records.Writer's destination: each Write is one
// whole line, which goes to the store.
type storeWriter struct{ e *Engine }

func (w storeWriter) Write(p []byte) (int, error) {
	line := trimNewline(p)
	w.e.mu.Lock()
	w.e.lines[string(line)] = true
	w.e.mu.Unlock()
	if err := w.e.cfg.Store.Append(line); err != nil {
		return 0, err
	}
	return len(p), nil
}

func trimNewline(p []byte) []byte {
	for len(p) > 0 && (p[len(p)-1] == '\n' || p[len(p)-1] == '\r') {
		p = p[:len(p)-1]
	}
	return append([]byte(nil), p...)
}

// addLines reads record lines into the log (and, with store, into the
// store), each distinct line once. It returns how many were added and the
// errors of lines that did not read.
func (e *Engine) addLines(lines [][]byte, store bool) (int, []error) {
	var errs []error
	added := 0
	for i, raw := range lines {
		line := trimNewline(raw)
		if len(line) == 0 {
			continue
		}
		e.mu.Lock()
		seen := e.lines[string(line)]
		e.mu.Unlock()
		if seen {
			continue
		}
		var r records.Record
		if err := json.Unmarshal(line, &r); err != nil {
			errs = append(errs, fmt.Errorf("line %d: %w", i+1, err))
			continue
		}
		if store {
			if err := e.cfg.Store.Append(line); err != nil {
				errs = append(errs, fmt.Errorf("line %d: storing: %w", i+1, err))
				continue
			}
		}
		e.mu.Lock()
		e.lines[string(line)] = true
		e.mu.Unlock()
		e.log.Add(&r)
		added++
	}
	return added, errs
}

// MemStore is a Store in memory.
type MemStore struct {
	mu    sync.Mutex
	lines [][]byte
}

// Append implements Store.
func (s *MemStore) Append(line []byte) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.lines = append(s.lines, append([]byte(nil), line...))
	return nil
}

// Lines implements Store.
func (s *MemStore) Lines() ([][]byte, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([][]byte(nil), s.lines...), nil
}
