package codegen

import (
	"strings"
	"testing"

	"github.com/tabtune/tabtune/compiler/expr"
	"github.com/tabtune/tabtune/compiler/ir"
)

// passCase is one pass on hand-written IR: the function printed before
// the pass and after it. An empty after means that the pass changes
// nothing: it must return the very function it was given.
type passCase struct {
	name          string
	cfg           Config
	f             *ir.Func
	before, after string
}

// wasmLike is the configuration of a four-lane target that computes sqrt
// on lanes.
var wasmLike = Config{
	Lanes:            4,
	VectorCall:       func(fn expr.Intrinsic) bool { return fn == expr.Sqrt },
	ChunkUnroll:      4,
	LocalChunkUnroll: 16,
	MaxUnroll:        64,
}

// testPass runs pass on each case and compares the printed IR.
func testPass(t *testing.T, pass func(*ir.Func, Config) (*ir.Func, error), cases []passCase) {
	t.Helper()
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := c.f.String(); got != trim(c.before) {
				t.Fatalf("before:\n%s\nwant:\n%s", got, trim(c.before))
			}
			out, err := pass(c.f, c.cfg)
			if err != nil {
				t.Fatal(err)
			}
			if c.after == "" {
				if out != c.f {
					t.Errorf("changed nothing but returned a new function:\n%s", out)
				}
			} else if got := out.String(); got != trim(c.after) {
				t.Errorf("after:\n%s\nwant:\n%s", got, trim(c.after))
			}
			if c.f.String() != trim(c.before) {
				t.Error("the pass changed its input")
			}
		})
	}
}

// trim drops the indentation of a raw string literal's lines.
func trim(s string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	for i, l := range lines {
		lines[i] = strings.TrimPrefix(l, "\t\t")
	}
	return strings.Join(lines, "\n") + "\n"
}

// Fixtures: kernel(A: f32[16], out B: f32[16]) and loop variables.
var (
	bufA = &ir.Buffer{Name: "A", Shape: []int64{16}, DType: expr.Float}
	bufB = &ir.Buffer{Name: "B", Shape: []int64{16}, DType: expr.Float}
)

func kernel(body ir.Stmt) *ir.Func {
	return &ir.Func{Name: "kernel", Params: []*ir.Buffer{bufA, bufB}, Outputs: 1, Body: body}
}

func loop(v *expr.Var, extent int64, kind ir.ForKind, body ir.Stmt, pragmas ...ir.Pragma) *ir.For {
	return &ir.For{Var: v, Extent: extent, Kind: kind, Body: body, Pragmas: pragmas}
}

func load(b *ir.Buffer, idx ...expr.Expr) *expr.Load { return &expr.Load{Src: b, Index: idx} }

func store(b *ir.Buffer, value expr.Expr, idx ...expr.Expr) *ir.Store {
	return &ir.Store{Buf: b, Index: idx, Value: value}
}

// copyStore is B[idx] = A[idx] * 2.0.
func copyStore(idx expr.Expr) *ir.Store {
	return store(bufB, expr.Bin(expr.Mul, load(bufA, idx), expr.F32(2)), idx)
}

func TestPassOrder(t *testing.T) {
	if err := CheckOrder(Passes); err != nil {
		t.Fatal(err)
	}
	swapped := []Pass{Passes[0], Passes[1], Passes[2], Passes[4], Passes[3], Passes[5]}
	missing := Passes[1:]
	twice := append([]Pass{Passes[2]}, Passes...)
	for _, c := range []struct {
		passes []Pass
		want   string
	}{
		{swapped, "codegen: pass vectorize must run before transpose"},
		{missing, "codegen: pass order partition before auto-unroll: a pass is missing"},
		{twice, "codegen: pass auto-unroll is listed twice"},
	} {
		if err := CheckOrder(c.passes); err == nil || err.Error() != c.want {
			t.Errorf("got %v, want %s", err, c.want)
		}
	}
}

// TestRun: Run reports the passes that changed the function, in order,
// and says which pass failed and why.
func TestRun(t *testing.T) {
	i := expr.NewVar("i")
	f := kernel(loop(i, 8, ir.Vectorized, copyStore(i)))
	var changed []string
	out, err := Run(f, Passes, wasmLike, func(pass string, g *ir.Func) { changed = append(changed, pass) })
	if err != nil {
		t.Fatal(err)
	}
	// Two chunks of four: an unrolled chunk loop, expanded by unroll.
	if got := strings.Join(changed, " "); got != "vectorize unroll" {
		t.Errorf("changed by %q, want vectorize unroll", got)
	}
	if got := len(LaneVars(out.Body)); got != 1 {
		t.Errorf("%d lane loops, want 1:\n%s", got, out)
	}
	bad := wasmLike
	bad.Lanes = -4
	for _, c := range []struct {
		f    *ir.Func
		cfg  Config
		want string
	}{
		{f, bad, "codegen: negative vector lanes -4"},
		{&ir.Func{Name: "kernel"}, wasmLike, "codegen: function has no body"},
		{kernel(loop(i, -1, ir.Unrolled, copyStore(i))), wasmLike, "codegen: unroll: loop i has negative extent -1"},
	} {
		if _, err := Run(c.f, Passes, c.cfg, nil); err == nil || err.Error() != c.want {
			t.Errorf("got %v, want %s", err, c.want)
		}
	}
}

func TestLinear(t *testing.T) {
	i, j := expr.NewVar("i"), expr.NewVar("j")
	env := expr.Env{i: {Min: 0, Max: 7}, j: {Min: 0, Max: 3}}
	for _, c := range []struct {
		e      expr.Expr
		k      int64
		linear bool
	}{
		{expr.AddE(expr.MulE(i, expr.Const(3)), j), 3, true},
		{j, 0, true},
		{expr.Bin(expr.FloorDiv, i, expr.Const(2)), 0, false},
		{expr.Bin(expr.FloorMod, i, expr.Const(4)), 0, false},
		{expr.MulE(i, j), 0, false},
	} {
		k, ok := Linear(c.e, i, env)
		if k != c.k || ok != c.linear {
			t.Errorf("Linear(%s, i) = %d, %v; want %d, %v", expr.String(c.e), k, ok, c.k, c.linear)
		}
	}
}
