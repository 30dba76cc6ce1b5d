package lower

import (
	"github.com/tabtune/tabtune/compiler/expr"
	"github.com/tabtune/tabtune/compiler/schedule"
	"github.com/tabtune/tabtune/compiler/te"
)

// inlinePass gives every stage its expression with the inlined stages it
// reads substituted, recursively, and records who reads whom afterwards.
func inlinePass(l *lowering) error {
	done := make([]bool, len(l.stages))
	var expand func(e expr.Expr) expr.Expr
	var resolve func(info *stageInfo)
	resolve = func(info *stageInfo) {
		if done[info.id] || info.stage.IsInput() {
			return
		}
		done[info.id] = true
		op := info.stage.Op
		info.value = expand(op.Value())
		if op.Reduce != nil {
			info.init = expand(op.Reduce.InitValue())
		}
	}
	expand = func(e expr.Expr) expr.Expr {
		return expr.Rewrite(e, func(x expr.Expr) expr.Expr {
			ld, ok := x.(*expr.Load)
			if !ok {
				return x
			}
			src := l.byTensor[ld.Src.(*te.Tensor)]
			if src == nil || src.stage.Attach.Kind != schedule.AttachInline {
				return x
			}
			resolve(src)
			sub := make(map[*expr.Var]expr.Expr, len(ld.Index))
			for d, a := range src.stage.Op.Axes {
				sub[a.Var] = ld.Index[d]
			}
			return expr.Substitute(src.value, sub)
		})
	}
	for _, info := range l.stages {
		resolve(info)
	}
	for _, info := range l.stages {
		if !info.computed() {
			continue
		}
		seen := map[int]bool{}
		for _, e := range []expr.Expr{info.value, info.init} {
			expr.Walk(e, func(x expr.Expr) bool {
				if ld, ok := x.(*expr.Load); ok {
					p := l.byTensor[ld.Src.(*te.Tensor)]
					if !seen[p.id] {
						seen[p.id] = true
						p.consumers = append(p.consumers, info.id)
					}
				}
				return true
			})
		}
	}
	return nil
}
