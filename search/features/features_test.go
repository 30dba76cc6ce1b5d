package features

import (
	"flag"
	"math"
	"math/rand/v2"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/tabtune/tabtune/compiler/expr"
	"github.com/tabtune/tabtune/compiler/ir"
	"github.com/tabtune/tabtune/compiler/lower"
	"github.com/tabtune/tabtune/compiler/ops"
	"github.com/tabtune/tabtune/compiler/schedule"
	"github.com/tabtune/tabtune/compiler/schedule/schedtest"
	"github.com/tabtune/tabtune/internal/golden"
)

var propertyCases = flag.Int("property.n", 400, "random schedules the property test checks")

// col returns the column of a named feature.
func col(t testing.TB, name string) int {
	t.Helper()
	i := slices.Index(names, name)
	if i < 0 {
		t.Fatalf("no feature %q", name)
	}
	return i
}

// get returns a feature of a row, undoing the log: 2^v - 1.
func get(t testing.TB, row []float32, name string) float64 {
	t.Helper()
	return math.Exp2(float64(row[col(t, name)])) - 1
}

// near reports whether a de-logged feature is v.
func near(got, want float64) bool {
	return math.Abs(got-want) <= 1e-4*math.Max(1, math.Abs(want))
}

func TestNames(t *testing.T) {
	n := Names()
	if len(n) != Len {
		t.Fatalf("len(Names()) = %d, Len = %d", len(n), Len)
	}
	seen := map[string]bool{}
	for i, s := range n {
		if s == "" {
			t.Errorf("feature %d has no name", i)
		}
		if seen[s] {
			t.Errorf("feature name %q twice", s)
		}
		seen[s] = true
	}
	for i, want := range map[int]string{
		fFloatMad: "float_mad", fGuards: "guards", fVecNum: "vec_num", fVecPos: "vec_pos_none",
		fUnrollNum: "unroll_num", fParallelPos + posMixed: "parallel_pos_mixed", fIsGPU: "is_gpu",
		fVThread: "vthread_len", fNumBuffers: "num_buffers", fBuffers: "b0.acc_read",
		fBuffers + nBuf: "b1.acc_read", fBuffers + MaxBuffers*nBuf - 1: "b4.reuse_l2",
		fAllocNum: "alloc_num", fStorePos: "store_pos",
	} {
		if n[i] != want {
			t.Errorf("feature %d is %q, want %q", i, n[i], want)
		}
	}
	n[0] = "changed"
	if Names()[0] != "float_mad" {
		t.Error("Names returns the package's own slice")
	}
	t.Logf("Len = %d", Len)
}

func TestLog2(t *testing.T) {
	for _, x := range []float64{1, 1.0001, 1.4142, 1.4143, 1.5, 2, 3, 7.5, 1000, 12345.678, 1 << 40, 3e30, 1.7e308} {
		got, want := log2(x), math.Log2(x)
		if math.Abs(got-want) > 1e-9*math.Max(1, math.Abs(want)) {
			t.Errorf("log2(%g) = %.12g, want %.12g", x, got, want)
		}
	}
	rng := rand.New(rand.NewPCG(1, 2))
	for range 10000 {
		x := 1 + rng.ExpFloat64()*float64(rng.IntN(1<<20))
		if got, want := log2(x), math.Log2(x); math.Abs(got-want) > 1e-9*math.Max(1, want) {
			t.Fatalf("log2(%g) = %.12g, want %.12g", x, got, want)
		}
	}
	if slog(math.NaN()) != 0 || slog(math.Inf(1)) != 1024 || slog(math.Inf(-1)) != -1024 || slog(-3) != -2 {
		t.Error("slog of special values")
	}
}

// build applies a schedule to an operator spec.
func build(t testing.TB, spec string, fn func(*schedtest.Builder)) *schedule.State {
	t.Helper()
	d, err := ops.BuildSpec(spec)
	if err != nil {
		t.Fatal(err)
	}
	b := schedtest.New(t, d)
	if fn != nil {
		fn(b)
	}
	return b.St
}

