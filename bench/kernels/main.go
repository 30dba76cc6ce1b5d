// Command kernels is the kernel benchmark of `make bench`: for GMM 1024
// and C2D (ResNet 56x56x64, 3x3), it measures the hand-written schedules of
// compiler/codegen/wasm/testdata in wazero and in node (V8), the naive
// schedule in node, and the same workloads run by a peer in the same node,
// XNNPACK through @tensorflow/tfjs-backend-wasm (bench/peer), all in one
// run, and prints ms, GFLOP/s and the ratios.
//
// Run it from the repository root: go run ./bench/kernels.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"text/tabwriter"
	"time"

	"github.com/tabtune/tabtune/bench/internal/peer"
	"github.com/tabtune/tabtune/compiler/ops"
	"github.com/tabtune/tabtune/compiler/schedule"
	"github.com/tabtune/tabtune/targets"
	"github.com/tabtune/tabtune/targets/build"
	"github.com/tabtune/tabtune/targets/node"
	"github.com/tabtune/tabtune/targets/wazero"
)

type workload struct {
	name, spec, steps string
}

var workloads = []workload{
	{"gmm", "gmm:M=1024,N=1024,K=1024", "compiler/codegen/wasm/testdata/gmm1024.json"},
	{"c2d", "c2d:N=1,CI=64,H=56,W=56,CO=64,KH=3,KW=3,stride=1,pad=1", "compiler/codegen/wasm/testdata/c2d.json"},
}

// row is one line of the report.
type row struct {
	name, spec                 string
	flops                      float64
	wazero, v8, naive, xnnpack float64 // seconds; 0 when not measured
	notes                      []string
}

func main() {
	minTime := flag.Duration("min-time", time.Second, "least total time of each measurement's timed samples")
	naive := flag.Bool("naive", true, "measure the naive schedule in node (about 15 s for GMM 1024)")
	withPeer := flag.Bool("peer", true, "run the XNNPACK peer (bench/peer; installs its npm packages on first use)")
	flag.Parse()
	ctx := context.Background()
	opts := targets.Options{MinTime: *minTime, Timeout: 10 * time.Minute, Warmup: 3}
	wz := wazero.New(wazero.Config{Options: opts})
	defer wz.Close()
	v8 := node.New(node.Config{Options: opts})
	defer v8.Close()
	t := targets.Target{Kind: targets.WasmSIMD}

	var rows []*row
	peak := 0.0
	for _, wl := range workloads {
		r := &row{name: wl.name, spec: wl.spec}
		rows = append(rows, r)
		d, err := ops.BuildSpec(wl.spec)
		check(err)
		r.flops = d.FLOPs()
		data, err := os.ReadFile(wl.steps)
		check(err)
		steps, err := schedule.UnmarshalSteps(data)
		check(err)
		st, err := schedule.Replay(d, steps)
		check(err)
		hand, err := build.Build(st, t)
		check(err)
		progress("%s: workload and reference outputs", wl.name)
		w, err := wz.Workload(ctx, d, 1)
		check(err)
		progress("%s: hand schedule in wazero", wl.name)
		r.wazero = seconds(r, "wazero", wz.Measure(ctx, w, []targets.Candidate{hand})[0])
		progress("%s: hand schedule in node", wl.name)
		r.v8 = seconds(r, "node", v8.Measure(ctx, w, []targets.Candidate{hand})[0])
		if *naive {
			progress("%s: naive schedule in node", wl.name)
			nv, err := build.Build(schedule.New(d), t)
			check(err)
			r.naive = seconds(r, "naive", v8.Measure(ctx, w, []targets.Candidate{nv})[0])
		}
	}
	if *withPeer {
		progress("XNNPACK (tfjs-backend-wasm) and the f32x4 peak in node")
		var specs []string
		for _, r := range rows {
			specs = append(specs, r.spec)
		}
		res, err := peer.Run(specs, *minTime)
		if err != nil {
			for _, r := range rows {
				r.notes = append(r.notes, "peer: "+err.Error())
			}
		}
		for _, r := range rows {
			r.xnnpack = res.Seconds[r.spec]
		}
		peak = res.Peak
	}
	report(rows, peak)
}

func seconds(r *row, who string, res targets.Result) float64 {
	if !res.OK() {
		r.notes = append(r.notes, fmt.Sprintf("%s: %s: %s", who, res.Err, res.Msg))
		return 0
	}
	return res.Median
}

func report(rows []*row, peak float64) {
	tw := tabwriter.NewWriter(os.Stdout, 2, 4, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "workload\twazero ms\tGFLOP/s\tnode ms\tGFLOP/s\tnaive GFLOP/s\tXNNPACK ms\tGFLOP/s\tnode/XNNPACK\t")
	cell := func(s float64, flops float64) (string, string) {
		if s == 0 {
			return "-", "-"
		}
		return fmt.Sprintf("%.2f", s*1e3), fmt.Sprintf("%.1f", flops/s/1e9)
	}
	for _, r := range rows {
		wms, wg := cell(r.wazero, r.flops)
		vms, vg := cell(r.v8, r.flops)
		_, ng := cell(r.naive, r.flops)
		xms, xg := cell(r.xnnpack, r.flops)
		ratio := "-"
		if r.v8 > 0 && r.xnnpack > 0 {
			ratio = fmt.Sprintf("%.2fx", r.xnnpack/r.v8)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t\n", r.name, wms, wg, vms, vg, ng, xms, xg, ratio)
	}
	tw.Flush()
	for _, r := range rows {
		for _, n := range r.notes {
			fmt.Printf("%s: %s\n", r.name, n)
		}
	}
	if peak > 0 {
		fmt.Printf("engine peak (independent f32x4 mul+add chains in node): %.1f GFLOP/s\n", peak)
	}
	fmt.Println("node/XNNPACK above 1 means our kernel is faster; all numbers from this one run, on this machine.")
}

func progress(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "[%s] %s\n", time.Now().Format("15:04:05"), fmt.Sprintf(format, args...))
}

func check(err error) {
	if err != nil {
		fmt.Fprintln(os.Stderr, "kernels:", err)
		os.Exit(1)
	}
}
