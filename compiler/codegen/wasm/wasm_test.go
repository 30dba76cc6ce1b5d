package wasm

import (
	"flag"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/tabtune/tabtune/compiler/codegen/wasm/wasmbin"
	"github.com/tabtune/tabtune/compiler/expr"
	"github.com/tabtune/tabtune/compiler/interp"
	"github.com/tabtune/tabtune/compiler/ir"
	"github.com/tabtune/tabtune/compiler/lower"
	"github.com/tabtune/tabtune/compiler/schedule"
	"github.com/tabtune/tabtune/compiler/schedule/schedtest"
	"github.com/tabtune/tabtune/compiler/te"
)

var propertyCases = flag.Int("property.n", 240, "random schedules the wasm property test compiles and runs")

type reference struct {
	inputs, want []interp.Data
}

func references(t testing.TB, dags []*te.DAG) []reference {
	refs := make([]reference, len(dags))
	for i, d := range dags {
		refs[i].inputs = interp.RandomInputs(d, 1)
		var err error
		if refs[i].want, err = interp.Eval(d, refs[i].inputs); err != nil {
			t.Fatal(err)
		}
	}
	return refs
}

func compileState(st *schedule.State, opts Options) (*Kernel, error) {
	f, err := lower.Lower(st)
	if err != nil {
		return nil, err
	}
	return Compile(f, opts)
}

// TestZooSchedules compiles every zoo operator at its small shape, with no
// schedule and with each hand-written schedule, runs it in wazero and
// compares with the reference evaluator.
func TestZooSchedules(t *testing.T) {
	names, dags := schedtest.SmallDAGs(t)
	refs := references(t, dags)
	for w, d := range dags {
		states := map[string]*schedule.State{"naive": schedule.New(d)}
		for _, r := range schedtest.Recipes {
			b := schedtest.New(t, d)
			r.Apply(b)
			states[r.Name] = b.St
		}
		for name, st := range states {
			k, err := compileState(st, Options{})
			if err != nil {
				t.Errorf("%s/%s: %v", names[w], name, err)
				continue
			}
			wabtValidate(t, k.Wasm)
			if err := checkKernel(t, k, refs[w].inputs, refs[w].want); err != nil {
				t.Errorf("%s/%s: %v\n%s", names[w], name, err, k.Prepared)
			}
		}
	}
}

// TestRandomSchedulesWasm is the compiler's property test carried to wasm:
// random valid schedules of every zoo operator compile, run in wazero and
// match the reference.
func TestRandomSchedulesWasm(t *testing.T) {
	names, dags := schedtest.SmallDAGs(t)
	refs := references(t, dags)
	vector, regs, reductions, shuffles, splats, partitions, transposes, fused := 0, 0, 0, 0, 0, 0, 0, 0
	horizontals, nonpos := 0, 0
	defer func() {
		t.Logf("kernels with vector loops: %d, with register buffers: %d, vectorized reductions: %d (folded by shuffles: %d), strided vector loads: %d, splat loads: %d, partitioned loops: %d, transposes: %d, fused loops: %d, exp_nonpos: %d",
			vector, regs, reductions, horizontals, shuffles, splats, partitions, transposes, fused, nonpos)
		// The paths the random schedules must reach, at the default count.
		if *propertyCases >= 240 && (reductions == 0 || horizontals == 0 || shuffles == 0 || splats == 0 || partitions == 0 || fused == 0 || nonpos == 0) {
			t.Errorf("no random schedule vectorized a reduction (%d) folded by shuffles (%d), a strided load (%d) or a splat load (%d), partitioned a loop (%d), fused loops (%d) or computed exp_nonpos (%d)",
				reductions, horizontals, shuffles, splats, partitions, fused, nonpos)
		}
	}()
	for c := 0; c < *propertyCases; c++ {
		rng := rand.New(rand.NewPCG(uint64(c), 11))
		w := c % len(dags)
		st := schedtest.VectorizeInner(schedtest.RandomState(rng, dags[w], 12, nil), rng)
		k, err := compileState(st, Options{})
		if err != nil {
			t.Fatalf("case %d, %s: %v\n%s", c, names[w], err, st.StepsString())
		}
		if k.VectorLoops > 0 {
			vector++
		}
		if changedBy(t, st, "partition") {
			partitions++
		}
		if changedBy(t, st, "fuse") {
			fused++
		}
		if k.RegisterBuffers > 0 {
			regs++
		}
		if strings.Contains(k.Prepared.String(), ".vacc") {
			reductions++
		}
		if strings.Contains(k.Prepared.String(), "pragma(transpose=") {
			transposes++
		}
		if strings.Contains(k.Prepared.String(), "exp_nonpos(") {
			nonpos++
		}
		if text, err := wasmbin.Disassemble(k.Wasm); err == nil {
			// horizontal.go's two shuffles, then the others (strided loads).
			fold := strings.NewReplacer("i8x16.shuffle 4 5 6 7 0 1 2 3 12 13 14 15 8 9 10 11", "",
				"i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7", "")
			if rest := fold.Replace(text); rest != text {
				horizontals++
				text = rest
			}
			if strings.Contains(text, "i8x16.shuffle") {
				shuffles++
			}
			if strings.Contains(text, "v128.load32_splat") {
				splats++
			}
		}
		if err := checkKernel(t, k, refs[w].inputs, refs[w].want); err != nil {
			t.Fatalf("case %d, %s: %v\n%s\n%s", c, names[w], err, st.StepsString(), k.Prepared)
		}
	}
}

