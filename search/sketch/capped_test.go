package sketch

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/tabtune/tabtune/compiler/te"
	"github.com/tabtune/tabtune/targets"
)

// matmulChain is n chained 8x8 matmuls.
func matmulChain(n int) string {
	var b strings.Builder
	b.WriteString("X0 = input(f32, [8, 8])\n")
	for k := range n {
		fmt.Fprintf(&b, "W%d = input(f32, [8, 8])\n", k)
	}
	for k := range n {
		fmt.Fprintf(&b, "X%d[i, j] = sum(X%d[i, k] * W%d[k, j], k)\n", k+1, k, k)
	}
	return b.String()
}

const attention = `Q = input(f32, [64, 32])
K = input(f32, [64, 32])
V = input(f32, [64, 32])
S[i, j] = sum(Q[i, d] * K[j, d], d)
M[i] = max_over(S[i, j], j)
E[i, j] = exp(S[i, j] - M[i])
Z[i] = sum(E[i, j], j)
P[i, j] = E[i, j] / Z[i]
O[i, d] = sum(P[i, j] * V[j, d], j)
`

// TestCappedDerivation checks that long programs, whose sketches grow as
// 5^n, derive the MaxSketches best, distinct, in good time, and that
// programs with few sketches derive them all, as before.
func TestCappedDerivation(t *testing.T) {
	tests := []struct {
		name   string
		src    string
		count  int
		capped bool
	}{
		{"two matmuls", matmulChain(2), 25, false},
		// 35 tilings of the matmuls (K packed in 4 of the 7 of S, pack.go), each
		// with the softmax between them per row of P (row_fusion) or a
		// pass per stage.
		{"attention", attention, 70, false},
		{"four matmuls", matmulChain(4), MaxSketches, true},
		{"eight matmuls", matmulChain(8), MaxSketches, true},
	}
	p := NewPolicy(targets.MustParseTarget("wasm-simd"))
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			d, err := te.Parse(tc.src)
			if err != nil {
				t.Fatal(err)
			}
			start := time.Now()
			sks, capped, err := p.GenerateCapped(d)
			if err != nil {
				t.Fatal(err)
			}
			if len(sks) != tc.count || capped != tc.capped {
				t.Fatalf("%d sketches, capped %v; want %d, %v", len(sks), capped, tc.count, tc.capped)
			}
			if el := time.Since(start); el > 10*time.Second {
				t.Errorf("took %v", el)
			}
			seen := map[string]bool{}
			for _, sk := range sks {
				k := sk.State.String()
				if seen[k] {
					t.Fatalf("two sketches print the same loop nest:\n%s", k)
				}
				seen[k] = true
			}
			if !capped {
				return
			}
			// Best-first: the first sketch takes the preferred rule at
			// every stage, and later ones differ at early stages too.
			first := strings.Join(sks[0].Rules, " ")
			if !strings.Contains(first, "add_cache_write(X1)") {
				t.Errorf("first sketch: %s", first)
			}
			early := false
			for _, sk := range sks {
				early = early || !strings.Contains(strings.Join(sk.Rules, " "), "add_cache_write(X1)")
			}
			if !early {
				t.Errorf("no sketch varies the first matmul")
			}
		})
	}
}
