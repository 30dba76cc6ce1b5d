package wasm

import (
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/tabtune/tabtune/compiler/codegen/wasm/wasmbin"
	"github.com/tabtune/tabtune/compiler/ops"
	"github.com/tabtune/tabtune/compiler/schedule"
	"github.com/tabtune/tabtune/compiler/schedule/schedtest"
	"github.com/tabtune/tabtune/compiler/te"
)

// TestSeparatedWindowsWasm is the property test of separate_window carried
// to wasm: pools of odd sizes, padded or not, at strides 1 and 2, with one
// window axis separated (written out or not), the padding inlined half the
// time, then random steps and vectorized inner loops, compile, run in
// wazero and match the reference; some of them partition a loop and load
// a strided vector.
func TestSeparatedWindowsWasm(t *testing.T) {
	specs := []string{
		"maxpool2d:N=1,C=3,H=9,W=11,K=3,stride=2,pad=1",
		"maxpool2d:N=1,C=2,H=7,W=13,K=3,stride=1,pad=1",
		"avgpool2d:N=1,C=2,H=11,W=9,K=3,stride=2,pad=1",
		"avgpool2d:N=2,C=2,H=7,W=6,K=3,stride=1,pad=0",
		"avgpool2d:N=1,C=1,H=9,W=10,K=5,stride=2,pad=2",
	}
	dags := specDAGs(t, specs)
	refs := references(t, dags)
	partitions, shuffles := 0, 0
	for c := range 120 {
		rng := rand.New(rand.NewPCG(uint64(c), 23))
		w := c % len(dags)
		st := schedule.New(dags[w])
		red := 0
		for i, s := range st.Stages {
			if s.Op.Reduce != nil {
				red = i
			}
		}
		sep := schedule.SeparateWindow{Stage: red, Iter: 4 + rng.IntN(2), Expand: rng.IntN(3) != 0}
		var err error
		if st, err = st.Apply(sep); err != nil {
			t.Fatalf("%s: %v", specs[w], err)
		}
		if pad := st.StageByName("pad"); pad >= 0 && rng.IntN(2) == 0 {
			if st, err = st.Apply(schedule.ComputeInline{Stage: pad}); err != nil {
				t.Fatal(err)
			}
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
		if changedBy(t, st, "partition") {
			partitions++
		}
		if text, err := wasmbin.Disassemble(k.Wasm); err == nil && strings.Contains(text, "i8x16.shuffle") {
			shuffles++
		}
		if err := checkKernel(t, k, refs[w].inputs, refs[w].want); err != nil {
			t.Fatalf("case %d, %s: %v\n%s\n%s", c, specs[w], err, st.StepsString(), k.Prepared)
		}
	}
	if partitions == 0 || shuffles == 0 {
		t.Errorf("no separated schedule partitioned a loop (%d) or loaded a strided vector (%d)", partitions, shuffles)
	}
}

// specDAGs builds the DAG of each operator spec.
func specDAGs(t *testing.T, specs []string) []*te.DAG {
	var dags []*te.DAG
	for _, s := range specs {
		d, err := ops.BuildSpec(s)
		if err != nil {
			t.Fatal(err)
		}
		dags = append(dags, d)
	}
	return dags
}
