package features

import (
	"math/rand/v2"
	"testing"

	"github.com/tabtune/tabtune/compiler/codegen/wasm"
	"github.com/tabtune/tabtune/compiler/expr"
	"github.com/tabtune/tabtune/compiler/ir"
	"github.com/tabtune/tabtune/compiler/lower"
	"github.com/tabtune/tabtune/compiler/schedule"
	"github.com/tabtune/tabtune/compiler/schedule/schedtest"
)

// vectorLoops is the number of loops the pre-pass decides the wasm
// generator runs four lanes at a time.
func vectorLoops(f *ir.Func) int {
	x := new(extractor)
	x.reset()
	x.pre(f.Body, 0)
	n := 0
	for _, in := range x.info {
		if in.kind == ir.Vectorized {
			n++
		}
	}
	return n
}

// TestVectorizeAsCodegen checks that the vectorize features follow the
// wasm code generator's decisions, on hand schedules and random ones.
func TestVectorizeAsCodegen(t *testing.T) {
	var states []*schedule.State
	states = append(states, schedtest.C2DSketch(t), build(t, "gmm:M=64,N=64,K=64", tiledMatmul))
	names, dags := schedtest.SmallDAGs(t)
	for _, d := range dags {
		for _, r := range schedtest.Recipes {
			b := schedtest.New(t, d)
			r.Apply(b)
			states = append(states, b.St)
		}
	}
	hand := len(states)
	for c := 0; c < 400; c++ {
		rng := rand.New(rand.NewPCG(uint64(c), 5))
		st := schedule.New(dags[c%len(dags)])
		for try := 0; try < 30 && len(st.Steps) < 12; try++ {
			if step := schedtest.RandomStep(rng, st); step != nil {
				if next, err := st.Apply(step); err == nil {
					st = next
				}
			}
		}
		states = append(states, st)
		// The same with the innermost loop of every stage vectorized.
		for id, sg := range st.Stages {
			if sg.IsInput() || len(sg.Iters) == 0 {
				continue
			}
			if next, err := st.Apply(schedule.Annotate{Stage: id, Iter: len(sg.Iters) - 1, Ann: schedule.AnnVectorize}); err == nil {
				st = next
			}
		}
		states = append(states, st)
	}
	vectorized, unrolled, compiled := 0, 0, 0
	for i, st := range states {
		f, err := lower.Lower(st)
		if err != nil {
			t.Fatal(err)
		}
		k, err := wasm.Compile(f, wasm.Options{})
		if err != nil {
			continue
		}
		compiled++
		if got := vectorLoops(f); got != k.VectorLoops {
			name := "hand"
			if i >= hand {
				name = names[(i-hand)/2%len(names)]
			}
			t.Errorf("state %d (%s): %d vector loops, the generator makes %d\n%s", i, name, got, k.VectorLoops, f)
		}
		vectorized += k.VectorLoops
		// A loop the generator expands or vectorizes leaves the prepared
		// IR; the others keep their variable, in every copy.
		kept := map[*expr.Var]bool{}
		ir.WalkStmt(k.Prepared.Body, func(s ir.Stmt) bool {
			if l, ok := s.(*ir.For); ok {
				kept[l.Var] = true
			}
			return true
		})
		// Lowering gives the init and update nests of a reduction the same
		// variables: compare only the variables of one loop.
		loops := map[*expr.Var]int{}
		ir.WalkStmt(f.Body, func(s ir.Stmt) bool {
			if l, ok := s.(*ir.For); ok {
				loops[l.Var]++
			}
			return true
		})
		x := new(extractor)
		x.reset()
		x.pre(f.Body, 0)
		n := 0
		ir.WalkStmt(f.Body, func(s ir.Stmt) bool {
			l, ok := s.(*ir.For)
			if !ok {
				return true
			}
			in := x.info[n]
			n++
			gone := in.kind == ir.Unrolled || in.kind == ir.Vectorized
			if gone {
				unrolled++
			}
			if gone == kept[l.Var] && l.Extent > 0 && loops[l.Var] == 1 {
				t.Errorf("state %d: loop %s (%s, extent %d) runs as %s, but the generator %s it\n%s", i, l.Var.Name, l.Kind, l.Extent, in.kind,
					map[bool]string{true: "keeps", false: "removes"}[kept[l.Var]], f)
			}
			return true
		})
	}
	t.Logf("%d of %d programs compiled, %d vector loops, %d loops vectorized or unrolled", compiled, len(states), vectorized, unrolled)
}
