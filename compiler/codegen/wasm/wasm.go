// Package wasm generates WebAssembly SIMD kernels from the loop IR.
//
// Compile takes a lowered function (package ir) and writes a module with
// the calling convention of all tabtune wasm kernels: it imports its memory
// as env.memory and exports kernel(i32 ptr..., i32 scratch), one byte
// offset per tensor (inputs first, outputs last) and the offset of a
// scratch area for intermediate buffers, whose size in bytes it exports as
// the i32 global scratch_bytes.
//
// Code generation runs the IR passes shared by the generators (Passes,
// package codegen: partition, auto-unroll, vectorize to four lanes,
// transpose, unroll), then one
// emitter, which decides what is wasm's alone:
//
//   - promote: a local (register) buffer addressed only by constants, or by
//     a four-lane loop at an aligned constant, lives in v128 locals: the
//     accumulators of a GEMM micro-kernel stay in registers.
//   - hoist: in an innermost loop, values at addresses that do not change
//     with the loop are kept in locals across it.
//   - emit: loops become loop/br_if with i32 counters; in innermost loops,
//     addresses are pointer locals advanced by a constant each iteration
//     (strength reduction) with constant offsets in the memarg; four-lane
//     loops become f32x4 instructions, and their guards are checked at both
//     ends of the chunk so that full chunks run as vectors and the edge
//     runs lane by lane. A four-lane load is one v128.load when contiguous,
//     two and an i8x16.shuffle at strides -1, ±2 and ±3 (a stride-2
//     convolution's input), a gather beyond, except in a transpose group
//     (codegen.Transpose: a layout change such as NCHW to NHWC), where four
//     rows are loaded and transposed with eight i8x16.shuffle
//     (transpose.go); a lane-invariant one is a
//     v128.load32_splat. The accumulators of a vectorized reduction (package
//     codegen) are local buffers like any other, so they live in v128
//     locals, and their four lanes are folded with two shuffles and two
//     f32x4 ops (horizontal.go).
//
// exp, exp_nonpos (exp of x - max(x), package lower), log, tanh, sigmoid
// and pow are polynomials (package wmath): the
// scalar form a function emitted once per module and called, the f32x4
// form inlined where it is used: no call per four lanes, and V8 makes the
// polynomial's constants once per loop rather than once per call
// (softmax's best kernel 1.3x faster in node, interleaved runs).
package wasm

import (
	"fmt"

	"github.com/tabtune/tabtune/compiler/codegen"
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

// defaultMaxUnroll is MaxUnroll when zero.
const defaultMaxUnroll = 4096

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
	// Prepared is the IR after the code generator's passes (Passes), for
	// the curious (tabtune lower -trace).
	Prepared *ir.Func
}

// Compile generates the module for a lowered function.
func Compile(f *ir.Func, opts Options) (*Kernel, error) {
	prepared, err := Prepare(f, opts, nil)
	if err != nil {
		return nil, err
	}
	g := &gen{opts: opts, env: codegen.Ranges(prepared.Body), lanes: codegen.LaneVars(prepared.Body), groups: map[*expr.Var]bool{}}
	ir.WalkStmt(prepared.Body, func(s ir.Stmt) bool {
		if l, ok := s.(*ir.For); ok && codegen.IsTransposeGroup(l) {
			g.groups[l.Var] = true
		}
		return true
	})
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
	m    *wasmbin.Module
	f    *wasmbin.Func
	lib  mathLib

	// base holds, per buffer in memory, the local with its byte address.
	base map[*ir.Buffer]uint32
	// regs holds, per promoted buffer, its v128 locals.
	regs map[*ir.Buffer][]uint32
	// vars holds the i32 local of each loop or let variable.
	vars map[*expr.Var]uint32
	// env holds the range of every loop variable; lanes are the variables
	// of four-lane loops, groups those of transpose groups (constants
	// where they are emitted).
	env    expr.Env
	lanes  map[*expr.Var]bool
	groups map[*expr.Var]bool
	// ptrs maps an access in an innermost loop to its pointer local.
	ptrs map[any]access

	cache map[string]cached
	// value is the value of the vector store being emitted: a stride-2
	// load finds the load one element further on in it (vloadPair).
	value expr.Expr
	// next holds the statements that follow the one being emitted in its
	// straight-line block: four-lane loops among them that run next are
	// searched for vloadPair's partners too.
	next         []ir.Stmt
	hoist        map[string]*hoisted
	hoistBufs    map[*ir.Buffer]bool
	scratch      map[*ir.Buffer]int64
	scratchBytes int64
	temps        map[wasmbin.ValType][]uint32

	// dead counts the branches being emitted that never run (branch);
	// spare is the v128 local their out-of-range register accesses use.
	dead     int
	spare    uint32
	hasSpare bool
}

// access is how an access in a strength-reduced loop finds its address:
// pointer local ptr plus a constant byte offset.
type access struct {
	ptr    uint32
	offset int64
}
