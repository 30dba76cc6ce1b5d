package main

import (
	"bytes"
	"reflect"
	"strings"
	"testing"

	"github.com/tabtune/tabtune/compiler/ir"
	"github.com/tabtune/tabtune/compiler/schedule"
	"github.com/tabtune/tabtune/internal/golden"
)

// tabtune runs the command line and returns its exit status and output.
func tabtune(t *testing.T, args ...string) (status int, stdout, stderr string) {
	t.Helper()
	var out, errOut bytes.Buffer
	status = run(args, &out, &errOut)
	return status, out.String(), errOut.String()
}

// gmmTiledSpec and gmmTiledSteps are the workload and schedule of
// testdata/gmm_tiled.json: a tiled matmul whose tiles do not divide the
// matrix (20 = 3 tiles of 8, the last one guarded), with a local
// accumulator computed per tile, a split reduction, a vectorized inner loop
// and the outer tile loops fused and parallel. Stages: A=0, B=1, C=2;
// after cache_write: A=0, B=1, C.local=2, C=3.
const gmmTiledSpec = "gmm:M=20,N=24,K=12"

var gmmTiledSteps = []schedule.Step{
	schedule.CacheWrite{Stage: 2, Scope: ir.Local},
	schedule.Split{Stage: 3, Iter: 0, Lengths: []int64{8}, InnerToOuter: true}, // i.0 i.1 j
	schedule.Split{Stage: 3, Iter: 2, Lengths: []int64{8}, InnerToOuter: true}, // i.0 i.1 j.0 j.1
	schedule.Reorder{Stage: 3, Order: []int{0, 2, 1, 3}},                       // i.0 j.0 i.1 j.1
	schedule.ComputeAt{Stage: 2, Target: 3, TargetIter: 1},                     // C.local per tile
	schedule.Split{Stage: 2, Iter: 2, Lengths: []int64{4}, InnerToOuter: true}, // i j k.0 k.1
	schedule.Reorder{Stage: 2, Order: []int{2, 3, 0, 1}},                       // k.0 k.1 i j
	schedule.Annotate{Stage: 2, Iter: 3, Ann: schedule.AnnVectorize},           // j
	schedule.Fuse{Stage: 3, Iters: []int{0, 1}},                                // i.0@j.0 i.1 j.1
	schedule.Annotate{Stage: 3, Iter: 0, Ann: schedule.AnnParallel},            // i.0@j.0
	schedule.Annotate{Stage: 3, Iter: 2, Ann: schedule.AnnVectorize},           // j.1
}

func TestGmmTiledFile(t *testing.T) {
	data, err := schedule.MarshalSteps(gmmTiledSteps)
	if err != nil {
		t.Fatal(err)
	}
	golden.Check(t, "testdata/gmm_tiled.json", append(data, '\n'))
	steps, err := schedule.UnmarshalSteps(data)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(steps, gmmTiledSteps) {
		t.Fatalf("gmmTiledSteps read back from JSON as %v", steps)
	}
}

func TestUsage(t *testing.T) {
	status, out, _ := tabtune(t, "help")
	if status != 0 {
		t.Fatalf("help: status %d", status)
	}
	for _, c := range commands {
		if !strings.Contains(out, "\t"+c.name+" ") {
			t.Errorf("help does not list %s:\n%s", c.name, out)
		}
	}
	status, _, errOut := tabtune(t)
	if status != exitBadInput || !strings.Contains(errOut, "Usage:") {
		t.Errorf("no command: status %d, stderr %q", status, errOut)
	}
	status, _, errOut = tabtune(t, "frobnicate")
	if status != exitBadInput || !strings.Contains(errOut, `unknown command "frobnicate"`) || !strings.Contains(errOut, "Commands:") {
		t.Errorf("unknown command: status %d, stderr %q", status, errOut)
	}
	status, out, _ = tabtune(t, "help", "check")
	if status != 0 || !strings.Contains(out, "-seed") || !strings.Contains(out, "-workload SPEC") {
		t.Errorf("help check: status %d, output %q", status, out)
	}
	status, _, _ = tabtune(t, "check", "-h")
	if status != 0 {
		t.Errorf("check -h: status %d", status)
	}
	status, out, _ = tabtune(t, "version")
	if status != 0 || !strings.HasPrefix(out, "tabtune ") {
		t.Errorf("version: status %d, output %q", status, out)
	}
}

func TestOps(t *testing.T) {
	status, out, _ := tabtune(t, "ops")
	if status != 0 {
		t.Fatalf("status %d", status)
	}
	for _, name := range []string{"gmm", "c2d", "softmax"} {
		if !strings.Contains(out, name) {
			t.Errorf("ops does not list %s:\n%s", name, out)
		}
	}
}

func TestLower(t *testing.T) {
	status, out, errOut := tabtune(t, "lower", "-workload", "gmm:M=8,N=8,K=8")
	if status != 0 {
		t.Fatalf("status %d: %s", status, errOut)
	}
	for _, want := range []string{"kernel(A: f32[8, 8], B: f32[8, 8], out C: f32[8, 8])", "for (", "C[i, j] = C[i, j] + A[i, k] * B[k, j];"} {
		if !strings.Contains(out, want) {
			t.Errorf("lower output lacks %q:\n%s", want, out)
		}
	}
}

