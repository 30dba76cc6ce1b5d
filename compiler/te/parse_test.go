package te

import (
	"errors"
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/tabtune/tabtune/compiler/expr"
)

const exampleProgram = `# comments start with # and run to end of line
A = input(f32, [1024, 512])
B = input(f32, [512, 256])
C[i, j] = sum(A[i, k] * B[k, j], k)
D[i, j] = max(C[i, j], 0.0)            # element-wise
M[i] = max_over(D[i, j], j)            # a max reduction
`

const matmulProgram = `A = input(f32, [64, 64])
B = input(f32, [64, 64])
C[i, j] = sum(A[i, k] * B[k, j], k)
`

const conv2dProgram = `X = input(f32, [1, 64, 56, 56])
W = input(f32, [128, 64, 3, 3])
P[n, c, h:58, w:58] = select(h >= 1 && h < 57 && w >= 1 && w < 57, X[n, c, h - 1, w - 1], 0.0)
Y[n, f, y:56, x:56] = sum(P[n, c, y + r, x + s] * W[f, c, r, s], c, r, s)
R[n, f, y, x] = max(Y[n, f, y, x], 0.0)
`

const softmaxProgram = `X = input(f32, [32, 1000])
M[i] = max_over(X[i, j], j)
E[i, j] = exp(X[i, j] - M[i])
S[i] = sum(E[i, j], j)
Y[i, j] = E[i, j] / S[i]
`

const liftProgram = `A = input(f32, [16, 32])
S[i] = sum(A[i, j], j) * 0.125
`

const initProgram = `A = input(f32, [16, 32])
B = input(f32, [16])
M[i] = max_over(A[i, j], j, init=B[i])
N[i] = min_over(A[i, j] * 2, j:8, init=0)
`

const gatherProgram = `E = input(f32, [1000, 64])
I = input(i32, [16])
G[i, d] = E[I[i], d]
H[i] = E[I[i], 0] + E[(I[i] // 4) % 2, min(i, 3)]
`

const nestedProgram = `A = input(f32, [8, 16, 32])
B = input(f32, [8])
S[i] = sum(sum(A[i, j, k], k) * B[i], j) / sum(A[i, j, 0], j) - max_over(A[i, 0, k], k, init=sum(A[i, j, 1], j))
`

const scalarProgram = `A = input(f32, [])
B = input(f32, [10])
T[] = sum(B[i] * A[], i)
U[i] = B[i] / T[] + -1.5e3 * .5 - 2e-3 + inf * 0.0 + f32(i) * -inf
`

const typesProgram = `A = input(f32, [10])
I = input(i32, [10])
J[i] = I[i] / 2 + I[i] % 3 - I[i] // 4 * -1 + min(i, 2) + max(I[i], 0)
K[i] = if_then_else(!(i < 3) || i == 5 && i != 6, A[i] / 2, pow(A[i], 3) + sqrt(abs(A[i])) + log(1.5) + tanh(A[i]) + sigmoid(A[i]))
L[i] = select(i <= 4, f32(J[i]) + K[i], f32(i32(K[i]) + i) * 2) + (A[i] - (A[i] - 1.0)) * (1.0 + 2)
`

var roundTripPrograms = map[string]string{
	"example": exampleProgram,
	"matmul":  matmulProgram,
	"conv2d":  conv2dProgram,
	"softmax": softmaxProgram,
	"lift":    liftProgram,
	"init":    initProgram,
	"gather":  gatherProgram,
	"nested":  nestedProgram,
	"scalar":  scalarProgram,
	"types":   typesProgram,
}

func mustParse(t *testing.T, src string) *DAG {
	t.Helper()
	d, err := Parse(src)
	if err != nil {
		t.Fatalf("Parse: %v\n%s", err, src)
	}
	return d
}

func TestParseExample(t *testing.T) {
	d := mustParse(t, exampleProgram)
	var names []string
	for _, x := range d.Tensors {
		names = append(names, x.Name)
	}
	if got := strings.Join(names, " "); got != "A B C D M" {
		t.Fatalf("tensors %s", got)
	}
	c, dd, m := d.Lookup("C"), d.Lookup("D"), d.Lookup("M")
	if c.Reduce == nil || c.Reduce.Op != Sum || len(c.Reduce.Axes) != 1 || c.Reduce.Axes[0].Extent != 512 {
		t.Errorf("C is not sum over k:512: %+v", c.Reduce)
	}
	if got := c.Shape; len(got) != 2 || got[0] != 1024 || got[1] != 256 {
		t.Errorf("C shape %v", got)
	}
	if b, ok := dd.Body.(*expr.Binary); !ok || b.Op != expr.Max {
		t.Errorf("D body %s", expr.String(dd.Body))
	}
	if m.Reduce == nil || m.Reduce.Op != MaxReduce || m.Reduce.Axes[0].Extent != 256 || len(m.Shape) != 1 || m.Shape[0] != 1024 {
		t.Errorf("M is not max_over j:256 of shape [1024]")
	}
	if len(d.Inputs) != 2 || len(d.Outputs) != 1 || d.Outputs[0] != m {
		t.Errorf("inputs %d outputs %d", len(d.Inputs), len(d.Outputs))
	}
	want := `A = input(f32, [1024, 512])
B = input(f32, [512, 256])
C[i, j] = sum(A[i, k] * B[k, j], k)
D[i, j] = max(C[i, j], 0.0)
M[i] = max_over(D[i, j], j)
`
	if got := Format(d); got != want {
		t.Errorf("Format:\n%s\nwant:\n%s", got, want)
	}
}

