package wasm

import (
	"fmt"
	"regexp"
	"strings"
	"testing"

	"github.com/tabtune/tabtune/compiler/codegen/wasm/wasmbin"
	"github.com/tabtune/tabtune/compiler/interp"
	"github.com/tabtune/tabtune/compiler/ir"
	"github.com/tabtune/tabtune/compiler/schedule"
	"github.com/tabtune/tabtune/compiler/te"
)

// TestVectorPaths covers the four-lane code paths one by one: lane
// indices as integers (f32 casts, integer conditions in a select),
// contiguous and strided loads and stores, guards that hold for part of a
// chunk, scalar tails, and register buffers.
func TestVectorPaths(t *testing.T) {
	cases := []struct {
		name, src string
		steps     []schedule.Step
		vector    bool
		registers bool
	}{
		{"lane integers", `
A = input(f32, [3, 13])
B[i, j] = select(j >= 2 && j < 11, f32(j * 3 - 4) * A[i, j], A[i, j] + 1.0)
`, []schedule.Step{schedule.Annotate{Stage: 1, Iter: 1, Ann: schedule.AnnVectorize}}, true, false},
		{"strided and transposed", `
A = input(f32, [8, 6])
B[j, i] = A[i, j] * 2.0 + A[i, 5 - j]
`, []schedule.Step{schedule.Annotate{Stage: 1, Iter: 1, Ann: schedule.AnnVectorize}}, true, false},
		{"strided loads", `
A = input(f32, [3, 40])
B[i, j:9] = A[i, 2 * j] + A[i, 3 * j + 1] * A[i, 39 - 2 * j] - A[i, 36 - 3 * j] + A[i, 11 - j] * A[i, 4 * j + 3]
`, []schedule.Step{schedule.Annotate{Stage: 1, Iter: 1, Ann: schedule.AnnVectorize}}, true, false},
		{"sum of squares", `
A = input(f32, [3, 37])
B[i] = sum(A[i, j] * A[i, j], j)
`, []schedule.Step{schedule.Annotate{Stage: 1, Iter: 1, Ann: schedule.AnnVectorize}}, true, true},
		{"max and min", `
A = input(f32, [3, 22])
M[i] = max_over(A[i, 21 - j] * 2.0, j:22)
N[i] = min_over(A[i, j] - M[i], j)
`, []schedule.Step{
			schedule.Annotate{Stage: 1, Iter: 1, Ann: schedule.AnnVectorize},
			schedule.Annotate{Stage: 2, Iter: 1, Ann: schedule.AnnVectorize},
		}, true, true},
		{"guarded reduction", `
A = input(f32, [3, 37])
B[i] = sum(exp(A[i, j]), j)
`, []schedule.Step{
			schedule.Split{Stage: 1, Iter: 1, Lengths: []int64{8}, InnerToOuter: true},
			schedule.Reorder{Stage: 1, Order: []int{1, 0, 2}},
			schedule.Annotate{Stage: 1, Iter: 2, Ann: schedule.AnnVectorize},
		}, true, true},
		{"guarded chunks", `
A = input(f32, [5, 13])
B[i, j] = max(A[i, j], 0.0)
`, []schedule.Step{
			schedule.Split{Stage: 1, Iter: 1, Lengths: []int64{8}, InnerToOuter: true},
			schedule.Annotate{Stage: 1, Iter: 2, Ann: schedule.AnnVectorize},
		}, true, false},
		// A padding's load may fall outside A: the row is partitioned,
		// and its interior vectorizes.
		{"padding", `
A = input(f32, [3, 13])
P[i, j:17] = select(j >= 2 && j < 15, A[i, j - 2], -inf)
`, []schedule.Step{schedule.Annotate{Stage: 1, Iter: 1, Ann: schedule.AnnVectorize}}, true, false},
		{"register tile", `
A = input(f32, [8, 6])
B = input(f32, [6, 16])
C[i, j] = sum(A[i, k] * B[k, j], k)
`, []schedule.Step{
			schedule.CacheWrite{Stage: 2, Scope: ir.Local},
			schedule.Split{Stage: 3, Iter: 0, Lengths: []int64{4}, InnerToOuter: true},
			schedule.ComputeAt{Stage: 2, Target: 3, TargetIter: 0},
			schedule.Reorder{Stage: 2, Order: []int{2, 0, 1}},
			schedule.Annotate{Stage: 2, Iter: 1, Ann: schedule.AnnUnroll},
			schedule.Annotate{Stage: 2, Iter: 2, Ann: schedule.AnnVectorize},
			schedule.Annotate{Stage: 3, Iter: 1, Ann: schedule.AnnUnroll},
			schedule.Annotate{Stage: 3, Iter: 2, Ann: schedule.AnnVectorize},
		}, true, true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			k := checkSource(t, c.src, c.steps)
			if (k.VectorLoops > 0) != c.vector || (k.RegisterBuffers > 0) != c.registers {
				t.Errorf("vector loops %d, register buffers %d\n%s", k.VectorLoops, k.RegisterBuffers, k.Prepared)
			}
		})
	}
}

