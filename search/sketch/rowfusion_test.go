package sketch

import (
	"maps"
	"strings"
	"testing"

	"github.com/tabtune/tabtune/compiler/lower"
	"github.com/tabtune/tabtune/compiler/ops"
	"github.com/tabtune/tabtune/compiler/schedule"
	"github.com/tabtune/tabtune/compiler/te"
	"github.com/tabtune/tabtune/targets"
)

// TestRowFusionFires: row_fusion derives a sketch for the row-wise chains
// (softmax, layer normalization, the softmax inside attention) and for no
// other zoo operator, whose sketches are those of the rules without it;
// never on GPU.
func TestRowFusionFires(t *testing.T) {
	fires := map[string]bool{"softmax": true, "layernorm": true}
	wasm := targets.MustParseTarget("wasm-simd")
	for _, op := range ops.All() {
		d, err := op.Build(op.Defaults())
		if err != nil {
			t.Fatal(err)
		}
		p := NewPolicy(wasm)
		with, err := p.Generate(d)
		if err != nil {
			t.Fatal(err)
		}
		p.Rules = withoutRowFusion(CPURules)
		without, err := p.Generate(d)
		if err != nil {
			t.Fatal(err)
		}
		n := withRule(with, "row_fusion(")
		switch {
		case fires[op.Name] && (n != 1 || len(with) != len(without)+1):
			t.Errorf("%s: %d sketches with row_fusion of %d, %d without the rule; want 1 more", op.Name, n, len(with), len(without))
		case !fires[op.Name] && (n != 0 || len(with) != len(without)):
			t.Errorf("%s: %d sketches with row_fusion; %d sketches, %d without the rule", op.Name, n, len(with), len(without))
		}
	}
	for _, spec := range []string{"softmax:M=4,N=128", "layernorm:M=4,N=64"} {
		if n := withRule(generateFor(t, spec, "cuda"), "row_fusion("); n > 0 {
			t.Errorf("%s on cuda: %d sketches with row_fusion", spec, n)
		}
	}
	d, err := te.Parse(attention)
	if err != nil {
		t.Fatal(err)
	}
	sks, err := NewPolicy(wasm).Generate(d)
	if err != nil {
		t.Fatal(err)
	}
	if n := withRule(sks, "row_fusion(P) skip(Z) skip(E) skip(M)"); n*2 != len(sks) {
		t.Errorf("attention: %d of %d sketches compute the softmax per row of P", n, len(sks))
	}
}

// withRule counts the sketches whose rules show s.
func withRule(sks []*Sketch, s string) int {
	n := 0
	for _, sk := range sks {
		if strings.Contains(strings.Join(sk.Rules, " "), s) {
			n++
		}
	}
	return n
}

func withoutRowFusion(rules []Rule) []Rule {
	var out []Rule
	for _, r := range rules {
		if _, ok := r.(rowFusion); !ok {
			out = append(out, r)
		}
	}
	return out
}

// TestRowFusionRegion: in softmax's row sketch with blocks of 4 rows, the
// row max, the exps, the row sum and its inverse are computed per block:
// their buffers hold 4 rows, and out's rows are what is left; out
// multiplies by the inverse (no division per element).
func TestRowFusionRegion(t *testing.T) {
	var sk *Sketch
	for _, s := range generate(t, "softmax:M=12,N=10") {
		if strings.HasPrefix(strings.Join(s.Rules, " "), "row_fusion(out)") {
			sk = s
		}
	}
	if sk == nil || len(sk.Tiles) != 1 || sk.Tiles[0].Extent != 12 {
		t.Fatalf("no row sketch with one knob over the 12 rows: %+v", sk)
	}
	// Printed, the per-block stages' row loops are open, their columns not.
	if text := sk.String(); strings.Count(text, "for i in 0..?") != 4 || strings.Count(text, "for j in 0..10") != 4 {
		t.Errorf("row sketch printed:\n%s", text)
	}
	steps := append([]schedule.Step(nil), sk.State.Steps...)
	split := steps[sk.Tiles[0].Step].(schedule.Split)
	split.Lengths = []int64{4}
	steps[sk.Tiles[0].Step] = split
	st, err := schedule.Replay(sk.State.DAG, steps)
	if err != nil {
		t.Fatal(err)
	}
	f, err := lower.Lower(st)
	if err != nil {
		t.Fatal(err)
	}
	text := f.String()
	for _, want := range []string{"maxelem: f32[4]", "exps: f32[4, 10]", "expsum: f32[4]", "rsum: f32[4]", "for (i.0 = 0; i.0 < 3; i.0++)"} {
		if !strings.Contains(text, want) {
			t.Errorf("no %q in\n%s", want, text)
		}
	}
	if n := strings.Count(text, " / "); n != 1 {
		t.Errorf("%d divisions, want 1 (per row, in rsum):\n%s", n, text)
	}
}

// TestRowFusionVector: a row sketch decides the vectorization of its
// chain (Sketch.Vector): the stages along the row (the last stage, the
// exps, the row reductions) are vectorized; the per-row ones (1/sum, the
// mean, 1/sqrt(variance)) and the other sketches' stages are left to
// sampling.
func TestRowFusionVector(t *testing.T) {
	d, err := te.Parse(attention)
	if err != nil {
		t.Fatal(err)
	}
	attn, err := NewPolicy(targets.MustParseTarget("wasm-simd")).Generate(d)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name string
		sks  []*Sketch
		want map[string]bool
	}{
		{"softmax", generate(t, "softmax:M=64,N=1000"), map[string]bool{"maxelem": true, "exps": true, "expsum": true, "out": true}},
		{"layernorm", generate(t, "layernorm"), map[string]bool{"total": true, "sqdev": true, "out": true}},
		{"attention", attn, map[string]bool{"M": true, "E": true, "Z": true, "P": true}},
	} {
		rows := 0
		for _, sk := range c.sks {
			if withRule([]*Sketch{sk}, "row_fusion(") == 0 {
				if sk.Vector != nil {
					t.Errorf("%s: a sketch without row_fusion decides vectorization: %v", c.name, sk.Vector)
				}
				continue
			}
			rows++
			if !maps.Equal(sk.Vector, c.want) {
				t.Errorf("%s: row sketch vectorizes %v, want %v", c.name, sk.Vector, c.want)
			}
		}
		if rows == 0 {
			t.Errorf("%s: no row sketch", c.name)
		}
	}
}
