package sketch

import (
	"slices"
	"strings"
	"testing"

	"github.com/tabtune/tabtune/compiler/schedule"
)

// TestSeparateWindowSketches: pools whose windows overlap get one
// separated sketch per window axis, with the padding inlined and the
// partial stage computed per row (or per block of rows) of the output, and
// so do windows that only touch (VGG's 2x2 at stride 2); windows with gaps
// between them, a global pool (one output row) and GPU targets get none.
func TestSeparateWindowSketches(t *testing.T) {
	for _, c := range []struct {
		spec, target string
		want         int
	}{
		{"maxpool2d", "wasm-simd", 2},
		{"avgpool2d", "wasm-simd", 2},
		{"avgpool2d:N=1,C=192,H=35,W=35,K=3,stride=1,pad=1", "cpu -cores=4", 2},
		{"maxpool2d:N=1,C=128,H=112,W=112,K=2,stride=2,pad=0", "wasm-simd", 2},
		{"maxpool2d:N=1,C=4,H=15,W=15,K=2,stride=3,pad=0", "wasm-simd", 0},
		{"avgpool2d:N=1,C=2048,H=7,W=7,K=7,stride=1,pad=0", "wasm-simd", 0},
		{"maxpool2d", "cuda", 0},
		{"c2d", "wasm-simd", 0},
	} {
		var sep []*Sketch
		for _, s := range generateFor(t, c.spec, c.target) {
			if slices.ContainsFunc(s.Rules, func(r string) bool { return strings.HasPrefix(r, "separate_window(") }) {
				sep = append(sep, s)
			}
		}
		if len(sep) != c.want {
			t.Errorf("%s on %s: %d separated sketches, want %d", c.spec, c.target, len(sep), c.want)
			continue
		}
		for _, s := range sep {
			st := s.State
			inlined := true
			if pad := st.StageByName("pad"); pad >= 0 {
				inlined = st.Stages[pad].Attach.Kind == schedule.AttachInline
			}
			rule := s.Rules[slices.IndexFunc(s.Rules, func(r string) bool { return strings.HasPrefix(r, "separate_window(") })]
			win := st.Stages[st.StageByName(strings.TrimSuffix(strings.TrimPrefix(rule, "separate_window("), ")")+".win")]
			if last := win.Iter(len(win.Iters) - 1); last.Ann != schedule.AnnVectorize {
				t.Errorf("%s: the partial stage's innermost loop %s is not vectorized\n%s", c.spec, last.Name, s)
			}
			if !inlined || win.Attach.Kind != schedule.AttachAt || win.Op.Reduce != nil {
				t.Errorf("%s: pad inlined %v, the partial stage %v, reduction %v\n%s", c.spec, inlined, win.Attach.Kind, win.Op.Reduce != nil, s)
			}
		}
	}
}