func extract(t testing.TB, st *schedule.State) (*ir.Func, [][]float32) {
	t.Helper()
	f, err := lower.Lower(st)
	if err != nil {
		t.Fatal(err)
	}
	rows := Extract(f)
	if n := countStores(f); len(rows) != n {
		t.Fatalf("%d rows for %d stores", len(rows), n)
	}
	return f, rows
}

func countStores(f *ir.Func) int {
	n := 0
	ir.WalkStmt(f.Body, func(s ir.Stmt) bool {
		if _, ok := s.(*ir.Store); ok {
			n++
		}
		return true
	})
	return n
}

// tiledMatmul tiles C = A·B: outer tiles parallel, k outside a register
// tile whose inner j loop is vectorized, and an unrolled i tile.
func tiledMatmul(b *schedtest.Builder) {
	i := b.Split("C", "i", 4)
	j := b.Split("C", "j", 16)
	b.Reorder("C", []string{i[0], j[0], "k", i[1], j[1]})
	b.Do(schedule.Annotate{Stage: b.Stage("C"), Iter: b.Iter("C", i[0]), Ann: schedule.AnnParallel})
	b.Do(schedule.Annotate{Stage: b.Stage("C"), Iter: b.Iter("C", i[1]), Ann: schedule.AnnUnroll})
	b.Do(schedule.Annotate{Stage: b.Stage("C"), Iter: b.Iter("C", j[1]), Ann: schedule.AnnVectorize})
}

func TestDeterministic(t *testing.T) {
	for _, st := range []*schedule.State{schedtest.C2DSketch(t), build(t, "gmm:M=64,N=64,K=64", tiledMatmul)} {
		_, a := extract(t, st)
		_, b := extract(t, st) // lowered again: new variables, same program
		if !slices.EqualFunc(a, b, slices.Equal) {
			t.Fatal("two extractions differ")
		}
		c, err := ExtractState(st)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.EqualFunc(a, c, slices.Equal) {
			t.Fatal("ExtractState differs from Extract")
		}
	}
}

// updateRow is the row of the store that reads its own destination.
func updateRow(t *testing.T, rows [][]float32) []float32 {
	t.Helper()
	for _, r := range rows {
		if r[fIsReductionUpdate] == 1 {
			return r
		}
	}
	t.Fatal("no reduction update")
	return nil
}

func TestMatmulVectorize(t *testing.T) {
	_, naive := extract(t, build(t, "gmm:M=64,N=64,K=64", nil))
	_, tiled := extract(t, build(t, "gmm:M=64,N=64,K=64", tiledMatmul))
	n, v := updateRow(t, naive), updateRow(t, tiled)
	if n[fVecNum] != 0 || n[fVecPos+posNone] != 1 || n[fParallelNum] != 0 {
		t.Errorf("naive matmul: vec_num %g, vec_pos_none %g, parallel_num %g", n[fVecNum], n[fVecPos+posNone], n[fParallelNum])
	}
	if got := get(t, v, "vec_num"); !near(got, 1) {
		t.Errorf("tiled matmul: vec_num %g, want 1", got)
	}
	if got := get(t, v, "vec_len"); !near(got, 16) {
		t.Errorf("tiled matmul: vec_len %g, want 16", got)
	}
	if v[fVecPos+posInner] != 1 || v[fVecFull] != 1 {
		t.Errorf("tiled matmul: vec_pos_inner %g, vec_full %g", v[fVecPos+posInner], v[fVecFull])
	}
	// Unrolled: the i tile (4) and the chunk loop of the vector loop (16/4).
	if got := get(t, v, "unroll_prod"); !near(got, 16) || !near(get(t, v, "unroll_num"), 2) {
		t.Errorf("tiled matmul: unroll_prod %g, unroll_num %g", got, get(t, v, "unroll_num"))
	}
	if got := get(t, v, "parallel_prod"); !near(got, 16) || v[fParallelPos+posOuter] != 1 {
		t.Errorf("tiled matmul: parallel_prod %g, parallel_pos_outer %g", got, v[fParallelPos+posOuter])
	}
	// Same work either way.
	for _, name := range []string{"float_addsub", "float_mul", "flops", "b0.bytes"} {
		if a, b := get(t, n, name), get(t, v, name); !near(a, b) {
			t.Errorf("%s: naive %g, tiled %g", name, a, b)
		}
	}
	if !near(get(t, n, "flops"), 2*64*64*64) {
		t.Errorf("flops = %g", get(t, n, "flops"))
	}
}

