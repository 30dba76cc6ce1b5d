// Command rankcorr measures how well wazero's ranking of candidate kernels
// predicts V8's: the question behind the choice of tabtune's default
// measurer, since wazero ("wasm") measures in-process while V8 ("node") is
// the engine a browser user runs.
//
// Usage:
//
//	go run ./bench/rankcorr [-n 300] [-seed 1] [-min-time 10ms] [-out FILE.jsonl]
//
// For each of two workloads, a 256³ matrix multiply (GMM) and a 3×3
// convolution of 32 channels on 28×28 (C2D), it generates n/2 distinct
// kernels deterministically from the seed: the hand schedule of
// compiler/codegen/wasm/testdata (an anchor at the fast end), then most
// schedules like it with random parameters (cache_write local,
// multi-level tiles of random lengths, reductions placed at random,
// random compute_at levels for the local stage, the padding and a packed
// input, random unroll and vectorize choices; see tiled), and a share
// (-random, 25%) of fully random ones (schedtest.RandomStep, then
// vectorizeInner). Schedules that do not apply, lower or compile are
// skipped and counted, so are kernels that execute more than -max-work
// times the naive kernel's stores (they recompute their producers and
// take seconds per call), and kernels with the same wasm bytes or the
// same prepared IR are kept once.
//
// Every kernel is measured by both measurers, in batches (-batch), on the
// same workload (inputs from the seed, reference outputs from the
// interpreter or, above build.InterpLimit FLOPs, as for GMM, from the
// naive kernel in wazero). The measurers take turns going first from
// batch to batch, so that a slow drift of the machine affects both alike.
// Kernels that fail in either are reported and left out. Progress goes
// to stderr.
//
// It prints, per workload (all kernels, each family, and the fast half)
// and overall: the Spearman rank correlation and Kendall's tau-b of the
// median times, the median and range of the speed ratio (wazero time /
// V8 time: above 1, V8 is faster), the top-10% agreement (how many of
// wazero's fastest 10% are among V8's fastest 10%) and the regret (V8's
// time of wazero's fastest kernel over V8's fastest time); also the
// correlation of the fastest samples, which load from other processes
// disturbs less, and the load average. With -retest every kernel is
// measured a second time by both, which gives each measurer's agreement
// with itself: the ceiling that noise puts on the correlation. With -out
// each kernel's measurements are also written as a JSON line (workload,
// index, family, steps, wazero_s, v8_s, errors, kernel_bytes).
package main

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"flag"
	"fmt"
	"hash/fnv"
	"io"
	"math"
	"math/rand/v2"
	"os"
	"os/signal"
	"runtime"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/tabtune/tabtune/compiler/codegen/wasm"
	"github.com/tabtune/tabtune/compiler/lower"
	"github.com/tabtune/tabtune/compiler/ops"
	"github.com/tabtune/tabtune/compiler/schedule"
	"github.com/tabtune/tabtune/compiler/te"
	"github.com/tabtune/tabtune/targets"
	"github.com/tabtune/tabtune/targets/node"
	"github.com/tabtune/tabtune/targets/wazero"
)

// workload is one program of the benchmark.
type workload struct {
	name, spec string
}

var workloads = []workload{
	{"gmm", "gmm:M=256,N=256,K=256"},
	{"c2d", "c2d:N=1,CI=32,H=28,W=28,CO=32,KH=3,KW=3,stride=1,pad=1"},
}

// cand is one generated kernel and its measurements.
type cand struct {
	index       int
	family      string
	steps       json.RawMessage
	wasm        []byte
	vectorLoops int
	regBuffers  int // local buffers held in v128 locals (register tiles)
	wz, v8      targets.Result
	wz2, v82    targets.Result // the second measurements of -retest
}

// genCounts counts what generation tried and dropped.
type genCounts struct {
	tried, notApplied, notLowered, notCompiled, tooMuchWork, duplicates map[string]int
}

func newGenCounts() genCounts {
	return genCounts{map[string]int{}, map[string]int{}, map[string]int{}, map[string]int{}, map[string]int{}, map[string]int{}}
}

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

