package sample

import (
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/tabtune/tabtune/compiler/interp"
	"github.com/tabtune/tabtune/compiler/lower"
	"github.com/tabtune/tabtune/search/sketch"
	"github.com/tabtune/tabtune/targets"
)

// TestSeparatedWindowConfigs is the property test of separate_window's
// sketches: random configs of them, for max and average pools of odd
// sizes, with and without padding, at strides 1 and 2 (windows that
// overlap), build, lower and compute what the interpreter computes; both
// window axes are separated in some sketch of each.
func TestSeparatedWindowConfigs(t *testing.T) {
	specs := []string{
		"maxpool2d:N=1,C=3,H=9,W=11,K=3,stride=2,pad=1",
		"maxpool2d:N=2,C=2,H=7,W=5,K=3,stride=1,pad=0",
		"avgpool2d:N=1,C=3,H=11,W=9,K=3,stride=2,pad=1",
		"avgpool2d:N=1,C=2,H=7,W=13,K=3,stride=1,pad=1",
		"avgpool2d:N=1,C=2,H=9,W=9,K=5,stride=2,pad=2",
	}
	for _, target := range []string{"wasm-simd", "cpu -cores=4"} {
		tg := targets.MustParseTarget(target)
		for w, spec := range specs {
			sks := sketchesOf(t, spec, tg)
			rng := rand.New(rand.NewPCG(uint64(w), 17))
			var separated []string
			for _, sk := range sks {
				if !slices.ContainsFunc(sk.Rules, func(r string) bool { return strings.HasPrefix(r, "separate_window(") }) {
					continue
				}
				steps := sk.State.StepsString()
				separated = append(separated, steps[strings.Index(steps, "separate_window"):][:60])
				checkConfigs(t, sk, tg, rng, 25)
			}
			if len(separated) != 2 {
				t.Errorf("%s on %s: %d separated sketches, want one per window axis: %q", spec, target, len(separated), separated)
			}
		}
	}
}

// TestFusedReductionConfigs is the property test of
// fuse_contiguous_reduction's sketches: random configs of them, for global
// pools (odd sizes) and a norm, build, lower and compute what the
// interpreter computes.
func TestFusedReductionConfigs(t *testing.T) {
	specs := []string{
		"avgpool2d:N=1,C=5,H=7,W=7,K=7,stride=1,pad=0",
		"avgpool2d:N=2,C=3,H=3,W=3,K=3,stride=1,pad=0",
		"maxpool2d:N=1,C=6,H=5,W=5,K=5,stride=1,pad=0",
		"nrm:B=3,M=5,N=7",
	}
	for _, target := range []string{"wasm-simd", "cpu -cores=4"} {
		tg := targets.MustParseTarget(target)
		for w, spec := range specs {
			rng := rand.New(rand.NewPCG(uint64(w), 19))
			fused := 0
			for _, sk := range sketchesOf(t, spec, tg) {
				if !slices.ContainsFunc(sk.Rules, func(r string) bool { return strings.HasPrefix(r, "fuse_contiguous_reduction(") }) {
					continue
				}
				fused++
				checkConfigs(t, sk, tg, rng, 25)
			}
			if fused == 0 {
				t.Errorf("%s on %s: no fused sketch", spec, target)
			}
		}
	}
}

// checkConfigs builds n random configs of sketch sk, lowers them and
// compares what they compute with the interpreter.
func checkConfigs(t *testing.T, sk *sketch.Sketch, tg targets.Target, rng *rand.Rand, n int) {
	t.Helper()
	sp := NewSpace(sk, tg)
	for range n {
		st, err := sp.Build(sp.Random(rng))
		if err != nil {
			t.Fatalf("%s: %v", tg, err)
		}
		f, err := lower.Lower(st)
		if err != nil {
			t.Fatalf("%s: %v\n%s", tg, err, st.StepsString())
		}
		if diff, err := interp.Check(f, sk.State.DAG, 3); err != nil || !diff.OK {
			t.Fatalf("%s: %v %v\n%s\n%s", tg, err, diff, st.StepsString(), f)
		}
	}
}