func TestParseRoundTrip(t *testing.T) {
	for name, src := range roundTripPrograms {
		t.Run(name, func(t *testing.T) {
			d := mustParse(t, src)
			text := Format(d)
			d2 := mustParse(t, text)
			if got := Format(d2); got != text {
				t.Fatalf("second Format differs:\n%s\nfirst:\n%s", got, text)
			}
			if d.Key() != d2.Key() {
				t.Errorf("keys differ")
			}
		})
	}
}

// TestParseFormat pins the canonical text of programs whose text changes:
// lifted reductions, literal conversion, integer division, unary minus.
func TestParseFormat(t *testing.T) {
	tests := []struct{ name, src, want string }{
		{"lift", liftProgram, `A = input(f32, [16, 32])
S_red[i] = sum(A[i, j], j)
S[i] = S_red[i] * 0.125
`},
		{"init", initProgram, `A = input(f32, [16, 32])
B = input(f32, [16])
M[i] = max_over(A[i, j], j, init=B[i])
N[i] = min_over(A[i, j] * 2.0, j:8, init=0.0)
`},
		{"gather", gatherProgram, `E = input(f32, [1000, 64])
I = input(i32, [16])
G[i, d] = E[I[i], d]
H[i] = E[I[i], 0] + E[I[i] // 4 % 2, min(i, 3)]
`},
		{"nested", nestedProgram, `A = input(f32, [8, 16, 32])
B = input(f32, [8])
S_red[i, j] = sum(A[i, j, k], k)
S_red2[i] = sum(S_red[i, j] * B[i], j)
S_red3[i] = sum(A[i, j, 0], j)
S_red4[i] = sum(A[i, j, 1], j)
S_red5[i] = max_over(A[i, 0, k], k, init=S_red4[i])
S[i] = S_red2[i] / S_red3[i] - S_red5[i]
`},
		{"name taken", `A = input(f32, [4, 4])
S[i] = sum(A[i, j], j) + 1
S_red[i] = A[i, 0]
`, `A = input(f32, [4, 4])
S_red2[i] = sum(A[i, j], j)
S[i] = S_red2[i] + 1.0
S_red[i] = A[i, 0]
`},
		{"lift unused axis", `A = input(f32, [4, 4])
S[i, j] = sum(A[i, k], k) * A[i, j]
`, `A = input(f32, [4, 4])
S_red[i, j:4] = sum(A[i, k], k)
S[i, j] = S_red[i, j] * A[i, j]
`},
		{"scalar", scalarProgram, `A = input(f32, [])
B = input(f32, [10])
T[] = sum(B[i] * A[], i)
U[i] = B[i] / T[] + (-1500.0) * 0.5 - 0.002 + inf * 0.0 + f32(i) * (-inf)
`},
		{"unary minus", `A = input(f32, [4])
B[i] = -A[i] * -2 - f32(-(i + 1) + (0 - i) - -0)
C[i] = -A[i] + -1.0 - (-1.0) * 2
`, `A = input(f32, [4])
B[i] = (0.0 - A[i]) * (-2.0) - f32(0 - (i + 1) + (0 - i) - 0)
C[i] = 0.0 - A[i] + (-1.0) - (-1.0) * 2.0
`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			d := mustParse(t, tc.src)
			if got := Format(d); got != tc.want {
				t.Errorf("Format:\n%s\nwant:\n%s", got, tc.want)
			}
		})
	}
}

