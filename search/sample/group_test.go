//go:build !js

package sample

import (
	"context"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/tabtune/tabtune/compiler/codegen"
	"github.com/tabtune/tabtune/compiler/expr"
	"github.com/tabtune/tabtune/compiler/interp"
	"github.com/tabtune/tabtune/compiler/ir"
	"github.com/tabtune/tabtune/compiler/lower"
	"github.com/tabtune/tabtune/compiler/ops"
	"github.com/tabtune/tabtune/search/sketch"
	"github.com/tabtune/tabtune/targets"
	"github.com/tabtune/tabtune/targets/build"
	"github.com/tabtune/tabtune/targets/wazero"
)

// TestGroupConvPacked: the packed sketches of small grouped convolutions
// (output channels vectorized, the input channel co // g * k + ci read as
// a broadcast) are offered exactly when the lanes divide the channels per
// group g; random configs of each lower and match the interpreter, on
// wasm-simd also compile, run in wazero and match the reference, and most
// of them read pad with no lane-dependent index after the generator's
// passes (wasm's or C's): a splat, not a gather.
func TestGroupConvPacked(t *testing.T) {
	m := wazero.New(wazero.Config{Options: targets.Options{MinTime: time.Millisecond, Repeats: 1, Warmup: 1}})
	defer m.Close()
	for _, c := range []struct {
		spec, target string
		offered      bool
	}{
		// g = 8, k = 4, stride 2.
		{"grp:N=1,CI=16,H=6,W=6,CO=32,KH=3,KW=3,stride=2,pad=1,groups=4", "wasm-simd", true},
		// g = 4, k = 2: one vector is one group (ResNeXt's 4 channels).
		{"grp:N=1,CI=8,H=5,W=5,CO=16,KH=3,KW=3,stride=1,pad=1,groups=4", "wasm-simd", true},
		// g = 16 on 16 lanes, and g = 4 there: 4 groups per vector.
		{"grp:N=1,CI=8,H=5,W=5,CO=32,KH=3,KW=3,stride=1,pad=1,groups=2", "cpu -mcpu=skylake-avx512", true},
		{"grp:N=1,CI=16,H=5,W=5,CO=64,KH=3,KW=3,stride=1,pad=1,groups=16", "cpu -mcpu=skylake-avx512", false},
		// g = 6 and g = 2 on 4 lanes.
		{"grp:N=1,CI=4,H=5,W=5,CO=12,KH=3,KW=3,stride=2,pad=1,groups=2", "wasm-simd", false},
		{"grp:N=1,CI=8,H=5,W=5,CO=16,KH=3,KW=3,stride=2,pad=1,groups=8", "wasm-simd", false},
	} {
		d, err := ops.BuildSpec(c.spec)
		if err != nil {
			t.Fatal(err)
		}
		tg := targets.MustParseTarget(c.target)
		sks, err := sketch.NewPolicy(tg).Generate(d)
		if err != nil {
			t.Fatal(err)
		}
		var packed []*sketch.Sketch
		for _, sk := range sks {
			for _, st := range sk.State.Stages {
				if st.Order != nil {
					packed = append(packed, sk)
					break
				}
			}
		}
		if (len(packed) > 0) != c.offered {
			t.Errorf("%s on %s: %d packed sketches of %d, want some: %v", c.spec, c.target, len(packed), len(sks), c.offered)
			continue
		}
		w, err := build.Workload(d, 1)
		if err != nil {
			t.Fatal(err)
		}
		rng := rand.New(rand.NewPCG(7, 8))
		built, uniform := 0, 0
		for _, sk := range packed {
			sp := NewSpace(sk, tg)
			for range 8 {
				st, err := sp.Build(sp.Random(rng))
				if err != nil {
					continue
				}
				built++
				f, err := lower.Lower(st)
				if err != nil {
					t.Fatalf("%s: %v\n%s", c.spec, err, st.StepsString())
				}
				if diff, err := interp.Check(f, d, 1); err != nil || !diff.OK {
					t.Fatalf("%s on %s: %v %v\n%s", c.spec, c.target, err, diff, st.StepsString())
				}
				if tg.Kind != targets.WasmSIMD {
					// The C generator runs the same vectorize pass.
					b, err := build.For(tg)
					if err != nil {
						t.Fatal(err)
					}
					prep, err := b.Prepare(f, tg, nil)
					if err != nil {
						t.Fatalf("%s: %v\n%s", c.spec, err, st.StepsString())
					}
					if padSplat(prep) {
						uniform++
					}
					continue
				}
				k, err := build.Wasm(st, tg)
				if err != nil {
					t.Fatalf("%s: %v\n%s", c.spec, err, st.StepsString())
				}
				r := m.Measure(context.Background(), w, []targets.Candidate{{Wasm: k.Wasm}})[0]
				if r.Err != targets.None {
					t.Fatalf("%s: %v: %s\n%s", c.spec, r.Err, r.Msg, st.StepsString())
				}
				if padSplat(k.Prepared) {
					uniform++
				}
			}
		}
		if built == 0 && c.offered {
			t.Errorf("%s: no config built", c.spec)
		}
		if built > 0 && uniform < built/3 {
			t.Errorf("%s: %d of %d kernels read pad in vector loops lane by lane", c.spec, built-uniform, built)
		}
		t.Logf("%s on %s: %d packed sketches, %d configs verified, %d read pad as a broadcast", c.spec, c.target, len(packed), built, uniform)
	}
}

// padSplat reports whether f reads pad inside some lane loop and always at
// an index that does not depend on the lane.
func padSplat(f *ir.Func) bool {
	lanes := codegen.LaneVars(f.Body)
	inside, uniform := false, true
	ir.WalkStmt(f.Body, func(s ir.Stmt) bool {
		l, ok := s.(*ir.For)
		if !ok || !lanes[l.Var] {
			return true
		}
		ir.RewriteExprs(l.Body, func(e expr.Expr) expr.Expr {
			expr.Walk(e, func(x expr.Expr) bool {
				if ld, ok := x.(*expr.Load); ok && ld.Src.SourceName() == "pad" {
					inside = true
					for _, ix := range ld.Index {
						uniform = uniform && !codegen.Depends(ix, l.Var)
					}
				}
				return true
			})
			return e
		})
		return false
	})
	return inside && uniform
}