func TestLowerTrace(t *testing.T) {
	status, out, errOut := tabtune(t, "lower", "-workload", gmmTiledSpec, "-steps", "testdata/gmm_tiled.json", "-trace")
	if status != 0 {
		t.Fatalf("status %d: %s", status, errOut)
	}
	for _, want := range []string{"// after pass build\n", "// after pass simplify\n", "parallel for (", "vectorized for ("} {
		if !strings.Contains(out, want) {
			t.Errorf("lower -trace output lacks %q:\n%s", want, out)
		}
	}
}

func TestShow(t *testing.T) {
	status, out, errOut := tabtune(t, "show", "-workload", gmmTiledSpec, "-steps", "testdata/gmm_tiled.json")
	if status != 0 {
		t.Fatalf("status %d: %s", status, errOut)
	}
	for _, want := range []string{"C[i, j] = sum(A[i, k] * B[k, j], k)", "key ", "11520 FLOPs", "steps (11):", "0: cache_write", "loops:", "parallel"} {
		if !strings.Contains(out, want) {
			t.Errorf("show output lacks %q:\n%s", want, out)
		}
	}
}

func TestCheck(t *testing.T) {
	for _, tc := range []struct{ name, workload, steps string }{
		{"gmm naive", "gmm:M=8,N=9,K=5", ""},
		{"c2d naive", "c2d:N=1,CI=3,H=7,W=6,CO=4,KH=3,KW=3,stride=1,pad=1", ""},
		{"softmax naive", "softmax:M=3,N=7", ""},
		{"gmm tiled", gmmTiledSpec, "testdata/gmm_tiled.json"},
		{"text format", "testdata/matmul_relu.te", ""},
		{"example matmul", "../../examples/matmul_relu.te", "../../examples/matmul_tiled.json"},
		{"example conv2d", "../../examples/conv2d_pad.te", "../../examples/conv2d_tiled.json"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			args := []string{"check", "-workload", tc.workload}
			if tc.steps != "" {
				args = append(args, "-steps", tc.steps)
			}
			status, out, errOut := tabtune(t, args...)
			if status != 0 {
				t.Fatalf("status %d\nstdout:\n%s\nstderr:\n%s", status, out, errOut)
			}
			if !strings.Contains(out, "max abs error ") || !strings.HasSuffix(out, ": OK\n") {
				t.Errorf("output does not end in OK:\n%s", out)
			}
			if tc.steps == "" && !strings.Contains(out, "steps: none") {
				t.Errorf("output does not say the schedule is naive:\n%s", out)
			}
		})
	}
}

// TestErrors checks the messages and exit statuses of bad input.
func TestErrors(t *testing.T) {
	for _, tc := range []struct {
		name string
		args []string
		want string // in stderr
	}{
		{"no workload", []string{"lower"}, "no workload"},
		{"unknown op", []string{"check", "-workload", "nosuch:M=3"}, `unknown operator "nosuch"`},
		{"bad parameter", []string{"show", "-workload", "gmm:M=x"}, `workload "gmm:M=x": gmm: M=x`},
		{"missing file", []string{"show", "-workload", "testdata/missing.te"}, "testdata/missing.te"},
		{"parse error", []string{"check", "-workload", "testdata/bad_syntax.te"}, "testdata/bad_syntax.te:3:"},
		{"bad step", []string{"lower", "-workload", "gmm:M=8,N=8,K=8", "-steps", "testdata/bad_step.json"}, "testdata/bad_step.json: step 0 (split) on stage C: no iterator 5"},
		{"steps for another workload", []string{"check", "-workload", "gmm:M=8,N=8,K=8", "-steps", "../../examples/matmul_tiled.json"}, "step 1 (compute_inline) on stage C"},
		{"missing steps", []string{"show", "-workload", "gmm:M=8,N=8,K=8", "-steps", "testdata/missing.json"}, "testdata/missing.json"},
		{"bad flag", []string{"check", "-workload", "gmm:M=8,N=8,K=8", "-sead", "3"}, "-sead"},
		{"stray argument", []string{"lower", "-workload", "gmm:M=8,N=8,K=8", "extra"}, `unexpected argument "extra"`},
		{"step budget", []string{"check", "-workload", "gmm:M=8,N=8,K=8", "-max-steps", "10"}, "step budget"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			status, _, errOut := tabtune(t, tc.args...)
			if status != exitBadInput {
				t.Errorf("status %d, want %d", status, exitBadInput)
			}
			if !strings.Contains(errOut, tc.want) {
				t.Errorf("stderr %q lacks %q", errOut, tc.want)
			}
			if strings.Contains(errOut, "panic") {
				t.Errorf("stderr shows a panic: %s", errOut)
			}
		})
	}
}

func TestIndent(t *testing.T) {
	if got, want := indent("a\n\nb\n"), "  a\n\n  b\n"; got != want {
		t.Errorf("indent: got %q, want %q", got, want)
	}
}