func TestParseTypes(t *testing.T) {
	d := mustParse(t, typesProgram)
	j := d.Lookup("J")
	if j.DType != expr.Int {
		t.Errorf("J is %s, want i32", j.DType)
	}
	// I[i] / 2 is floor division.
	found := false
	expr.Walk(j.Body, func(e expr.Expr) bool {
		if b, ok := e.(*expr.Binary); ok && b.Op == expr.Div {
			t.Errorf("integer '/' became Div: %s", expr.String(b))
		}
		if b, ok := e.(*expr.Binary); ok && b.Op == expr.FloorDiv {
			found = true
		}
		return true
	})
	if !found {
		t.Errorf("no FloorDiv in %s", expr.String(j.Body))
	}
	if k := d.Lookup("K"); k.DType != expr.Float {
		t.Errorf("K is %s", k.DType)
	}
	// K[i] / 2: float division with the literal made a float.
	if s := expr.String(d.Lookup("K").Body); !strings.Contains(s, "A[i] / 2.0") || !strings.Contains(s, "pow(A[i], 3.0)") {
		t.Errorf("K = %s", s)
	}
	// The gather reads the i32 tensor as an index.
	g := mustParse(t, gatherProgram).Lookup("G")
	l := g.Body.(*expr.Load)
	if idx, ok := l.Index[0].(*expr.Load); !ok || idx.Src.(*Tensor).Name != "I" || idx.Type() != expr.Int {
		t.Errorf("G index 0 is %s", expr.String(l.Index[0]))
	}
	if g.Shape[0] != 16 || g.Shape[1] != 64 {
		t.Errorf("G shape %v", g.Shape)
	}
}

func TestParseFLOPsAndKey(t *testing.T) {
	d := mustParse(t, matmulProgram)
	if got, want := d.FLOPs(), 2.0*64*64*64; got != want {
		t.Errorf("FLOPs = %v, want %v", got, want)
	}
	// The key is stable: the same program, written differently, hashes
	// the same; another program hashes differently.
	again := mustParse(t, "# matmul\nA = input(f32,[64,64])\n\nB = input(f32, [64, 64])  # b\nC[i,j]=sum(A[i,k]*B[k,j],k)")
	if d.Key() != again.Key() {
		t.Errorf("keys differ for the same program: %s %s", d.Key(), again.Key())
	}
	if d.Key() != mustParse(t, Format(d)).Key() {
		t.Errorf("key changes after a round trip")
	}
	seen := map[string]string{}
	for name, src := range roundTripPrograms {
		k := mustParse(t, src).Key()
		if other, dup := seen[k]; dup {
			t.Errorf("%s and %s share key %s", name, other, k)
		}
		seen[k] = name
	}
	other := mustParse(t, strings.Replace(matmulProgram, "64, 64])\nC", "64, 32])\nC", 1))
	if other.Key() == d.Key() {
		t.Errorf("64x64x32 matmul has the key of 64x64x64")
	}
}

