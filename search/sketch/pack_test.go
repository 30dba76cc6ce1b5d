package sketch

import (
	"slices"
	"strings"
	"testing"

	"github.com/tabtune/tabtune/compiler/schedule"
)

// packed returns the sketches with a storage order on some stage.
func packed(sks []*Sketch) []*Sketch {
	var out []*Sketch
	for _, s := range sks {
		for _, st := range s.State.Stages {
			if st.Order != nil {
				out = append(out, s)
				break
			}
		}
	}
	return out
}

// TestPackedVariants: a stride-2 convolution on wasm and ResNet's C2D on
// 16 lanes (56 columns) get sketches that vectorize the output channels,
// with the weights packed co-innermost and the accumulator stored so;
// stride-1 C2D on wasm and GMM get none; dense packs W along j;
// MobileNet's depthwise layers (stride 2; 14 columns) vectorize the
// channels, with pad stored and run channel-innermost, and the default one (112
// columns, stride 1) gets none. Grouped convolutions vectorize the output
// channels, their input read as a broadcast, when the lanes divide the
// channels per group (32 and 16 on 4 and 16 lanes; 4 on 4 but not 16).
// Each packed sketch comes twice: with its copies of inputs at the root,
// and computed in the consumer's outer tile loop over the vector axis
// (packPerTile: the blocked layout, one block of channels per tile).
func TestPackedVariants(t *testing.T) {
	for _, c := range []struct {
		spec, target string
		want         int
	}{
		{"c2d:stride=2", "wasm-simd", 8},
		{"c2d", "cpu -mcpu=skylake-avx512", 8},
		{"c2d", "wasm-simd", 0},
		{"gmm:M=256,N=256,K=256", "wasm-simd", 0},
		{"dense_bias_relu", "wasm-simd", 4},
		{"dep:N=1,C=64,H=112,W=112,KH=3,KW=3,stride=2,pad=1", "wasm-simd", 4},
		{"dep:N=1,C=512,H=14,W=14,KH=3,KW=3,stride=1,pad=1", "wasm-simd", 4},
		{"dep", "wasm-simd", 0},
		{"grp", "wasm-simd", 8},
		{"grp:N=1,CI=512,H=14,W=14,CO=512,KH=3,KW=3,stride=1,pad=1,groups=32", "cpu -mcpu=skylake-avx512", 8},
		{"grp:N=1,CI=512,H=14,W=14,CO=512,KH=3,KW=3,stride=1,pad=1,groups=128", "wasm-simd", 8},
		{"dil:N=1,CI=512,H=14,W=14,CO=256,KH=3,KW=3,stride=1,pad=4,dilation=4", "wasm-simd", 8},
		{"grp:N=1,CI=512,H=14,W=14,CO=512,KH=3,KW=3,stride=1,pad=1,groups=128", "cpu -mcpu=skylake-avx512", 0},
	} {
		all := generateFor(t, c.spec, c.target)
		sks := packed(all)
		if len(sks) != c.want {
			t.Errorf("%s on %s: %d packed sketches of %d, want %d", c.spec, c.target, len(sks), len(all), c.want)
			continue
		}
		perTile := 0
		for _, s := range sks {
			st := s.State
			if at, ok := copiesAt(st); ok {
				perTile++
				if !strings.HasSuffix(at, ".0") {
					t.Errorf("%s on %s: copies computed at %s, want an outer tile loop\n%s", c.spec, c.target, at, s)
				}
			}
			if strings.HasPrefix(c.spec, "c2d") {
				w := st.Stages[st.StageByName("kernel.global")]
				acc := st.Stages[st.StageByName("out.local")]
				if !slices.Equal(w.Order, []int{1, 2, 3, 0}) || !slices.Equal(acc.Order, []int{0, 2, 3, 1}) {
					t.Fatalf("%s: orders %v and %v\n%s", c.spec, w.Order, acc.Order, s)
				}
				if got := loopNames(w); !slices.Equal(got, []string{"j", "k", "l", "i"}) {
					t.Errorf("%s: kernel.global's loops %v, want its storage order\n%s", c.spec, got, s)
				}
				if last := acc.Iter(len(acc.Iters) - 1).Name; last != "co.3" {
					t.Errorf("%s: innermost loop %s, want co.3\n%s", c.spec, last, s)
				}
				for _, k := range s.Tiles {
					// co is the only spatial axis of extent 64.
					if k.Vector != (!k.Reduce && k.Extent == 64) {
						t.Errorf("%s: knob of step %d marked vector %v", c.spec, k.Step, k.Vector)
					}
				}
			}
			if strings.HasPrefix(c.spec, "dep") {
				// The channels are read by pad and the weights alike:
				// pad, a computed stage, is stored channel-innermost
				// itself (NHWC), the weights packed [1][KH][KW][C].
				pad := st.Stages[st.StageByName("pad")]
				w := st.Stages[st.StageByName("kernel.global")]
				acc := st.Stages[st.StageByName("out.local")]
				if !slices.Equal(pad.Order, []int{0, 2, 3, 1}) || !slices.Equal(w.Order, []int{1, 2, 3, 0}) || !slices.Equal(acc.Order, []int{0, 2, 3, 1}) {
					t.Fatalf("%s: orders %v, %v and %v\n%s", c.spec, pad.Order, w.Order, acc.Order, s)
				}
				if last := acc.Iter(len(acc.Iters) - 1).Name; last != "c.3" {
					t.Errorf("%s: innermost loop %s, want c.3\n%s", c.spec, last, s)
				}
				// pad's loops follow its storage: stores contiguous.
				if loops := loopNames(pad); !slices.Equal(loops, []string{"n", "h", "w", "c"}) {
					t.Errorf("%s: pad's loops %v, want [n h w c]\n%s", c.spec, loops, s)
				}
			}
			if strings.HasPrefix(c.spec, "grp") {
				// The input channel co // g * k + ci is one element per
				// vector of co: pad is read as a broadcast, not packed.
				pad := st.Stages[st.StageByName("pad")]
				w := st.Stages[st.StageByName("kernel.global")]
				acc := st.Stages[st.StageByName("out.local")]
				if pad.Order != nil || !slices.Equal(w.Order, []int{1, 2, 3, 0}) || !slices.Equal(acc.Order, []int{0, 2, 3, 1}) {
					t.Fatalf("%s: orders %v, %v and %v\n%s", c.spec, pad.Order, w.Order, acc.Order, s)
				}
				if last := acc.Iter(len(acc.Iters) - 1).Name; last != "co.3" {
					t.Errorf("%s: innermost loop %s, want co.3\n%s", c.spec, last, s)
				}
			}
			if strings.HasPrefix(c.spec, "dense") {
				w := st.Stages[st.StageByName("W.global")]
				if !slices.Equal(w.Order, []int{1, 0}) {
					t.Errorf("dense: W stored %v\n%s", w.Order, s)
				}
			}
		}
		if perTile*2 != len(sks) {
			t.Errorf("%s on %s: %d of %d packed sketches compute their copies per tile, want half", c.spec, c.target, perTile, len(sks))
		}
	}
}

