package wasm

import (
	"fmt"

	"github.com/tabtune/tabtune/compiler/codegen"
	"github.com/tabtune/tabtune/compiler/expr"
	"github.com/tabtune/tabtune/compiler/ir"
)

// Passes are the IR passes the wasm generator runs before it emits, in
// order: the shared ones of package codegen. It has none of its own: the
// decisions that are wasm's alone (which local buffers live in v128
// locals, which loop-invariant values are kept in locals, pointer locals,
// the load cache) are made while emitting, since they allocate locals.
var Passes = codegen.Passes

// Prepare runs Passes on a lowered function with the configuration of
// opts and calls watch, when not nil, with the function after each pass
// that changed it (tabtune lower -trace).
func Prepare(f *ir.Func, opts Options, watch func(pass string, f *ir.Func)) (*ir.Func, error) {
	p, err := codegen.Run(f, Passes, opts.config(), watch)
	if err != nil {
		return nil, fmt.Errorf("wasm: %w", err)
	}
	return p, nil
}

// config is what the shared passes need to know of SIMD128.
func (o Options) config() codegen.Config {
	maxUnroll := o.MaxUnroll
	if maxUnroll == 0 {
		maxUnroll = defaultMaxUnroll
	}
	return codegen.Config{
		Lanes:            4,
		VectorCall:       vectorCall,
		ChunkUnroll:      4,
		LocalChunkUnroll: 16,
		MaxUnroll:        int64(maxUnroll),
		Accumulators:     4,
		Transposes:       true,
	}
}

// vectorCall reports whether the emitter computes fn on f32x4 lanes.
func vectorCall(fn expr.Intrinsic) bool {
	switch fn {
	case expr.Sqrt, expr.Abs:
		return true
	}
	return wmathSupported(fn)
}

// coef returns k when e is linear in v with the constant coefficient k.
func (g *gen) coef(e expr.Expr, v *expr.Var) (int64, bool) { return codegen.Linear(e, v, g.env) }

// flatIndex is the element offset of an access.
func (g *gen) flatIndex(b *ir.Buffer, idx []expr.Expr) expr.Expr {
	return codegen.FlatIndex(b, idx, g.env)
}

// at returns e with lane variable l set to lane.
func (g *gen) at(e expr.Expr, l *expr.Var, lane int64) expr.Expr {
	return codegen.SubstConst(e, l, lane, g.env)
}
