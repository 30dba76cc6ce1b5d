package sketch

import (
	"strings"
	"testing"

	"github.com/tabtune/tabtune/compiler/te"
	"github.com/tabtune/tabtune/targets"
)

// TestKeepExpensive: a costly element-wise stage read by two stages keeps
// its loops on CPU (at the root, or per row where row_fusion computes the
// chain it is part of); read by one, or cheap, or on GPU, it is inlined.
func TestKeepExpensive(t *testing.T) {
	cases := []struct {
		name, src, target, want string
		// or is what a sketch may show instead of want.
		or string
	}{
		{"exp read twice", "E[i, j] = exp(A[i, j])\nS[i] = sum(E[i, j], j)\nO[i, j] = E[i, j] / S[i]", "wasm-simd", "keep_expensive(E)", "row_fusion(O)"},
		{"exp read once", "E[i, j] = exp(A[i, j])\nS[i] = sum(E[i, j], j)", "wasm-simd", "always_inline(E)", ""},
		{"cheap read twice", "E[i, j] = sqrt(A[i, j]) * 2.0\nS[i] = sum(E[i, j], j)\nO[i, j] = E[i, j] / S[i]", "wasm-simd", "always_inline(E)", ""},
		{"gpu", "E[i, j] = exp(A[i, j])\nS[i] = sum(E[i, j], j)\nO[i, j] = E[i, j] / S[i]", "cuda", "always_inline(E)", ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			d, err := te.Parse("A = input(f32, [4, 64])\n" + c.src + "\n")
			if err != nil {
				t.Fatal(err)
			}
			sk, err := NewPolicy(targets.MustParseTarget(c.target)).Generate(d)
			if err != nil {
				t.Fatal(err)
			}
			for _, s := range sk {
				rules := strings.Join(s.Rules, " ")
				if c.or != "" && strings.Contains(rules, c.or) {
					continue
				}
				if !strings.Contains(rules, c.want) {
					t.Errorf("a sketch without %s: %s", c.want, rules)
				}
			}
		})
	}
}
