//go:build !js

// Package local opens the measurers that run on the machine tabtune runs
// on, by name, for the command line: cpu (native C kernels), wazero
// (in-process) and node (V8).
// Each entry of the registry (measurers) says which targets it runs, so a
// target no local measurer can run is refused before any search, with
// what it takes instead (targets.HowToMeasure). A new local measurer is
// its package plus one line there.
package local

import (
	"context"
	"fmt"
	"os"
	"slices"
	"strings"

	"github.com/tabtune/tabtune/compiler/te"
	"github.com/tabtune/tabtune/targets"
	"github.com/tabtune/tabtune/targets/cpu"
	"github.com/tabtune/tabtune/targets/node"
	"github.com/tabtune/tabtune/targets/wazero"
)

// Auto is the name that picks node when it can be started, else wazero.
const Auto = "auto"

// entry is one local measurer.
type entry struct {
	name    string
	aliases []string
	about   string
	// runs reports why the measurer cannot run kernels of t, or nil.
	runs func(t targets.Target) error
	open func(opts targets.Options, t targets.Target) (targets.Measurer, func(), error)
}

// measurers lists the local measurers; Auto tries them in this order.
var measurers = []entry{
	{name: cpu.Name, about: "native C kernels built with the system C compiler, $CC or gcc", runs: cpuRuns, open: openCPU},
	{name: node.Name, about: "V8, what a browser runs; needs node", runs: wasmOnly, open: openNode},
	{name: wazero.Name, aliases: []string{"wasm"}, about: "in-process, needs nothing installed", runs: func(t targets.Target) error {
		if err := wasmOnly(t); err != nil {
			return err
		}
		if t.Relaxed {
			return fmt.Errorf("wazero cannot run relaxed SIMD: measure %s with -measurer node", t)
		}
		return nil
	}, open: openWazero},
}

func wasmOnly(t targets.Target) error {
	if t.Kind != targets.WasmSIMD {
		return fmt.Errorf("target %s: %s", t, targets.HowToMeasure(t.Kind))
	}
	return nil
}

// cpuRuns says why the cpu measurer cannot run kernels of t: another
// kind, or no C compiler.
func cpuRuns(t targets.Target) error {
	if t.Kind != targets.CPU {
		return fmt.Errorf("target %s: the cpu measurer runs cpu kernels; %s", t, targets.HowToMeasure(t.Kind))
	}
	return cpu.CompilerAvailable(cCompiler())
}

// cCompiler is the C compiler of the cpu measurer: $CC, or gcc.
func cCompiler() string {
	if cc := os.Getenv("CC"); cc != "" {
		return cc
	}
	return cpu.DefaultCompiler
}

func openCPU(opts targets.Options, t targets.Target) (targets.Measurer, func(), error) {
	m := cpu.New(cpu.Config{Options: opts, Compiler: cCompiler(), MCPU: t.MCPU})
	return m, func() { m.Close() }, nil
}

func openNode(opts targets.Options, t targets.Target) (targets.Measurer, func(), error) {
	m := node.New(node.Config{Options: opts, Relaxed: t.Relaxed})
	if err := m.Available(); err != nil {
		m.Close()
		return nil, nil, err
	}
	return m, func() { m.Close() }, nil
}

func openWazero(opts targets.Options, _ targets.Target) (targets.Measurer, func(), error) {
	m := wazero.New(wazero.Config{Options: opts})
	return m, func() { m.Close() }, nil
}

// Names lists the measurers' names, Auto first, for usage messages.
func Names() []string {
	out := []string{Auto}
	for _, e := range measurers {
		out = append(out, e.name)
	}
	return out
}

// Usage describes the choices of a -measurer flag.
func Usage() string {
	parts := []string{Auto + ": the first of the others that can run the target"}
	for _, e := range measurers {
		parts = append(parts, e.name+" ("+e.about+")")
	}
	return strings.Join(parts, ", ")
}

// Unavailable is the error of a target or measurer that cannot be used
// here: a usage error, reported before anything runs.
type Unavailable struct{ Err error }

func (u *Unavailable) Error() string { return u.Err.Error() }
func (u *Unavailable) Unwrap() error { return u.Err }

// Check reports, without starting anything, whether the named measurer
// (or Auto) could run kernels of t: an *Unavailable error if not.
func Check(name string, t targets.Target) error {
	_, err := pick(name, t)
	return err
}

func pick(name string, t targets.Target) ([]entry, error) {
	if name == Auto {
		var ok []entry
		var first error
		for _, e := range measurers {
			if err := e.runs(t); err != nil {
				if first == nil {
					first = err
				}
				continue
			}
			ok = append(ok, e)
		}
		if len(ok) == 0 {
			return nil, &Unavailable{first}
		}
		return ok, nil
	}
	for _, e := range measurers {
		if e.name == name || slices.Contains(e.aliases, name) {
			if err := e.runs(t); err != nil {
				return nil, &Unavailable{err}
			}
			return []entry{e}, nil
		}
	}
	return nil, &Unavailable{fmt.Errorf("unknown measurer %q: use %s", name, Usage())}
}

// Open starts the named measurer (or, for Auto, the first that can run t
// and starts) with opts. close must be called when done.
func Open(name string, t targets.Target, opts targets.Options) (targets.Measurer, func(), error) {
	es, err := pick(name, t)
	if err != nil {
		return nil, nil, err
	}
	var last error
	for _, e := range es {
		m, closeM, err := e.open(opts, t)
		if err == nil {
			return m, closeM, nil
		}
		last = err
	}
	if name == Auto {
		return nil, nil, fmt.Errorf("no measurer could start: %w", last)
	}
	return nil, nil, last
}

// Reference is the command line's flow.Referencer: the interpreter for
// small programs, the naive kernel in wazero for larger ones.
type Reference struct{}

// Workload makes the measuring workload of d (wazero.Measurer.Workload).
func (Reference) Workload(ctx context.Context, d *te.DAG, seed int64) (*targets.Workload, error) {
	m := wazero.New(wazero.Config{})
	defer m.Close()
	return m.Workload(ctx, d, seed)
}
