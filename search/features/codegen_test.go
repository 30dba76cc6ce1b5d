package features

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/tabtune/tabtune/compiler/codegen"
	"github.com/tabtune/tabtune/compiler/codegen/c"
	"github.com/tabtune/tabtune/compiler/codegen/wasm"
	"github.com/tabtune/tabtune/compiler/expr"
	"github.com/tabtune/tabtune/compiler/ir"
	"github.com/tabtune/tabtune/compiler/lower"
	"github.com/tabtune/tabtune/compiler/schedule"
	"github.com/tabtune/tabtune/compiler/schedule/schedtest"
	"github.com/tabtune/tabtune/targets"
)

// prepass runs the pre-pass of m on f.
func prepass(m Machine, f *ir.Func) *extractor {
	x := new(extractor)
	x.reset()
	x.m = m
	x.pre(m.partition(f).Body, 0)
	return x
}

// vectorLoops is the number of loops the pre-pass decides the generator
// of m runs Lanes lanes at a time.
func vectorLoops(m Machine, f *ir.Func) int {
	x := prepass(m, f)
	n := 0
	for _, in := range x.info {
		if in.kind == ir.Vectorized {
			n++
		}
	}
	return n
}

// generated is what the test needs of a generated kernel.
type generated struct {
	vectorLoops int
	prepared    *ir.Func
}

// TestVectorizeAsCodegen checks that the vectorize features follow the
// code generators' decisions, on hand schedules and random ones: the wasm
// generator's (4 lanes) and the C generator's at 8 and 16 lanes.
func TestVectorizeAsCodegen(t *testing.T) {
	gens := []struct {
		name    string
		m       Machine
		compile func(*ir.Func) (generated, error)
	}{
		{"wasm", Wasm, func(f *ir.Func) (generated, error) {
			k, err := wasm.Compile(f, wasm.Options{})
			if err != nil {
				return generated{}, err
			}
			return generated{k.VectorLoops, k.Prepared}, nil
		}},
	}
	for _, lanes := range []int{8, 16} {
		m := MachineOf(targets.Target{Kind: targets.CPU, Lanes: lanes})
		gens = append(gens, struct {
			name    string
			m       Machine
			compile func(*ir.Func) (generated, error)
		}{fmt.Sprintf("c%d", lanes), m, func(f *ir.Func) (generated, error) {
			k, err := c.Compile(f, c.Options{Lanes: lanes})
			if err != nil {
				return generated{}, err
			}
			return generated{k.VectorLoops, k.Prepared}, nil
		}})
	}
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
	for _, gen := range gens {
		vectorized, unrolled, compiled := 0, 0, 0
		for i, st := range states {
			f, err := lower.Lower(st)
			if err != nil {
				t.Fatal(err)
			}
			// Partitioned here, the loops keep their variables in the
			// generator, whose partition then changes nothing.
			f = gen.m.partition(f)
			k, err := gen.compile(f)
			if err != nil {
				continue
			}
			compiled++
			if got := vectorLoops(gen.m, f); got != k.vectorLoops {
				name := "hand"
				if i >= hand {
					name = names[(i-hand)/2%len(names)]
				}
				t.Errorf("%s: state %d (%s): %d vector loops, the generator makes %d\n%s", gen.name, i, name, got, k.vectorLoops, f)
			}
			vectorized += k.vectorLoops
			// A loop the generator expands or vectorizes leaves the prepared
			// IR; the others keep their variable, in every copy.
			kept := map[*expr.Var]bool{}
			// The transpose pass splits a serial loop w into w.o and a
			// group w.i (codegen.Transpose), which the features describe
			// as the serial loop it was (same iterations, same accesses):
			// w runs on, under other names.
			grouped := map[string]bool{}
			ir.WalkStmt(k.prepared.Body, func(s ir.Stmt) bool {
				if l, ok := s.(*ir.For); ok {
					kept[l.Var] = true
					if codegen.IsTransposeGroup(l) {
						grouped[strings.TrimSuffix(l.Var.Name, ".i")] = true
					}
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
			x := prepass(gen.m, f)
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
				if gone == (kept[l.Var] || grouped[l.Var.Name]) && l.Extent > 0 && loops[l.Var] == 1 {
					t.Errorf("%s: state %d: loop %s (%s, extent %d) runs as %s, but the generator %s it\n%s", gen.name, i, l.Var.Name, l.Kind, l.Extent, in.kind,
						map[bool]string{true: "keeps", false: "removes"}[kept[l.Var]], f)
				}
				return true
			})
		}
		t.Logf("%s: %d of %d programs compiled, %d vector loops, %d loops vectorized or unrolled", gen.name, compiled, len(states), vectorized, unrolled)
	}
}
