package lower

import (
	"strings"
	"testing"

	"github.com/tabtune/tabtune/compiler/schedule"
	"github.com/tabtune/tabtune/compiler/te"
)

// TestNonPos: exp(x - m) becomes exp_nonpos exactly where m is a max
// reduction (or m - x a min reduction) over values that include x, and
// the lowered program still computes the reference.
func TestNonPos(t *testing.T) {
	const x = "X = input(f32, [6, 10])\n"
	for _, c := range []struct {
		name, text string
		inline     []int // stages computed inline
		want       int   // exp_nonpos calls in the kernel
	}{
		{"rows", "M[i] = max_over(X[i, j], j)\nE[i, j] = exp(X[i, j] - M[i])\n", nil, 1},
		{"columns", "M[j] = max_over(X[i, j], i)\nE[i, j] = exp(X[i, j] - M[j])\n", nil, 1},
		{"min", "M[i] = min_over(X[i, j], j)\nE[i, j] = exp(M[i] - X[i, j])\n", nil, 1},
		{"lifted", "E[i, j] = exp(X[i, j] - max_over(X[i, k], k))\n", nil, 1},
		{"an inlined producer", "B = input(f32, [10])\nS[i, j] = X[i, j] + B[j]\nM[i] = max_over(S[i, j], j)\nE[i, j] = exp(S[i, j] - M[i])\n", []int{2}, 1},
		{"scaled", "M[i] = max_over(X[i, j], j)\nE[i, j] = exp(0.125 * ((X[i, j] - M[i]) / 2.0))\n", nil, 1},
		{"scaled by a negative", "M[i] = max_over(X[i, j], j)\nE[i, j] = exp((X[i, j] - M[i]) * -0.5)\n", nil, 0},
		{"a sum", "M[i] = sum(X[i, j], j)\nE[i, j] = exp(X[i, j] - M[i])\n", nil, 0},
		{"max minus x", "M[i] = max_over(X[i, j], j)\nE[i, j] = exp(M[i] - X[i, j])\n", nil, 0},
		{"min of x", "M[i] = min_over(X[i, j], j)\nE[i, j] = exp(X[i, j] - M[i])\n", nil, 0},
		{"another row", "M[i] = max_over(X[i, j], j)\nE[i, j] = exp(X[i, j] - M[5 - i])\n", nil, 0},
		{"other values", "M[i] = max_over(X[i, j] * 0.5, j)\nE[i, j] = exp(X[i, j] - M[i])\n", nil, 0},
		{"half the row", "M[i] = max_over(X[i, j], j:5)\nE[i, j] = exp(X[i, j] - M[i])\n", nil, 0},
		{"half the row read", "M[i] = max_over(X[i, j], j)\nE[i, j:5] = exp(X[i, j] - M[i])\n", nil, 1},
		{"shifted", "M[i] = max_over(X[i, j], j:5)\nE[i, j:5] = exp(X[i, j + 5] - M[i])\n", nil, 0},
	} {
		t.Run(c.name, func(t *testing.T) {
			d, err := te.Parse(x + c.text)
			if err != nil {
				t.Fatal(err)
			}
			st := schedule.New(d)
			for _, s := range c.inline {
				if st, err = st.Apply(schedule.ComputeInline{Stage: s}); err != nil {
					t.Fatal(err)
				}
			}
			checkLowered(t, st, d)
			f, err := Lower(st)
			if err != nil {
				t.Fatal(err)
			}
			text := f.String()
			if got := strings.Count(text, "exp_nonpos("); got != c.want {
				t.Errorf("%d exp_nonpos, want %d:\n%s", got, c.want, text)
			}
		})
	}
}
