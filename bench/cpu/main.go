//go:build !js

// Command cpu is the CPU benchmark: in one run, for GMM 1024 and the
// ResNet convolution C2D on 1 and 2 threads, it tunes each with the
// default search (search/flow, the cpu measurer, target cpu
// -mcpu=native -cores=N), then times the tuned kernel and the peers
// together, each wrapped as a shared object with the kernel calling
// convention so that the same runner verifies and times them
// (peers.go): OpenBLAS's and oneDNN's sgemm on GMM, oneDNN's convolution
// on C2D, and on both the pipelines that Halide 14's Adams2019 and
// Mullapudi2016 auto-schedulers make for the host and the thread count
// (halide.go). The machine's FMA peak is measured in the same run
// (peak.go). It prints GFLOP/s, the tuned kernel's ratio to each peer and
// the share of the FMA peak, then its ratio to the best Halide
// auto-scheduler.
//
//	go run ./bench/cpu [-trials 256] [-threads 1,2] [-workloads gmm,c2d] [-save DIR]
//
// The peers need Debian's libopenblas-dev, libdnnl-dev and
// libhalide14-0-dev (with g++, or $CXX, for Halide's generators); without
// them their rows say so and the rest runs. OPENBLAS_CORETYPE and
// OPENBLAS_L2_SIZE are unset first, so that OpenBLAS picks its kernels
// for this processor (AVX-512). -save also writes Halide's schedules.
//
// Measured (December 2026, AMD EPYC with AVX-512, 2 cores, the default
// 256 trials, one run): GMM 1024 223.5 GFLOP/s on 1 thread and 442.1 on
// 2 (1.12x and 1.02x oneDNN, 1.04x and 1.06x OpenBLAS); C2D 212.0 and
// 409.4 (1.01x oneDNN both); 5.9-8.0x Halide's best auto-scheduler, but
// 2.2x on GMM on 2 threads. GMM's best kernels pack a 32-column panel of
// B per column tile (into a buffer each thread allocates once) and run
// 8x32 register tiles (16 zmm accumulators) over it, the column tiles
// parallel. A is not packed and K not blocked: the register tile is a
// cache_write stage, which holds a finished reduction, so a K block would
// need C += partial sums, which no sketch makes yet. C2D's best kernels
// come from the packing sketches (search/sketch/pack.go): vectorized
// along output channels, the weights and the accumulator stored
// channel-innermost (storage_order), as oneDNN's blocked nChw16c layout.
package main

import (
	"context"
	"flag"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/tabtune/tabtune/compiler/ops"
	"github.com/tabtune/tabtune/compiler/te"
	"github.com/tabtune/tabtune/search/flow"
	"github.com/tabtune/tabtune/targets"
	"github.com/tabtune/tabtune/targets/build"
	"github.com/tabtune/tabtune/targets/cpu"
)

// workload is one benchmarked program, its library peers on some
// threads and its Halide pipeline.
type workload struct {
	name, spec string
	peers      func(threads int) []peer
	halide     halidePipeline
}

var resnetC2D = conv{n: 1, ci: 64, h: 56, w: 56, co: 64, kh: 3, kw: 3, stride: 1, pad: 1}

var workloads = []workload{
	{"gmm", "gmm:M=1024,N=1024,K=1024", func(t int) []peer { return gmmPeers(1024, 1024, 1024, t) }, gmmHalide(1024, 1024, 1024)},
	{"c2d", "c2d:N=1,CI=64,H=56,W=56,CO=64,KH=3,KW=3,stride=1,pad=1", func(t int) []peer { return c2dPeers(resnetC2D, t) }, c2dHalide(resnetC2D)},
}

// tunedName is the tuned kernel's name in the table.
const tunedName = "tabtune (tuned)"

// row is one line of the table.
type row struct {
	workload string
	threads  int
	kernel   string
	gflops   float64 // 0 when not measured
	note     string  // why not
}

