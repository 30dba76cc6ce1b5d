// Package codegen holds the IR passes that every code generator shares,
// run in one fixed, visible list (Passes), as the Go compiler and wazero's
// SSA back end run theirs (wazevo/ssa/pass.go).
//
// A generator lowers a function with these passes, then renders the result
// in its own language: package wasm emits WebAssembly from it, and a C or
// CUDA generator runs the same list with its own Config. A pass is a plain
// function from a function and a Config to a new function; it returns the
// same *ir.Func when it changed nothing, so Run can report, and tabtune
// lower -trace print, the IR after each pass that changed it.
//
//   - auto-unroll: inside a loop with an auto_unroll_max_step pragma, mark
//     the serial loops whose nest fits the budget as unrolled (as TVM does).
//   - partition: a loop around a vectorized loop whose body selects a load
//     under a condition on the loop's variable (a padding) is split into
//     the ranges where the condition is constant (partition.go).
//   - fuse: sibling loops with the same header, where the second reads
//     what the first writes at the same iteration only, become one loop
//     (fuse.go): softmax's exp pass and its row sum, one pass.
//   - vectorize: a vectorized loop whose body the target can compute
//     Config.Lanes lanes at a time becomes a loop over chunks of Lanes
//     iterations around a lane loop (still marked vectorized), plus an
//     unrolled scalar tail when Lanes does not divide the extent; small
//     chunk loops are marked unrolled so that a register tile is addressed
//     by constants. A loop that folds values into one element (sum, max,
//     min) gets Config.Accumulators vector accumulators and one horizontal
//     reduction. The other vectorized loops become serial.
//   - transpose: where the target emits one (Config.Transposes), a loop
//     around a lane loop that gathers its lanes from a large stride, but
//     reads contiguously along the loop, is split by Lanes and its inner
//     part moved just around the lane loop and marked TransposeGroup: the
//     generator loads Lanes rows and transposes them in registers
//     (transpose.go).
//   - unroll: unrolled loops whose expansion stays within Config.MaxUnroll
//     statements are expanded; larger ones become serial loops.
//
// After the list has run, every loop still marked vectorized is a lane
// loop of extent Config.Lanes (LaneVars finds them), every loop marked
// unrolled has been expanded, and a loop marked TransposeGroup is a serial
// loop of Lanes iterations around one lane loop.
//
// What stays with a generator is what depends on how it holds values:
// which local buffers live in vector registers and which loop-invariant
// values are kept in locals are decided by package wasm while it emits,
// since they allocate wasm locals.
package codegen

import (
	"fmt"

	"github.com/tabtune/tabtune/compiler/expr"
	"github.com/tabtune/tabtune/compiler/ir"
)

// Config is what the shared passes need to know of a target.
type Config struct {
	// Lanes is the number of f32 lanes of the target's vectors (4 for
	// SIMD128). Below 2, no loop is vectorized.
	Lanes int64
	// VectorCall reports whether the target computes an intrinsic on all
	// lanes at once; nil means it computes none. A loop calling any other
	// intrinsic with a lane-dependent argument is not vectorized.
	VectorCall func(expr.Intrinsic) bool
	// ChunkUnroll marks a chunk loop of at most this many chunks unrolled;
	// LocalChunkUnroll does the same when the loop stores to a local
	// buffer (an accumulator tile that should stay in registers).
	ChunkUnroll, LocalChunkUnroll int64
	// MaxUnroll bounds the statements one unrolled loop may expand to.
	MaxUnroll int64
	// Accumulators is how many vectors a vectorized reduction folds into
	// in turn (reduce.go); below 1, one.
	Accumulators int64
	// Transposes reports whether the generator emits a loop marked
	// TransposeGroup around a lane loop as a Lanes x Lanes transpose in
	// registers; when false, the transpose pass changes nothing.
	Transposes bool
}

// check reports a Config that cannot be used.
func (c Config) check() error {
	switch {
	case c.Lanes < 0:
		return fmt.Errorf("negative vector lanes %d", c.Lanes)
	case c.ChunkUnroll < 0 || c.LocalChunkUnroll < 0:
		return fmt.Errorf("negative chunk unroll bound %d, %d", c.ChunkUnroll, c.LocalChunkUnroll)
	case c.Accumulators < 0:
		return fmt.Errorf("negative reduction accumulators %d", c.Accumulators)
	case c.MaxUnroll < 0:
		return fmt.Errorf("negative unroll bound %d", c.MaxUnroll)
	}
	return nil
}

// Pass is one named IR pass of code generation.
type Pass struct {
	Name string
	Run  func(*ir.Func, Config) (*ir.Func, error)
}

// Passes are the shared passes, in the order they run.
var Passes = []Pass{
	{"partition", Partition},
	{"fuse", FuseLoops},
	{"auto-unroll", AutoUnroll},
	{"vectorize", Vectorize},
	{"transpose", Transpose},
	{"unroll", Unroll},
}

// Order lists the pairs of passes whose order matters: the first must run
// before the second in every list a generator runs (a test checks
// Passes). fuse joins loops before auto-unroll sizes them (and before
// the vectorizer, which then sees a fused reduction whole); it runs after
// partition, which it leaves nothing to do. partition copies loops before
// auto-unroll sizes their nests, auto-unroll marks whole nests before
// vectorize splits them into chunks,
// transpose groups the lane loops vectorize made, and unroll expands what
// they marked.
var Order = [][2]string{
	{"partition", "auto-unroll"},
	{"fuse", "auto-unroll"},
	{"auto-unroll", "vectorize"},
	{"auto-unroll", "unroll"},
	{"vectorize", "unroll"},
	{"vectorize", "transpose"},
	{"transpose", "unroll"},
}

// CheckOrder reports the first constraint of Order that passes breaks: a
// pass of a pair that is missing, or a pair in the wrong order.
func CheckOrder(passes []Pass) error {
	names := make([]string, len(passes))
	for i, p := range passes {
		names[i] = p.Name
	}
	if err := ir.CheckOrder(names, Order); err != nil {
		return fmt.Errorf("codegen: %w", err)
	}
	return nil
}

// Run runs passes on f in order and calls watch, when not nil, with the
// function after each pass that changed it.
func Run(f *ir.Func, passes []Pass, cfg Config, watch func(pass string, f *ir.Func)) (*ir.Func, error) {
	if err := cfg.check(); err != nil {
		return nil, fmt.Errorf("codegen: %w", err)
	}
	if f == nil || f.Body == nil {
		return nil, fmt.Errorf("codegen: function has no body")
	}
	for _, p := range passes {
		next, err := p.Run(f, cfg)
		if err != nil {
			return nil, fmt.Errorf("codegen: %s: %w", p.Name, err)
		}
		if next.Body != f.Body && watch != nil {
			watch(p.Name, next)
		}
		f = next
	}
	return f, nil
}

// withBody returns f with body, or f itself when body is its body.
func withBody(f *ir.Func, body ir.Stmt) *ir.Func {
	if body == f.Body {
		return f
	}
	out := *f
	out.Body = body
	return &out
}
