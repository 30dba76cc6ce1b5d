// Command search measures the quality of the search: for each workload it
// tunes with the cost-model-guided evolutionary search and with random
// search under the same trial budget, in the same run and with the same
// measurer, and prints the best-so-far curves as a table (as measured
// during the searches) and the trials it took the model search to reach
// 90% of its final best. Then it measures the two searches' best kernels
// and the hand schedule of compiler/codegen/wasm/testdata together, and
// XNNPACK right after (bench/peer), and prints their ratios.
//
//	go run ./bench/search [-workloads gmm,c2d] [-trials 512] [-measurer node] [-seeds 1,2,3] [-logs DIR]
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/tabtune/tabtune/bench/internal/peer"
	"github.com/tabtune/tabtune/compiler/ops"
	"github.com/tabtune/tabtune/compiler/schedule"
	"github.com/tabtune/tabtune/compiler/te"
	"github.com/tabtune/tabtune/search/evolve"
	"github.com/tabtune/tabtune/search/flow"
	"github.com/tabtune/tabtune/search/records"
	"github.com/tabtune/tabtune/targets"
	"github.com/tabtune/tabtune/targets/build"
	"github.com/tabtune/tabtune/targets/node"
	"github.com/tabtune/tabtune/targets/wazero"
)

var known = map[string][2]string{
	"gmm":      {"gmm:M=1024,N=1024,K=1024", "compiler/codegen/wasm/testdata/gmm1024.json"},
	"c2d":      {"c2d:N=1,CI=64,H=56,W=56,CO=64,KH=3,KW=3,stride=1,pad=1", "compiler/codegen/wasm/testdata/c2d.json"},
	"gmm256":   {"gmm:M=256,N=256,K=256", "compiler/codegen/wasm/testdata/gmm1024.json"},
	"c2dsmall": {"c2d:N=1,CI=32,H=28,W=28,CO=32,KH=3,KW=3,stride=1,pad=1", "compiler/codegen/wasm/testdata/c2d.json"},
}

func main() {
	names := flag.String("workloads", "gmm,c2d", "workloads: gmm, c2d (the WebAssembly issue's shapes), gmm256, c2dsmall")
	trials := flag.Int("trials", 512, "trial budget of each search")
	batch := flag.Int("batch", 64, "candidates per round")
	population := flag.Int("population", 2048, "population of the evolutionary search")
	measurerName := flag.String("measurer", "node", "wasm (wazero) or node (V8)")
	minTime := flag.Duration("min-time", 20*time.Millisecond, "least timed total per candidate")
	seedList := flag.String("seeds", "1", "seeds, comma-separated: each runs both searches; with several, a summary over seeds follows")
	withPeer := flag.Bool("peer", true, "also run XNNPACK (bench/peer) in the same run, for the workloads it knows")
	modes := flag.String("modes", "model,random", "which searches to run: model (cost-model guided), random, or both")
	logDir := flag.String("logs", "", "write each search's records to DIR/WORKLOAD-MODE-sSEED.jsonl (appends; a search resumes from its file)")
	flag.Parse()
	ctx := context.Background()
	t := targets.Target{Kind: targets.WasmSIMD}
	opts := targets.Options{MinTime: *minTime, Timeout: time.Minute}
	var m targets.Measurer
	switch *measurerName {
	case "node":
		n := node.New(node.Config{Options: opts})
		defer n.Close()
		m = n
	default:
		w := wazero.New(wazero.Config{Options: opts})
		defer w.Close()
		m = w
	}
	ref := wazero.New(wazero.Config{})
	defer ref.Close()
	for _, name := range strings.Split(*names, ",") {
		k, ok := known[name]
		if !ok {
			fmt.Fprintf(os.Stderr, "unknown workload %s\n", name)
			os.Exit(2)
		}
		d, err := ops.BuildSpec(k[0])
		check(err)
		w, err := ref.Workload(ctx, d, 1)
		check(err)
		hand := handCandidate(d, k[1], t)
		params := evolve.DefaultParams()
		params.Population = *population
		var runs []run
		for _, f := range strings.Split(*seedList, ",") {
			seed, err := strconv.ParseUint(strings.TrimSpace(f), 10, 64)
			check(err)
			curves := map[string][][2]float64{}
			finalists := map[string]targets.Candidate{}
			if hand != nil {
				finalists["hand"] = *hand
			}
			for _, mode := range strings.Split(*modes, ",") {
				if mode != "model" && mode != "random" {
					check(fmt.Errorf("unknown search %q in -modes: want model or random", mode))
				}
				env := flow.Env{Measurer: m, Reference: flow.Prepared{W: w}}
				closeLog := func() {}
				if *logDir != "" {
					var writer *records.Writer
					env.Log, writer, closeLog = openLog(filepath.Join(*logDir, fmt.Sprintf("%s-%s-s%d.jsonl", name, mode, seed)))
					env.Writer = writer
				}
				cfg := flow.Config{Target: t, Trials: *trials, Batch: *batch, Seed: seed, Search: params, Random: mode == "random"}
				res, err := flow.Tune(ctx, env, d, cfg, func(e flow.Event) {
					if e.Phase != flow.PhaseRound {
						return
					}
					best := e.BestGFLOPS()
					curves[mode] = append(curves[mode], [2]float64{float64(e.Trials), best})
					fmt.Fprintf(os.Stderr, "\r%s %s seed %d: %d/%d trials, best %.2f GFLOP/s, %s", name, mode, seed, e.Trials, *trials, best, e.Elapsed.Round(time.Second))
				})
				check(err)
				fmt.Fprintln(os.Stderr)
				closeLog()
				task := res.Task
				if b := task.Best(); b != nil {
					if st, err := b.Replay(d); err == nil {
						if c, err := build.Build(st, t); err == nil {
							finalists[mode] = c
						}
					}
				}
			}
			r := run{seed: seed, curves: curves, final: remeasure(ctx, m, w, d, finalists)}
			if *withPeer {
				if res, err := peer.Run([]string{k[0]}, time.Second); err == nil && res.Seconds[k[0]] > 0 {
					r.xnnpack = d.FLOPs() / res.Seconds[k[0]] / 1e9
				}
			}
			report(name, k[0], *batch, r, m.Name())
			runs = append(runs, r)
		}
		if len(runs) > 1 {
			summary(name, *batch, runs)
		}
	}
}