// TestNoPerTileCopyWithoutReuse: a 2x2 max pool packs its input
// channel-innermost, but every pixel axis indexes that copy, so no tile
// reuses what another made: no per-tile variant.
func TestNoPerTileCopyWithoutReuse(t *testing.T) {
	sks := packed(generateFor(t, "maxpool2d:N=1,C=128,H=112,W=112,K=2,stride=2,pad=0", "wasm-simd"))
	if len(sks) == 0 {
		t.Fatal("no packed sketch")
	}
	for _, s := range sks {
		if at, ok := copiesAt(s.State); ok {
			t.Errorf("the input is copied per tile at %s\n%s", at, s)
		}
	}
}

// copiesAt says where the packed copies of inputs (stages with a storage
// order that read an input alone) of a sketch are computed: the name of
// the consumer's loop they share, ok false when they are at the root. It
// fails the sketch when its copies are not all in one place.
func copiesAt(st *schedule.State) (at string, ok bool) {
	for _, s := range st.Stages {
		if s.Order == nil || !strings.HasSuffix(s.Name(), ".global") {
			continue
		}
		if s.Attach.Kind == schedule.AttachAt {
			return st.Stages[s.Attach.Stage].Nodes[s.Attach.Node].Name, true
		}
	}
	return "", false
}

// loopNames are the names of a stage's loops, outermost first.
func loopNames(s *schedule.Stage) []string {
	var out []string
	for k := range s.Iters {
		out = append(out, s.Iter(k).Name)
	}
	return out
}