func main() {
	trials := flag.Int("trials", 256, "trial budget of each of the four tuning runs (on 2 cores the whole bench takes about 5 minutes at 64, 12 at 128)")
	batch := flag.Int("batch", 64, "candidates per round")
	threadList := flag.String("threads", "1,2", "thread counts (the target's -cores), comma-separated")
	names := flag.String("workloads", "gmm,c2d", "workloads: gmm (GMM 1024), c2d (ResNet C2D)")
	lanes := flag.Int("lanes", 0, "f32 lanes of the tuned kernels' vectors; 0: 16 when the processor has AVX-512, else what -mcpu=native implies")
	minTime := flag.Duration("min-time", 50*time.Millisecond, "least timed total per kernel in the final timing")
	seed := flag.Uint64("seed", 1, "seed of the search")
	save := flag.String("save", "", "write each tuned kernel's C to DIR/WORKLOAD-tTHREADS.c, and Halide's schedules to DIR/halide_WORKLOAD_SCHEDULER_tTHREADS.schedule.h")
	flag.Parse()
	// OpenBLAS at its best: these force AVX2 kernels and a smaller L2 when
	// the environment sets them (only for this process and its children).
	os.Unsetenv("OPENBLAS_CORETYPE")
	os.Unsetenv("OPENBLAS_L2_SIZE")
	ctx := context.Background()
	if *lanes == 0 && hasAVX512() {
		*lanes = 16
	}
	var threads []int
	for _, f := range strings.Split(*threadList, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || n < 1 {
			fail(fmt.Errorf("-threads: %q is not a thread count", f))
		}
		threads = append(threads, n)
	}
	cc := os.Getenv("CC")
	if cc == "" {
		cc = cpu.DefaultCompiler
	}
	check(cpu.CompilerAvailable(cc))
	tuneOpts := targets.Options{Timeout: time.Minute}
	finalOpts := targets.Options{Timeout: time.Minute, MinTime: *minTime}
	m := cpu.New(cpu.Config{Options: tuneOpts, Compiler: cc})
	defer m.Close()
	final := cpu.New(cpu.Config{Options: finalOpts, Compiler: cc})
	defer final.Close()
	libs := map[string]*cpu.Measurer{}
	defer func() {
		for _, l := range libs {
			l.Close()
		}
	}()

	cxx := os.Getenv("CXX")
	if cxx == "" {
		cxx = "g++"
	}
	hal := newHalide(cxx, *save)
	defer hal.Close()

	peaks := map[int]float64{}
	for _, n := range threads {
		p, err := fmaPeak(ctx, cc, "native", n)
		check(err)
		peaks[n] = p
		fmt.Fprintf(os.Stderr, "FMA peak, %d thread(s): %.1f GFLOP/s\n", n, p)
	}
	var rows []row
	for _, name := range strings.Split(*names, ",") {
		wl, ok := lookup(name)
		if !ok {
			fail(fmt.Errorf("unknown workload %q: want gmm or c2d", name))
		}
		d, err := ops.BuildSpec(wl.spec)
		check(err)
		start := time.Now()
		w, err := m.Workload(ctx, d, flow.InputSeed)
		check(err)
		fmt.Fprintf(os.Stderr, "%s: reference from the naive kernel in %v\n", name, time.Since(start).Round(time.Millisecond))
		for _, n := range threads {
			spec := fmt.Sprintf("cpu -mcpu=native -cores=%d", n)
			if *lanes > 0 {
				spec += fmt.Sprintf(" -lanes=%d", *lanes)
			}
			t, err := targets.ParseTarget(spec)
			check(err)
			t = cpu.WithNativeCaches(t) // the features see this machine's caches
			best, err := tuneOne(ctx, m, w, d, t, *trials, *batch, *seed, name)
			check(err)
			if *save != "" {
				check(os.MkdirAll(*save, 0o755))
				check(os.WriteFile(filepath.Join(*save, fmt.Sprintf("%s-t%d.c", name, n)), []byte(best.Source), 0o644))
			}
			peers := append(wl.peers(n), hal.peers(ctx, wl.halide, n)...)
			rows = append(rows, timeTogether(ctx, final, libs, cpu.Config{Options: finalOpts, Compiler: cc}, w, d, name, n, best, peers)...)
		}
	}
	report(rows, peaks, *trials, *lanes)
}

func lookup(name string) (workload, bool) {
	for _, w := range workloads {
		if w.name == name {
			return w, true
		}
	}
	return workload{}, false
}

// tuneOne tunes d on t with the default search and returns its best
// kernel built for t.
func tuneOne(ctx context.Context, m targets.Measurer, w *targets.Workload, d *te.DAG, t targets.Target, trials, batch int, seed uint64, name string) (targets.Candidate, error) {
	env := flow.Env{Measurer: m, Reference: flow.Prepared{W: w}}
	cfg := flow.Config{Target: t, Trials: trials, Batch: min(batch, trials), Seed: seed}
	res, err := flow.Tune(ctx, env, d, cfg, func(e flow.Event) {
		if e.Phase != flow.PhaseRound {
			return
		}
		best := e.BestGFLOPS()
		fmt.Fprintf(os.Stderr, "\r%s on %s: %d/%d trials, best %.1f GFLOP/s, %s", name, t, e.Trials, trials, best, e.Elapsed.Round(time.Second))
	})
	fmt.Fprintln(os.Stderr)
	if err != nil {
		return targets.Candidate{}, fmt.Errorf("tuning %s on %s: %w", name, t, err)
	}
	if res.Best == nil {
		return targets.Candidate{}, fmt.Errorf("tuning %s on %s: no kernel verified", name, t)
	}
	st, err := res.Best.Replay(d)
	if err != nil {
		return targets.Candidate{}, fmt.Errorf("replaying the best schedule of %s: %w", name, err)
	}
	return build.Build(st, t)
}

// rounds is how many times the tuned kernel and the peers are timed, in
// turn; each keeps its best, so that a burst of load on the shared
// machine does not decide a ratio.
const rounds = 3