// run is what one seed's searches of one workload gave.
type run struct {
	seed    uint64
	curves  map[string][][2]float64 // best GFLOP/s so far after each round, per search
	final   map[string]float64      // re-measured GFLOP/s of each finalist
	xnnpack float64                 // XNNPACK's GFLOP/s right after, 0 when not run
}

// openLog reads the records of path, if any, and opens it for appending.
func openLog(path string) (*records.Log, *records.Writer, func()) {
	check(os.MkdirAll(filepath.Dir(path), 0o755))
	log, w, f, skipped, err := records.Resume(path)
	check(errors.Join(append(skipped, err)...))
	return log, w, func() { f.Close() }
}

// handCandidate builds the hand-written schedule (nil when it cannot).
func handCandidate(d *te.DAG, path string, t targets.Target) *targets.Candidate {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil
	}
	steps, err := schedule.UnmarshalSteps(data)
	if err != nil {
		return nil
	}
	st, err := schedule.Replay(d, steps)
	if err != nil {
		return nil
	}
	c, err := build.Build(st, t)
	if err != nil {
		return nil
	}
	return &c
}

// remeasure measures the finalists (the hand schedule and each search's
// best kernel) together, in three interleaved batches, and keeps each one's
// best GFLOP/s: the comparison is then of kernels timed minutes apart at
// most, on a machine whose load drifts over an hour-long run.
func remeasure(ctx context.Context, m targets.Measurer, w *targets.Workload, d *te.DAG, finalists map[string]targets.Candidate) map[string]float64 {
	names := make([]string, 0, len(finalists))
	for n := range finalists {
		names = append(names, n)
	}
	sort.Strings(names)
	cands := make([]targets.Candidate, len(names))
	for i, n := range names {
		cands[i] = finalists[n]
	}
	out := map[string]float64{}
	for range 3 {
		for i, r := range m.Measure(ctx, w, cands) {
			if r.OK() {
				out[names[i]] = max(out[names[i]], d.FLOPs()/r.Median/1e9)
			}
		}
	}
	return out
}