// TestStridedLoads checks the instructions of strided four-lane loads:
// strides -1, ±2 and ±3 read two wide loads through one shuffle each,
// wider strides go lane by lane, and nothing but the gather inserts lanes.
func TestStridedLoads(t *testing.T) {
	cases := []struct {
		index             string
		shuffles, inserts int
	}{
		{"2 * j", 1, 0},
		{"3 * j + 1", 1, 0},
		{"39 - 2 * j", 1, 0},
		{"36 - 3 * j", 1, 0},
		{"11 - j", 1, 0},
		{"4 * j + 3", 0, 3},
	}
	for _, c := range cases {
		t.Run(c.index, func(t *testing.T) {
			k := checkSource(t, fmt.Sprintf("A = input(f32, [40])\nB[j:9] = A[%s] * 2.0\n", c.index), []schedule.Step{
				schedule.Split{Stage: 1, Iter: 0, Lengths: []int64{4}, InnerToOuter: true},
				schedule.Annotate{Stage: 1, Iter: 1, Ann: schedule.AnnVectorize},
			})
			text, err := wasmbin.Disassemble(k.Wasm)
			if err != nil {
				t.Fatal(err)
			}
			if s, r := strings.Count(text, "i8x16.shuffle"), strings.Count(text, "f32x4.replace_lane"); s != c.shuffles || r != c.inserts {
				t.Errorf("%d shuffles and %d lane inserts, want %d and %d\n%s", s, r, c.shuffles, c.inserts, text)
			}
		})
	}
}

// checkSource compiles a workload in the text format with steps, checks
// the module with wabt, runs it and compares with the interpreter.
func checkSource(t *testing.T, src string, steps []schedule.Step) *Kernel {
	t.Helper()
	d, err := te.Parse(src)
	if err != nil {
		t.Fatal(err)
	}
	return checkDAG(t, d, steps)
}

// checkDAG is checkSource for a DAG.
func checkDAG(t *testing.T, d *te.DAG, steps []schedule.Step) *Kernel {
	t.Helper()
	st, err := schedule.Replay(d, steps)
	if err != nil {
		t.Fatal(err)
	}
	k, err := compileState(st, Options{})
	if err != nil {
		t.Fatal(err)
	}
	wabtValidate(t, k.Wasm)
	inputs := interp.RandomInputs(d, 5)
	want, err := interp.Eval(d, inputs)
	if err != nil {
		t.Fatal(err)
	}
	if err := checkKernel(t, k, inputs, want); err != nil {
		t.Fatalf("%v\n%s", err, k.Prepared)
	}
	return k
}

// TestPairedStridedLoads: stride-2 loads one element apart (a pool's taps
// x*2 and x*2 + 1) share two wide loads, each taking its lanes with one
// shuffle; a third tap, with no partner, loads its own two.
func TestPairedStridedLoads(t *testing.T) {
	cases := []struct {
		value           string
		loads, shuffles int
	}{
		{"A[2 * j] + A[2 * j + 1]", 2, 2},
		{"max(max(A[2 * j], A[2 * j + 1]), A[2 * j + 2])", 4, 3},
		{"A[2 * j] * A[2 * j + 3]", 4, 2},
	}
	for _, c := range cases {
		t.Run(c.value, func(t *testing.T) {
			k := checkSource(t, fmt.Sprintf("A = input(f32, [40])\nB[j:16] = %s\n", c.value), []schedule.Step{
				schedule.Split{Stage: 1, Iter: 0, Lengths: []int64{4}, InnerToOuter: true},
				schedule.Annotate{Stage: 1, Iter: 1, Ann: schedule.AnnVectorize},
			})
			text, err := wasmbin.Disassemble(k.Wasm)
			if err != nil {
				t.Fatal(err)
			}
			if l, s := strings.Count(text, "v128.load "), strings.Count(text, "i8x16.shuffle"); l != c.loads || s != c.shuffles {
				t.Errorf("%d wide loads and %d shuffles, want %d and %d\n%s", l, s, c.loads, c.shuffles, text)
			}
		})
	}
}

