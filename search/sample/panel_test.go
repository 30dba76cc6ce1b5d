//go:build !js

package sample

import (
	"context"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/tabtune/tabtune/compiler/interp"
	"github.com/tabtune/tabtune/compiler/lower"
	"github.com/tabtune/tabtune/compiler/ops"
	"github.com/tabtune/tabtune/compiler/schedule"
	"github.com/tabtune/tabtune/targets"
	"github.com/tabtune/tabtune/targets/build"
	"github.com/tabtune/tabtune/targets/wazero"
)

// TestTransposedPanel: dense's W[j, k], read along j, is packed per column
// tile in some sketches (sketch's packedPanel): panelAxes finds the panel
// and that it depends on j only, and most micro-kernel draws then keep
// the column tiles outside and run every row inside, so that one panel
// serves all rows. Random configs of those sketches, on shapes that the
// tiles do not divide, lower and match the interpreter, and compile, run
// in wazero and match the reference.
func TestTransposedPanel(t *testing.T) {
	tg := targets.MustParseTarget("wasm-simd")
	sks := sketchesOf(t, "dense_bias_relu:M=128,N=3072,K=768", tg)
	rng := rand.New(rand.NewPCG(3, 4))
	panels := 0
	for _, sk := range sks {
		_, axes, ok := panelAxes(sk)
		if !ok {
			continue
		}
		panels++
		if axes[0] || !axes[1] {
			t.Fatalf("the panel of W uses axes %v, want j (1) only", axes)
		}
		sp := NewSpace(sk, tg)
		shaped := 0
		const draws = 200
		for range draws {
			tiles := sp.microTiles(rng)
			// Knobs 0 and 1 split i and j.
			if tiles[0][0] == 128/tiles[0][len(tiles[0])-1] && tiles[1][0] == 1 {
				shaped++
			}
		}
		if shaped < draws/2 {
			t.Errorf("%d of %d draws run every row inside a column tile", shaped, draws)
		}
	}
	if panels != 2 {
		t.Fatalf("%d sketches with a panel of W, want 2", panels)
	}

	m := wazero.New(wazero.Config{Options: targets.Options{MinTime: time.Millisecond, Repeats: 1, Warmup: 1}})
	defer m.Close()
	for _, spec := range []string{"dense_bias_relu:M=12,N=20,K=9", "dense_bias_relu:M=16,N=32,K=24"} {
		d, err := ops.BuildSpec(spec)
		if err != nil {
			t.Fatal(err)
		}
		w, err := build.Workload(d, 1)
		if err != nil {
			t.Fatal(err)
		}
		built := 0
		for _, sk := range sketchesOf(t, spec, tg) {
			if _, _, ok := panelAxes(sk); !ok {
				continue
			}
			sp := NewSpace(sk, tg)
			for range 12 {
				st, err := sp.Build(sp.Random(rng))
				if err != nil {
					continue
				}
				built++
				if a := st.Stages[st.StageByName("W.global")].Attach; a.Kind != schedule.AttachAt {
					t.Fatalf("%s: W.global at %+v\n%s", spec, a, st.StepsString())
				}
				f, err := lower.Lower(st)
				if err != nil {
					t.Fatalf("%s: %v\n%s", spec, err, st.StepsString())
				}
				if diff, err := interp.Check(f, d, 1); err != nil || !diff.OK {
					t.Fatalf("%s: %v %v\n%s", spec, err, diff, st.StepsString())
				}
				k, err := build.Wasm(st, tg)
				if err != nil {
					t.Fatalf("%s: %v\n%s", spec, err, st.StepsString())
				}
				if r := m.Measure(context.Background(), w, []targets.Candidate{{Wasm: k.Wasm}})[0]; r.Err != targets.None {
					t.Fatalf("%s: %v: %s\n%s", spec, r.Err, r.Msg, st.StepsString())
				}
			}
		}
		if built < 12 {
			t.Errorf("%s: %d panel configs built", spec, built)
		}
	}
}