func report(name, spec string, batch int, r run, measurer string) {
	curves, final, xnnpack := r.curves, r.final, r.xnnpack
	fmt.Printf("\n%s (%s), seed %d, measured with %s: best GFLOP/s so far\n", name, spec, r.seed, measurer)
	fmt.Printf("%8s %10s %10s\n", "trials", "model", "random")
	mc, rc := curves["model"], curves["random"]
	last := 0.0
	for _, c := range [][][2]float64{mc, rc} {
		if len(c) > 0 {
			last = max(last, c[len(c)-1][0])
		}
	}
	for at := batch; ; at += batch {
		at = min(at, int(last))
		fmt.Printf("%8d %10.2f %10.2f\n", at, bestAt(mc, at), bestAt(rc, at))
		if at >= int(last) {
			break
		}
	}
	if n, best := trials90(mc); n > 0 {
		fmt.Printf("model search reached 90%% of its final best (%.2f GFLOP/s) after %d trials\n", best, n)
	}
	fmt.Printf("re-measured together at the end (best of 3): model search %.2f, random search %.2f, hand-written schedule %.2f GFLOP/s\n",
		final["model"], final["random"], final["hand"])
	tuned := final["model"]
	if r := final["random"]; r > 0 {
		fmt.Printf("model search / random search: %.2fx\n", tuned/r)
	}
	if h := final["hand"]; h > 0 {
		fmt.Printf("model search / hand-written schedule: %.2fx\n", tuned/h)
	}
	if xnnpack > 0 {
		fmt.Printf("XNNPACK (tfjs-backend-wasm), measured right after: %.2f GFLOP/s; model search / XNNPACK: %.2fx\n", xnnpack, tuned/xnnpack)
	}
}

// trials90 is the number of trials after which a best-so-far curve first
// reached 90% of its final value, and that value (0, 0 for no curve).
func trials90(curve [][2]float64) (int, float64) {
	if len(curve) == 0 {
		return 0, 0
	}
	final := curve[len(curve)-1][1]
	for _, p := range curve {
		if p[1] >= 0.9*final {
			return int(p[0]), final
		}
	}
	return 0, final
}

// summary prints, over the seeds' runs, the mean best-so-far curves, the
// mean trials to 90% of the final best, and the geometric means of the
// re-measured ratios.
func summary(name string, batch int, runs []run) {
	fmt.Printf("\n%s, over %d seeds: mean best GFLOP/s so far\n", name, len(runs))
	fmt.Printf("%8s %10s %10s\n", "trials", "model", "random")
	last := 0
	for _, r := range runs {
		for _, c := range r.curves {
			if len(c) > 0 {
				last = max(last, int(c[len(c)-1][0]))
			}
		}
	}
	for at := batch; ; at += batch {
		at = min(at, last)
		var m, rnd float64
		for _, r := range runs {
			m += bestAt(r.curves["model"], at) / float64(len(runs))
			rnd += bestAt(r.curves["random"], at) / float64(len(runs))
		}
		fmt.Printf("%8d %10.2f %10.2f\n", at, m, rnd)
		if at >= last {
			break
		}
	}
	for _, mode := range []string{"model", "random"} {
		sum := 0
		for _, r := range runs {
			n, _ := trials90(r.curves[mode])
			sum += n
		}
		fmt.Printf("%s search: 90%% of its final best after %.0f trials on average\n", mode, float64(sum)/float64(len(runs)))
	}
	ratio := func(over string, of func(run) float64) {
		logSum, n := 0.0, 0
		for _, r := range runs {
			if a, b := r.final["model"], of(r); a > 0 && b > 0 {
				logSum += math.Log(a / b)
				n++
			}
		}
		if n > 0 {
			fmt.Printf("model search / %s, re-measured: %.2fx (geometric mean of %d seeds)\n", over, math.Exp(logSum/float64(n)), n)
		}
	}
	ratio("random search", func(r run) float64 { return r.final["random"] })
	ratio("hand-written schedule", func(r run) float64 { return r.final["hand"] })
	ratio("XNNPACK", func(r run) float64 { return r.xnnpack })
}

// bestAt is a best-so-far curve's value after at most at trials.
func bestAt(curve [][2]float64, at int) float64 {
	best := 0.0
	for _, p := range curve {
		if int(p[0]) <= at {
			best = p[1]
		}
	}
	return best
}

func check(err error) {
	if err != nil {
		fmt.Fprintln(os.Stderr, "search:", err)
		os.Exit(1)
	}
}