func run(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("rankcorr", flag.ContinueOnError)
	fs.SetOutput(stderr)
	n := fs.Int("n", 300, "number of schedules, split evenly between the two workloads")
	seed := fs.Uint64("seed", 1, "seed of the schedules and of the inputs")
	minTime := fs.Duration("min-time", 10*time.Millisecond, "least total time of the timed samples of each kernel, in each measurer")
	out := fs.String("out", "", "write each measurement to this `file` as a JSON line")
	batch := fs.Int("batch", 16, "kernels per Measure call")
	randomShare := fs.Float64("random", 0.25, "share of fully random schedules (the rest are tiled like the hand schedules)")
	retest := fs.Bool("retest", false, "measure every kernel a second time with both measurers, for their agreement with themselves")
	maxWork := fs.Float64("max-work", 8, "leave out kernels that execute more than this many times the naive kernel's stores (redundant recomputation; they take seconds per call)")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if *n < 2 || *batch < 1 || *randomShare < 0 || *randomShare > 1 {
		fmt.Fprintln(stderr, "rankcorr: need -n >= 2, -batch >= 1, 0 <= -random <= 1")
		return 2
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	start := time.Now()
	loadStart := loadAverage()

	var jsonl *json.Encoder
	if *out != "" {
		f, err := os.Create(*out)
		if err != nil {
			fmt.Fprintf(stderr, "rankcorr: %v\n", err)
			return 1
		}
		defer f.Close()
		jsonl = json.NewEncoder(f)
	}

	// Generate and compile every candidate first, so that progress knows
	// the total.
	target := targets.Target{Kind: targets.WasmSIMD}
	dags := make([]*te.DAG, len(workloads))
	cands := make([][]*cand, len(workloads))
	counts := newGenCounts()
	total := 0
	for wi, wl := range workloads {
		d, err := ops.BuildSpec(wl.spec)
		if err != nil {
			fmt.Fprintf(stderr, "rankcorr: %v\n", err)
			return 1
		}
		dags[wi] = d
		per := *n / 2
		if wi == 0 {
			per = *n - *n/2
		}
		cands[wi] = generate(wl.name, d, per, *seed, *randomShare, *maxWork, target, &counts)
		total += len(cands[wi])
		fmt.Fprintf(stderr, "%s: %d distinct kernels (%s)\n", wl.name, len(cands[wi]), familyCounts(cands[wi]))
	}
	fmt.Fprintf(stderr, "generated in %.1fs\n", time.Since(start).Seconds())

	opts := targets.Options{MinTime: *minTime, Timeout: 30 * time.Second}
	wz := wazero.New(wazero.Config{Options: opts})
	defer wz.Close()
	v8 := node.New(node.Config{Options: opts})
	defer v8.Close()
	if err := v8.Available(); err != nil {
		fmt.Fprintf(stderr, "rankcorr: node: %v\n", err)
		return 1
	}
	version, _ := v8.Version()
	fmt.Fprintf(stderr, "measurers: %s, %s; min-time %v, batches of %d\n", wz.Engine(), strings.TrimSpace(version), *minTime, *batch)

	passes := 1
	if *retest {
		passes = 2
	}
	done := 0
	for wi, wl := range workloads {
		w, err := buildWorkload(ctx, dags[wi], int64(*seed), stderr)
		if err != nil {
			fmt.Fprintf(stderr, "rankcorr: %s: %v\n", wl.name, err)
			return 1
		}
		cs := cands[wi]
		for pass := 0; pass < passes; pass++ {
			for b := 0; b*(*batch) < len(cs); b++ {
				if ctx.Err() != nil {
					fmt.Fprintln(stderr, "rankcorr: interrupted")
					return 1
				}
				part := cs[b*(*batch) : min(len(cs), (b+1)*(*batch))]
				kernels := make([]targets.Candidate, len(part))
				for i, c := range part {
					kernels[i] = targets.Candidate{Kind: targets.WasmSIMD, Wasm: c.wasm}
				}
				// Take turns going first; the second pass in the other
				// order.
				var rw, rv []targets.Result
				if (b+pass)%2 == 0 {
					rw = wz.Measure(ctx, w, kernels)
					rv = v8.Measure(ctx, w, kernels)
				} else {
					rv = v8.Measure(ctx, w, kernels)
					rw = wz.Measure(ctx, w, kernels)
				}
				for i, c := range part {
					if pass == 0 {
						c.wz, c.v8 = rw[i], rv[i]
					} else {
						c.wz2, c.v82 = rw[i], rv[i]
					}
				}
				if bad := measureErrors(rv); bad == len(part) && b == 0 && pass == 0 {
					fmt.Fprintf(stderr, "rankcorr: node cannot measure: %s\n", rv[0].Msg)
					return 1
				}
				done += len(part)
				fmt.Fprintf(stderr, "%s: %d/%d kernels measured by both, %s elapsed\n", wl.name, done, total*passes, time.Since(start).Round(time.Second))
			}
		}
		for _, c := range cs {
			if usable(c, *retest) {
				continue
			}
			fmt.Fprintf(stderr, "%s #%d (%s) excluded: wazero: %s; V8: %s", wl.name, c.index, c.family, describe(c.wz), describe(c.v8))
			if *retest {
				fmt.Fprintf(stderr, "; again: wazero: %s; V8: %s", describe(c.wz2), describe(c.v82))
			}
			fmt.Fprintln(stderr)
		}
		if jsonl != nil {
			for _, c := range cs {
				if err := jsonl.Encode(record(wl, c, *retest)); err != nil {
					fmt.Fprintf(stderr, "rankcorr: %v\n", err)
					return 1
				}
			}
		}
	}
	elapsed := time.Since(start)
	loadEnd := loadAverage()

	fmt.Fprintf(stdout, "rankcorr: n=%d seed=%d min-time=%v, %s vs %s; %s; %d CPUs, load average %s at the start, %s at the end\n",
		*n, *seed, *minTime, wz.Engine(), strings.TrimSpace(version), elapsed.Round(time.Second), runtime.NumCPU(), loadStart, loadEnd)
	printCounts(stdout, counts)
	report(stdout, cands, *retest)
	return 0
}

// generate makes up to n distinct kernels of d: a share randomShare of
// fully random schedules, the rest tiled, each family from its own
// random stream of seed and the workload's name.
func generate(name string, d *te.DAG, n int, seed uint64, randomShare, maxWork float64, t targets.Target, counts *genCounts) []*cand {
	naive, err := lower.Lower(schedule.New(d))
	if err != nil {
		panic(err) // the naive schedule always lowers
	}
	workLimit := maxWork * stores(naive.Body)
	nRandom := int(math.Round(randomShare * float64(n)))
	nHand := 0
	if _, ok := handFiles[name]; ok && n-nRandom > 1 {
		nHand = 1
	}
	seen := map[[32]byte]bool{}
	var out []*cand
	handGen := func(*rand.Rand, *te.DAG) (*schedule.State, error) {
		st, _, err := hand(name, d)
		return st, err
	}
	for _, fam := range []struct {
		name string
		n    int
		gen  func(*rand.Rand, *te.DAG) (*schedule.State, error)
	}{
		{famHand, nHand, handGen},
		{famTiled, n - nRandom - nHand, tiled},
		{famRandom, nRandom, random},
	} {
		h := fnv.New64a()
		h.Write([]byte(name + "/" + fam.name))
		rng := rand.New(rand.NewPCG(seed, h.Sum64()))
		got := 0
		for try := 0; got < fam.n && try < 50*fam.n+1; try++ {
			counts.tried[fam.name]++
			st, err := fam.gen(rng, d)
			if err != nil {
				counts.notApplied[fam.name]++
				continue
			}
			f, err := lower.Lower(st)
			if err != nil {
				counts.notLowered[fam.name]++
				continue
			}
			if maxWork > 0 && stores(f.Body) > workLimit {
				counts.tooMuchWork[fam.name]++
				continue
			}
			k, err := wasm.Compile(f, wasm.Options{Relaxed: t.Relaxed})
			if err != nil {
				counts.notCompiled[fam.name]++
				continue
			}
			// The same wasm bytes, or the same prepared IR: the code
			// generator numbers its temporary locals in map order, so
			// one program may compile to bytes that differ only there.
			sum, ir := sha256.Sum256(k.Wasm), sha256.Sum256([]byte(k.Prepared.String()))
			if seen[sum] || seen[ir] {
				counts.duplicates[fam.name]++
				continue
			}
			seen[sum], seen[ir] = true, true
			steps, err := schedule.MarshalSteps(st.Steps)
			if err != nil {
				counts.notApplied[fam.name]++
				continue
			}
			out = append(out, &cand{index: len(out), family: fam.name, steps: steps, wasm: k.Wasm, vectorLoops: k.VectorLoops, regBuffers: k.RegisterBuffers})
			got++
		}
	}
	return out
}

func familyCounts(cs []*cand) string {
	m := map[string]int{}
	for _, c := range cs {
		m[c.family]++
	}
	return fmt.Sprintf("%d %s, %d %s, %d %s", m[famHand], famHand, m[famTiled], famTiled, m[famRandom], famRandom)
}

func printCounts(w io.Writer, c genCounts) {
	for _, fam := range []string{famHand, famTiled, famRandom} {
		fmt.Fprintf(w, "generation, %s: %d tried, %d did not apply, %d did not lower, %d did not compile, %d too much work, %d duplicate kernels\n",
			fam, c.tried[fam], c.notApplied[fam], c.notLowered[fam], c.notCompiled[fam], c.tooMuchWork[fam], c.duplicates[fam])
	}
}

// buildWorkload makes the measuring workload of d, as tabtune run does.
func buildWorkload(ctx context.Context, d *te.DAG, seed int64, progress io.Writer) (*targets.Workload, error) {
	m := wazero.New(wazero.Config{})
	defer m.Close()
	return m.Workload(ctx, d, seed)
}

func measureErrors(rs []targets.Result) int {
	n := 0
	for _, r := range rs {
		if r.Err == targets.MeasureError {
			n++
		}
	}
	return n
}

func describe(r targets.Result) string {
	if r.OK() {
		return fmt.Sprintf("%.3g ms", r.Median*1e3)
	}
	msg := r.Msg
	if i := strings.IndexByte(msg, '\n'); i >= 0 {
		msg = msg[:i]
	}
	if len(msg) > 120 {
		msg = msg[:120] + "..."
	}
	return r.Err.String() + ": " + msg
}

// line is one JSON line of -out.
type line struct {
	Workload    string          `json:"workload"`
	Index       int             `json:"index"`
	Family      string          `json:"family"`
	Steps       json.RawMessage `json:"steps"`
	WazeroS     *float64        `json:"wazero_s"`
	V8S         *float64        `json:"v8_s"`
	WazeroErr   string          `json:"wazero_err,omitempty"`
	V8Err       string          `json:"v8_err,omitempty"`
	Wazero2S    *float64        `json:"wazero2_s,omitempty"`
	V82S        *float64        `json:"v8_2_s,omitempty"`
	KernelBytes int             `json:"kernel_bytes"`
	VectorLoops int             `json:"vector_loops"`
	RegBuffers  int             `json:"register_buffers"`
}

func record(wl workload, c *cand, retest bool) line {
	l := line{Workload: wl.spec, Index: c.index, Family: c.family, Steps: c.steps, KernelBytes: len(c.wasm), VectorLoops: c.vectorLoops, RegBuffers: c.regBuffers}
	secs := func(r targets.Result) (*float64, string) {
		if !r.OK() {
			return nil, describe(r)
		}
		v := r.Median
		return &v, ""
	}
	l.WazeroS, l.WazeroErr = secs(c.wz)
	l.V8S, l.V8Err = secs(c.v8)
	if retest {
		l.Wazero2S, _ = secs(c.wz2)
		l.V82S, _ = secs(c.v82)
	}
	return l
}

// set is a set of kernels measured by both: wazero times a, V8 times b,
// and with -retest their second times a2, b2.
type set struct {
	a, b, a2, b2 []float64
}

func (s *set) add(c *cand, retest bool) {
	s.a = append(s.a, c.wz.Median)
	s.b = append(s.b, c.v8.Median)
	if retest {
		s.a2 = append(s.a2, c.wz2.Median)
		s.b2 = append(s.b2, c.v82.Median)
	}
}

// usable reports whether c was measured by both (with retest: twice).
func usable(c *cand, retest bool) bool {
	return c.wz.OK() && c.v8.OK() && (!retest || (c.wz2.OK() && c.v82.OK()))
}

// kernels returns the set of the usable kernels that keep says to.
func kernels(cs []*cand, retest bool, keep func(*cand) bool) set {
	var s set
	for _, c := range cs {
		if usable(c, retest) && keep(c) {
			s.add(c, retest)
		}
	}
	return s
}

// fastHalf keeps the kernels whose geometric mean of the two times is at
// most the median of those: the end of the range a tuner works in,
// chosen by both measurers alike.
func fastHalf(cs []*cand, retest bool) func(*cand) bool {
	var gm []float64
	for _, c := range cs {
		if usable(c, retest) {
			gm = append(gm, math.Sqrt(c.wz.Median*c.v8.Median))
		}
	}
	m := median(gm)
	return func(c *cand) bool { return math.Sqrt(c.wz.Median*c.v8.Median) <= m }
}

// normalized divides each time by the median of its measurer's times, so
// that workloads of different sizes can be pooled.
func (s set) normalized() set {
	norm := func(x []float64) []float64 {
		if len(x) == 0 {
			return nil
		}
		m := median(x)
		out := make([]float64, len(x))
		for i, v := range x {
			out[i] = v / m
		}
		return out
	}
	return set{norm(s.a), norm(s.b), norm(s.a2), norm(s.b2)}
}

func (s set) concat(t set) set {
	return set{append(s.a, t.a...), append(s.b, t.b...), append(s.a2, t.a2...), append(s.b2, t.b2...)}
}

func quantile(sorted []float64, q float64) float64 {
	if len(sorted) == 0 {
		return math.NaN()
	}
	pos := q * float64(len(sorted)-1)
	lo := int(math.Floor(pos))
	hi := min(lo+1, len(sorted)-1)
	return sorted[lo] + (pos-float64(lo))*(sorted[hi]-sorted[lo])
}

// row prints the comparison of a set. ratios are wazero time / V8 time
// (given apart, since the pooled row's times are normalized).
func row(w io.Writer, name string, s set, ratios []float64, retest, withRegret bool) {
	if len(s.a) < 2 {
		fmt.Fprintf(w, "%-14s %4d (too few)\n", name, len(s.a))
		return
	}
	r := append([]float64(nil), ratios...)
	sort.Float64s(r)
	k, common := topK(s.a, s.b, 0.1)
	fmt.Fprintf(w, "%-14s %4d %8.3f %8.3f %6.2f [%5.2f,%5.2f] %5.2f-%-5.2f %4d/%-3d",
		name, len(s.a), spearman(s.a, s.b), kendallTauB(s.a, s.b), median(r), r[0], r[len(r)-1],
		quantile(r, 0.1), quantile(r, 0.9), common, k)
	if withRegret {
		reg, rank := regret(s.a, s.b)
		fmt.Fprintf(w, " %6.2f (%3d)", reg, rank)
	} else {
		fmt.Fprintf(w, " %12s", "-")
	}
	if retest {
		mean := func(x, y []float64) []float64 {
			m := make([]float64, len(x))
			for i := range x {
				m[i] = (x[i] + y[i]) / 2
			}
			return m
		}
		fmt.Fprintf(w, " %8.3f %8.3f %9.3f", spearman(s.a, s.a2), spearman(s.b, s.b2), spearman(mean(s.a, s.a2), mean(s.b, s.b2)))
	}
	fmt.Fprintln(w)
}

func ratiosOf(s set) []float64 {
	r := make([]float64, len(s.a))
	for i := range s.a {
		r[i] = s.a[i] / s.b[i]
	}
	return r
}

func report(w io.Writer, cands [][]*cand, retest bool) {
	fmt.Fprintln(w, "ratio = wazero time / V8 time (above 1: V8 is faster); top10% = how many of wazero's fastest 10% are among V8's fastest 10%;")
	fmt.Fprintln(w, "regret = V8 time of wazero's fastest kernel / V8's fastest time, and V8's rank of wazero's fastest kernel;")
	fmt.Fprintln(w, "fast half = the kernels whose geometric mean of the two times is at most the median")
	fmt.Fprintf(w, "%-14s %4s %8s %8s %21s %11s %8s %12s", "set", "n", "spearman", "kendall", "ratio med [min,max]", "ratio p10-90", "top10%", "regret(rank)")
	if retest {
		fmt.Fprintf(w, " %8s %8s %9s", "wz-vs-wz", "v8-vs-v8", "mean-both")
	}
	fmt.Fprintln(w)
	var pooled set
	var ratios, regrets []float64
	for wi, wl := range workloads {
		cs := cands[wi]
		all := kernels(cs, retest, func(*cand) bool { return true })
		row(w, wl.name, all, ratiosOf(all), retest, true)
		if best := bestTimes(cs, retest); len(best.a) >= 2 {
			fmt.Fprintf(w, "  (fastest sample instead of median: spearman %.3f, kendall %.3f)\n", spearman(best.a, best.b), kendallTauB(best.a, best.b))
		}
		for _, fam := range []string{famTiled, famRandom} {
			f := kernels(cs, retest, func(c *cand) bool { return c.family == fam })
			row(w, "  "+fam, f, ratiosOf(f), retest, true)
		}
		fast := kernels(cs, retest, fastHalf(cs, retest))
		row(w, "  fast half", fast, ratiosOf(fast), retest, true)
		for _, c := range cs {
			if c.family == famHand && usable(c, retest) {
				fmt.Fprintf(w, "  hand schedule: wazero %.3f ms, V8 %.3f ms; rank %d by wazero, %d by V8 (of %d)\n",
					c.wz.Median*1e3, c.v8.Median*1e3, rankOf(all.a, c.wz.Median), rankOf(all.b, c.v8.Median), len(all.a))
			}
		}
		if len(all.a) >= 2 {
			r, _ := regret(all.a, all.b)
			regrets = append(regrets, r)
			pooled = pooled.concat(all.normalized())
			ratios = append(ratios, ratiosOf(all)...)
		}
	}
	if len(pooled.a) >= 2 {
		row(w, "overall", pooled, ratios, retest, false)
		logSum, worst := 0.0, 0.0
		for _, r := range regrets {
			logSum += math.Log(r)
			worst = math.Max(worst, r)
		}
		fmt.Fprintln(w, "overall: both workloads pooled, each time divided by its measurer's median time on that workload;")
		fmt.Fprintf(w, "overall regret: geometric mean over the workloads %.3f, worst %.3f\n", math.Exp(logSum/float64(len(regrets))), worst)
	}
}

// bestTimes is the set of usable kernels with each measurer's fastest
// sample instead of its median: load from other processes only ever adds
// time, so on a shared machine the minimum is the steadier statistic.
func bestTimes(cs []*cand, retest bool) set {
	var s set
	for _, c := range cs {
		if usable(c, retest) {
			s.a = append(s.a, slices.Min(c.wz.Times))
			s.b = append(s.b, slices.Min(c.v8.Times))
		}
	}
	return s
}

// loadAverage is the first field of /proc/loadavg, or "?".
func loadAverage() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "?"
	}
	return strings.Fields(string(b))[0]
}

// rankOf is the 1-based rank of time t among times.
func rankOf(times []float64, t float64) int {
	r := 1
	for _, x := range times {
		if x < t {
			r++
		}
	}
	return r
}