func TestReductionUpdate(t *testing.T) {
	f, rows := extract(t, build(t, "gmm:M=8,N=6,K=5", nil))
	if len(rows) != 2 {
		t.Fatalf("%d rows\n%s", len(rows), f)
	}
	init, upd := rows[0], rows[1]
	if init[fIsReductionUpdate] != 0 || init[fValueIsConst] != 1 {
		t.Errorf("init: is_reduction_update %g, value_is_const %g", init[fIsReductionUpdate], init[fValueIsConst])
	}
	if upd[fIsReductionUpdate] != 1 || upd[fValueIsConst] != 0 {
		t.Errorf("update: is_reduction_update %g, value_is_const %g", upd[fIsReductionUpdate], upd[fValueIsConst])
	}
	// C is read and written, accessed twice per iteration: the most bytes.
	if upd[fBuffers+bAccReadWrite] != 1 || !near(get(t, upd, "b0.bytes"), 2*8*6*5*4) {
		t.Errorf("update: b0 acc_readwrite %g, bytes %g", upd[fBuffers+bAccReadWrite], get(t, upd, "b0.bytes"))
	}
	// C is reused across k, the innermost loop: 5 times, next iteration.
	if upd[fBuffers+bReuseLoop] != 1 || !near(get(t, upd, "b0.reuse_ct"), 5) || !near(get(t, upd, "b0.reuse_dis_iter"), 1) {
		t.Errorf("update: C reuse loop %g, ct %g, dis_iter %g", upd[fBuffers+bReuseLoop], get(t, upd, "b0.reuse_ct"), get(t, upd, "b0.reuse_dis_iter"))
	}
	if upd[fVecPos+posNone] != 1 || init[fStorePos] != 0 || upd[fStorePos] != 1 {
		t.Error("update: positions")
	}
}

// loopFunc makes a function of float buffers around body.
func loopFunc(body ir.Stmt, params ...*ir.Buffer) *ir.Func {
	return &ir.Func{Name: "kernel", Params: params, Outputs: 1, Body: body}
}

func buf(name string, shape ...int64) *ir.Buffer {
	return &ir.Buffer{Name: name, Shape: shape, DType: expr.Float}
}

