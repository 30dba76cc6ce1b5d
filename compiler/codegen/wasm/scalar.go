package wasm

import (
	"github.com/tabtune/tabtune/compiler/codegen/wasm/wasmbin"
	"github.com/tabtune/tabtune/compiler/expr"
)

func valType(t expr.Type) wasmbin.ValType {
	if t == expr.Float {
		return wasmbin.F32
	}
	return wasmbin.I32 // Int, and Bool as 0 or 1
}

// sexpr pushes the value of a scalar expression: i32 for integers and
// conditions (0 or 1), f32 for floats.
func (g *gen) sexpr(e expr.Expr) {
	switch n := e.(type) {
	case *expr.IntImm:
		g.i32const(n.V)
	case *expr.FloatImm:
		g.f.F32Const(n.V)
	case *expr.Var:
		l, ok := g.vars[n]
		if !ok {
			g.fail("variable %s is not bound", n.Name)
		}
		g.f.LocalGet(l)
	case *expr.Load:
		g.load(n)
	case *expr.Binary:
		g.binary(n)
	case *expr.Not:
		g.sexpr(n.A)
		g.f.Emit(wasmbin.I32Eqz)
	case *expr.Select:
		t := valType(n.Type())
		if cheap(n.T) && cheap(n.F) {
			g.sexpr(n.T)
			g.sexpr(n.F)
			g.sexpr(n.Cond)
			g.f.Emit(wasmbin.Select)
			return
		}
		// Loads cached inside a branch do not outlive it.
		g.sexpr(n.Cond)
		g.forget(nil)
		g.f.If(wasmbin.BlockType(t))
		g.sexpr(n.T)
		g.forget(nil)
		g.f.Emit(wasmbin.Else)
		g.sexpr(n.F)
		g.forget(nil)
		g.f.Emit(wasmbin.End)
	case *expr.Cast:
		g.cast(n)
	case *expr.Call:
		g.call(n)
	default:
		g.fail("unknown expression %T", e)
	}
}

// cheap reports whether e may be evaluated even when not needed: no loads
// (which could leave their buffer) and no calls.
func cheap(e expr.Expr) bool {
	ok := true
	expr.Walk(e, func(x expr.Expr) bool {
		switch x.(type) {
		case *expr.Load, *expr.Call:
			ok = false
		}
		return ok
	})
	return ok
}

var intOps = map[expr.Op]wasmbin.Op{
	expr.Add: wasmbin.I32Add, expr.Sub: wasmbin.I32Sub, expr.Mul: wasmbin.I32Mul,
	expr.LT: wasmbin.I32LtS, expr.LE: wasmbin.I32LeS, expr.GT: wasmbin.I32GtS, expr.GE: wasmbin.I32GeS,
	expr.EQ: wasmbin.I32Eq, expr.NE: wasmbin.I32Ne,
}

var floatOps = map[expr.Op]wasmbin.Op{
	expr.Add: wasmbin.F32Add, expr.Sub: wasmbin.F32Sub, expr.Mul: wasmbin.F32Mul, expr.Div: wasmbin.F32Div,
	expr.LT: wasmbin.F32Lt, expr.LE: wasmbin.F32Le, expr.GT: wasmbin.F32Gt, expr.GE: wasmbin.F32Ge,
	expr.EQ: wasmbin.F32Eq, expr.NE: wasmbin.F32Ne,
}

// minMax emits min or max as one select on a comparison. Integers: min
// is a < b ? a : b, max a > b ? a : b. Floats, as expr.MinF32 and
// expr.MaxF32 define them (f32.min and f32.max propagate NaN and order
// the zeros, and wasm has no scalar pmin/pmax): max is a < b ? b : a,
// min b < a ? b : a.
func (g *gen) minMax(n *expr.Binary) {
	t, lt := wasmbin.I32, wasmbin.I32LtS
	if n.A.Type() == expr.Float {
		t, lt = wasmbin.F32, wasmbin.F32Lt
	}
	a, b := g.temp(t), g.temp(t)
	g.sexpr(n.A)
	g.f.LocalSet(a)
	g.sexpr(n.B)
	g.f.LocalSet(b)
	// select(x, y, c1 cmp c2) is x when the comparison holds, else y.
	x, y, c1, c2, cmp := a, b, a, b, lt
	switch {
	case t == wasmbin.F32 && n.Op == expr.Max:
		x, y = b, a
	case t == wasmbin.F32:
		x, y, c1, c2 = b, a, b, a
	case n.Op == expr.Max:
		cmp = wasmbin.I32GtS
	}
	for _, l := range []uint32{x, y, c1, c2} {
		g.f.LocalGet(l)
	}
	g.f.Emit(cmp, wasmbin.Select)
	g.release(t, a)
	g.release(t, b)
}

