package wasm

import (
	"fmt"
	"math"

	"github.com/tabtune/tabtune/compiler/codegen"
	"github.com/tabtune/tabtune/compiler/codegen/wasm/wasmbin"
	"github.com/tabtune/tabtune/compiler/expr"
	"github.com/tabtune/tabtune/compiler/ir"
)

// emitError aborts emission with a message; emitModule recovers it.
type emitError struct{ err error }

func (g *gen) fail(format string, args ...any) {
	panic(emitError{fmt.Errorf(format, args...)})
}

// emitModule writes the module for a prepared function.
func (g *gen) emitModule(f *ir.Func) (err error) {
	defer func() {
		if r := recover(); r != nil {
			e, ok := r.(emitError)
			if !ok {
				panic(r)
			}
			err = e.err
		}
	}()
	g.m = wasmbin.NewModule()
	g.m.ImportMemory("env", "memory", 1)
	params := make([]wasmbin.ValType, len(f.Params)+1)
	for i := range params {
		params[i] = wasmbin.I32
	}
	g.f = g.m.AddFunc(params, nil)
	g.lib = newMathLib(g.m)
	g.base = map[*ir.Buffer]uint32{}
	g.regs = map[*ir.Buffer][]uint32{}
	g.vars = map[*expr.Var]uint32{}
	g.ptrs = map[any]access{}
	g.scratch = map[*ir.Buffer]int64{}
	g.temps = map[wasmbin.ValType][]uint32{}
	g.cache = map[string]cached{}
	g.hoist = map[string]*hoisted{}
	g.hoistBufs = map[*ir.Buffer]bool{}
	for i, p := range f.Params {
		if p.DType != expr.Float && p.DType != expr.Int {
			return fmt.Errorf("parameter %s has type %s", p.Name, p.DType)
		}
		g.base[p] = uint32(i)
	}
	scratch := uint32(len(f.Params))
	g.layout(f.Body, scratch)
	g.stmt(f.Body)
	if g.scratchBytes > math.MaxInt32 {
		return fmt.Errorf("scratch area of %d bytes is too large", g.scratchBytes)
	}
	gl := g.m.AddGlobal(false, int32(g.scratchBytes))
	g.m.ExportFunc("kernel", g.f)
	g.m.ExportGlobal("scratch_bytes", gl)
	return nil
}

// layout gives every allocated buffer a place: v128 locals for promoted
// local buffers, else a 16-byte aligned slot of the scratch area whose
// address a local holds from the start of the function.
func (g *gen) layout(body ir.Stmt, scratch uint32) {
	ir.WalkStmt(body, func(s ir.Stmt) bool {
		a, ok := s.(*ir.Alloc)
		if !ok {
			return true
		}
		if a.Buf.DType != expr.Float && a.Buf.DType != expr.Int {
			g.fail("buffer %s has type %s", a.Buf.Name, a.Buf.DType)
		}
		if a.Buf.Scope == ir.Local && a.Buf.DType == expr.Float && g.promotable(a) {
			n := (a.Buf.Elems() + 3) / 4
			regs := make([]uint32, n)
			for i := range regs {
				regs[i] = g.f.AddLocal(wasmbin.V128)
			}
			g.regs[a.Buf] = regs
			return true
		}
		off := g.scratchBytes
		g.scratch[a.Buf] = off
		g.scratchBytes += (a.Buf.Elems()*4 + 15) &^ 15
		l := g.f.AddLocal(wasmbin.I32)
		g.f.LocalGet(scratch)
		if off != 0 {
			g.i32const(off)
			g.f.Emit(wasmbin.I32Add)
		}
		g.f.LocalSet(l)
		g.base[a.Buf] = l
		return true
	})
}

// promotable reports whether every access to a local buffer is at a
// constant element, or at a four-lane run starting at a constant multiple
// of four, so that the buffer can live in v128 locals.
func (g *gen) promotable(a *ir.Alloc) bool {
	if a.Buf.Elems() > 1024 {
		return false
	}
	ok := true
	check := func(flat expr.Expr) {
		var lane *expr.Var
		expr.Walk(flat, func(x expr.Expr) bool {
			if v, isVar := x.(*expr.Var); isVar {
				if !g.lanes[v] || (lane != nil && lane != v) {
					ok = false
				}
				lane = v
			}
			return ok
		})
		if !ok || lane == nil {
			return
		}
		k, lin := g.coef(flat, lane)
		base, isConst := g.at(flat, lane, 0).(*expr.IntImm)
		if !lin || k != 1 || !isConst || base.V%4 != 0 {
			ok = false
		}
	}
	codegen.ForAccesses(a.Body, func(b *ir.Buffer, idx []expr.Expr, _ any) {
		if b != a.Buf {
			return
		}
		// A transpose group's variable is a constant where it is
		// emitted: check each of its values.
		flat := g.flatIndex(b, idx)
		var group *expr.Var
		expr.Walk(flat, func(x expr.Expr) bool {
			if v, isVar := x.(*expr.Var); isVar && g.groups[v] {
				group = v
			}
			return group == nil
		})
		if group == nil {
			check(flat)
			return
		}
		for it := range int64(4) {
			check(g.at(flat, group, it))
		}
	})
	return ok
}