func TestLoopLengths(t *testing.T) {
	A, C := buf("A", 8, 64), buf("C", 8, 64)
	i, j, k := expr.NewVar("i"), expr.NewVar("j"), expr.NewVar("k")
	col := expr.AddE(expr.MulE(j, expr.Const(16)), k)
	store := &ir.Store{Buf: C, Index: []expr.Expr{i, col},
		Value: expr.Bin(expr.Mul, &expr.Load{Src: A, Index: []expr.Expr{i, col}}, expr.F32(2))}
	f := loopFunc(&ir.For{Var: i, Extent: 8, Kind: ir.Parallel,
		Body: &ir.For{Var: j, Extent: 4, Kind: ir.Unrolled,
			Body: &ir.For{Var: k, Extent: 16, Kind: ir.Vectorized, Body: store}}}, A, C)
	rows := Extract(f)
	if len(rows) != 1 {
		t.Fatalf("%d rows", len(rows))
	}
	r := rows[0]
	for name, want := range map[string]float64{
		"parallel_num": 1, "parallel_prod": 8, "parallel_len": 8,
		"unroll_num": 2, "unroll_prod": 16, "unroll_len": 4, // j, and the 4 chunks of k
		"vec_num": 1, "vec_prod": 16, "vec_len": 16,
		"outer_prod": 8 * 4 * 16, "num_loops": 3, "innermost_len": 16,
		"float_mul": 8 * 64, "int_mul": 2 * 8 * 64, "int_addsub": 2 * 8 * 64,
		"is_gpu": 0, "auto_unroll_max_step": 0,
	} {
		if got := get(t, r, name); !near(got, want) {
			t.Errorf("%s = %g, want %g", name, got, want)
		}
	}
	if r[fParallelPos+posOuter] != 1 || r[fUnrollPos+posInner] != 1 || r[fVecPos+posInner] != 1 || r[fVecFull] != 1 {
		t.Error("loop positions")
	}

	// A vector loop the generator cannot vectorize is a serial loop:
	// extent below 4, or every lane writing one place (but a reduction,
	// which gets vector accumulators).
	short := loopFunc(&ir.For{Var: k, Extent: 3, Kind: ir.Vectorized, Body: &ir.Store{Buf: C, Index: []expr.Expr{expr.Const(0), k}, Value: expr.F32(1)}}, A, C)
	red := loopFunc(&ir.For{Var: k, Extent: 16, Kind: ir.Vectorized, Body: &ir.Store{Buf: C, Index: []expr.Expr{expr.Const(0), expr.Const(0)},
		Value: expr.Bin(expr.Add, &expr.Load{Src: C, Index: []expr.Expr{expr.Const(0), expr.Const(0)}}, &expr.Load{Src: A, Index: []expr.Expr{expr.Const(0), k}})}}, A, C)
	collide := loopFunc(&ir.For{Var: k, Extent: 16, Kind: ir.Vectorized, Body: &ir.Store{Buf: C, Index: []expr.Expr{expr.Const(0), expr.Const(0)},
		Value: &expr.Load{Src: A, Index: []expr.Expr{expr.Const(0), k}}}}, A, C)
	odd := loopFunc(&ir.For{Var: k, Extent: 10, Kind: ir.Vectorized, Body: &ir.Store{Buf: C, Index: []expr.Expr{expr.Const(0), k}, Value: expr.F32(1)}}, A, C)
	for name, c := range map[string]struct {
		f    *ir.Func
		vec  float64
		full float64
	}{"short": {short, 0, 0}, "collide": {collide, 0, 0}, "reduction": {red, 1, 1}, "odd": {odd, 1, 0.8}} {
		r := Extract(c.f)[0]
		if got := get(t, r, "vec_num"); !near(got, c.vec) {
			t.Errorf("%s: vec_num %g, want %g", name, got, c.vec)
		}
		if got := float64(r[fVecFull]); !near(got, c.full) {
			t.Errorf("%s: vec_full %g, want %g", name, got, c.full)
		}
	}
	if r := Extract(red)[0]; r[fIsReductionUpdate] != 1 {
		t.Error("reduction not flagged")
	}

	// auto_unroll_max_step unrolls the serial loops inside its loop whose
	// nest fits: j (4×4 = 16) and k (4), not i itself.
	i2, j2, k2 := expr.NewVar("i"), expr.NewVar("j"), expr.NewVar("k")
	auto := loopFunc(&ir.For{Var: i2, Extent: 8, Pragmas: []ir.Pragma{{Key: ir.AutoUnrollMaxStep, Value: 16}},
		Body: &ir.For{Var: j2, Extent: 4, Body: &ir.For{Var: k2, Extent: 4,
			Body: &ir.Store{Buf: C, Index: []expr.Expr{i2, expr.AddE(expr.MulE(j2, expr.Const(4)), k2)}, Value: expr.F32(0)}}}}, A, C)
	r = Extract(auto)[0]
	for name, want := range map[string]float64{"unroll_num": 2, "unroll_prod": 16, "unroll_len": 4, "auto_unroll_max_step": 16, "vec_num": 0} {
		if got := get(t, r, name); !near(got, want) {
			t.Errorf("auto unroll: %s = %g, want %g", name, got, want)
		}
	}
	// A budget of 15 fits only k.
	auto.Body.(*ir.For).Pragmas[0].Value = 15
	r = Extract(auto)[0]
	if !near(get(t, r, "unroll_num"), 1) || !near(get(t, r, "unroll_len"), 4) {
		t.Errorf("auto unroll 15: unroll_num %g, unroll_len %g", get(t, r, "unroll_num"), get(t, r, "unroll_len"))
	}

	// GPU bindings.
	bx, tx := expr.NewVar("bx"), expr.NewVar("tx")
	gpu := loopFunc(&ir.For{Var: bx, Extent: 4, Kind: ir.ThreadBound, Thread: ir.BlockX,
		Body: &ir.For{Var: tx, Extent: 32, Kind: ir.ThreadBound, Thread: ir.ThreadX,
			Body: &ir.Store{Buf: C, Index: []expr.Expr{expr.Const(0), expr.AddE(expr.MulE(bx, expr.Const(32)), tx)}, Value: expr.F32(0)}}}, A, C)
	r = Extract(gpu)[0]
	for name, want := range map[string]float64{"is_gpu": 1, "blockIdx.x_len": 4, "threadIdx.x_len": 32, "threadIdx.y_len": 1, "vthread_len": 1, "parallel_num": 0} {
		if got := get(t, r, name); !near(got, want) {
			t.Errorf("gpu: %s = %g, want %g", name, got, want)
		}
	}
}

