package lower

import (
	"github.com/tabtune/tabtune/compiler/expr"
	"github.com/tabtune/tabtune/compiler/ir"
	"github.com/tabtune/tabtune/compiler/schedule"
	"github.com/tabtune/tabtune/compiler/te"
)

// buildPass makes the loop nest: the root stages in order, each stage's
// loops from its iterators, attached stages inside their loops, and the
// buffers of root intermediates allocated around everything.
func buildPass(l *lowering) error {
	var top []ir.Stmt
	for _, info := range l.stages {
		if info.computed() && info.stage.Attach.Kind == schedule.AttachRoot {
			top = append(top, l.nest(info))
		}
	}
	body := ir.MakeSeq(top...)
	for i := len(l.stages) - 1; i >= 0; i-- {
		info := l.stages[i]
		if info.computed() && info.stage.Attach.Kind == schedule.AttachRoot && !l.st.IsOutput(i) {
			body = &ir.Alloc{Buf: info.buf, Body: body}
		}
	}
	l.fn.Body = body
	return nil
}

// nest builds one stage's loops and the stages attached inside them.
func (l *lowering) nest(info *stageInfo) ir.Stmt {
	s := info.stage
	attached := s.Attach.Kind == schedule.AttachAt
	idx := make([]expr.Expr, len(s.Op.Axes))
	for d := range idx {
		if attached {
			idx[d] = info.vals[d]
		} else {
			idx[d] = info.roots[d]
		}
	}
	val := l.mapLoads(expr.Substitute(info.value, info.rootSub()))

	// Guards: every split that overshoots its parent, and for a region
	// that may stick out of the tensor, the tensor's bounds.
	var spatialGuard, reduceGuard expr.Expr
	over := s.Overflows(info.nodeExt)
	for n, o := range over {
		if !o {
			continue
		}
		g := expr.Bin(expr.LT, info.vals[n], expr.Const(info.nodeExt[n]))
		if s.Nodes[n].Kind == schedule.Reduce {
			reduceGuard = expr.AndE(reduceGuard, g)
		} else {
			spatialGuard = expr.AndE(spatialGuard, g)
		}
	}
	if attached {
		for d, dim := range s.Tensor.Shape {
			r := info.roots[d]
			g := expr.AndE(expr.Bin(expr.GE, r, expr.Const(0)), expr.Bin(expr.LT, r, expr.Const(dim)))
			spatialGuard = expr.AndE(spatialGuard, expr.Simplify(g, l.env))
		}
	}

	var body, initNest ir.Stmt
	first := len(s.Iters) // position of the first reduction loop
	if s.Op.Reduce == nil {
		body = guard(spatialGuard, &ir.Store{Buf: info.buf, Index: idx, Value: val})
	} else {
		for i, n := range s.Iters {
			if s.Nodes[n].Kind == schedule.Reduce {
				first = i
				break
			}
		}
		acc := &expr.Load{Src: info.buf, Index: idx}
		update := &ir.Store{Buf: info.buf, Index: idx, Value: s.Op.Reduce.Op.Combine(acc, val)}
		body = guard(expr.AndE(spatialGuard, reduceGuard), update)
		initVal := l.mapLoads(expr.Substitute(info.init, info.rootSub()))
		initNest = guard(spatialGuard, &ir.Store{Buf: info.buf, Index: idx, Value: initVal})
		for i := len(s.Iters) - 1; i > first; i-- {
			n := s.Iters[i]
			if s.Nodes[n].Kind == schedule.Spatial {
				initNest = l.loop(info, n, initNest)
			}
		}
	}
	for i := len(s.Iters) - 1; i >= 0; i-- {
		n := s.Iters[i]
		body = l.loop(info, n, l.withAttached(info, n, body))
		if initNest != nil && i == first {
			body = ir.MakeSeq(initNest, body)
		}
	}
	return body
}

// withAttached wraps the body of loop node n of stage info with the
// stages computed there: their buffers, then their nests, then body.
func (l *lowering) withAttached(info *stageInfo, n int, body ir.Stmt) ir.Stmt {
	here := l.attachedAt(info.id, n)
	if len(here) == 0 {
		return body
	}
	stmts := make([]ir.Stmt, 0, len(here)+1)
	for _, p := range here {
		stmts = append(stmts, l.nest(p))
	}
	body = ir.MakeSeq(append(stmts, body)...)
	for i := len(here) - 1; i >= 0; i-- {
		body = &ir.Alloc{Buf: here[i].buf, Body: body}
	}
	return body
}

// attachedAt returns the computed stages attached at loop node n of stage
// id, in stage order. The index is built once, so that lowering stays
// linear in the number of stages.
func (l *lowering) attachedAt(id, n int) []*stageInfo {
	if l.attached == nil {
		l.attached = map[[2]int][]*stageInfo{}
		for _, p := range l.stages {
			if p.computed() && p.stage.Attach.Kind == schedule.AttachAt {
				k := [2]int{p.stage.Attach.Stage, p.stage.Attach.Node}
				l.attached[k] = append(l.attached[k], p)
			}
		}
	}
	return l.attached[[2]int{id, n}]
}

// loop wraps body in the loop of node n, with its annotation.
func (l *lowering) loop(info *stageInfo, n int, body ir.Stmt) ir.Stmt {
	node := info.stage.Nodes[n]
	f := &ir.For{Var: info.loopVar[n], Extent: info.nodeExt[n], Body: body}
	switch a := node.Ann; {
	case a == schedule.AnnParallel:
		f.Kind = ir.Parallel
	case a == schedule.AnnVectorize:
		f.Kind = ir.Vectorized
	case a == schedule.AnnUnroll:
		f.Kind = ir.Unrolled
	case a.IsThread():
		f.Kind, f.Thread = ir.ThreadBound, a.Thread()
	}
	for _, p := range info.stage.PragmasOf(n) {
		f.Pragmas = append(f.Pragmas, ir.Pragma{Key: p.Key, Value: p.Value})
	}
	return f
}

func guard(cond expr.Expr, s ir.Stmt) ir.Stmt {
	if cond == nil {
		return s
	}
	if v, ok := expr.ConstBool(cond); ok {
		if v {
			return s
		}
		return ir.MakeSeq()
	}
	return &ir.If{Cond: cond, Then: s}
}

// mapLoads points the loads of tensors at the buffers that hold them:
// parameters and root buffers by absolute index, regions of attached
// stages relative to the region's start.
func (l *lowering) mapLoads(e expr.Expr) expr.Expr {
	return expr.Rewrite(e, func(x expr.Expr) expr.Expr {
		ld, ok := x.(*expr.Load)
		if !ok {
			return x
		}
		t, ok := ld.Src.(*te.Tensor)
		if !ok {
			return x
		}
		p := l.byTensor[t]
		idx := ld.Index
		if p.stage.Attach.Kind == schedule.AttachAt {
			idx = make([]expr.Expr, len(ld.Index))
			for d, ix := range ld.Index {
				idx[d] = expr.SubE(ix, p.mins[d])
			}
		}
		return &expr.Load{Src: p.buf, Index: idx}
	})
}