// changedBy reports whether the code generator's pass changes the program
// of st.
func changedBy(t *testing.T, st *schedule.State, pass string) bool {
	f, err := lower.Lower(st)
	if err != nil {
		t.Fatal(err)
	}
	changed := false
	if _, err := Prepare(f, Options{}, func(p string, _ *ir.Func) { changed = changed || p == pass }); err != nil {
		t.Fatal(err)
	}
	return changed
}

// TestConstantGuards: the branch of a guard that compares constants (what
// a substituted lane or unrolled iteration leaves) and never runs may
// access a register buffer outside its elements; that once made the
// generator panic (found by random schedules of dep). It compiles, and the
// kernel is right; such an access anywhere else is an error.
func TestConstantGuards(t *testing.T) {
	a := &ir.Buffer{Name: "A", Shape: []int64{4}, DType: expr.Float}
	b := &ir.Buffer{Name: "B", Shape: []int64{1}, DType: expr.Float}
	tmp := &ir.Buffer{Name: "T", Shape: []int64{1}, DType: expr.Float, Scope: ir.Local}
	zero := expr.Const(0)
	at := func(i int64) []expr.Expr { return []expr.Expr{expr.Const(i)} }
	body := func(dead ir.Stmt) *ir.Func {
		return &ir.Func{Name: "kernel", Params: []*ir.Buffer{a, b}, Outputs: 1, Body: &ir.Alloc{Buf: tmp, Body: ir.MakeSeq(
			&ir.If{Cond: expr.Bin(expr.EQ, zero, zero), Then: &ir.Store{Buf: tmp, Index: at(0), Value: &expr.Load{Src: a, Index: at(2)}}},
			dead,
			&ir.Store{Buf: b, Index: at(0), Value: &expr.Load{Src: tmp, Index: at(0)}},
		)}}
	}
	outside := &ir.Store{Buf: tmp, Index: at(8), Value: expr.F32(1)}
	k, err := Compile(body(&ir.If{Cond: expr.Bin(expr.NE, zero, zero), Then: outside}), Options{})
	if err != nil {
		t.Fatal(err)
	}
	if k.RegisterBuffers != 1 {
		t.Errorf("%d register buffers, want 1", k.RegisterBuffers)
	}
	in := interp.NewData(expr.Float, 4)
	copy(in.F32, []float32{1, 2, 3, 4})
	got, err := runKernel(k, []interp.Data{in})
	if err != nil {
		t.Fatal(err)
	}
	if got[0].F32[0] != 3 {
		t.Errorf("B[0] = %g, want 3", got[0].F32[0])
	}
	if _, err := Compile(body(outside), Options{}); err == nil || !strings.Contains(err.Error(), "register buffer T of 1 elements accessed at 8") {
		t.Errorf("an emitted access outside a register buffer: error %v", err)
	}
}
