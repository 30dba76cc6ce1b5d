package sample

import (
	"math/rand/v2"
	"testing"

	"github.com/tabtune/tabtune/compiler/ops"
	"github.com/tabtune/tabtune/compiler/schedule"
	"github.com/tabtune/tabtune/targets"
)

// TestPerTilePackedPanels: the sketches of a dilated convolution that
// pack the weights per tile of output channels (sketch.packPerTile) are
// panels to sampling: the copy's reader uses the channel axis alone, and
// most micro-kernel draws make the outer tiles of the pixels one loop and
// keep the channels' (one weight block per channel tile, reused by every
// pixel tile). Their random configs compute the reference on a small
// shape.
func TestPerTilePackedPanels(t *testing.T) {
	tg := targets.MustParseTarget("wasm-simd")
	const spec = "dil:N=1,CI=512,H=14,W=14,CO=256,KH=3,KW=3,stride=1,pad=4,dilation=4"
	rng := rand.New(rand.NewPCG(1, 2))
	panels := 0
	for _, sk := range sketchesOf(t, spec, tg) {
		if !copiedPerTile(sk.State) {
			continue
		}
		_, axes, ok := panelAxes(sk)
		if !ok {
			t.Fatalf("a per-tile packed sketch is no panel to sampling:\n%s", sk)
		}
		panels++
		if len(axes) != 1 || !axes[1] {
			t.Fatalf("the packed weights use axes %v, want co (1) only", axes)
		}
		sp := NewSpace(sk, tg)
		shaped := 0
		const draws = 200
		for range draws {
			tiles := sp.microTiles(rng)
			// Knobs 1, 2 and 3 split co (256), y and x (14).
			outer := func(k int, extent int64) bool { return tiles[k][0] != extent/tiles[k][len(tiles[k])-1] }
			if outer(1, 256) && !outer(2, 14) && !outer(3, 14) {
				shaped++
			}
		}
		if shaped < draws/2 {
			t.Errorf("%d of %d micro-kernel draws keep the outer tiles of co alone", shaped, draws)
		}
	}
	if panels == 0 {
		t.Fatal("no sketch packs the weights per tile")
	}

	// Random configs of those sketches compute what the expression says.
	const small = "dil:N=1,CI=3,H=9,W=7,CO=8,KH=3,KW=3,stride=1,pad=2,dilation=2"
	d, err := ops.BuildSpec(small)
	if err != nil {
		t.Fatal(err)
	}
	checked := 0
	for _, sk := range sketchesOf(t, small, tg) {
		if !copiedPerTile(sk.State) {
			continue
		}
		sp := NewSpace(sk, tg)
		for range 20 {
			if computesReference(t, sp, sp.Random(rng), d) {
				checked++
			}
		}
	}
	if checked < 20 {
		t.Errorf("only %d configs of per-tile packed sketches built", checked)
	}
}

// copiedPerTile reports whether a state computes a packed copy of an
// input (a stage with a storage order that reads an input) inside a loop.
func copiedPerTile(st *schedule.State) bool {
	for _, s := range st.Stages {
		if s.Order != nil && isCopy(s) && s.Attach.Kind == schedule.AttachAt {
			return true
		}
	}
	return false
}
