package te

import (
	"strings"
	"testing"
)

// blurProgram is a separable blur: x and y run over the largest ranges
// that keep the shifted reads inside.
const blurProgram = `I = input(f32, [1026, 1026])
BX[y, x] = I[y, x] + I[y, x + 1] + I[y, x + 2]
BY[y, x] = BX[y, x] + BX[y + 1, x] + BX[y + 2, x]
`

// stridedConvProgram is a 7x7 convolution with stride 2 over a padded
// input whose range is written: y and x are inferred from the strided read.
const stridedConvProgram = `X = input(f32, [1, 3, 224, 224])
W = input(f32, [64, 3, 7, 7])
P[n, c, h:230, w:230] = select(h >= 3 && h < 227 && w >= 3 && w < 227, X[n, c, h - 3, w - 3], 0.0)
C[n, f, y, x] = sum(P[n, c, y * 2 + r, x * 2 + s] * W[f, c, r, s], c, r, s)
`

func TestParseInferRanges(t *testing.T) {
	tests := []struct {
		name, src, stage string
		want             []int64 // the stage's shape, then its reduction extents
	}{
		{"blur x", blurProgram, "BX", []int64{1026, 1024}},
		{"blur y", blurProgram, "BY", []int64{1024, 1024}},
		{"strided conv", stridedConvProgram, "C", []int64{1, 64, 112, 112, 3, 7, 7}},
		{"negative coefficient", "A = input(f32, [10])\nB[i] = A[9 - i] + A[i]\n", "B", []int64{10}},
		{"reduction after the stage axis", "A = input(f32, [10])\nB = input(f32, [4])\nC[i] = sum(A[i + k] * B[k], k)\n", "C", []int64{7, 4}},
		{"stage axis after the reduction", "A = input(f32, [10, 3])\nC[i] = sum(A[i * 3 + k, k], k)\n", "C", []int64{3, 3}},
		{"guard keeps it inside", "A = input(f32, [8])\nB[i:10] = select(i < 8, A[i], 0.0)\nC[i] = B[i] + select(i >= 1, B[i - 1], 0.0)\n", "C", []int64{10}},
		{"guard on one side", "A = input(f32, [8])\nC[i] = select(i >= 2, A[i + 1], 0.0) + A[i]\n", "C", []int64{7}},
		{"false branch", "A = input(f32, [8])\nC[i:12] = select(i >= 8, 0.0, A[i])\n", "C", []int64{12}},
		{"opaque guard", "A = input(f32, [8])\nC[i] = select(A[i] > 0.0, A[i], 1.0)\n", "C", []int64{8}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			d := mustParse(t, tc.src)
			s := d.Lookup(tc.stage)
			got := append([]int64(nil), s.Shape...)
			for _, a := range s.ReduceAxes() {
				got = append(got, a.Extent)
			}
			if len(got) != len(tc.want) {
				t.Fatalf("extents %v, want %v", got, tc.want)
			}
			for i := range got {
				if got[i] != tc.want[i] {
					t.Fatalf("extents %v, want %v\n%s", got, tc.want, Format(d))
				}
			}
			// The canonical text writes the ranges the old rule cannot
			// infer, and reads back to the same program.
			if d2 := mustParse(t, Format(d)); Format(d2) != Format(d) {
				t.Fatalf("round trip changed the text:\n%s\n%s", Format(d), Format(d2))
			}
		})
	}
	if got := Format(mustParse(t, blurProgram)); !strings.Contains(got, "BX[y, x:1024]") {
		t.Errorf("blur text:\n%s", got)
	}
}

