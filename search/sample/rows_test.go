package sample

import (
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/tabtune/tabtune/compiler/codegen"
	"github.com/tabtune/tabtune/compiler/interp"
	"github.com/tabtune/tabtune/compiler/ir"
	"github.com/tabtune/tabtune/compiler/lower"
	"github.com/tabtune/tabtune/compiler/ops"
	"github.com/tabtune/tabtune/compiler/schedule"
	"github.com/tabtune/tabtune/compiler/te"
	"github.com/tabtune/tabtune/search/sketch"
	"github.com/tabtune/tabtune/targets"
)

// TestRowChainConfigs is the property test of the row-wise chains: random
// configs of every sketch of softmax, layer normalization, the norm and a
// small attention (a softmax between two matmuls), at shapes whose rows
// do not divide into blocks, build, lower and compute
// what the interpreter computes; the row sketches do (row_fusion), and
// their configs compute the chain per block of rows, not one block for all.
func TestRowChainConfigs(t *testing.T) {
	specs := []string{"softmax:M=7,N=12", "softmax:M=12,N=5", "layernorm:M=9,N=10", "nrm:B=3,M=5,N=6", "attention"}
	for _, target := range []string{"wasm-simd", "cpu -cores=4"} {
		tg := targets.MustParseTarget(target)
		p := sketch.NewPolicy(tg)
		for w, spec := range specs {
			var d *te.DAG
			var err error
			if spec == "attention" {
				d, err = te.Parse(attention)
			} else {
				d, err = ops.BuildSpec(spec)
			}
			if err != nil {
				t.Fatal(err)
			}
			sks, err := p.Generate(d)
			if err != nil {
				t.Fatal(err)
			}
			rng := rand.New(rand.NewPCG(uint64(w), 11))
			rows, blocks := 0, 0
			for _, sk := range sks {
				sp := NewSpace(sk, tg)
				knob := rowKnob(sp)
				for range 30 {
					cfg := sp.Random(rng)
					st, err := sp.Build(cfg)
					if err != nil {
						t.Fatalf("%s on %s: %v", spec, target, err)
					}
					f, err := lower.Lower(st)
					if err != nil {
						t.Fatalf("%s on %s: %v\n%s", spec, target, err, st.StepsString())
					}
					diff, err := interp.Check(f, d, 2)
					if err != nil || !diff.OK {
						t.Fatalf("%s on %s: %v %v\n%s\n%s", spec, target, err, diff, st.StepsString(), f)
					}
					if knob >= 0 {
						rows++
						if cfg.Tiles[knob][0] < sk.Tiles[knob].Extent {
							blocks++
						}
					}
				}
			}
			if want := !strings.HasPrefix(spec, "nrm"); (rows > 0) != want || rows > 0 && blocks == 0 {
				t.Errorf("%s on %s: %d configs of row sketches, %d of them with more than one block", spec, target, rows, blocks)
			}
		}
	}
}

// rowKnob returns the tile knob of a row sketch's rows per block: the one
// that splits the stage row_fusion applied to. -1 for other sketches.
func rowKnob(sp *Space) int {
	for _, r := range sp.Sketch.Rules {
		name, ok := strings.CutPrefix(r, "row_fusion(")
		if !ok {
			continue
		}
		stage := sp.Sketch.State.StageByName(strings.TrimSuffix(name, ")"))
		for i, k := range sp.Sketch.Tiles {
			if sp.knobStage(k) == stage {
				return i
			}
		}
	}
	return -1
}

// attention is softmax(Q K^T) V at a small shape.
const attention = `Q = input(f32, [6, 5])
K = input(f32, [7, 5])
V = input(f32, [7, 4])
S[i, j] = sum(Q[i, d] * K[j, d], d)
M[i] = max_over(S[i, j], j)
E[i, j] = exp(S[i, j] - M[i])
Z[i] = sum(E[i, j], j)
P[i, j] = E[i, j] / Z[i]
O[i, d] = sum(P[i, j] * V[j, d], j)
`

