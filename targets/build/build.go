// Package build turns schedules into what measurers take: a Workload (the
// program's tensors, deterministic inputs, reference outputs) and
// Candidates (a schedule lowered and compiled for a target). It is the
// "build" step of the measuring flow (input -> build -> run -> result) and
// portable: the browser builds candidates with it too.
//
// Each target kind has one Builder, found in a registry (builders in
// registry.go): a new target is one file with its Builder plus one line
// there. Build stamps every candidate with its identity
// (targets.Candidate.Digest), which tuners use to measure a kernel once
// however many schedules produce it.
package build

import (
	"context"
	"fmt"
	"math"

	"github.com/tabtune/tabtune/compiler/expr"
	"github.com/tabtune/tabtune/compiler/interp"
	"github.com/tabtune/tabtune/compiler/schedule"
	"github.com/tabtune/tabtune/compiler/te"
	"github.com/tabtune/tabtune/targets"
)

// InterpLimit is the largest program (in FLOPs) whose reference outputs
// Workload computes with the interpreter; larger ones need a reference
// kernel run by an engine (see NeedsReference).
const InterpLimit = 3e7

// Tolerances of the comparison with the reference: f32 sums reordered by a
// schedule differ in the last bits, more so for long reductions.
const (
	Atol = 1e-3
	Rtol = 1e-3
)

// Workload makes the measuring workload of a program: its tensors, inputs
// drawn from seed (interp.RandomInputs) and, for programs up to
// InterpLimit FLOPs, the reference outputs from the interpreter. For
// larger ones Want is nil: fill it with a reference kernel (WorkloadWith).
func Workload(d *te.DAG, seed int64) (*targets.Workload, error) {
	if err := CheckMemory(d, MaxWasmMemory); err != nil {
		return nil, err
	}
	w := &targets.Workload{Key: d.Key(), Atol: Atol, Rtol: Rtol, Poison: poisonOf(d)}
	for _, t := range d.Inputs {
		w.Inputs = append(w.Inputs, tensor(t))
	}
	for _, t := range d.Outputs {
		w.Outputs = append(w.Outputs, tensor(t))
	}
	inputs := interp.RandomInputs(d, seed)
	for _, in := range inputs {
		if in.I32 != nil {
			w.InputData = append(w.InputData, targets.EncodeI32(in.I32))
		} else {
			w.InputData = append(w.InputData, targets.EncodeF32(in.F32))
		}
	}
	if d.FLOPs() <= InterpLimit {
		outs, err := interp.Options{MaxSteps: -1}.Eval(d, inputs)
		if err != nil {
			return nil, fmt.Errorf("build: reference: %w", err)
		}
		for _, o := range outs {
			if o.I32 != nil {
				v := make([]float32, len(o.I32))
				for i, x := range o.I32 {
					v[i] = float32(x)
				}
				w.Want = append(w.Want, v)
				continue
			}
			w.Want = append(w.Want, o.F32)
		}
	}
	return w, nil
}

// WorkloadWith is Workload, with the reference outputs of programs too
// large for the interpreter from the naive schedule built for t and run
// once by run: a measurer's way to run a trusted kernel and read its
// outputs (wazero, the page's engine, the cpu runner).
func WorkloadWith(ctx context.Context, d *te.DAG, seed int64, t targets.Target, run func(ctx context.Context, w *targets.Workload, naive targets.Candidate) ([][]float32, error)) (*targets.Workload, error) {
	w, err := Workload(d, seed)
	if err != nil || !NeedsReference(w) {
		return w, err
	}
	naive, err := Build(schedule.New(d), t)
	if err != nil {
		return nil, err
	}
	if w.Want, err = run(ctx, w, naive); err != nil {
		return nil, fmt.Errorf("build: reference from the naive kernel: %w", err)
	}
	return w, nil
}

// MaxWasmMemory is the most a wasm32 memory holds: 4 GiB.
const MaxWasmMemory = 1 << 32

// CheckMemory checks, before anything is allocated, that the inputs and
// outputs of d fit in limit bytes of a kernel's memory (MaxWasmMemory, or
// a measurer's targets.Options.MaxMemory). The error gives the size and
// the limit.
func CheckMemory(d *te.DAG, limit int64) error {
	tensors := append(append([]*te.Tensor(nil), d.Inputs...), d.Outputs...)
	holder := "the measurer's memory"
	if limit == MaxWasmMemory {
		holder = "a wasm32 memory"
	}
	if err := te.CheckBytes(tensors, limit, holder); err != nil {
		return fmt.Errorf("build: %w", err)
	}
	return nil
}

// NeedsReference reports whether w still lacks its reference outputs.
func NeedsReference(w *targets.Workload) bool { return w.Want == nil }

func tensor(t *te.Tensor) targets.Tensor {
	dt := targets.F32
	if t.DType == expr.Int {
		dt = targets.I32
	}
	return targets.Tensor{Name: t.Name, Shape: t.Shape, DType: dt}
}

// poisonOf is interp.PoisonFor(d) as targets.Workload.Poison: NaN (0, the
// default) or ±Inf for programs of maxima or minima.
func poisonOf(d *te.DAG) uint32 {
	p := math.Float32bits(interp.PoisonFor(d))
	if p == targets.PoisonMax || p == targets.PoisonMin {
		return p
	}
	return 0
}