func TestParseErrors(t *testing.T) {
	const ab = "A = input(f32, [4, 8])\n"
	tests := []struct{ name, src, want string }{
		{"missing ]", ab + "C[i, j] = A[i, j\n",
			"line 2, column 17: expected ']' after the indices of A, found end of line"},
		{"missing ] in axes", ab + "C[i, j = A[i, j]\n",
			"line 2, column 8: expected ',' or ']' after axis j, found '='"},
		{"index list", ab + "C[i, j] = A[i j]\n",
			"line 2, column 15: expected ',' or ']' after an index of A, found identifier j"},
		{"unknown tensor", ab + "C[i, j] = X[i, j]\n",
			"line 2, column 11: unknown tensor X"},
		{"read before defined", ab + "C[i] = D[i, 0]\nD[i, j] = A[i, j]\n",
			"line 2, column 8: tensor D is read before it is defined"},
		{"reads itself", ab + "C[i] = C[i]\n",
			"line 2, column 8: C reads itself; a stage reads only tensors defined before it"},
		{"wrong index count", ab + "C[i] = A[i]\n",
			"line 2, column 8: A has 2 dimensions but is read with 1 index"},
		{"undefined axis", ab + "C[i, j] = A[i, q]\n",
			"line 2, column 16: undefined axis q"},
		{"uninferable range", ab + "C[i, j, h] = A[i, j]\n",
			"line 2, column 9: cannot infer the range of axis h; write it as h:N"},
		{"uninferable reduction range", ab + "C[i] = sum(A[i, k * k], k)\n",
			"line 2, column 25: cannot infer the range of axis k; write it as k:N"},
		{"conflicting ranges", ab + "B = input(f32, [8, 4])\nC[i, j] = A[i, j] + B[i, j]\n",
			"line 3, column 3: axis i indexes A (dimension 0, size 4) and B (dimension 0, size 8): write its range, as i:N"},
		{"float index", ab + "C[i, j] = A[i, 1.0]\n",
			"line 2, column 16: index 1 of A is f32; indices are i32 (write i32(...))"},
		{"bool index", ab + "C[i, j] = A[i, j < 2]\n",
			"line 2, column 16: index 1 of A is a condition (bool); indices are i32"},
		{"type mismatch", ab + "C[i, j] = A[i, j] + i\n",
			"line 2, column 19: '+' mixes f32 and i32: write f32(i)"},
		{"type mismatch in select", ab + "C[i] = select(i < 2, 1.0, i)\n",
			"line 2, column 8: select mixes f32 and i32: write f32(i)"},
		{"compare float with int", ab + "C[i] = select(A[i, 0] < i, 1.0, 0.0)\n",
			"line 2, column 23: '<' mixes f32 and i32: write f32(i)"},
		{"bool value", ab + "C[i, j] = A[i, j] < 1.0\n",
			"line 2, column 11: the value of C is a condition (bool); a stage computes f32 or i32: use select(cond, 1.0, 0.0)"},
		{"bool operand", ab + "C[i] = A[i, 0] * (i < 3)\n",
			"line 2, column 19: '*' needs a number, not a condition (bool): use select(cond, 1.0, 0.0)"},
		{"float modulo", ab + "C[i] = A[i, 0] % 2\n",
			"line 2, column 16: '%' needs i32 operands, not f32 (use '/' for floats)"},
		{"select condition", ab + "C[i] = select(A[i, 0], 1.0, 2.0)\n",
			"line 2, column 15: the condition of select must be a comparison (bool), not f32"},
		{"int intrinsic", ab + "C[i] = exp(i)\n",
			"line 2, column 12: exp needs f32 arguments, not i32: write f32(i)"},
		{"logic on floats", ab + "C[i] = select(A[i, 0] || i < 3, 1.0, 0.0)\n",
			"line 2, column 15: '||' needs conditions (bool), not f32"},
		{"negate bool", ab + "C[i] = select(-(i < 3), 1.0, 0.0)\n",
			"line 2, column 15: cannot negate a condition (bool); use !"},
		{"cast bool", ab + "C[i] = i32(i < 2)\n",
			"line 2, column 12: cannot convert a condition (bool) with i32: use select(cond, 1, 0)"},
		{"duplicate name", ab + "A[i, j] = A[i, j]\n",
			"line 2, column 1: A is already defined (line 1)"},
		{"unused input", ab + "B = input(f32, [3])\nC[i, j] = A[i, j]\n",
			"line 2, column 1: input B is never read"},
		{"only inputs", ab,
			"line 1, column 1: input A is never read"},
		{"empty program", "",
			"line 1, column 1: empty program: expected at least one statement, as A = input(f32, [4])"},
		{"only comments", "# nothing\n\n   # here\n",
			"line 4, column 1: empty program: expected at least one statement, as A = input(f32, [4])"},
		{"junk character", ab + "C[i, j] = A[i, j] $ 2\n",
			"line 2, column 19: unexpected character '$'"},
		{"junk unicode", ab + "C[i, j] = A[i, j] é\n",
			"line 2, column 19: unexpected character 'é'"},
		{"invalid utf-8", ab + "\tC[i, j] = A[i, j] \xff\n",
			"line 2, column 20: unexpected byte 0xff (not UTF-8 text)"},
		{"single &", ab + "C[i] = select(i < 1 & i > 2, 1.0, 0.0)\n",
			"line 2, column 21: unexpected character '&' (did you mean '&&'?)"},
		{"unterminated call", ab + "C[i, j] = exp(A[i, j]\n",
			"line 2, column 22: expected ')' to close the call to exp, found end of line"},
		{"unterminated call at end", ab + "C[i, j] = exp(A[i, j]",
			"line 2, column 22: expected ')' to close the call to exp, found end of input"},
		{"unterminated paren", ab + "C[i, j] = (A[i, j] + 1.0\n",
			"line 2, column 25: expected ')' to close the '(' at line 2, column 11, found end of line"},
		{"bad dtype", ab + "B = input(f64, [3])\n",
			"line 2, column 11: unknown dtype f64; expected f32 or i32"},
		{"zero dimension", ab + "B = input(f32, [4, 0])\n",
			"line 2, column 20: a dimension size must be positive, not 0"},
		{"negative dimension", ab + "B = input(f32, [-4])\n",
			"line 2, column 17: expected a dimension size (a positive integer), found '-'"},
		{"zero range", ab + "C[i:0] = A[i, 0]\n",
			"line 2, column 5: the range of axis i must be positive, not 0"},
		{"duplicate axis", ab + "C[i, i] = A[i, i]\n",
			"line 2, column 6: axis i is listed twice"},
		{"duplicate reduction axis", ab + "C[] = sum(A[k, k], k, k)\n",
			"line 2, column 23: reduction axis k is listed twice"},
		{"reduction axis clash", ab + "C[i] = sum(A[i, i], i)\n",
			"line 2, column 21: reduction axis i clashes with the axis i of stage C; rename it"},
		{"nested reduction axis clash", ab + "C[i] = sum(sum(A[i, k], k), k)\n",
			"line 2, column 25: reduction axis k clashes with the axis k of an enclosing reduction; rename it"},
		{"init uses reduction axis", ab + "C[i] = sum(A[i, k], k, init=A[i, k])\n",
			"line 2, column 34: init=... cannot use the reduction axis k"},
		{"init not last", ab + "C[i] = sum(A[i, k], k, init=1.0, j)\n",
			"line 2, column 32: expected ')' after init=value (init comes last), found ','"},
		{"no reduction axis", ab + "C[i] = sum(A[i, 0])\n",
			"line 2, column 8: sum needs at least one reduction axis, as in sum(value, k)"},
		{"int reduction", ab + "C[i] = sum(i * k, k:3)\n",
			"line 2, column 12: sum reduces f32 values, not i32: write f32(...)"},
		{"max arity", ab + "C[i] = max(A[i, 0])\n",
			"line 2, column 8: max takes 2 arguments, not 1 (a reduction is max_over(value, axis))"},
		{"unknown function", ab + "C[i] = foo(A[i, 0])\n",
			"line 2, column 8: unknown function foo"},
		{"chained comparison", ab + "C[i] = select(1 < i < 3, 1.0, 0.0)\n",
			"line 2, column 21: comparisons do not chain: write a < b && b < c, or use parentheses"},
		{"trailing junk", ab + "C[i] = A[i, 0] 3\n",
			"line 2, column 16: expected the end of the line after the statement, found number 3"},
		{"stage without axes", ab + "C = A\n",
			"line 2, column 5: expected input(...) after '='; a computed tensor is written C[axes] = value, found identifier A"},
		{"missing value", ab + "C[i] =\n",
			"line 2, column 7: expected an expression, found end of line"},
		{"statement start", ab + "[i] = A[i, 0]\n",
			"line 2, column 1: expected a statement (NAME = input(...) or NAME[axes] = value), found '['"},
		{"tensor as axis", ab + "C[i] = A[i, 0] + A\n",
			"line 2, column 18: A is a tensor; read it as A[...]"},
		{"inf as name", ab + "C[i, inf] = A[i, 0]\n",
			"line 2, column 6: inf is the infinite float; it cannot name an axis"},
		{"float overflow", ab + "C[i] = A[i, 0] * 1e39\n",
			"line 2, column 18: number 1e39 is out of the range of f32 (use inf)"},
		{"int overflow", ab + "C[i] = A[i, 99999999999999999999]\n",
			"line 2, column 13: integer 99999999999999999999 is too large"},
		{"malformed number", ab + "C[i] = A[i, 0] * 12abc\n",
			"line 2, column 18: malformed number 12abc"},
		{"syntax error after semantic error", ab + "C[i] = A[i]\nD[i] = (\n",
			"line 2, column 8: A has 2 dimensions but is read with 1 index"},
		{"semantic error after syntax error", ab + "C[i] = (\nD[i] = A[i]\n",
			"line 2, column 9: expected an expression, found end of line"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			d, err := Parse(tc.src)
			if err == nil {
				t.Fatalf("no error; parsed:\n%s", Format(d))
			}
			var pe *ParseError
			if !errors.As(err, &pe) {
				t.Fatalf("error %T is not a *ParseError: %v", err, err)
			}
			if got := err.Error(); got != tc.want {
				t.Errorf("got  %s\nwant %s", got, tc.want)
			}
		})
	}
}

