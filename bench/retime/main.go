// Command retime times WebAssembly kernels of one workload side by side
// in one node process, and the XNNPACK peer (bench/peer) in the same run:
// kernels written by `tabtune export` (kernel.wasm) at different commits,
// say main's best and a branch's, which follow one calling convention.
// The workload (inputs, reference outputs) is this commit's; a kernel of
// another commit must compute the same values within the tolerance. The
// kernels are timed in turn, round after round, so that a change in the
// machine's load falls on all of them; each kernel's best median over the
// rounds is reported, in ms, GFLOP/s (tabtune's FLOP count) and GB/s of
// input read once, with its ratio to the peer, and its fastest single
// call (on a loaded machine, load only ever adds time).
//
// Run it from the repository root:
//
//	go run ./bench/retime -workload softmax:M=1536,N=128 main=/tmp/a/kernel.wasm branch=/tmp/b/kernel.wasm
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/tabtune/tabtune/bench/internal/peer"
	"github.com/tabtune/tabtune/compiler/ops"
	"github.com/tabtune/tabtune/targets"
	"github.com/tabtune/tabtune/targets/node"
	"github.com/tabtune/tabtune/targets/wazero"
)

func main() {
	spec := flag.String("workload", "softmax:M=1536,N=128", "the workload spec")
	rounds := flag.Int("rounds", 5, "rounds of timing every kernel in turn")
	minTime := flag.Duration("min-time", 500*time.Millisecond, "least total time of each measurement's timed samples")
	withPeer := flag.Bool("peer", true, "run the XNNPACK peer and the f32x4 peak (bench/peer)")
	relaxed := flag.Bool("relaxed", false, "run node with relaxed SIMD, for kernels exported for wasm-simd -relaxed")
	flag.Usage = func() {
		fmt.Fprintln(os.Stderr, "usage: retime [-workload SPEC] [-rounds N] [-min-time D] [-peer=false] [-relaxed] NAME=KERNEL.wasm ...")
		flag.PrintDefaults()
	}
	flag.Parse()
	if flag.NArg() == 0 {
		flag.Usage()
		os.Exit(2)
	}
	var names []string
	var cands []targets.Candidate
	for _, a := range flag.Args() {
		name, path, ok := strings.Cut(a, "=")
		if !ok {
			name, path = a, a
		}
		b, err := os.ReadFile(path)
		check(err)
		names, cands = append(names, name), append(cands, targets.Candidate{Kind: targets.WasmSIMD, Wasm: b, Relaxed: *relaxed})
	}
	d, err := ops.BuildSpec(*spec)
	check(err)
	ctx := context.Background()
	opts := targets.Options{MinTime: *minTime, Timeout: 10 * time.Minute, Warmup: 3}
	wz := wazero.New(wazero.Config{Options: opts})
	w, err := wz.Workload(ctx, d, 1)
	wz.Close()
	check(err)
	inBytes := 0.0
	for _, t := range w.Inputs {
		inBytes += float64(t.Bytes())
	}
	v8 := node.New(node.Config{Options: opts, Relaxed: *relaxed})
	defer v8.Close()
	best, fastest := make([]float64, len(cands)), make([]float64, len(cands))
	for r := range *rounds {
		for i, res := range v8.Measure(ctx, w, cands) {
			if !res.OK() {
				fmt.Fprintf(os.Stderr, "%s: %s: %s\n", names[i], res.Err, res.Msg)
				os.Exit(1)
			}
			if best[i] == 0 || res.Median < best[i] {
				best[i] = res.Median
			}
			for _, s := range res.Times {
				if fastest[i] == 0 || s < fastest[i] {
					fastest[i] = s
				}
			}
			fmt.Fprintf(os.Stderr, "round %d: %s %.4f ms\n", r+1, names[i], res.Median*1e3)
		}
	}
	var xnn, peak float64
	if *withPeer {
		res, err := peer.Run([]string{*spec}, *minTime)
		if err != nil {
			fmt.Fprintln(os.Stderr, "peer:", err)
		}
		xnn, peak = res.Seconds[*spec], res.Peak
	}
	tw := tabwriter.NewWriter(os.Stdout, 2, 4, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintf(tw, "%s\tms\tGFLOP/s\tinput GB/s\tvs XNNPACK\tvs %s\tfastest ms\tvs %s\t\n", *spec, names[0], names[0])
	row := func(name string, s, f float64) {
		ratio, fast, fastRatio := "-", "-", "-"
		if xnn > 0 {
			ratio = fmt.Sprintf("%.2fx", xnn/s)
		}
		if f > 0 {
			fast, fastRatio = fmt.Sprintf("%.4f", f*1e3), fmt.Sprintf("%.2fx", fastest[0]/f)
		}
		fmt.Fprintf(tw, "%s\t%.4f\t%.2f\t%.2f\t%s\t%.2fx\t%s\t%s\t\n", name, s*1e3, d.FLOPs()/s/1e9, inBytes/s/1e9, ratio, best[0]/s, fast, fastRatio)
	}
	for i, n := range names {
		row(n, best[i], fastest[i])
	}
	if xnn > 0 {
		row("XNNPACK", xnn, 0)
	}
	tw.Flush()
	if peak > 0 {
		fmt.Printf("f32x4 mul+add peak in node: %.1f GFLOP/s\n", peak)
	}
	fmt.Println("ratios above 1: faster than XNNPACK, or than the first kernel; one run, this machine.")
}

func check(err error) {
	if err != nil {
		fmt.Fprintln(os.Stderr, "retime:", err)
		os.Exit(1)
	}
}