func TestCopyBytes(t *testing.T) {
	A, B := buf("A", 10, 12), buf("B", 10, 12)
	i, j := expr.NewVar("i"), expr.NewVar("j")
	f := loopFunc(&ir.For{Var: i, Extent: 10, Body: &ir.For{Var: j, Extent: 12,
		Body: &ir.Store{Buf: B, Index: []expr.Expr{i, j}, Value: &expr.Load{Src: A, Index: []expr.Expr{i, j}}}}}, A, B)
	r := Extract(f)[0]
	for _, b := range []string{"b0", "b1"} {
		for name, want := range map[string]float64{
			"bytes": 480, "unique_bytes": 480, "stride": 1, "reuse_ct": 0,
			"lines": 120 * 4.0 / 64, "unique_lines": 8, // 480 contiguous bytes
			"bytes_d_unique_bytes": 1,
		} {
			if got := get(t, r, b+"."+name); !near(got, want) {
				t.Errorf("%s.%s = %g, want %g", b, name, got, want)
			}
		}
		if got := get(t, r, b+".reuse_none"); got != 1 {
			t.Errorf("%s: no reuse expected", b)
		}
	}
	if r[fBuffers+bAccWrite] != 1 || r[fBuffers+nBuf+bAccRead] != 1 {
		t.Error("the write, then the read (same bytes, first accessed first)")
	}
	if !near(get(t, r, "arith_intensity"), 0) || !near(get(t, r, "num_buffers"), 2) || !near(get(t, r, "b2.bytes"), 0) {
		t.Error("copy: intensity, buffers, padding")
	}

	// Transposed: B[j, i] = A[i, j]. B moves by 10 elements per j.
	f.Body.(*ir.For).Body.(*ir.For).Body = &ir.Store{Buf: buf("B", 12, 10), Index: []expr.Expr{j, i}, Value: &expr.Load{Src: A, Index: []expr.Expr{i, j}}}
	r = Extract(f)[0]
	if got := get(t, r, "b0.stride"); !near(got, 10) {
		t.Errorf("transposed stride %g, want 10", got)
	}
	if got := get(t, r, "b0.lines"); !near(got, 120*40.0/64) {
		t.Errorf("transposed lines %g, want %g", got, 120*40.0/64)
	}
	if got := get(t, r, "b0.bytes"); !near(got, 480) {
		t.Errorf("transposed bytes %g", got)
	}

	// A broadcast read: A[i, 0] for every j is reused across j.
	f.Body.(*ir.For).Body.(*ir.For).Body = &ir.Store{Buf: B, Index: []expr.Expr{i, j}, Value: &expr.Load{Src: A, Index: []expr.Expr{i, expr.Const(0)}}}
	r = Extract(f)[0]
	if !near(get(t, r, "b1.unique_bytes"), 40) || !near(get(t, r, "b1.reuse_ct"), 12) || r[fBuffers+nBuf+bReuseLoop] != 1 || !near(get(t, r, "b1.stride"), 12) {
		t.Errorf("broadcast: unique %g, reuse_ct %g, stride %g", get(t, r, "b1.unique_bytes"), get(t, r, "b1.reuse_ct"), get(t, r, "b1.stride"))
	}
}

