//go:build !js

package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tabtune/tabtune/internal/golden"
)

// gmmMain calls an exported GMM kernel through the calling convention
// alone and checks C = A·B against a plain loop: exit 0 when they agree.
const gmmMain = `#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#define M 256
#define N 256
#define K 256
#ifdef SCRATCH
extern const long kernel_scratch_bytes;
void kernel(float *restrict A, float *restrict B, float *restrict C, char *restrict scratch);
#else
void kernel(float *restrict A, float *restrict B, float *restrict C);
#endif
int main(void) {
  float *A = malloc(4 * M * K), *B = malloc(4 * K * N), *C = malloc(4 * M * N);
  for (int i = 0; i < M * K; i++) A[i] = (float)(i % 7) - 3;
  for (int i = 0; i < K * N; i++) B[i] = (float)(i % 5) * 0.5f;
#ifdef SCRATCH
  kernel(A, B, C, malloc(kernel_scratch_bytes));
#else
  kernel(A, B, C);
#endif
  for (int i = 0; i < M; i++)
    for (int j = 0; j < N; j++) {
      float s = 0;
      for (int k = 0; k < K; k++) s += A[i * K + k] * B[k * N + j];
      if (fabsf(C[i * N + j] - s) > 1e-3f * (1 + fabsf(s))) {
        printf("C[%d, %d] = %g, want %g\n", i, j, C[i * N + j], s);
        return 1;
      }
    }
  return 0;
}
`

// TestTuneCPU tunes GMM 256 on the cpu target with the cpu measurer
// (found by -measurer auto), exports the best kernel, compiles the C file
// alone as a shared object, and runs it from a C program that follows
// the calling convention.
func TestTuneCPU(t *testing.T) {
	cc, err := exec.LookPath("gcc")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("gcc is not installed (apt-get install gcc) and CI=true")
		}
		t.Skip("gcc is not installed (apt-get install gcc)")
	}
	t.Setenv("CC", "")
	dir := t.TempDir()
	log := filepath.Join(dir, "log.jsonl")
	status, out, errOut := tabtune(t, "tune", "-target", "cpu", "-workload", "gmm:M=256,N=256,K=256", "-trials", "8", "-batch", "8",
		"-min-time", "1ms", "-confirm", "2", "-log", log)
	if status != 0 || !strings.Contains(out, "with the cpu measurer") || !strings.Contains(out, "best: ") || !strings.Contains(out, "on cpu") {
		t.Fatalf("tune: status %d\n%s\n%s", status, out, errOut)
	}
	exp := filepath.Join(dir, "out")
	status, out, errOut = tabtune(t, "export", "-log", log, "-workload", "gmm:M=256,N=256,K=256", "-target", "cpu", "-o", exp)
	if status != 0 {
		t.Fatalf("export: status %d\n%s\n%s", status, out, errOut)
	}
	for _, f := range []string{"kernel.c", "steps.json"} {
		if st, err := os.Stat(filepath.Join(exp, f)); err != nil || st.Size() == 0 {
			t.Fatalf("export did not write %s: %v", f, err)
		}
	}
	kernel := filepath.Join(exp, "kernel.c")
	if out, err := exec.Command(cc, "-O3", "-march=native", "-fopenmp", "-shared", "-fPIC", "-o", filepath.Join(dir, "kernel.so"), kernel).CombinedOutput(); err != nil {
		t.Fatalf("the exported kernel does not compile alone: %v\n%s", err, out)
	}
	src, _ := os.ReadFile(kernel)
	mainC, bin := filepath.Join(dir, "main.c"), filepath.Join(dir, "gmm")
	if err := os.WriteFile(mainC, []byte(gmmMain), 0o600); err != nil {
		t.Fatal(err)
	}
	args := []string{"-O2", "-march=native", "-fopenmp", "-o", bin, mainC, kernel, "-lm"}
	if strings.Contains(string(src), "char *restrict scratch") {
		args = append([]string{"-DSCRATCH"}, args...)
	}
	if out, err := exec.Command(cc, args...).CombinedOutput(); err != nil {
		t.Fatalf("linking a program with the kernel: %v\n%s", err, out)
	}
	if out, err := exec.Command(bin).CombinedOutput(); err != nil {
		t.Fatalf("the exported kernel computes a wrong GMM: %v\n%s", err, out)
	}
}

// TestLowerTraceCPU: lower -trace -target cpu shows the shared codegen
// passes as the C generator runs them (4 lanes here, so that GMM's
// 8-wide tile splits into two vectors).
func TestLowerTraceCPU(t *testing.T) {
	status, out, errOut := tabtune(t, "lower", "-workload", "gmm:M=2,N=8,K=4", "-steps", "testdata/gmm_unroll.json", "-trace", "-target", "cpu -lanes=4")
	if status != exitOK {
		t.Fatalf("status %d: %s", status, errOut)
	}
	for _, pass := range []string{"auto-unroll", "vectorize", "unroll"} {
		if !strings.Contains(out, "// after codegen pass "+pass+"\n") {
			t.Errorf("no %s pass in the trace", pass)
		}
	}
	golden.CheckString(t, filepath.Join("testdata", "lower_trace_gmm_unroll_cpu.golden"), out)
}
