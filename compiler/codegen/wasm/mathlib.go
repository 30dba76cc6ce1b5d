package wasm

import (
	"github.com/tabtune/tabtune/compiler/codegen/wasm/wasmbin"
	"github.com/tabtune/tabtune/compiler/codegen/wasm/wmath"
	"github.com/tabtune/tabtune/compiler/expr"
)

// mathLib adds the functions of intrinsics that are not instructions.
type mathLib interface {
	Func(fn expr.Intrinsic, vector bool) (uint32, bool)
}

func newMathLib(m *wasmbin.Module) mathLib { return wmath.NewLib(m) }

func wmathSupported(fn expr.Intrinsic) bool { return wmath.Supported(fn) }

// inlineMath emits an intrinsic's code in place of a call to its
// function (wmath.Inline), with relaxed multiply-adds when relaxed.
func inlineMath(f *wasmbin.Func, fn expr.Intrinsic, vector, relaxed bool) bool {
	return wmath.Inline(f, fn, vector, relaxed)
}
