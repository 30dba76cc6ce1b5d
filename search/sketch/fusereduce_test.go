package sketch

import (
	"slices"
	"strings"
	"testing"
)

// TestFuseContiguousReduction: a global pool over NCHW and a norm (whole
// rows) get a sketch with their reduction loops fused into one; a sliding
// window, a matmul (one reduction axis) and a reduction over the rows of
// a column (not contiguous) do not.
func TestFuseContiguousReduction(t *testing.T) {
	for _, c := range []struct {
		spec string
		want bool
	}{
		{"avgpool2d:N=1,C=2048,H=7,W=7,K=7,stride=1,pad=0", true},
		{"avgpool2d:N=1,C=5,H=3,W=3,K=3,stride=1,pad=0", true},
		{"nrm:B=2,M=8,N=8", true},
		{"avgpool2d", false},
		{"gmm", false},
		{"avgpool2d:N=1,C=8,H=9,W=9,K=3,stride=3,pad=0", false},
	} {
		found := false
		for _, s := range generateFor(t, c.spec, "wasm-simd") {
			if slices.ContainsFunc(s.Rules, func(r string) bool { return strings.HasPrefix(r, "fuse_contiguous_reduction(") }) {
				found = true
				st := s.State
				red := st.Stages[st.StageByName(strings.TrimSuffix(strings.TrimPrefix(s.Rules[slices.IndexFunc(s.Rules, func(r string) bool { return strings.HasPrefix(r, "fuse_contiguous_reduction(") })], "fuse_contiguous_reduction("), ")"))]
				if last := red.Iter(len(red.Iters) - 1); !strings.Contains(last.Name, "@") {
					t.Errorf("%s: innermost loop %s is not the fused reduction\n%s", c.spec, last.Name, s)
				}
			}
		}
		if found != c.want {
			t.Errorf("%s: fused sketch %v, want %v", c.spec, found, c.want)
		}
	}
}