func TestSerialReuseAndAllocs(t *testing.T) {
	// The C2D sketch: the write-back reads out.local that the stores
	// before it wrote inside the same parallel loop.
	f, rows := extract(t, schedtest.C2DSketch(t))
	if len(rows) != 4 {
		t.Fatalf("%d rows\n%s", len(rows), f)
	}
	wb := rows[3]
	if !near(get(t, wb, "alloc_num"), 1) || !near(get(t, wb, "alloc_local_bytes"), 16*7*8*4) || wb[fDstScopeGlobal] != 1 {
		t.Errorf("write-back allocations: num %g, local bytes %g", get(t, wb, "alloc_num"), get(t, wb, "alloc_local_bytes"))
	}
	pad := rows[1]
	if !near(get(t, pad, "alloc_num"), 2) || !near(get(t, pad, "dst_alloc_bytes"), 8*9*10*4) || !near(get(t, pad, "dst_alloc_outer_prod"), 224*8) {
		t.Errorf("pad allocations: num %g, dst bytes %g, outer %g", get(t, pad, "alloc_num"), get(t, pad, "dst_alloc_bytes"), get(t, pad, "dst_alloc_outer_prod"))
	}
	if !near(get(t, pad, "select"), 224*8*8*9*10) {
		t.Errorf("pad selects %g", get(t, pad, "select"))
	}
	// A hand-made producer and consumer in one loop: serial reuse.
	A, T, B := buf("A", 8, 4), &ir.Buffer{Name: "T", Shape: []int64{4}, DType: expr.Float, Scope: ir.Local}, buf("B", 8, 4)
	i, j, j2 := expr.NewVar("i"), expr.NewVar("j"), expr.NewVar("j")
	body := &ir.For{Var: i, Extent: 8, Body: &ir.Alloc{Buf: T, Body: ir.MakeSeq(
		&ir.For{Var: j, Extent: 4, Body: &ir.Store{Buf: T, Index: []expr.Expr{j}, Value: &expr.Load{Src: A, Index: []expr.Expr{i, j}}}},
		&ir.For{Var: j2, Extent: 4, Body: &ir.Store{Buf: B, Index: []expr.Expr{i, j2}, Value: &expr.Load{Src: T, Index: []expr.Expr{j2}}}},
	)}}
	rows = Extract(loopFunc(body, A, B))
	r := rows[1]
	// b0 is B (written first), b1 is T.
	if r[fBuffers+nBuf+bScopeLocal] != 1 {
		t.Fatal("b1 is not T")
	}
	// T[j2] moves with j2 but not with i: loop reuse across i (checked
	// from the inside out, it comes before the producer's serial reuse).
	if r[fBuffers+nBuf+bReuseLoop] != 1 || !near(get(t, r, "b1.reuse_ct"), 8) {
		t.Errorf("T: reuse loop %g ct %g", r[fBuffers+nBuf+bReuseLoop], get(t, r, "b1.reuse_ct"))
	}
	// Make T depend on i as well (a slice per i): now the reuse is the
	// producer's write, under loop i.
	T.Shape = []int64{8, 4}
	body.Body.(*ir.Alloc).Body.(*ir.Seq).Stmts[0].(*ir.For).Body = &ir.Store{Buf: T, Index: []expr.Expr{i, j}, Value: &expr.Load{Src: A, Index: []expr.Expr{i, j}}}
	body.Body.(*ir.Alloc).Body.(*ir.Seq).Stmts[1].(*ir.For).Body = &ir.Store{Buf: B, Index: []expr.Expr{i, j2}, Value: &expr.Load{Src: T, Index: []expr.Expr{i, j2}}}
	r = Extract(loopFunc(body, A, B))[1]
	if r[fBuffers+nBuf+bReuseSerial] != 1 || !near(get(t, r, "b1.reuse_ct"), 1) || !near(get(t, r, "b1.reuse_dis_iter"), 4) {
		t.Errorf("T: reuse serial %g ct %g dis_iter %g", r[fBuffers+nBuf+bReuseSerial], get(t, r, "b1.reuse_ct"), get(t, r, "b1.reuse_dis_iter"))
	}
	if !near(get(t, r, "dst_alloc_bytes"), 0) || !near(get(t, r, "alloc_local_bytes"), 8*4*4) || !near(get(t, r, "alloc_outer_prod"), 8) {
		t.Error("consumer allocations")
	}
}

