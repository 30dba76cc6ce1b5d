//go:build !js

package main

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// peakC measures the machine's f32 FMA peak: each thread runs chains
// independent chains of 16-lane fused multiply-adds (enough of them to
// cover the FMA units' latency), and the best of five runs is printed in
// GFLOP/s. Arguments: threads, iterations per thread.
const peakC = `#include <stdio.h>
#include <stdlib.h>
#include <time.h>
typedef float v16 __attribute__((vector_size(64)));
#define CHAINS 16
static double now(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}
int main(int argc, char **argv) {
  int threads = atoi(argv[1]);
  long iters = atol(argv[2]);
  volatile float mul = 0.999f, add = 0.001f;
  double best = 0;
  float sink = 0;
  for (int rep = 0; rep < 5; rep++) {
    double t0 = now();
#pragma omp parallel num_threads(threads) reduction(+ : sink)
    {
      v16 m = (v16){0} + mul, a = (v16){0} + add, acc[CHAINS];
#pragma GCC unroll 16
      for (int j = 0; j < CHAINS; j++) acc[j] = (v16){0} + (float)j;
      for (long i = 0; i < iters; i++) {
#pragma GCC unroll 16
        for (int j = 0; j < CHAINS; j++) acc[j] = acc[j] * m + a;
      }
      for (int j = 0; j < CHAINS; j++)
        for (int l = 0; l < 16; l++) sink += acc[j][l];
    }
    double gflops = 2.0 * 16 * CHAINS * (double)iters * threads / (now() - t0) / 1e9;
    if (gflops > best) best = gflops;
  }
  printf("%.3f %g\n", best, (double)sink);
  return 0;
}
`

// fmaPeak compiles peakC with cc at -march=mcpu and returns the FMA peak
// in GFLOP/s on the given threads.
func fmaPeak(ctx context.Context, cc, mcpu string, threads int) (float64, error) {
	dir, err := os.MkdirTemp("", "tabtune-peak-")
	if err != nil {
		return 0, err
	}
	defer os.RemoveAll(dir)
	src, bin := filepath.Join(dir, "peak.c"), filepath.Join(dir, "peak")
	if err := os.WriteFile(src, []byte(peakC), 0o600); err != nil {
		return 0, err
	}
	if out, err := exec.CommandContext(ctx, cc, "-O2", "-march="+mcpu, "-fopenmp", "-o", bin, src).CombinedOutput(); err != nil {
		return 0, fmt.Errorf("compiling the FMA peak loop: %v: %s", err, out)
	}
	ctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	// 2e7 iterations of 16 chains: about 0.3 s a run at 300 GFLOP/s.
	out, err := exec.CommandContext(ctx, bin, strconv.Itoa(threads), "20000000").Output()
	if err != nil {
		return 0, fmt.Errorf("running the FMA peak loop: %w", err)
	}
	f := strings.Fields(string(out))
	if len(f) == 0 {
		return 0, fmt.Errorf("the FMA peak loop printed nothing")
	}
	return strconv.ParseFloat(f[0], 64)
}