// TestRowChainVectorized: every draw of a row_fusion sketch vectorizes
// the chain's stages along the row, whatever its vectorize knobs say (a
// mutation that flips them builds the same state), and keeps its per-row
// stages (1/sum, 1/sqrt(variance)) scalar, at rows of 1000 and 128
// columns and one with a tail (13); the fuse pass then stores and sums
// softmax's exps in one vector loop.
func TestRowChainVectorized(t *testing.T) {
	cases := []struct {
		spec         string
		vector, rows []string // stages vectorized along the row, per-row stages
		fused        bool     // whether the fuse pass joins vector loops
	}{
		{"softmax:M=64,N=1000", []string{"maxelem", "exps", "expsum", "out"}, []string{"rsum"}, true},
		{"softmax", []string{"maxelem", "exps", "expsum", "out"}, []string{"rsum"}, true},
		{"softmax:M=7,N=13", []string{"maxelem", "exps", "expsum", "out"}, []string{"rsum"}, true},
		{"layernorm", []string{"total", "sqdev", "out"}, []string{"mean", "rstd"}, false},
		{"layernorm:M=9,N=10", []string{"total", "sqdev", "out"}, []string{"mean", "rstd"}, false},
	}
	for _, target := range []string{"wasm-simd", "cpu -cores=4"} {
		tg := targets.MustParseTarget(target)
		for w, c := range cases {
			var sp *Space
			for _, sk := range sketchesOf(t, c.spec, tg) {
				if s := NewSpace(sk, tg); rowKnob(s) >= 0 {
					sp = s
				}
			}
			if sp == nil {
				t.Fatalf("%s on %s: no row_fusion sketch", c.spec, target)
			}
			rng := rand.New(rand.NewPCG(uint64(w), 5))
			for range 40 {
				cfg := sp.Random(rng)
				st, err := sp.Build(cfg)
				if err != nil {
					t.Fatalf("%s on %s: %v", c.spec, target, err)
				}
				flipped := cfg.Clone()
				for i := range flipped.Vectorize {
					flipped.Vectorize[i] = !flipped.Vectorize[i]
				}
				if st2, err := sp.Build(flipped); err != nil || st2.StepsString() != st.StepsString() {
					t.Fatalf("%s on %s: flipping the vectorize knobs of a row chain changes its state (%v):\n%s\n%s", c.spec, target, err, st.StepsString(), st2.StepsString())
				}
				for _, names := range [][]string{c.vector, c.rows} {
					for _, name := range names {
						s := st.Stages[st.StageByName(name)]
						vec := s.Iter(len(s.Iters)-1).Ann == schedule.AnnVectorize
						if want := &names[0] == &c.vector[0]; vec != want {
							t.Fatalf("%s on %s: stage %s vectorized %v, want %v\n%s", c.spec, target, name, vec, want, st.StepsString())
						}
					}
				}
				f, err := lower.Lower(st)
				if err != nil {
					t.Fatal(err)
				}
				cfgs := codegen.Config{Lanes: 4}
				p, err := codegen.Partition(f, cfgs)
				if err != nil {
					t.Fatal(err)
				}
				fused, err := codegen.FuseLoops(p, cfgs)
				if err != nil {
					t.Fatal(err)
				}
				before, after := vectorLoops(p), vectorLoops(fused)
				if before != len(c.vector) || c.fused != (after < before) {
					t.Fatalf("%s on %s: %d vector loops, %d after fuse\n%s\n%s", c.spec, target, before, after, st.StepsString(), fused)
				}
			}
		}
	}
}

// vectorLoops counts the vectorized loops of a function.
func vectorLoops(f *ir.Func) int {
	n := 0
	ir.WalkStmt(f.Body, func(s ir.Stmt) bool {
		if l, ok := s.(*ir.For); ok && l.Kind == ir.Vectorized {
			n++
		}
		return true
	})
	return n
}
