package sample

import (
	"math/rand/v2"
	"slices"
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
// the chain's stages along the row, whatever its vectorize knobs say, and
// its stages computed per block along the row share one unroll step (a
// mutation of the knobs the sketch decides builds the same state), at
// rows of 1000 and 128 columns and of 13 and 10 (with a tail); the fuse
// pass then stores and sums softmax's exps in one vector loop. The
// per-row stages (1/sum, 1/sqrt(variance)) keep their knobs, and draws
// vectorize them over the block's rows or not.
func TestRowChainVectorized(t *testing.T) {
	cases := []struct {
		spec   string
		n      int64    // the row's extent
		vector []string // the stages along the row
		perRow string   // a per-row stage
		fused  bool     // whether the fuse pass joins vector loops
	}{
		{"softmax:M=64,N=1000", 1000, []string{"maxelem", "exps", "expsum", "out"}, "rsum", true},
		{"softmax", 128, []string{"maxelem", "exps", "expsum", "out"}, "rsum", true},
		{"softmax:M=7,N=13", 13, []string{"maxelem", "exps", "expsum", "out"}, "rsum", true},
		{"layernorm", 768, []string{"total", "sqdev", "out"}, "rstd", false},
		{"layernorm:M=9,N=10", 10, []string{"total", "sqdev", "out"}, "rstd", false},
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
			perRow := map[bool]int{}
			for range 40 {
				cfg := sp.Random(rng)
				st, err := sp.Build(cfg)
				if err != nil {
					t.Fatalf("%s on %s: %v", c.spec, target, err)
				}
				mutant, leader := cfg.Clone(), true
				for i, s := range sp.Stages {
					if slices.Contains(c.vector, sp.Sketch.State.Stages[s].Name()) {
						mutant.Vectorize[i] = !mutant.Vectorize[i]
						if sp.Sketch.State.Stages[s].Attach.Kind == schedule.AttachAt {
							// All but the first take the first one's unroll step.
							if !leader {
								mutant.Unroll[i] = rng.IntN(len(UnrollSteps))
							}
							leader = false
						}
					}
				}
				if st2, err := sp.Build(mutant); err != nil || st2.StepsString() != st.StepsString() {
					t.Fatalf("%s on %s: a mutation of the knobs the row sketch decides changes its state (%v):\n%s\n%s", c.spec, target, err, st.StepsString(), st2.StepsString())
				}
				for _, name := range c.vector {
					if !lastVectorized(st, name) {
						t.Fatalf("%s on %s: stage %s is not vectorized\n%s", c.spec, target, name, st.StepsString())
					}
				}
				perRow[lastVectorized(st, c.perRow)]++
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
				before, after := vectorLoops(p, c.n), vectorLoops(fused, c.n)
				if before != len(c.vector) || c.fused != (after < before) {
					t.Fatalf("%s on %s: %d vector loops along the row, %d after fuse\n%s\n%s", c.spec, target, before, after, st.StepsString(), fused)
				}
			}
			if perRow[true] == 0 || perRow[false] == 0 {
				t.Errorf("%s on %s: stage %s vectorized in %d draws of 40", c.spec, target, c.perRow, perRow[true])
			}
		}
	}
}

// lastVectorized reports whether the innermost loop of the named stage is
// vectorized.
func lastVectorized(st *schedule.State, name string) bool {
	s := st.Stages[st.StageByName(name)]
	return s.Iter(len(s.Iters)-1).Ann == schedule.AnnVectorize
}

// vectorLoops counts the vectorized loops of extent n of a function.
func vectorLoops(f *ir.Func, n int64) int {
	count := 0
	ir.WalkStmt(f.Body, func(s ir.Stmt) bool {
		if l, ok := s.(*ir.For); ok && l.Kind == ir.Vectorized && l.Extent == n {
			count++
		}
		return true
	})
	return count
}