func FuzzParse(f *testing.F) {
	for _, src := range roundTripPrograms {
		f.Add(src)
	}
	for _, src := range []string{
		"",
		"A = input(f32, [4])\nB[i] = A[i] * 2\n",
		"A = input(i32, [4, 4])\nB[i, j:3] = f32(A[i, j] // 2 % 3) + -inf\n",
		"A = input(f32, [4])\nB[i] = select(!(i < 2) || i == 3, A[i], 1e-3)\n",
		"A = input(f32, [4, 4])\nS[i] = sum(max_over(A[i, j], j) * A[i, k], k, init=min_over(A[i, j], j))\n",
		"A = input(f32, [4])\nB[i] = A[i\n",
		// Issue 9: ranges inferred from shifted and strided reads, reads
		// that leave their tensor, divisions by zero, wide literals.
		blurProgram,
		stridedConvProgram,
		"A = input(f32, [8])\nB[i:8] = A[i + 1]\n",
		"A = input(f32, [8])\nB[i] = A[i + 8]\n",
		"X = input(f32, [8])\nP[h:10] = select(h >= 1 && h < 10, X[h - 1], 0.0)\n",
		"A = input(f32, [8])\nC[i:12] = select(i >= 8 || i < 0, 0.0, A[i])\n",
		"A = input(i32, [8])\nB[i] = A[i] // 0 + A[i] % (3 - 3)\n",
		"A = input(i32, [8])\nB[i] = A[i] + 3000000000 + i32(f32(-9223372036854775808))\n",
		"A = input(f32, [10, 3])\nC[i] = sum(A[i * 3 + k, k], k) + A[min(i, 9), 2]\n",
		"A = input(f32, [9223372036854775807, 9223372036854775807])\nB[i, j] = A[i + 1, j - 9223372036854775807]\n",
		"A = input(f32, [8])\nB[i] = A[i]" + strings.Repeat(" + A[i]", 1000) + "\n",
	} {
		f.Add(src)
	}
	f.Fuzz(func(t *testing.T, src string) {
		d, err := Parse(src)
		if err != nil {
			var pe *ParseError
			if !errors.As(err, &pe) {
				t.Fatalf("error %T is not a *ParseError: %v", err, err)
			}
			if pe.Line < 1 || pe.Column < 1 || pe.Msg == "" {
				t.Fatalf("bad error position or message: %q", err.Error())
			}
			return
		}
		text := Format(d)
		d2, err := Parse(text)
		if err != nil {
			t.Fatalf("Format output does not parse: %v\nsource:\n%s\nformat:\n%s", err, src, text)
		}
		if again := Format(d2); again != text {
			t.Fatalf("round trip changed the text:\n%s\nthen:\n%s", text, again)
		}
	})
}

