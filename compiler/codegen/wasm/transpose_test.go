package wasm

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/tabtune/tabtune/compiler/codegen/wasm/wasmbin"
	"github.com/tabtune/tabtune/compiler/ir"
	"github.com/tabtune/tabtune/compiler/ops"
	"github.com/tabtune/tabtune/compiler/schedule"
)

// vectorizeC vectorizes stage 1's iterator at position 2, the channel c of
// P[h, w, c].
var vectorizeC = []schedule.Step{schedule.Annotate{Stage: 1, Iter: 2, Ann: schedule.AnnVectorize}}

// TestTransposes checks the instructions of layout changes whose lanes
// load or store with a large stride: each group of four rows is four
// v128.load (v128.store) and eight i8x16.shuffle, with no lane inserts
// (extracts); a loop that four does not divide ends with a group that
// overlaps the one before; a padding's borders store zeros; other loads
// go the old way (a gather: one load32_splat and three replace_lane per
// vector).
func TestTransposes(t *testing.T) {
	back := []schedule.Step{schedule.Reorder{Stage: 1, Order: []int{1, 2, 0}}, vectorizeC[0]}
	cases := []struct {
		name, src string
		steps     []schedule.Step
		// groups of the transpose, gathers and scatters (vectors loaded
		// or stored lane by lane), all as emitted (the two chunks of c
		// are unrolled), and shuffles.
		groups, gathers, scatters, shuffles int
	}{
		{"nchw to nhwc", "X = input(f32, [8, 3, 12])\nP[h:3, w:12, c:8] = X[c, h, w] * 2.0\n", vectorizeC, 2, 0, 0, 16},
		// Width 9: two groups, and a third for columns 5 to 8 (overlapping),
		// per chunk of c.
		{"odd width", "X = input(f32, [8, 3, 9])\nP[h:3, w:9, c:8] = X[c, h, w] + 1.0\n", vectorizeC, 4, 0, 0, 32},
		// The padded row is 11 wide: the interior 9 as above, the
		// borders store zeros.
		{"padding", "X = input(f32, [8, 3, 9])\nP[h:5, w:11, c:8] = select(h >= 1 && h < 4 && w >= 1 && w < 10, X[c, h - 1, w - 1], 0.0)\n", vectorizeC, 4, 0, 0, 32},
		// Channels 4 do not divide: the lane loop has a scalar tail, the
		// nest around it is no longer perfect, nothing is transposed.
		{"odd channels", "X = input(f32, [6, 3, 8])\nP[h:3, w:8, c:6] = X[c, h, w]\n", vectorizeC, 0, 1, 0, 0},
		// Two inputs, one transposed, one contiguous along the lanes.
		{"two inputs", "X = input(f32, [4, 8])\nY = input(f32, [8, 4])\nP[w:8, c:4] = X[c, w] * Y[w, c]\n",
			[]schedule.Step{schedule.Annotate{Stage: 2, Iter: 1, Ann: schedule.AnnVectorize}}, 1, 0, 0, 8},
		// The way back, NHWC to NCHW: the loops run h, w, c, the stores
		// are transposed.
		{"nhwc to nchw", "X = input(f32, [3, 12, 8])\nP[c:8, h:3, w:12] = X[h, w, c] + 1.0\n", back, 2, 0, 0, 16},
		// Both at once, with an odd width; the load reversed along w
		// (X[c, h, 8 - w]) is no block's row: it is gathered.
		{"both ways", "X = input(f32, [8, 3, 9])\nP[c:8, h:3, w:9] = X[c, h, w] * X[c, h, 8 - w]\n", back, 4, 16, 0, 64},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			k := checkSource(t, c.src, c.steps)
			text, err := wasmbin.Disassemble(k.Wasm)
			if err != nil {
				t.Fatal(err)
			}
			groups, gathers := strings.Count(k.Prepared.String(), "pragma(transpose=4)"), strings.Count(text, "v128.load32_splat")
			loads, shuffles := strings.Count(text, "v128.load "), strings.Count(text, "i8x16.shuffle")
			inserts, extracts := strings.Count(text, "f32x4.replace_lane"), strings.Count(text, "f32x4.extract_lane")
			if groups != c.groups || gathers != c.gathers || extracts != 4*c.scatters || shuffles != c.shuffles || inserts != 3*gathers || loads < 4*groups {
				t.Errorf("%d groups, %d gathers, %d lane extracts, %d v128.load, %d shuffles, %d lane inserts; want %d groups, %d gathers, %d scatters, %d shuffles\n%s\n%s",
					groups, gathers, extracts, loads, shuffles, inserts, c.groups, c.gathers, c.scatters, c.shuffles, k.Prepared, text)
			}
		})
	}
}

