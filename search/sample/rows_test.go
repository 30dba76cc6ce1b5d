package sample

import (
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/tabtune/tabtune/compiler/interp"
	"github.com/tabtune/tabtune/compiler/lower"
	"github.com/tabtune/tabtune/compiler/ops"
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