// timeTogether times the tuned kernel and the peers in turn, rounds
// times, with the same runner, and returns their rows. A peer is measured
// by the measurer of libs for what it is linked with (peer.link), made
// from libCfg when missing; a peer that could not be made is not.
func timeTogether(ctx context.Context, m *cpu.Measurer, libs map[string]*cpu.Measurer, libCfg cpu.Config, w *targets.Workload, d *te.DAG, name string, threads int, tuned targets.Candidate, peers []peer) []row {
	rows := []row{{workload: name, threads: threads, kernel: tunedName}}
	for _, p := range peers {
		r := row{workload: name, threads: threads, kernel: p.name}
		if p.missing != "" {
			r.note = "not measured: " + p.missing
		}
		rows = append(rows, r)
	}
	keep := func(r *row, res targets.Result, install string) {
		if res.OK() {
			r.gflops = max(r.gflops, d.FLOPs()/res.Median/1e9)
			return
		}
		if r.gflops == 0 && r.note == "" {
			r.note = fmt.Sprintf("not measured: %s: %s", res.Err, firstLine(res.Msg))
			if install != "" && res.Err == targets.CompileError {
				r.note += " (apt-get install " + install + ")"
			}
		}
	}
	for range rounds {
		keep(&rows[0], m.Measure(ctx, w, []targets.Candidate{tuned})[0], "")
		for i, p := range peers {
			if p.missing != "" {
				continue
			}
			lm := libs[p.link()]
			if lm == nil {
				cfg := libCfg
				cfg.Libraries, cfg.Objects = p.libraries, p.objects
				lm = cpu.New(cfg)
				libs[p.link()] = lm
			}
			keep(&rows[i+1], lm.Measure(ctx, w, []targets.Candidate{{Kind: targets.CPU, Source: p.source}})[0], p.install)
		}
	}
	return rows
}

func report(rows []row, peaks map[int]float64, trials, lanes int) {
	fmt.Printf("\nbench/cpu: tuned with %d trials per run (target cpu -mcpu=native -cores=N", trials)
	if lanes > 0 {
		fmt.Printf(" -lanes=%d", lanes)
	}
	fmt.Printf("); each kernel's best of %d timings, taken in turn\n", rounds)
	fmt.Printf("%-4s %7s  %-30s %9s %7s %11s\n", "", "threads", "kernel", "GFLOP/s", "% peak", "tuned/this")
	var tuned float64
	for _, r := range rows {
		if r.kernel == tunedName {
			tuned = r.gflops
		}
		if r.gflops == 0 {
			fmt.Printf("%-4s %7d  %-30s %s\n", r.workload, r.threads, r.kernel, r.note)
			continue
		}
		ratio := "-"
		if tuned > 0 {
			ratio = fmt.Sprintf("%.2fx", tuned/r.gflops)
		}
		fmt.Printf("%-4s %7d  %-30s %9.1f %6.0f%% %11s\n", r.workload, r.threads, r.kernel, r.gflops, 100*r.gflops/peaks[r.threads], ratio)
	}
	fmt.Printf("FMA peak (16 chains of 16-lane FMAs per thread):")
	for _, n := range slices.Sorted(maps.Keys(peaks)) {
		fmt.Printf(" %d thread(s) %.1f GFLOP/s;", n, peaks[n])
	}
	fmt.Println()
	for _, r := range halideRatios(rows) {
		fmt.Println(r)
	}
}

// halideRatios are the tuned kernel's ratio to the best of Halide's
// auto-schedulers, a line per workload and thread count.
func halideRatios(rows []row) []string {
	type key struct {
		workload string
		threads  int
	}
	var keys []key
	tuned, best := map[key]float64{}, map[key]row{}
	for _, r := range rows {
		k := key{r.workload, r.threads}
		switch {
		case r.kernel == tunedName:
			keys = append(keys, k)
			tuned[k] = r.gflops
		case strings.HasPrefix(r.kernel, halidePrefix) && r.gflops > best[k].gflops:
			best[k] = r
		}
	}
	var lines []string
	for _, k := range keys {
		head := fmt.Sprintf("tabtune / best Halide auto-scheduler, %s on %d thread(s): ", k.workload, k.threads)
		b := best[k]
		switch {
		case b.gflops == 0:
			lines = append(lines, head+"no Halide kernel measured")
		case tuned[k] == 0:
			lines = append(lines, head+"the tuned kernel was not measured")
		default:
			lines = append(lines, head+fmt.Sprintf("%.2fx (%s, %.1f GFLOP/s)", tuned[k]/b.gflops, strings.TrimPrefix(b.kernel, halidePrefix), b.gflops))
		}
	}
	return lines
}

// hasAVX512 reports whether this processor has AVX-512F (Linux's
// /proc/cpuinfo; false elsewhere).
func hasAVX512() bool {
	b, err := os.ReadFile("/proc/cpuinfo")
	return err == nil && strings.Contains(string(b), " avx512f")
}

func firstLine(s string) string {
	line, _, _ := strings.Cut(strings.TrimSpace(s), "\n")
	return line
}

func check(err error) {
	if err != nil {
		fail(err)
	}
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "bench/cpu:", err)
	os.Exit(1)
}
