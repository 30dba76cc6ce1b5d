// Package c generates C kernels for CPUs from the loop IR: one
// self-contained C file per kernel, for GCC or Clang, with explicit vector
// types (GCC/Clang vector extensions) of the target's width and OpenMP for
// parallel loops, so that the speed does not depend on the C compiler's
// auto-vectorizer.
//
// # Calling convention
//
// The file defines, as DESIGN.md's C convention says,
//
//	void kernel(float *restrict A, ..., float *restrict C[, char *restrict scratch])
//
// one pointer per tensor, inputs first in DAG order, outputs last, dense
// row-major (an i32 tensor is an int pointer). The scratch argument is
// there only when the kernel needs one: the intermediate buffers of global
// scope that are not inside a parallel loop live in it, at fixed offsets,
// and the file defines kernel_scratch_bytes, their size in bytes (0 when
// there is no scratch argument). Intermediate buffers inside a parallel
// loop are private to each thread: arrays on the stack, or, when they are
// large, on the heap, allocated once per thread in an OpenMP parallel
// region around the loop. The caller places tensors and scratch anywhere, 4-byte
// aligned; the kernel makes no assumption of alignment.
//
// For runners, which call kernels of any arity through one symbol, the
// file also defines void kernel_args(void **args), which calls kernel with
// args[0], args[1], ... (the scratch pointer last when there is one).
//
// # Code generation
//
// Compile runs the IR passes shared by the generators (Passes, package
// codegen: partition, auto-unroll, vectorize to Options.Lanes lanes, unroll;
// transpose changes nothing, since C renders no transpose groups), then
// renders C:
//
//   - a vectorized loop (a lane loop after the vectorize pass) becomes
//     vector statements on tt_vf (Lanes floats) and tt_vi (Lanes ints, also
//     the comparison masks): loads and stores at indices with lane stride 1
//     are vector loads and stores (memcpy, no alignment assumed), other
//     strides gather and scatter lane by lane, values that do not depend
//     on the lane are splat; a guard that depends on the lane is checked at
//     both ends of the chunk, so full chunks run as vectors and the edge
//     lane by lane (as the wasm generator does);
//   - a local (register) buffer addressed only by constants, or by lane
//     loops at constant offsets that are multiples of Lanes, becomes vector
//     variables: the accumulators of a GEMM micro-kernel stay in registers;
//   - the outermost parallel loop becomes `#pragma omp parallel for`, with
//     num_threads when Options.Threads is set; parallel loops inside it run
//     serially;
//   - unrolled loops were expanded by the unroll pass, so the C is unrolled;
//   - exp, log, tanh, sigmoid and pow are the polynomials of package
//     polymath, rendered as C functions in scalar and vector forms (the
//     same operations as the wasm generator's, so both agree bit for bit
//     where the C compiler does not contract them into FMAs: the math
//     functions are compiled with contraction off).
//
// Float values follow the interpreter: min and max propagate NaN, integer
// division is floor division, a float converted to an integer truncates
// and saturates.
package c

import (
	"fmt"
	"strings"

	"github.com/tabtune/tabtune/compiler/codegen"
	"github.com/tabtune/tabtune/compiler/expr"
	"github.com/tabtune/tabtune/compiler/ir"
)

// Options tune code generation.
type Options struct {
	// Lanes is the number of f32 lanes of a vector (8 for AVX2, 16 for
	// AVX-512, 4 for NEON): a power of two from 1 to 64. Zero means 8.
	Lanes int
	// Threads, when positive, is the num_threads of parallel loops;
	// zero leaves it to OpenMP (OMP_NUM_THREADS, or all cores).
	Threads int
	// MaxUnroll bounds the statements one unrolled loop may expand to.
	// Zero means 4096.
	MaxUnroll int
}

// The defaults of Options.
const (
	DefaultLanes     = 8
	defaultMaxUnroll = 4096
	maxLanes         = 64
)

// lanes is Lanes or its default.
func (o Options) lanes() int64 {
	if o.Lanes == 0 {
		return DefaultLanes
	}
	return int64(o.Lanes)
}

// check reports options that cannot be used.
func (o Options) check() error {
	l := o.lanes()
	if l < 1 || l > maxLanes || l&(l-1) != 0 {
		return fmt.Errorf("c: %d vector lanes: want a power of two from 1 to %d", o.Lanes, maxLanes)
	}
	if o.Threads < 0 || o.MaxUnroll < 0 {
		return fmt.Errorf("c: negative threads %d or unroll bound %d", o.Threads, o.MaxUnroll)
	}
	return nil
}

// Passes are the IR passes the C generator runs before it renders, in
// order: the shared ones of package codegen, with the C configuration.
var Passes = codegen.Passes

// config is what the shared passes need to know of the target.
func (o Options) config() codegen.Config {
	maxUnroll := int64(o.MaxUnroll)
	if maxUnroll == 0 {
		maxUnroll = defaultMaxUnroll
	}
	return codegen.Config{
		Lanes:            o.lanes(),
		VectorCall:       func(expr.Intrinsic) bool { return true },
		ChunkUnroll:      4,
		LocalChunkUnroll: 16,
		MaxUnroll:        maxUnroll,
		Accumulators:     4,
	}
}

// Prepare runs Passes on a lowered function with the configuration of
// opts and calls watch, when not nil, with the function after each pass
// that changed it (tabtune lower -trace).
func Prepare(f *ir.Func, opts Options, watch func(pass string, f *ir.Func)) (*ir.Func, error) {
	if err := opts.check(); err != nil {
		return nil, err
	}
	p, err := codegen.Run(f, Passes, opts.config(), watch)
	if err != nil {
		return nil, fmt.Errorf("c: %w", err)
	}
	return p, nil
}

// Kernel is a generated C file and what a caller needs to run it.
type Kernel struct {
	// Source is the C file.
	Source string
	// ScratchBytes is the size of the scratch area (also defined in the
	// file as kernel_scratch_bytes); 0 means kernel takes no scratch.
	ScratchBytes int64
	// Params are the tensors kernel takes, in order.
	Params []*ir.Buffer
	// Outputs counts the last Params that the kernel writes.
	Outputs int
	// VectorLoops counts the lane loops rendered as vector statements
	// (an unrolled copy of one counts once, as in package wasm),
	// RegisterBuffers the local buffers held in vector variables.
	VectorLoops, RegisterBuffers int
	// Prepared is the IR after Passes.
	Prepared *ir.Func
}

// Compile generates the C file of a lowered function.
func Compile(f *ir.Func, opts Options) (*Kernel, error) {
	prepared, err := Prepare(f, opts, nil)
	if err != nil {
		return nil, err
	}
	g := newGen(prepared, opts)
	src, err := g.file(prepared)
	if err != nil {
		return nil, fmt.Errorf("c: %w", err)
	}
	return &Kernel{
		Source:          src,
		ScratchBytes:    g.scratchBytes,
		Params:          f.Params,
		Outputs:         f.Outputs,
		VectorLoops:     len(g.vectorLoops),
		RegisterBuffers: len(g.regs),
		Prepared:        prepared,
	}, nil
}

// writer accumulates indented lines.
type writer struct {
	b      strings.Builder
	indent int
}

func (w *writer) line(format string, args ...any) {
	w.b.WriteString(strings.Repeat("  ", w.indent))
	fmt.Fprintf(&w.b, format, args...)
	w.b.WriteByte('\n')
}

func (w *writer) open(format string, args ...any) {
	w.line(format, args...)
	w.indent++
}

func (w *writer) close(s string) {
	w.indent--
	w.line("%s", s)
}
