package sketch

import (
	"strings"
	"testing"

	"github.com/tabtune/tabtune/compiler/interp"
	"github.com/tabtune/tabtune/compiler/lower"
	"github.com/tabtune/tabtune/compiler/ops"
	"github.com/tabtune/tabtune/compiler/schedule"
	"github.com/tabtune/tabtune/compiler/schedule/schedtest"
	"github.com/tabtune/tabtune/targets"
)

func generate(t *testing.T, spec string) []*Sketch { return generateFor(t, spec, "wasm-simd") }

func generateFor(t *testing.T, spec, target string) []*Sketch {
	t.Helper()
	d, err := ops.BuildSpec(spec)
	if err != nil {
		t.Fatal(err)
	}
	sk, err := NewPolicy(targets.MustParseTarget(target)).Generate(d)
	if err != nil {
		t.Fatal(err)
	}
	return sk
}

func TestRulesPerOperator(t *testing.T) {
	cases := []struct {
		target string // wasm-simd when empty
		spec   string
		count  int
		has    []string // rule applications some sketch must show
	}{
		{"", "gmm:M=64,N=64,K=64", 5, []string{"multi_level_tiling(C)", "add_cache_write(C)", "multi_level_tiling_with_fusion(C.local)", "skip(B.global)"}},
		{"", "c2d:N=1,CI=8,H=8,W=8,CO=8", 6, []string{"multi_level_tiling(out)", "multi_level_tiling_with_fusion(out.local)"}},
		// W[j, k] is read along j: four more sketches pack it (pack.go), at
		// the root or per tile.
		{"", "dense_bias_relu:M=16,N=16,K=16", 7, []string{"always_inline(bias_add)", "add_cache_write(dense)", "skip(W.global)"}},
		{"", "nrm:B=1,M=32,N=32", 2, []string{"add_rfactor(norm_red)", "fuse_contiguous_reduction(norm_red)"}},
		{"", "softmax:M=4,N=128", 5, []string{"add_rfactor(expsum)", "keep_expensive(exps)", "keep_expensive(rsum)", "row_fusion(out) skip(rsum) skip(expsum) skip(exps) skip(maxelem)"}},
		{"", "layernorm:M=4,N=64", 5, []string{"row_fusion(out) skip(rstd) skip(variance) skip(sqdev) skip(mean) skip(total)", "always_inline(variance)", "keep_expensive(rstd)", "keep_expensive(mean)"}},
		// A sliding window is tiled, so that the window leaves the
		// innermost loops and the output width vectorizes.
		{"", "maxpool2d:N=1,C=3,H=7,W=6,K=3,stride=2,pad=1", 5, []string{"separate_window(out) skip(pad)", "multi_level_tiling(out) skip(pad)", "add_cache_write(out) multi_level_tiling_with_fusion(out.local)"}},
		{"", "avgpool2d:N=1,C=3,H=7,W=6,K=3,stride=2,pad=1", 4, []string{"skip(out) separate_window(window_sum) skip(pad)", "skip(out) multi_level_tiling_with_fusion(window_sum) skip(pad)"}},
		// A short window at stride 2 (depthwise) also gets its padding
		// inlined, unless packed; at stride 1, or with a long reduction
		// (c2d), it does not.
		{"", "dep:N=1,C=4,H=9,W=11,KH=3,KW=3,stride=2,pad=1", 10, []string{"multi_level_tiling(out) inline_padding(pad)", "multi_level_tiling_with_fusion(out.local) inline_padding(pad)", "multi_level_tiling_with_fusion(out.local) skip(pad) skip(kernel.global)"}},
		{"", "dep:N=1,C=4,H=9,W=11,KH=3,KW=3,stride=1,pad=1", 7, nil},
		{"", "c2d:N=1,CI=8,H=8,W=8,CO=8,stride=2", 14, nil},
		// GPU: shared-memory inputs, a register accumulator, no CPU panels.
		{"cuda", "gmm:M=64,N=64,K=64", 1, []string{"add_cache_write(C) multi_level_tiling_with_fusion(C.local) add_cache_read(B) skip(B) add_cache_read(A) skip(A)"}},
		{"cuda", "c2d:N=1,CI=8,H=8,W=8,CO=8", 2, []string{"multi_level_tiling_with_fusion(out.local) add_cache_read(pad) always_inline(pad) add_cache_read(kernel)"}},
		{"cuda", "dense_bias_relu:M=16,N=16,K=16", 1, []string{"always_inline(bias_add)", "add_cache_write(dense)", "add_cache_read(W)", "add_cache_read(X)"}},
		{"cuda", "nrm:B=1,M=32,N=32", 2, []string{"cross_thread_reduction(norm_red)", "skip(norm_red)"}},
		{"cuda", "softmax:M=4,N=128", 4, []string{"cross_thread_reduction(expsum) always_inline(exps) cross_thread_reduction(maxelem)"}},
		{"cuda", "layernorm:M=4,N=64", 4, []string{"cross_thread_reduction(sqdev) always_inline(mean) cross_thread_reduction(total)"}},
		{"cuda", "avgpool2d:N=1,C=3,H=7,W=6,K=3,stride=2,pad=1", 1, []string{"special_compute_location_gpu(window_sum) always_inline(pad)"}},
		{"cuda", "maxpool2d:N=1,C=3,H=7,W=6,K=3,stride=2,pad=1", 1, []string{"skip(out) always_inline(pad)"}},
	}
	for _, c := range cases {
		target := c.target
		if target == "" {
			target = "wasm-simd"
		}
		sk := generateFor(t, c.spec, target)
		if len(sk) != c.count {
			t.Errorf("%s %s: %d sketches, want %d", target, c.spec, len(sk), c.count)
		}
		all := ""
		for _, s := range sk {
			all += strings.Join(s.Rules, " ") + "\n"
		}
		if c.has == nil && strings.Contains(all, "inline_padding") {
			t.Errorf("%s %s: a sketch inlines the padding:\n%s", target, c.spec, all)
		}
		for _, h := range c.has {
			if !strings.Contains(all, h) {
				t.Errorf("%s %s: no sketch applies %s:\n%s", target, c.spec, h, all)
			}
		}
	}
}

