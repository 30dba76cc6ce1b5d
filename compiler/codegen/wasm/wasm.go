// Package wasm generates WebAssembly SIMD kernels from the loop IR.
//
// Compile takes a lowered function (package ir) and writes a module with
// the calling convention of all tabtune wasm kernels: it imports its memory
// as env.memory and exports kernel(i32 ptr..., i32 scratch), one byte
// offset per tensor (inputs first, outputs last) and the offset of a
// scratch area for intermediate buffers, whose size in bytes it exports as
// the i32 global scratch_bytes.
//
// Code generation is a few small passes over the IR, then one emitter:
//
//   - vectorize: a loop annotated vectorized whose body the emitter can
//     compute four lanes at a time becomes a loop over chunks of four and a
//     four-lane loop (emitted as f32x4 instructions), plus a scalar tail
//     when the extent is not a multiple of four; small chunk loops are
//     unrolled so that a register tile is addressed by constants. Other
//     vectorized loops run as scalar loops.
//   - unroll: unrolled loops, and loops under an auto_unroll_max_step
//     pragma whose iterations fit the budget, are expanded.
//   - promote: a local (register) buffer addressed only by constants, or by
//     a four-lane loop at an aligned constant, lives in v128 locals: the
//     accumulators of a GEMM micro-kernel stay in registers.
//   - emit: loops become loop/br_if with i32 counters; in innermost loops,
//     addresses are pointer locals advanced by a constant each iteration
//     (strength reduction) with constant offsets in the memarg; guards of
//     four-lane loops are checked at both ends of the chunk so that full
//     chunks run as vectors and the edge runs lane by lane.
//
// exp, log, tanh, sigmoid and pow are polynomial functions emitted once per
// module (package wmath), in scalar and f32x4 forms.
package wasm

import (
	"fmt"

	"github.com/tabtune/tabtune/compiler/codegen/wasm/wasmbin"
	"github.com/tabtune/tabtune/compiler/expr"
	"github.com/tabtune/tabtune/compiler/ir"
)

// Options tune code generation.
type Options struct {
	// Relaxed allows relaxed SIMD (f32x4.relaxed_madd) where it helps.
	// V8 runs it; wazero does not compile it.
	Relaxed bool
	// MaxUnroll bounds the statements one unrolled loop may expand to.
	// Zero means 4096.
	MaxUnroll int
}

// Kernel is a generated module and what a caller needs to run it.
type Kernel struct {
	// Wasm is the module's bytes.
	Wasm []byte
	// ScratchBytes is the size of the scratch area (also exported as the
	// global scratch_bytes).
	ScratchBytes int
	// Params are the tensors kernel takes, in order.
	Params []*ir.Buffer
	// Outputs counts the last Params that the kernel writes.
	Outputs int
	// VectorLoops counts the loops that run four lanes at a time, and
	// RegisterBuffers the local buffers held in v128 locals.
	VectorLoops, RegisterBuffers int
	// Prepared is the IR after the code generator's passes, for the
	// curious (tabtune lower -target wasm-simd).
	Prepared *ir.Func
}

// Compile generates the module for a lowered function.
func Compile(f *ir.Func, opts Options) (*Kernel, error) {
	if opts.MaxUnroll == 0 {
		opts.MaxUnroll = 4096
	}
	g := &gen{opts: opts, env: expr.Env{}}
	prepared, err := g.prepare(f)
	if err != nil {
		return nil, fmt.Errorf("wasm: %w", err)
	}
	if err := g.emitModule(prepared); err != nil {
		return nil, fmt.Errorf("wasm: %w", err)
	}
	return &Kernel{
		Wasm:            g.m.Bytes(),
		ScratchBytes:    int(g.scratchBytes),
		Params:          f.Params,
		Outputs:         f.Outputs,
		Prepared:        prepared,
		VectorLoops:     len(g.lanes),
		RegisterBuffers: len(g.regs),
	}, nil
}

// gen is the state of one compilation.
type gen struct {
	opts Options
	env  expr.Env
	m    *wasmbin.Module
	f    *wasmbin.Func
	lib  mathLib

	// base holds, per buffer in memory, the local with its byte address.
	base map[*ir.Buffer]uint32
	// regs holds, per promoted buffer, its v128 locals.
	regs map[*ir.Buffer][]uint32
	// vars holds the i32 local of each loop or let variable.
	vars map[*expr.Var]uint32
	// lanes are the variables of four-lane loops.
	lanes map[*expr.Var]bool
	// ptrs maps an access in an innermost loop to its pointer local.
	ptrs map[any]access

	cache        map[string]cached
	hoist        map[string]*hoisted
	hoistBufs    map[*ir.Buffer]bool
	scratch      map[*ir.Buffer]int64
	scratchBytes int64
	temps        map[wasmbin.ValType][]uint32
}

// access is how an access in a strength-reduced loop finds its address:
// pointer local ptr plus a constant byte offset.
type access struct {
	ptr    uint32
	offset int64
}
