package features

import (
	"github.com/tabtune/tabtune/compiler/ir"
	"github.com/tabtune/tabtune/compiler/lower"
	"github.com/tabtune/tabtune/compiler/schedule"
	"github.com/tabtune/tabtune/targets"
)

// Machine is what the features know of the target a program is tuned
// for: the width of its code generator's vectors, which decides how a
// vectorized loop runs (its chunks, its scalar tail, which loops vectorize
// at all), and the data cache sizes of its processor, which decide where a
// reused footprint is read from (the reuse_l1 and reuse_l2 features).
type Machine struct {
	// Lanes is the number of f32 lanes of a vector: 4 for wasm-simd, 8
	// for AVX2, 16 for AVX-512 (targets.Target.VectorLanes).
	Lanes int64
	// L1 and L2 are the per-core data cache sizes, in bytes.
	L1, L2 int64
}

// Wasm is the machine of the wasm-simd target: f32x4 vectors, and the
// caches targets.Target.Caches assumes for it.
var Wasm = MachineOf(targets.MustParseTarget(string(targets.WasmSIMD)))

// MachineOf is the machine of a target: its vector lanes and its caches.
func MachineOf(t targets.Target) Machine {
	c := t.Caches()
	return Machine{Lanes: int64(max(t.VectorLanes(), 1)), L1: c.L1, L2: c.L2}
}

// ExtractState lowers a state and extracts the features of its program
// as the code generator of m runs it.
func (m Machine) ExtractState(st *schedule.State) ([][]float32, error) {
	f, err := lower.Lower(st)
	if err != nil {
		return nil, err
	}
	return m.Extract(f), nil
}

// ExtractState is Wasm.ExtractState.
func ExtractState(st *schedule.State) ([][]float32, error) { return Wasm.ExtractState(st) }

// Extract is Wasm.Extract.
func Extract(f *ir.Func) [][]float32 { return Wasm.Extract(f) }