func TestSketchPrintsKnobs(t *testing.T) {
	sk := generate(t, "gmm:M=64,N=64,K=64")
	text := sk[0].String()
	if !strings.Contains(text, "for k.0 in 0..?") || !strings.Contains(text, "rules: multi_level_tiling(C)") {
		t.Errorf("sketch text:\n%s", text)
	}
}

// TestSketchesLower: every sketch of every zoo operator, for CPU and GPU
// targets, with its placeholder tile sizes, lowers to a program that
// computes the reference.
func TestSketchesLower(t *testing.T) {
	names, dags := schedtest.SmallDAGs(t)
	for _, target := range []string{"wasm-simd", "cuda"} {
		p := NewPolicy(targets.MustParseTarget(target))
		for w, d := range dags {
			sk, err := p.Generate(d)
			if err != nil {
				t.Fatalf("%s %s: %v", target, names[w], err)
			}
			if len(sk) == 0 {
				t.Errorf("%s %s: no sketch", target, names[w])
			}
			for i, s := range sk {
				f, err := lower.Lower(s.State)
				if err != nil {
					t.Fatalf("%s %s sketch %d: %v\n%s", target, names[w], i, err, s)
				}
				diff, err := interp.Check(f, d, 1)
				if err != nil || !diff.OK {
					t.Fatalf("%s %s sketch %d: %v %v\n%s", target, names[w], i, err, diff, s)
				}
			}
		}
	}
}

func TestSlidesWindow(t *testing.T) {
	cases := []struct {
		spec  string
		stage string
		want  bool
	}{
		{"maxpool2d:N=1,C=3,H=7,W=6,K=3,stride=2,pad=1", "out", true},
		{"avgpool2d:N=1,C=3,H=7,W=6,K=3,stride=1,pad=1", "window_sum", true},
		{"avgpool2d:N=1,C=3,H=7,W=6,K=3,stride=1,pad=1", "out", false}, // no reduction
		{"nrm:B=1,M=32,N=32", "norm_red", false},                       // reduces whole rows
		{"gmm:M=64,N=64,K=64", "C", false},                             // reuse, no window
		// A window of one along each axis slides nothing.
		{"maxpool2d:N=1,C=3,H=7,W=6,K=1,stride=1,pad=0", "out", false},
	}
	for _, c := range cases {
		d, err := ops.BuildSpec(c.spec)
		if err != nil {
			t.Fatal(err)
		}
		st := schedule.New(d)
		i := st.StageByName(c.stage)
		if i < 0 {
			t.Fatalf("%s: no stage %s", c.spec, c.stage)
		}
		if got := slidesWindow(st, i); got != c.want {
			t.Errorf("%s %s: slidesWindow %v, want %v", c.spec, c.stage, got, c.want)
		}
	}
}