func TestParseBadReads(t *testing.T) {
	const a8 = "A = input(f32, [8])\n"
	tests := []struct{ name, src, want string }{
		{"past the end", a8 + "B[i:8] = A[i + 1]\n",
			"line 2, column 10: A[i + 1] reads outside A: index i + 1 goes up to 8, but dimension 0 has size 8"},
		{"before the start", a8 + "B[i] = A[i] + A[i - 1]\n",
			"line 2, column 15: A[i - 1] reads outside A: index i - 1 goes down to -1"},
		{"constant index", a8 + "B[i] = A[i] + A[8]\n",
			"line 2, column 15: A[8] reads outside A: index 8 goes up to 8, but dimension 0 has size 8"},
		{"wrong guard", a8 + "B[i:9] = select(i < 9, A[i], 0.0)\n",
			"line 2, column 24: A[i] reads outside A: index i goes up to 8, but dimension 0 has size 8"},
		{"min of axes", a8 + "B[i:9] = A[min(i, 8)]\n",
			"line 2, column 10: A[min(i, 8)] reads outside A: index min(i, 8) goes up to 8, but dimension 0 has size 8"},
		{"first in the text", a8 + "B[i:9] = A[i - 1] + A[i]\n",
			"line 2, column 10: A[i - 1] reads outside A: index i - 1 goes down to -1"},
		{"in a nested reduction", "A = input(f32, [8, 4])\nB[i] = sum(A[i, j + 1], j:4) * 2.0\n",
			"line 2, column 12: A[i, j + 1] reads outside A: index j + 1 goes up to 4, but dimension 1 has size 4"},
		{"no range", a8 + "B[i] = A[i + 8]\n",
			"line 2, column 3: no range of axis i keeps A[i + 8] inside A (dimension 0, size 8)"},
		{"no range below", a8 + "B[i] = A[i - 1]\n",
			"line 2, column 8: A[i - 1] reads outside A: index i - 1 goes down to -1"},
		{"division by zero", a8 + "B[i] = A[i // 0]\n",
			"line 2, column 12: integer division by zero"},
		{"integer slash by zero", a8 + "B[i] = A[i / (2 - 2)]\n",
			"line 2, column 12: integer division by zero: 2 - 2 is always 0"},
		{"modulo by zero", a8 + "B[i] = A[i % 0]\n",
			"line 2, column 12: modulo by zero"},
		{"i32 literal", a8 + "B[i] = A[i + 3000000000 - 3000000000]\n",
			"line 2, column 14: integer 3000000000 does not fit in i32 (-2147483648 to 2147483647)"},
		{"negative i32 literal", "A = input(i32, [8])\nB[i] = A[i] * -2147483649\n",
			"line 2, column 15: integer -2147483649 does not fit in i32 (-2147483648 to 2147483647)"},
		{"flat sum too long", a8 + "B[i] = A[i]" + strings.Repeat(" + A[i]", maxHeight) + "\n",
			"line 2, column 27999: expression is nested too deeply (more than 4000 levels)"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			d, err := Parse(tc.src)
			if err == nil {
				t.Fatalf("no error; parsed:\n%s", Format(d))
			}
			if got := err.Error(); got != tc.want {
				t.Errorf("got  %s\nwant %s", got, tc.want)
			}
		})
	}
	// Reads the analysis cannot bound are left to the interpreter; wide
	// literals where a float is meant, or converted, are floats; a flat
	// sum of a thousand terms is not deep.
	for _, src := range []string{
		a8 + "B[i] = A[i] * 3000000000 + f32(-9223372036854775808)\n",
		a8 + "B[i] = A[i]" + strings.Repeat(" + A[i]", 1000) + "\n",
		a8 + "I = input(i32, [4])\nB[i] = A[I[i]]\n",
		a8 + "B[i] = A[i] + A[(i + i) % 8]\n",
		a8 + "B[i] = select(A[i] > 0.0 && i < 4, A[i + 4], 0.0)\n",
	} {
		if _, err := Parse(src); err != nil {
			t.Errorf("%v\n%s", err, src)
		}
	}
}

func TestCheckBytes(t *testing.T) {
	a := Placeholder("A", 0, 1000000000, 1000000000)
	b := Placeholder("B", 0, 40000, 40000)
	c := Placeholder("C", 0, 9223372036854775807, 9223372036854775807)
	s := Placeholder("S", 0)
	tests := []struct {
		ts    []*Tensor
		limit int64
		want  string
	}{
		{[]*Tensor{s, b}, -1, ""},
		{[]*Tensor{s}, 4, ""},
		{[]*Tensor{s}, 3, "tensor S (1 element) needs 4 B; the budget holds 3 B"},
		{[]*Tensor{b}, 1 << 30, "tensor B (40000 x 40000 elements) needs 6.0 GiB; the budget holds 1.0 GiB"},
		{[]*Tensor{s, b, b}, 1 << 32, "the tensors need 11.9 GiB (the largest, B, has 40000 x 40000 elements); the budget holds 4.0 GiB"},
		{[]*Tensor{a, s}, -1, ""},
		{[]*Tensor{a, a, a}, -1, "the tensors together need more bytes than an int64 counts (A alone has 1000000000 x 1000000000 elements)"},
		{[]*Tensor{s, c}, -1, "tensor C has 9223372036854775807 x 9223372036854775807 elements: more than an int64 counts"},
	}
	for _, tc := range tests {
		err := CheckBytes(tc.ts, tc.limit, "the budget")
		got := ""
		if err != nil {
			got = err.Error()
		}
		if got != tc.want {
			t.Errorf("got  %q\nwant %q", got, tc.want)
		}
	}
}

// TestFLOPsDoNotWrap checks that the FLOP count of a program whose element
// count passes int64 is counted in floats, not wrapped.
func TestFLOPsDoNotWrap(t *testing.T) {
	d := mustParse(t, "A = input(f32, [9223372036854775807, 9223372036854775807])\nB[i, j] = A[i, j] * 2.0\n")
	if got, want := d.FLOPs(), 9223372036854775807.0*9223372036854775807.0; got != want {
		t.Errorf("FLOPs = %g, want %g", got, want)
	}
}