// TestRandomSchedules is the property test: for random schedules of every
// zoo operator at small shapes, every row has Len finite values, one-hot
// groups have exactly one 1, and extraction is deterministic.
func TestRandomSchedules(t *testing.T) {
	names, dags := schedtest.SmallDAGs(t)
	oneHots := [][2]int{{fVecPos, numPos}, {fUnrollPos, numPos}, {fParallelPos, numPos}, {fDstScopeGlobal, 3}}
	checked := 0
	for c := 0; c < *propertyCases; c++ {
		rng := rand.New(rand.NewPCG(uint64(c), 11))
		w := c % len(dags)
		st := schedtest.RandomState(rng, dags[w], 12, nil)
		f, err := lower.Lower(st)
		if err != nil {
			t.Fatalf("case %d, %s: %v", c, names[w], err)
		}
		rows := Extract(f)
		if n := countStores(Wasm.partition(f)); len(rows) != n {
			t.Fatalf("case %d, %s: %d rows for %d stores", c, names[w], len(rows), n)
		}
		for s, r := range rows {
			if len(r) != Len {
				t.Fatalf("case %d: row of %d", c, len(r))
			}
			for j, v := range r {
				if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) {
					t.Fatalf("case %d, %s, store %d: %s = %g\n%s", c, names[w], s, Names()[j], v, f)
				}
				if v < 0 {
					t.Fatalf("case %d, %s, store %d: %s = %g < 0\n%s", c, names[w], s, Names()[j], v, f)
				}
			}
			for _, g := range oneHots {
				sum := float32(0)
				for _, v := range r[g[0] : g[0]+g[1]] {
					sum += v
				}
				if sum != 1 {
					t.Fatalf("case %d, %s, store %d: one-hot at %s sums to %g", c, names[w], s, Names()[g[0]], sum)
				}
			}
		}
		again := Extract(f)
		if !slices.EqualFunc(rows, again, slices.Equal) {
			t.Fatalf("case %d: not deterministic", c)
		}
		checked += len(rows)
	}
	t.Logf("%d rows checked", checked)
}

// TestGolden prints the features of a tiled matmul, name=value, and
// compares with testdata/matmul.golden (go test -update rewrites it).
func TestGolden(t *testing.T) {
	st := build(t, "gmm:M=64,N=64,K=64", tiledMatmul)
	f, rows := extract(t, st)
	var out strings.Builder
	out.WriteString("# gmm:M=64,N=64,K=64, tiled: parallel i.0, unrolled i.1, vectorized j.1\n")
	out.WriteString("# features version " + strconv.Itoa(Version) + ", " + strconv.Itoa(Len) + " per store\n")
	out.WriteString(f.String())
	for s, r := range rows {
		out.WriteString("\n# store " + strconv.Itoa(s) + "\n")
		for j, v := range r {
			out.WriteString(names[j] + "=" + strconv.FormatFloat(float64(v), 'g', 6, 32) + "\n")
		}
	}
	golden.CheckString(t, filepath.Join("testdata", "matmul.golden"), out.String())
}

