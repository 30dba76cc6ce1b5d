package build

import (
	"fmt"

	"github.com/tabtune/tabtune/compiler/codegen/wasm"
	"github.com/tabtune/tabtune/compiler/codegen/wasm/wasmbin"
	"github.com/tabtune/tabtune/compiler/ir"
	"github.com/tabtune/tabtune/compiler/lower"
	"github.com/tabtune/tabtune/compiler/schedule"
	"github.com/tabtune/tabtune/targets"
)

// wasmBuilder builds WebAssembly SIMD modules (target wasm-simd).
type wasmBuilder struct{}

func (wasmBuilder) Build(st *schedule.State, t targets.Target) (targets.Candidate, error) {
	k, err := Wasm(st, t)
	if err != nil {
		return targets.Candidate{}, err
	}
	return targets.Candidate{Wasm: k.Wasm, Relaxed: t.Relaxed}, nil
}

func (wasmBuilder) Export(st *schedule.State, t targets.Target) ([]File, error) {
	k, err := Wasm(st, t)
	if err != nil {
		return nil, err
	}
	wat, err := wasmbin.Disassemble(k.Wasm)
	if err != nil {
		return nil, err
	}
	return []File{
		{Name: "kernel.wasm", Data: k.Wasm, About: fmt.Sprintf("the module, %d bytes of scratch", k.ScratchBytes)},
		{Name: "kernel.wat", Data: []byte(wat), About: "its text"},
	}, nil
}

func (wasmBuilder) Prepare(f *ir.Func, t targets.Target, watch func(string, *ir.Func)) (*ir.Func, error) {
	return wasm.Prepare(f, wasm.Options{Relaxed: t.Relaxed}, watch)
}

// Wasm lowers a schedule and compiles it for a wasm target, returning the
// generator's whole output (the module, its scratch size, the prepared
// IR). Measuring code uses Build.
func Wasm(st *schedule.State, t targets.Target) (*wasm.Kernel, error) {
	if t.Kind != targets.WasmSIMD {
		return nil, fmt.Errorf("build: target %s is not a wasm target", t)
	}
	if err := CheckMemory(st.DAG, MaxWasmMemory); err != nil {
		return nil, err
	}
	f, err := lower.Lower(st)
	if err != nil {
		return nil, err
	}
	return wasm.Compile(f, wasm.Options{Relaxed: t.Relaxed})
}
