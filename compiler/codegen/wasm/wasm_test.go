package wasm

import (
	"flag"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/tabtune/tabtune/compiler/codegen/wasm/wasmbin"
	"github.com/tabtune/tabtune/compiler/interp"
	"github.com/tabtune/tabtune/compiler/lower"
	"github.com/tabtune/tabtune/compiler/schedule"
	"github.com/tabtune/tabtune/compiler/schedule/schedtest"
	"github.com/tabtune/tabtune/compiler/te"
)

var propertyCases = flag.Int("property.n", 240, "random schedules the wasm property test compiles and runs")

type reference struct {
	inputs, want []interp.Data
}

func references(t testing.TB, dags []*te.DAG) []reference {
	refs := make([]reference, len(dags))
	for i, d := range dags {
		refs[i].inputs = interp.RandomInputs(d, 1)
		var err error
		if refs[i].want, err = interp.Eval(d, refs[i].inputs); err != nil {
			t.Fatal(err)
		}
	}
	return refs
}

func compileState(st *schedule.State, opts Options) (*Kernel, error) {
	f, err := lower.Lower(st)
	if err != nil {
		return nil, err
	}
	return Compile(f, opts)
}

// TestZooSchedules compiles every zoo operator at its small shape, with no
// schedule and with each hand-written schedule, runs it in wazero and
// compares with the reference evaluator.
func TestZooSchedules(t *testing.T) {
	names, dags := schedtest.SmallDAGs(t)
	refs := references(t, dags)
	for w, d := range dags {
		states := map[string]*schedule.State{"naive": schedule.New(d)}
		for _, r := range schedtest.Recipes {
			b := schedtest.New(t, d)
			r.Apply(b)
			states[r.Name] = b.St
		}
		for name, st := range states {
			k, err := compileState(st, Options{})
			if err != nil {
				t.Errorf("%s/%s: %v", names[w], name, err)
				continue
			}
			wabtValidate(t, k.Wasm)
			if err := checkKernel(t, k, refs[w].inputs, refs[w].want); err != nil {
				t.Errorf("%s/%s: %v\n%s", names[w], name, err, k.Prepared)
			}
		}
	}
}

// TestRandomSchedulesWasm is the compiler's property test carried to wasm:
// random valid schedules of every zoo operator compile, run in wazero and
// match the reference.
func TestRandomSchedulesWasm(t *testing.T) {
	names, dags := schedtest.SmallDAGs(t)
	refs := references(t, dags)
	vector, regs, reductions, shuffles, splats := 0, 0, 0, 0, 0
	defer func() {
		t.Logf("kernels with vector loops: %d, with register buffers: %d, vectorized reductions: %d, strided vector loads: %d, splat loads: %d",
			vector, regs, reductions, shuffles, splats)
		// The paths the random schedules must reach, at the default count.
		if *propertyCases >= 240 && (reductions == 0 || shuffles == 0 || splats == 0) {
			t.Errorf("no random schedule vectorized a reduction (%d), a strided load (%d) or a splat load (%d)", reductions, shuffles, splats)
		}
	}()
	for c := 0; c < *propertyCases; c++ {
		rng := rand.New(rand.NewPCG(uint64(c), 11))
		w := c % len(dags)
		st := schedtest.VectorizeInner(schedtest.RandomState(rng, dags[w], 12, nil), rng)
		k, err := compileState(st, Options{})
		if err != nil {
			t.Fatalf("case %d, %s: %v\n%s", c, names[w], err, st.StepsString())
		}
		if k.VectorLoops > 0 {
			vector++
		}
		if k.RegisterBuffers > 0 {
			regs++
		}
		if strings.Contains(k.Prepared.String(), ".vacc") {
			reductions++
		}
		if text, err := wasmbin.Disassemble(k.Wasm); err == nil {
			if strings.Contains(text, "i8x16.shuffle") {
				shuffles++
			}
			if strings.Contains(text, "v128.load32_splat") {
				splats++
			}
		}
		if err := checkKernel(t, k, refs[w].inputs, refs[w].want); err != nil {
			t.Fatalf("case %d, %s: %v\n%s\n%s", c, names[w], err, st.StepsString(), k.Prepared)
		}
	}
}