func (g *gen) binary(n *expr.Binary) {
	if g.horizontal(n) {
		return
	}
	switch {
	case n.Op == expr.And || n.Op == expr.Or:
		g.sexpr(n.A)
		if cheap(n.B) {
			g.sexpr(n.B)
			if n.Op == expr.And {
				g.f.Emit(wasmbin.I32And)
			} else {
				g.f.Emit(wasmbin.I32Or)
			}
			return
		}
		// Short-circuit: the right side may only be valid when needed.
		g.forget(nil)
		g.f.If(wasmbin.BlockType(wasmbin.I32))
		if n.Op == expr.And {
			g.sexpr(n.B)
			g.f.Emit(wasmbin.Else)
			g.f.I32Const(0)
		} else {
			g.f.I32Const(1)
			g.f.Emit(wasmbin.Else)
			g.sexpr(n.B)
		}
		g.forget(nil)
		g.f.Emit(wasmbin.End)
	case n.Op == expr.Min || n.Op == expr.Max:
		g.minMax(n)
	case n.A.Type() == expr.Float:
		op, ok := floatOps[n.Op]
		if !ok {
			g.fail("%s on floats", n.Op)
		}
		g.sexpr(n.A)
		g.sexpr(n.B)
		g.f.Emit(op)
	case n.Op == expr.FloorDiv || n.Op == expr.FloorMod:
		g.floorDivMod(n)
	default:
		op, ok := intOps[n.Op]
		if !ok {
			g.fail("%s on integers", n.Op)
		}
		g.sexpr(n.A)
		g.sexpr(n.B)
		g.f.Emit(op)
	}
}

// floorDivMod emits integer floor division or modulo: shifts and masks
// for a power of two and a non-negative dividend, unsigned division for a
// non-negative dividend, else the signed operation corrected toward
// negative infinity.
func (g *gen) floorDivMod(n *expr.Binary) {
	div := n.Op == expr.FloorDiv
	if c, ok := n.B.(*expr.IntImm); ok && c.V > 0 {
		if r, ok := expr.Bounds(n.A, g.env); ok && r.Min >= 0 {
			g.sexpr(n.A)
			if c.V&(c.V-1) == 0 {
				shift := int64(0)
				for int64(1)<<shift < c.V {
					shift++
				}
				if div {
					g.i32const(shift)
					g.f.Emit(wasmbin.I32ShrU)
				} else {
					g.i32const(c.V - 1)
					g.f.Emit(wasmbin.I32And)
				}
				return
			}
			g.i32const(c.V)
			if div {
				g.f.Emit(wasmbin.I32DivU)
			} else {
				g.f.Emit(wasmbin.I32RemU)
			}
			return
		}
	}
	// q = a / b, r = a % b (truncating); when r != 0 and r, b differ in
	// sign: q -= 1, r += b.
	a, b := g.temp(wasmbin.I32), g.temp(wasmbin.I32)
	g.sexpr(n.A)
	g.f.LocalSet(a)
	g.sexpr(n.B)
	g.f.LocalSet(b)
	r := g.temp(wasmbin.I32)
	g.f.LocalGet(a)
	g.f.LocalGet(b)
	g.f.Emit(wasmbin.I32RemS)
	g.f.LocalSet(r)
	// adjust = r != 0 && (r ^ b) < 0, as 0 or 1
	adjust := func() {
		g.f.LocalGet(r)
		g.f.I32Const(0)
		g.f.Emit(wasmbin.I32Ne)
		g.f.LocalGet(r)
		g.f.LocalGet(b)
		g.f.Emit(wasmbin.I32Xor)
		g.f.I32Const(0)
		g.f.Emit(wasmbin.I32LtS)
		g.f.Emit(wasmbin.I32And)
	}
	if div {
		g.f.LocalGet(a)
		g.f.LocalGet(b)
		g.f.Emit(wasmbin.I32DivS)
		adjust()
		g.f.Emit(wasmbin.I32Sub)
	} else {
		g.f.LocalGet(r)
		g.f.LocalGet(b)
		g.f.I32Const(0)
		adjust()
		g.f.Emit(wasmbin.Select)
		g.f.Emit(wasmbin.I32Add)
	}
	g.release(wasmbin.I32, a)
	g.release(wasmbin.I32, b)
	g.release(wasmbin.I32, r)
}

func (g *gen) cast(n *expr.Cast) {
	from := n.A.Type()
	g.sexpr(n.A)
	switch {
	case from == n.To, from == expr.Bool && n.To == expr.Int:
	case n.To == expr.Float: // from Int or Bool
		g.f.Emit(wasmbin.F32ConvertI32S)
	case from == expr.Float && n.To == expr.Int:
		g.f.Emit(wasmbin.I32TruncSatF32S)
	case from == expr.Float && n.To == expr.Bool:
		g.f.F32Const(0)
		g.f.Emit(wasmbin.F32Ne)
	case from == expr.Int && n.To == expr.Bool:
		g.f.I32Const(0)
		g.f.Emit(wasmbin.I32Ne)
	default:
		g.fail("cast from %s to %s", from, n.To)
	}
}

func (g *gen) call(n *expr.Call) {
	for _, a := range n.Args {
		g.sexpr(a)
	}
	switch n.Fn {
	case expr.Sqrt:
		g.f.Emit(wasmbin.F32Sqrt)
	case expr.Abs:
		g.f.Emit(wasmbin.F32Abs)
	default:
		idx, ok := g.lib.Func(n.Fn, false)
		if !ok {
			g.fail("no wasm code for %s", n.Fn)
		}
		g.f.Call(idx)
	}
}