// TestFusedReductionLoads: two reduction loops over contiguous elements,
// fused and vectorized, load whole vectors: the flat index of the fused
// loop's (f // 5, f % 5) simplifies back to f, so no lane is gathered.
func TestFusedReductionLoads(t *testing.T) {
	k := checkSource(t, "A = input(f32, [6, 3, 5])\nB[i] = sum(A[i, j, k], j, k)\n", []schedule.Step{
		schedule.Fuse{Stage: 1, Iters: []int{1, 2}},
		schedule.Annotate{Stage: 1, Iter: 1, Ann: schedule.AnnVectorize},
	})
	text, err := wasmbin.Disassemble(k.Wasm)
	if err != nil {
		t.Fatal(err)
	}
	if r := strings.Count(text, "f32x4.replace_lane"); r != 0 || !strings.Contains(text, "v128.load ") {
		t.Errorf("%d lane inserts, want whole vector loads\n%s", r, text)
	}
}

// TestFusedSoftmax: softmax per block of rows, its stages vectorized,
// fuses into one loop over the rows in which the exps are stored and
// summed in one vector loop (codegen's fuse): one pass for the max, one
// for exp and sum, one for the product. It runs right with a tail (N=10)
// and rows left over (M=5 in blocks of 2).
func TestFusedSoftmax(t *testing.T) {
	src := `data = input(f32, [5, 10])
maxelem[i] = max_over(data[i, j], j)
exps[i, j] = exp(data[i, j] - maxelem[i])
expsum[i] = sum(exps[i, j], j)
rsum[i] = 1.0 / expsum[i]
out[i, j] = exps[i, j] * rsum[i]
`
	steps := []schedule.Step{schedule.Split{Stage: 5, Iter: 0, Lengths: []int64{2}, InnerToOuter: true}}
	for _, p := range []int{4, 3, 2, 1} {
		steps = append(steps, schedule.ComputeAt{Stage: p, Target: 5, TargetIter: 0})
	}
	for _, p := range []int{1, 2, 3} {
		steps = append(steps, schedule.Annotate{Stage: p, Iter: 1, Ann: schedule.AnnVectorize})
	}
	steps = append(steps, schedule.Annotate{Stage: 5, Iter: 2, Ann: schedule.AnnVectorize})
	k := checkSource(t, src, steps)
	text := k.Prepared.String()
	fused := regexp.MustCompile(`(?s)exps\[i, j_1\.v\] = exp_nonpos\([^;]*;[^;]*expsum\.vacc\d+\[j_1\.v\] = `)
	if !fused.MatchString(text) || strings.Count(text, "for (i = ") != 1 {
		t.Errorf("softmax's stages are not fused into one loop over rows with the exps summed as stored:\n%s", text)
	}
}

// TestHorizontalShuffles: the four lanes of a vectorized reduction's
// accumulator are folded with two shuffles and two f32x4 ops (horizontal),
// not extracted one by one and folded with scalar compares and selects,
// and the kernel computes the reference.
func TestHorizontalShuffles(t *testing.T) {
	for _, c := range []struct{ name, reduce string }{{"sum", "sum"}, {"max", "max_over"}, {"min", "min_over"}} {
		t.Run(c.name, func(t *testing.T) {
			src := "A = input(f32, [3, 37])\nS[i] = " + c.reduce + "(A[i, j] * 2.0, j)\n"
			k := checkSource(t, src, []schedule.Step{schedule.Annotate{Stage: 1, Iter: 1, Ann: schedule.AnnVectorize}})
			text, err := wasmbin.Disassemble(k.Wasm)
			if err != nil {
				t.Fatal(err)
			}
			// Lane 0 once, and the tail's one scalar fold per leftover
			// element (37 = 9 vectors and 1) plus the fold into S.
			if s, x := strings.Count(text, "i8x16.shuffle"), strings.Count(text, "f32x4.extract_lane"); s != 2 || x != 1 {
				t.Errorf("%d shuffles and %d extract_lane, want 2 and 1:\n%s", s, x, text)
			}
			if c.reduce != "sum" {
				if n := strings.Count(text, "f32.lt"); n != 2 {
					t.Errorf("%d scalar compares, want 2 (the fold into S, the tail):\n%s", n, text)
				}
			}
		})
	}
}