// treeGen builds random well-typed expressions with the expr constructors,
// including trees the parser itself never builds (negative constants in
// every position, casts of constants, selects of conditions), to check
// that whatever the printer writes reads back as the same tree.
type treeGen struct {
	rnd    *rand.Rand
	vars   []*expr.Var
	tf, ti *Tensor // an f32 and an i32 input
	usedF  bool
	usedI  bool
}

func (g *treeGen) gen(ty expr.Type, depth int) expr.Expr {
	r := g.rnd
	if depth <= 0 || r.IntN(4) == 0 {
		switch ty {
		case expr.Int:
			switch r.IntN(4) {
			case 0:
				return g.vars[r.IntN(len(g.vars))]
			case 1:
				return expr.Const([]int64{0, 1, -1, 7, -12, math.MaxInt32, math.MinInt32}[r.IntN(7)]) // Parse refuses i32 literals beyond these
			}
			return expr.Const(r.Int64N(100) - 50)
		case expr.Float:
			vals := []float32{0, 1, -1, 0.5, -2.5e-7, 3e20, float32(math.Copysign(0, -1)),
				float32(math.Inf(1)), float32(math.Inf(-1)), math.MaxFloat32, math.SmallestNonzeroFloat32}
			return expr.F32(vals[r.IntN(len(vals))])
		}
		return expr.Bin(expr.LT, g.gen(expr.Int, 0), g.gen(expr.Int, 0))
	}
	d := depth - 1
	switch ty {
	case expr.Bool:
		switch r.IntN(4) {
		case 0:
			return &expr.Not{A: g.gen(expr.Bool, d)}
		case 1:
			return expr.Bin([]expr.Op{expr.And, expr.Or}[r.IntN(2)], g.gen(expr.Bool, d), g.gen(expr.Bool, d))
		case 2:
			return &expr.Select{Cond: g.gen(expr.Bool, d), T: g.gen(expr.Bool, d), F: g.gen(expr.Bool, d)}
		}
		t := []expr.Type{expr.Int, expr.Float}[r.IntN(2)]
		return expr.Bin(expr.Op(int(expr.LT)+r.IntN(6)), g.gen(t, d), g.gen(t, d))
	case expr.Int:
		switch r.IntN(6) {
		case 0:
			ops := []expr.Op{expr.Add, expr.Sub, expr.Mul, expr.FloorDiv, expr.FloorMod, expr.Min, expr.Max}
			op, b := ops[r.IntN(len(ops))], g.gen(expr.Int, d)
			if f, ok := affineOf(b); ok && len(f.coef) == 0 && f.c == 0 && (op == expr.FloorDiv || op == expr.FloorMod) {
				b = expr.Const(7) // Parse refuses a division by a constant zero
			}
			return expr.Bin(op, g.gen(expr.Int, d), b)
		case 1:
			return &expr.Cast{To: expr.Int, A: g.gen([]expr.Type{expr.Int, expr.Float}[r.IntN(2)], d)}
		case 2:
			return &expr.Select{Cond: g.gen(expr.Bool, d), T: g.gen(expr.Int, d), F: g.gen(expr.Int, d)}
		case 3:
			g.usedI = true
			return &expr.Load{Src: g.ti, Index: []expr.Expr{inside(g.gen(expr.Int, d), 4)}}
		}
		ops := []expr.Op{expr.Add, expr.Sub, expr.Mul}
		return expr.Bin(ops[r.IntN(len(ops))], g.gen(expr.Int, d), g.gen(expr.Int, d))
	}
	switch r.IntN(6) {
	case 0:
		fn := expr.Intrinsic(r.IntN(int(expr.Pow) + 1))
		args := []expr.Expr{g.gen(expr.Float, d)}
		if fn.Arity() == 2 {
			args = append(args, g.gen(expr.Float, d))
		}
		return &expr.Call{Fn: fn, Args: args}
	case 1:
		return &expr.Cast{To: expr.Float, A: g.gen([]expr.Type{expr.Int, expr.Float}[r.IntN(2)], d)}
	case 2:
		return &expr.Select{Cond: g.gen(expr.Bool, d), T: g.gen(expr.Float, d), F: g.gen(expr.Float, d)}
	case 3:
		g.usedF = true
		return &expr.Load{Src: g.tf, Index: []expr.Expr{inside(g.gen(expr.Int, d), 4), inside(g.gen(expr.Int, d), 5)}}
	}
	ops := []expr.Op{expr.Add, expr.Sub, expr.Mul, expr.Div, expr.Min, expr.Max}
	return expr.Bin(ops[r.IntN(len(ops))], g.gen(expr.Float, d), g.gen(expr.Float, d))
}

