//go:build !js

package tune

import (
	"context"
	"testing"
	"time"

	"github.com/tabtune/tabtune/compiler/schedule/schedtest"
	"github.com/tabtune/tabtune/search/evolve"
	"github.com/tabtune/tabtune/targets"
	"github.com/tabtune/tabtune/targets/build"
	"github.com/tabtune/tabtune/targets/wazero"
)

// TestZooTunes: every zoo operator (small shapes) tunes end to end on
// wasm-simd with the wazero measurer, and its best kernel verified (the
// measurer only times kernels that match the reference).
func TestZooTunes(t *testing.T) {
	m := wazero.New(wazero.Config{Options: targets.Options{MinTime: time.Millisecond, Repeats: 1, Warmup: 1}})
	defer m.Close()
	names, dags := schedtest.SmallDAGs(t)
	for i, d := range dags {
		w, err := build.Workload(d, 1)
		if err != nil {
			t.Fatal(err)
		}
		p := evolve.DefaultParams()
		p.Population = 32
		task, err := NewTask(d, w, Options{Target: targets.MustParseTarget("wasm-simd"), Measurer: m, Batch: 6, Seed: 1, Search: p})
		if err != nil {
			t.Fatalf("%s: %v", names[i], err)
		}
		failed := 0
		for task.Trials < 12 {
			r, err := task.Step(context.Background())
			if err != nil {
				t.Fatalf("%s: %v", names[i], err)
			}
			failed += r.Failed
			if r.Measured == 0 {
				break
			}
		}
		if task.Best() == nil {
			t.Errorf("%s: no schedule verified", names[i])
		}
		if failed > 0 {
			t.Errorf("%s: %d candidates failed", names[i], failed)
		}
	}
}
