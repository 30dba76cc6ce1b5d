package main

import (
	"bytes"
	"flag"
	"testing"

	"github.com/tabtune/tabtune/compiler/ops"
	"github.com/tabtune/tabtune/targets"
)

var genN = flag.Int("gen.n", 16, "kernels per workload that TestGenerate generates")

// TestGenerate checks that generation is deterministic, gives distinct
// kernels of both families, and that most tiled schedules compile.
func TestGenerate(t *testing.T) {
	target := targets.Target{Kind: targets.WasmSIMD}
	for _, wl := range workloads {
		d, err := ops.BuildSpec(wl.spec)
		if err != nil {
			t.Fatal(err)
		}
		counts := newGenCounts()
		a := generate(wl.name, d, *genN, 7, 0.25, 8, target, &counts)
		other := newGenCounts()
		b := generate(wl.name, d, *genN, 7, 0.25, 8, target, &other)
		if len(a) != *genN || len(b) != len(a) {
			t.Fatalf("%s: generated %d and %d kernels, want %d", wl.name, len(a), len(b), *genN)
		}
		vector := 0
		for i := range a {
			// Steps, not bytes: the code generator's numbering of
			// temporary locals follows map order.
			if !bytes.Equal(a[i].steps, b[i].steps) {
				t.Fatalf("%s: kernel %d differs between two runs with the same seed\n%s\n%s", wl.name, i, a[i].steps, b[i].steps)
			}
			for j := range i {
				if bytes.Equal(a[i].wasm, a[j].wasm) {
					t.Fatalf("%s: kernels %d and %d are the same", wl.name, j, i)
				}
			}
			if a[i].vectorLoops > 0 {
				vector++
			}
		}
		t.Logf("%s: %s; %d with four-lane loops", wl.name, familyCounts(a), vector)
		for _, fam := range []string{famTiled, famRandom} {
			t.Logf("  %s: %d tried, %d did not apply, %d did not lower, %d did not compile, %d too much work, %d duplicates",
				fam, counts.tried[fam], counts.notApplied[fam], counts.notLowered[fam], counts.notCompiled[fam], counts.tooMuchWork[fam], counts.duplicates[fam])
		}
		if bad := counts.notApplied[famTiled] + counts.notLowered[famTiled] + counts.notCompiled[famTiled] + counts.tooMuchWork[famTiled]; bad > counts.tried[famTiled]/2 {
			t.Errorf("%s: %d of %d tiled schedules failed", wl.name, bad, counts.tried[famTiled])
		}
	}
}