// inside keeps a random index inside a dimension of size n, as Parse
// refuses a read that can leave its tensor.
func inside(ix expr.Expr, n int64) expr.Expr {
	return expr.Bin(expr.FloorMod, ix, expr.Const(n))
}

// sameTree compares two trees, variables by name and sources by name.
func sameTree(a, b expr.Expr) bool {
	switch x := a.(type) {
	case *expr.Var:
		y, ok := b.(*expr.Var)
		return ok && x.Name == y.Name
	case *expr.IntImm:
		y, ok := b.(*expr.IntImm)
		return ok && x.V == y.V
	case *expr.FloatImm:
		y, ok := b.(*expr.FloatImm)
		return ok && math.Float32bits(x.V) == math.Float32bits(y.V)
	case *expr.Binary:
		y, ok := b.(*expr.Binary)
		return ok && x.Op == y.Op && sameTree(x.A, y.A) && sameTree(x.B, y.B)
	case *expr.Not:
		y, ok := b.(*expr.Not)
		return ok && sameTree(x.A, y.A)
	case *expr.Select:
		y, ok := b.(*expr.Select)
		return ok && sameTree(x.Cond, y.Cond) && sameTree(x.T, y.T) && sameTree(x.F, y.F)
	case *expr.Cast:
		y, ok := b.(*expr.Cast)
		return ok && x.To == y.To && sameTree(x.A, y.A)
	case *expr.Call:
		y, ok := b.(*expr.Call)
		if !ok || x.Fn != y.Fn || len(x.Args) != len(y.Args) {
			return false
		}
		for i := range x.Args {
			if !sameTree(x.Args[i], y.Args[i]) {
				return false
			}
		}
		return true
	case *expr.Load:
		y, ok := b.(*expr.Load)
		if !ok || x.Src.SourceName() != y.Src.SourceName() || len(x.Index) != len(y.Index) {
			return false
		}
		for i := range x.Index {
			if !sameTree(x.Index[i], y.Index[i]) {
				return false
			}
		}
		return true
	}
	return false
}

// TestParsePrinterTrees checks that the printer's text of random trees
// parses back to the very same trees.
func TestParsePrinterTrees(t *testing.T) {
	rnd := rand.New(rand.NewPCG(1, 2))
	for iter := range 3000 {
		g := &treeGen{rnd: rnd,
			tf: Placeholder("A", expr.Float, 4, 5),
			ti: Placeholder("I", expr.Int, 4)}
		i, j, k := expr.NewVar("i"), expr.NewVar("j"), expr.NewVar("k")
		axes := []Axis{{i, 4}, {j, 5}}
		var stage *Tensor
		if iter%3 == 0 {
			g.vars = []*expr.Var{i, j, k}
			red := &Reduction{Op: ReduceOp(rnd.IntN(3)), Body: g.gen(expr.Float, 4), Axes: []Axis{{k, 3}}}
			if rnd.IntN(2) == 0 {
				g.vars = []*expr.Var{i, j}
				red.Init = g.gen(expr.Float, 3)
			}
			stage = ComputeReduce("S", axes, red)
		} else {
			g.vars = []*expr.Var{i, j}
			stage = Compute("S", axes, g.gen([]expr.Type{expr.Int, expr.Float}[rnd.IntN(2)], 5))
		}
		var tensors []*Tensor
		if g.usedF {
			tensors = append(tensors, g.tf)
		}
		if g.usedI {
			tensors = append(tensors, g.ti)
		}
		d, err := NewDAG(append(tensors, stage)...)
		if err != nil {
			t.Fatalf("NewDAG: %v", err)
		}
		text := Format(d)
		d2, err := Parse(text)
		if err != nil {
			t.Fatalf("printer output does not parse: %v\n%s", err, text)
		}
		if iter < 6 && testing.Verbose() {
			t.Logf("%s", text)
		}
		s2 := d2.Lookup("S")
		same := sameTree(stage.Value(), s2.Value())
		if stage.Reduce != nil {
			same = same && s2.Reduce != nil && s2.Reduce.Op == stage.Reduce.Op &&
				(stage.Reduce.Init == nil) == (s2.Reduce.Init == nil) &&
				(stage.Reduce.Init == nil || sameTree(stage.Reduce.Init, s2.Reduce.Init))
		}
		if !same || Format(d2) != text {
			t.Fatalf("tree changed in a round trip:\n%s\nparsed as:\n%s", text, Format(d2))
		}
		for n, a := range s2.Axes {
			if a.Extent != axes[n].Extent {
				t.Fatalf("axis %s: extent %d, want %d\n%s", a.Var.Name, a.Extent, axes[n].Extent, text)
			}
		}
	}
}

