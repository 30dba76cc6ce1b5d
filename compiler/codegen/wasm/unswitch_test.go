package wasm

import (
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/tabtune/tabtune/compiler/codegen/wasm/wasmbin"
	"github.com/tabtune/tabtune/compiler/schedule"
	"github.com/tabtune/tabtune/compiler/schedule/schedtest"
)

// TestPaddingInlinedWasm: convolutions and a pool with their padding
// inlined into the window (a select that loads under a condition on the
// vectorized loop's variable), strides 1 and 2, random steps and
// vectorized inner loops, compile, run in wazero and match the reference.
// Many of them vectorize a loop only because vectorize unswitches its
// select into a conditional (an if with an else in a lane loop).
func TestPaddingInlinedWasm(t *testing.T) {
	specs := []string{
		"dep:N=1,C=3,H=9,W=11,KH=3,KW=3,stride=2,pad=1",
		"dep:N=1,C=2,H=7,W=13,KH=3,KW=3,stride=1,pad=1",
		"dep:N=1,C=2,H=10,W=9,KH=3,KW=5,stride=2,pad=2",
		"c2d:N=1,CI=2,H=7,W=9,CO=3,KH=3,KW=3,stride=2,pad=1",
		"grp:N=1,CI=4,H=9,W=8,CO=4,KH=3,KW=3,stride=2,pad=1,groups=2",
		"maxpool2d:N=1,C=2,H=9,W=11,K=3,stride=2,pad=1",
	}
	dags := specDAGs(t, specs)
	refs := references(t, dags)
	unswitched := 0
	for c := range 120 {
		rng := rand.New(rand.NewPCG(uint64(c), 29))
		w := c % len(dags)
		st := schedule.New(dags[w])
		pad := st.StageByName("pad")
		if pad < 0 {
			t.Fatalf("%s has no stage pad", specs[w])
		}
		var err error
		if st, err = st.Apply(schedule.ComputeInline{Stage: pad}); err != nil {
			t.Fatal(err)
		}
		for range 8 {
			if step := schedtest.RandomStep(rng, st); step != nil {
				if next, err := st.Apply(step); err == nil {
					st = next
				}
			}
		}
		st = schedtest.VectorizeInner(st, rng)
		k, err := compileState(st, Options{})
		if err != nil {
			t.Fatalf("case %d, %s: %v\n%s", c, specs[w], err, st.StepsString())
		}
		if strings.Contains(k.Prepared.String(), "} else {") {
			unswitched++
		}
		if err := checkKernel(t, k, refs[w].inputs, refs[w].want); err != nil {
			t.Fatalf("case %d, %s: %v\n%s\n%s", c, specs[w], err, st.StepsString(), k.Prepared)
		}
	}
	if unswitched < 5 {
		t.Errorf("only %d of 120 schedules unswitched a padding select", unswitched)
	}
}

// TestStrideTwoTapsShareLoads: the three taps of a stride-2 window
// unrolled into one four-lane loop each (x*2, x*2 + 1, x*2 + 2) load their
// input with four v128 loads, not six: the first two share two wide loads
// (vloadPair finds its partner in the loop that runs next), the third
// takes two of its own; and the kernel matches the reference.
func TestStrideTwoTapsShareLoads(t *testing.T) {
	dags := specDAGs(t, []string{"dep:N=1,C=1,H=4,W=17,KH=1,KW=3,stride=2,pad=0"})
	steps := []schedule.Step{
		schedule.Split{Stage: 2, Iter: 3, Lengths: []int64{4}, InnerToOuter: true},
		schedule.Reorder{Stage: 2, Order: []int{0, 1, 2, 3, 5, 6, 4}},
		schedule.Annotate{Stage: 2, Iter: 6, Ann: schedule.AnnVectorize},
		schedule.Annotate{Stage: 2, Iter: 5, Ann: schedule.AnnUnroll},
	}
	st, err := schedule.Replay(dags[0], steps)
	if err != nil {
		t.Fatal(err)
	}
	k, err := compileState(st, Options{})
	if err != nil {
		t.Fatal(err)
	}
	text, err := wasmbin.Disassemble(k.Wasm)
	if err != nil {
		t.Fatal(err)
	}
	// The output is kept in a local from one tap to the next: every
	// v128 load reads the input.
	if loads := strings.Count(text, "v128.load ") + strings.Count(text, "v128.load\n"); loads != 4 {
		t.Errorf("%d v128 loads, want 4\n%s\n%s", loads, k.Prepared, text)
	}
	refs := references(t, dags)
	if err := checkKernel(t, k, refs[0].inputs, refs[0].want); err != nil {
		t.Fatal(err)
	}
}