// TestRandomTransposes is a property test of the transpose path: layout
// changes NCHW to NHWC and back, padded or not, of random sizes, with the channel
// and the width split by random factors and their loops in a random
// order, and depthwise convolutions whose padding is stored NHWC (the
// auto-packing sketch), compile, run in wazero and equal the interpreter.
func TestRandomTransposes(t *testing.T) {
	n := 60
	if testing.Short() {
		n = 20
	}
	transposed := 0
	for c := range n {
		rng := rand.New(rand.NewPCG(uint64(c), 17))
		C, H, W := []int64{4, 5, 8, 12, 16}[rng.IntN(5)], int64(1+rng.IntN(3)), int64(3+rng.IntN(11))
		src := fmt.Sprintf("X = input(f32, [%d, %d, %d])\nP[h:%d, w:%d, c:%d] = X[c, h, w] * 2.0\n", C, H, W, H, W, C)
		var steps []schedule.Step
		switch rng.IntN(4) {
		case 0:
			src = fmt.Sprintf("X = input(f32, [%d, %d, %d])\nP[h:%d, w:%d, c:%d] = select(h >= 1 && h < %d && w >= 1 && w < %d, X[c, h - 1, w - 1], 0.0)\n",
				C, H, W, H+2, W+2, C, H+1, W+1)
		case 1:
			// The way back, its loops first put in the order h, w, c.
			src = fmt.Sprintf("X = input(f32, [%d, %d, %d])\nP[c:%d, h:%d, w:%d] = X[h, w, c] * 2.0\n", H, W, C, C, H, W)
			steps = append(steps, schedule.Reorder{Stage: 1, Order: []int{1, 2, 0}})
		case 2:
			// Both ways, with a padding.
			src = fmt.Sprintf("X = input(f32, [%d, %d, %d])\nP[c:%d, h:%d, w:%d] = select(w >= 1 && w < %d, X[c, h, w - 1], 0.0)\n", C, H, W, C, H, W+2, W+1)
			steps = append(steps, schedule.Reorder{Stage: 1, Order: []int{1, 2, 0}})
		}
		// Loops h, w, c; split c and w by random factors, then put the
		// loops in a random order with the vectorized one innermost.
		loops := 3
		if rng.IntN(3) > 0 {
			steps = append(steps, schedule.Split{Stage: 1, Iter: 2, Lengths: []int64{[]int64{4, 8}[rng.IntN(2)]}, InnerToOuter: true})
			loops++
		}
		if rng.IntN(2) == 0 {
			steps = append(steps, schedule.Split{Stage: 1, Iter: 1, Lengths: []int64{int64(2 + rng.IntN(7))}, InnerToOuter: true})
			loops++
		}
		vec := loops - 1
		if loops == 5 {
			vec = 4 // h, w.0, w.1, c.0, c.1
		}
		order := rng.Perm(loops)
		for i, p := range order {
			if p == vec {
				order[i], order[loops-1] = order[loops-1], order[i]
			}
		}
		steps = append(steps, schedule.Reorder{Stage: 1, Order: order},
			schedule.Annotate{Stage: 1, Iter: loops - 1, Ann: schedule.AnnVectorize})
		k := checkSource(t, src, steps)
		if strings.Contains(k.Prepared.String(), "pragma(transpose") {
			transposed++
		}
	}
	// Depthwise convolutions with the padding stored NHWC and run in that
	// order (search/sketch's pack), the channel vectorized.
	op, _ := ops.Lookup("dep")
	for _, shape := range []map[string]int64{
		{"C": 8, "H": 9, "W": 9, "stride": 1},
		{"C": 12, "H": 10, "W": 10, "stride": 2},
		{"C": 16, "H": 6, "W": 14, "stride": 2},
	} {
		d, err := op.Build(shape)
		if err != nil {
			t.Fatal(err)
		}
		pad := 2 // data, kernel, pad, out
		k := checkDAG(t, d, []schedule.Step{
			schedule.StorageOrder{Stage: pad, Order: []int{0, 2, 3, 1}},
			schedule.Reorder{Stage: pad, Order: []int{0, 2, 3, 1}},
			schedule.Annotate{Stage: pad, Iter: 3, Ann: schedule.AnnVectorize},
		})
		if !strings.Contains(k.Prepared.String(), "pragma(transpose") {
			t.Errorf("dep %v: no transpose\n%s", shape, k.Prepared)
		}
	}
	if transposed == 0 {
		t.Error("no random layout change was transposed")
	}
	t.Logf("%d of %d random layout changes transposed", transposed, n)
}

// TestTransposeRegisterTile: a register tile stored with its channels
// innermost (the accumulators of a convolution vectorized over output
// channels) and written back NCHW is transposed on the way out, and stays
// in v128 locals: the group's iteration is a constant where it is emitted.
func TestTransposeRegisterTile(t *testing.T) {
	k := checkSource(t, "A = input(f32, [8, 6])\nB = input(f32, [6, 4])\nC[c, x] = sum(A[c, r] * B[r, x], r)\n", []schedule.Step{
		schedule.CacheWrite{Stage: 2, Scope: ir.Local},
		schedule.StorageOrder{Stage: 2, Order: []int{1, 0}},
		schedule.Reorder{Stage: 2, Order: []int{2, 1, 0}},
		schedule.Annotate{Stage: 2, Iter: 1, Ann: schedule.AnnUnroll},
		schedule.Annotate{Stage: 2, Iter: 2, Ann: schedule.AnnVectorize},
		schedule.Reorder{Stage: 3, Order: []int{1, 0}},
		schedule.Annotate{Stage: 3, Iter: 0, Ann: schedule.AnnUnroll},
		schedule.Annotate{Stage: 3, Iter: 1, Ann: schedule.AnnVectorize},
	})
	if k.RegisterBuffers != 1 || !strings.Contains(k.Prepared.String(), "pragma(transpose=4)") {
		t.Errorf("%d register buffers, want 1, and a transpose group\n%s", k.RegisterBuffers, k.Prepared)
	}
}