// TestParseHostile feeds inputs that would exhaust a naive parser's stack
// or trip its arithmetic; each must give an error or a DAG, fast.
func TestParseHostile(t *testing.T) {
	const a = "A = input(f32, [4])\n"
	tests := []struct{ name, src, want string }{
		{"parens", a + "B[i] = " + strings.Repeat("(", 100000) + "A[i]", "nested too deeply"},
		{"minus", a + "B[i] = " + strings.Repeat("-", 100000) + "A[i]", "nested too deeply"},
		{"not", a + "B[i] = " + strings.Repeat("!", 100000) + "A[i]", "nested too deeply"},
		{"calls", a + "B[i] = " + strings.Repeat("exp(", 100000) + "A[i]", "nested too deeply"},
		{"reads", a + "B[i] = " + strings.Repeat("A[", 100000) + "i", "nested too deeply"},
		{"sum chain", a + "B[i] = A[i]" + strings.Repeat(" + A[i]", 100000), "nested too deeply"},
		{"nested sums", a + "B[i] = " + strings.Repeat("sum(", 2000) + "A[i]", "nested too deeply"},
		{"min int", a + "B[i] = A[i] + f32(-9223372036854775808)\n", ""},
		{"below min int", a + "B[i] = A[i] + f32(-9223372036854775809)\n", "line 2, column 20: integer -9223372036854775809 is too large"},
		{"crlf", a + "B[i] = A[i] * 2\r\n\r\nC[i] = B[i]\r\n", ""},
		{"no final newline", a + "B[i] = A[i]", ""},
		{"nul", a + "B[i] = A[i]\x00", "line 2, column 12: unexpected character '\\x00'"},
		{"huge shape", "A = input(f32, [9223372036854775807, 9223372036854775807])\nB[i, j] = A[i, j]\n", ""},
		{"huge dimension", "A = input(f32, [9223372036854775808])\n", "line 1, column 17: a dimension size 9223372036854775808 is too large"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			d, err := Parse(tc.src)
			switch {
			case tc.want == "" && err != nil:
				t.Fatalf("unexpected error %v", err)
			case tc.want == "":
				if _, err := Parse(Format(d)); err != nil {
					t.Fatalf("round trip: %v", err)
				}
			case err == nil:
				t.Fatalf("no error, want %q", tc.want)
			case !strings.Contains(err.Error(), tc.want):
				t.Fatalf("error %q, want %q", err, tc.want)
			}
		})
	}
}

// TestParseNested covers reductions inside reductions: the inner one is
// lifted over the stage's axes and the axes of the reductions around it.
func TestParseNested(t *testing.T) {
	d := mustParse(t, `A = input(f32, [8, 16, 32])
S[i] = max_over(sum(A[i, j, k], k), j)
T[i] = sum(exp(max_over(A[i, j, k], k) - S[i]), j)
`)
	inner := d.Lookup("S_red")
	if inner == nil || len(inner.Axes) != 2 || inner.Shape[0] != 8 || inner.Shape[1] != 16 ||
		inner.Reduce == nil || inner.Reduce.Axes[0].Extent != 32 {
		t.Fatalf("S_red is not [8, 16] summing over 32:\n%s", Format(d))
	}
	if s := d.Lookup("S"); s.Reduce == nil || s.Reduce.Op != MaxReduce || s.Reduce.Axes[0].Extent != 16 {
		t.Errorf("S is not a max over j:16")
	}
	if d.Lookup("T_red") == nil || d.Index(d.Lookup("T_red")) != d.Index(d.Lookup("T"))-1 {
		t.Errorf("T_red is not just before T:\n%s", Format(d))
	}
	// The lifted stage's axes are fresh variables.
	if inner.Axes[0].Var == d.Lookup("S").Axes[0].Var {
		t.Errorf("S_red shares its axis variable with S")
	}
}