// temp borrows a local of type t; release gives it back.
func (g *gen) temp(t wasmbin.ValType) uint32 {
	if free := g.temps[t]; len(free) > 0 {
		l := free[len(free)-1]
		g.temps[t] = free[:len(free)-1]
		return l
	}
	return g.f.AddLocal(t)
}

func (g *gen) release(t wasmbin.ValType, l uint32) { g.temps[t] = append(g.temps[t], l) }

func (g *gen) i32const(v int64) {
	if v < math.MinInt32 || v > math.MaxInt32 {
		g.fail("constant %d does not fit in i32", v)
	}
	g.f.I32Const(int32(v))
}

func (g *gen) varLocal(v *expr.Var) uint32 {
	if l, ok := g.vars[v]; ok {
		return l
	}
	l := g.f.AddLocal(wasmbin.I32)
	g.vars[v] = l
	return l
}

// stmt emits a statement in scalar context.
func (g *gen) stmt(s ir.Stmt) {
	switch n := s.(type) {
	case *ir.Seq:
		saved := g.next
		for i, c := range n.Stmts {
			g.next = n.Stmts[i+1:]
			g.stmt(c)
		}
		g.next = saved
	case *ir.Alloc:
		g.stmt(n.Body)
	case *ir.For:
		if n.Kind == ir.Vectorized && g.lanes[n.Var] {
			g.vstmt(n.Body, n.Var)
			return
		}
		// What follows a loop or a branch does not run with the values
		// its body sees (vloadPair's partners).
		saved := g.next
		defer func() { g.next = saved }()
		g.next = nil
		if codegen.IsTransposeGroup(n) {
			g.transposeGroup(n)
			return
		}
		g.loop(n)
	case *ir.If:
		saved := g.next
		defer func() { g.next = saved }()
		g.next = nil
		g.sexpr(n.Cond)
		g.forget(nil)
		g.f.If(wasmbin.Void)
		g.branch(n, true, func() { g.stmt(n.Then) })
		g.forget(nil)
		if n.Else != nil {
			g.f.Emit(wasmbin.Else)
			g.branch(n, false, func() { g.stmt(n.Else) })
			g.forget(nil)
		}
		g.f.Emit(wasmbin.End)
	case *ir.Let:
		if n.Value.Type() != expr.Int {
			g.fail("let %s binds a %s; only integers are supported", n.Var.Name, n.Value.Type())
		}
		g.sexpr(n.Value)
		g.f.LocalSet(g.varLocal(n.Var))
		g.stmt(n.Body)
	case *ir.Store:
		g.store(n)
	default:
		g.fail("unknown statement %T", s)
	}
}

// loop emits a counted loop; an innermost one gets pointer locals.
func (g *gen) loop(n *ir.For) {
	v := g.varLocal(n.Var)
	g.f.I32Const(0)
	g.f.LocalSet(v)
	var incs []increment
	var hs []*hoisted
	if !hasLoop(n.Body) {
		hs = g.hoistInvariant(n)
		incs = g.strengthReduce(n)
	}
	g.forget(nil)
	g.f.Loop(wasmbin.Void)
	g.stmt(n.Body)
	g.forget(nil)
	for _, inc := range incs {
		g.f.LocalGet(inc.ptr)
		g.i32const(inc.step)
		g.f.Emit(wasmbin.I32Add)
		g.f.LocalSet(inc.ptr)
	}
	g.f.LocalGet(v)
	g.f.I32Const(1)
	g.f.Emit(wasmbin.I32Add)
	g.f.LocalTee(v)
	g.i32const(n.Extent)
	g.f.Emit(wasmbin.I32LtS)
	g.f.BrIf(0)
	g.f.Emit(wasmbin.End)
	g.unhoist(hs)
	for _, inc := range incs {
		for _, node := range inc.nodes {
			delete(g.ptrs, node)
		}
		g.release(wasmbin.I32, inc.ptr)
	}
}

// branch emits one branch of n (then when then is true), noting whether
// it never runs: its condition compares constants (what substituting a
// lane or an unrolled iteration into a guard leaves) and decides against
// it. Such dead code may access a register buffer outside its elements
// (regVector); it is emitted all the same, so that the bytes of every
// other kernel stay what they were.
func (g *gen) branch(n *ir.If, then bool, emit func()) {
	v, ok := expr.ConstBool(n.Cond)
	dead := ok && v != then
	if dead {
		g.dead++
	}
	emit()
	if dead {
		g.dead--
	}
}

// hasLoop reports whether s contains a loop that is emitted as one (a
// four-lane loop is not: it is one vector step).
func hasLoop(s ir.Stmt) bool {
	found := false
	ir.WalkStmt(s, func(s ir.Stmt) bool {
		if f, ok := s.(*ir.For); ok && !(f.Kind == ir.Vectorized && f.Extent == 4) {
			found = true
		}
		return !found
	})
	return found
}