// TestAllocs checks that Extract allocates only its result, guards and
// selects included.
func TestAllocs(t *testing.T) {
	if raceEnabled {
		t.Skip("the race detector makes sync.Pool drop its items")
	}
	for _, st := range []*schedule.State{
		schedtest.C2DSketch(t),
		build(t, "gmm:M=10,N=12,K=5", schedtest.CacheParallel),
		build(t, "c2d:N=1,CI=2,H=6,W=6,CO=4,KH=3,KW=3,stride=1,pad=1", schedtest.Tile),
	} {
		f, err := lower.Lower(st)
		if err != nil {
			t.Fatal(err)
		}
		// Partitioning a loop allocates its copies; a partitioned
		// program is partitioned no further.
		f = Wasm.partition(f)
		Extract(f)
		if n := testing.AllocsPerRun(100, func() { Extract(f) }); n > 2.5 {
			t.Errorf("%g allocations per Extract\n%s", n, f)
		}
	}
}

// TestOddIR: programs lowering never makes still give finite rows.
func TestOddIR(t *testing.T) {
	if Extract(nil) != nil || Extract(&ir.Func{}) != nil || Extract(loopFunc(ir.MakeSeq())) != nil {
		t.Error("rows for an empty program")
	}
	A := buf("A", 4, 4)
	strided := &ir.Buffer{Name: "S", Shape: []int64{4, 4}, Strides: []int64{5, 1}, DType: expr.Float, Scope: ir.Shared}
	i, v, n := expr.NewVar("i"), expr.NewVar("v"), expr.NewVar("free")
	body := &ir.For{Var: i, Extent: 4, Body: ir.MakeSeq(
		// More indices than dimensions, fewer, a free variable, a let.
		&ir.Store{Buf: A, Index: []expr.Expr{i, i, i}, Value: expr.F32(1)},
		&ir.Store{Buf: A, Index: []expr.Expr{i}, Value: &expr.Load{Src: A, Index: []expr.Expr{n}}},
		&ir.Let{Var: v, Value: expr.MulE(i, expr.Const(2)), Body: &ir.Store{Buf: strided, Index: []expr.Expr{expr.Bin(expr.FloorMod, v, expr.Const(4)), i},
			Value: expr.Bin(expr.Div, &expr.Load{Src: strided, Index: []expr.Expr{expr.Bin(expr.Min, v, expr.Const(3)), expr.Bin(expr.FloorDiv, i, n)}}, expr.F32(3))}},
		&ir.For{Var: expr.NewVar("z"), Extent: 0, Body: &ir.Store{Buf: A, Index: []expr.Expr{i, i}, Value: &expr.Call{Fn: expr.Exp, Args: []expr.Expr{&expr.Cast{To: expr.Float, A: i}}}}},
		&ir.If{Cond: &expr.Not{A: expr.Bin(expr.LT, i, expr.Const(2))}, Then: &ir.Store{Buf: A, Index: []expr.Expr{i, i}, Value: expr.F32(0)},
			Else: &ir.Store{Buf: A, Index: []expr.Expr{i, i}, Value: expr.F32(2)}},
	)}
	rows := Extract(loopFunc(body, A))
	if len(rows) != 6 {
		t.Fatalf("%d rows", len(rows))
	}
	for s, r := range rows {
		for j, v := range r {
			if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) || v < 0 {
				t.Errorf("store %d: %s = %g", s, names[j], v)
			}
		}
	}
	if !near(get(t, rows[2], "float_div"), 4) || rows[2][fDstScopeShared] != 1 || get(t, rows[4], "guards") != 1 || !near(get(t, rows[4], "guard_ops"), 8) {
		t.Error("odd IR: counts")
	}
}
