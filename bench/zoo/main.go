// Command zoo benchmarks every operator of the zoo (compiler/ops, tabtune
// ops) against the browser's libraries: for each operator at its default
// shape and at two layers of real networks (shapes.go), it tunes with the
// default settings in node (search/flow, as tabtune tune -measurer node
// does), once per seed, then times each seed's best kernel and, in turns
// with it (-windows), the same operator on the same inputs through XNNPACK
// (@tensorflow/tfjs-backend-wasm 4.22.0, SIMD, one thread) and
// onnxruntime-web 1.30.0 (wasm, SIMD, one thread) in node
// (bench/peer/zoo.js), whose outputs must match our reference outputs
// before their times count. The engine's limits are measured in the same
// run: the f32x4 mul+add peak and the bytes per second of a v128 copy
// (bench/peer/peak.js).
//
// It prints a table: GFLOP/s (GB/s of input read for nrm, softmax,
// layernorm and the pools), the peers', the ratio to the best peer (>1:
// ours is faster), our share of the engine's limit, the tuning wall time
// and the spread over seeds; -json writes it for later comparison.
//
//	go run ./bench/zoo [-trials 256] [-seeds 1] [-ops gmm,c2d] [-shapes 0,1,2] [-windows 2] [-relaxed] [-json FILE]
//
// -relaxed tunes for wasm-simd -relaxed: the vector math may fuse
// multiply-adds (f32x4.relaxed_madd), and node runs with relaxed SIMD.
// The peers are the same builds either way.
//
// FLOPs are the program's (te.DAG.FLOPs), the same work the peers do,
// except for t2d and conv2d_bwd_data: their programs multiply zeros (the
// zero-stuffed input, the taps that miss the output gradient), and their
// rows count the useful work only, 2 x the multiply-adds that touch real
// input, computed from the shape (usefulFLOPs).
package main

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"flag"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/tabtune/tabtune/bench/internal/peer"
	"github.com/tabtune/tabtune/compiler/ops"
	"github.com/tabtune/tabtune/search/flow"
	"github.com/tabtune/tabtune/targets"
	"github.com/tabtune/tabtune/targets/build"
	"github.com/tabtune/tabtune/targets/node"
	"github.com/tabtune/tabtune/targets/wazero"
)

// Report is what -json writes: the run's settings, the engine's limits
// and one Row per operator and shape.
type Report struct {
	Date    string      `json:"date"`
	Command string      `json:"command"`
	Trials  int         `json:"trials"`
	Target  string      `json:"target"`
	Seeds   []uint64    `json:"seeds"`
	Limits  peer.Limits `json:"limits"`
	Rows    []Row       `json:"rows"`
}

// Row is one operator at one shape.
type Row struct {
	Op    string `json:"op"`
	Shape string `json:"shape"`
	Spec  string `json:"spec"`
	// Unit is "GFLOP/s" or "GB/s" (of input read); Work is the flops or
	// bytes of one call.
	Unit string  `json:"unit"`
	Work float64 `json:"work"`
	// Speed is the best seed's re-timed speed in Unit; Seconds its time.
	Speed   float64 `json:"speed"`
	Seconds float64 `json:"seconds"`
	// OfLimit is Speed over the engine's limit (the peak for GFLOP/s,
	// the copy's bandwidth for GB/s) in Limits: the larger of the run's
	// first limits and those measured again right after the row.
	OfLimit float64     `json:"of_limit"`
	Limits  peer.Limits `json:"limits"`
	Seeds   []Seed      `json:"seeds"`
	Spread  float64     `json:"spread"`    // (fastest - slowest) / fastest over seeds
	Within  bool        `json:"within10"`  // every seed within 10% of the fastest
	TuneSec float64     `json:"tune_s"`    // mean tuning wall time of a seed
	Peers   []Peer      `json:"peers"`     // in the order xnnpack, ort
	Best    string      `json:"best_peer"` // the fastest peer that ran, "" if none
	Ratio   float64     `json:"ratio"`     // best peer's time / ours (>1: ours is faster)
	Err     string      `json:"error,omitempty"`
	Notes   []string    `json:"-"`
}

// Seed is one seed's tuning run.
type Seed struct {
	Seed    uint64  `json:"seed"`
	Seconds float64 `json:"seconds"` // the best kernel re-timed
	Speed   float64 `json:"speed"`
	TuneSec float64 `json:"tune_s"`
	Trials  int     `json:"trials"`
	Stop    string  `json:"stop,omitempty"`
}

// Peer is one peer's result on a row.
type Peer struct {
	Name    string  `json:"name"`
	Seconds float64 `json:"seconds,omitempty"`
	Speed   float64 `json:"speed,omitempty"`
	What    string  `json:"what,omitempty"` // the peer's operator
	Skip    string  `json:"skip,omitempty"` // why it has no time
}

var peerNames = []string{"xnnpack", "ort"}

func main() {
	trials := flag.Int("trials", 256, "trial budget of each tuning run")
	seedList := flag.String("seeds", "1", "seeds, comma-separated: each row is tuned once per seed, and reports the spread")
	opList := flag.String("ops", "", "operators, comma-separated (default: the whole zoo, tabtune ops)")
	shapeList := flag.String("shapes", "0,1,2", "which shapes of each operator: 0 is the default, 1 and 2 the network layers of shapes.go")
	minTime := flag.Duration("min-time", 20*time.Millisecond, "least timed total per candidate while tuning (tabtune tune's default)")
	confirm := flag.Int("confirm", 4, "time the N fastest schedules twice more at the end of each tune (tabtune tune's default)")
	peerTime := flag.Duration("peer-time", 600*time.Millisecond, "least timed total of each final timing, ours and each peer's (best of 3 medians)")
	windows := flag.Int("windows", 2, "time ours and the peers in turns this many times, keeping each one's best")
	withPeers := flag.Bool("peers", true, "run XNNPACK and ORT-web (bench/peer installs them with npm on first use)")
	jsonOut := flag.String("json", "", "also write the table as JSON to `FILE`")
	relaxed := flag.Bool("relaxed", false, "tune for wasm-simd -relaxed (fused multiply-add in the vector math) and run node with relaxed SIMD")
	flag.Parse()

	check(checkShapes())
	if *windows < 1 {
		check(fmt.Errorf("-windows %d: want at least 1", *windows))
	}
	seeds := parseSeeds(*seedList)
	names := ops.Names()
	if *opList != "" {
		names = strings.Split(*opList, ",")
	}
	var idx []int
	for _, f := range strings.Split(*shapeList, ",") {
		i, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || i < 0 || i > 2 {
			check(fmt.Errorf("-shapes: %q is not 0, 1 or 2", f))
		}
		idx = append(idx, i)
	}
	for _, n := range names {
		if shapes[n] == nil {
			check(fmt.Errorf("-ops: no operator %q in the zoo (tabtune ops lists them)", n))
		}
	}

	t := targets.Target{Kind: targets.WasmSIMD, Relaxed: *relaxed}
	rep := Report{Date: time.Now().UTC().Format(time.RFC3339), Command: strings.Join(os.Args, " "), Trials: *trials, Target: t.String(), Seeds: seeds}
	limits, err := peer.MeasureLimits(time.Second)
	if err != nil {
		fmt.Fprintln(os.Stderr, "zoo: engine limits not measured:", err)
	}
	rep.Limits = limits
	fmt.Fprintf(os.Stderr, "engine limits: %s\n", describe(limits))

	ctx := context.Background()
	tuner := node.New(node.Config{Options: targets.Options{MinTime: *minTime}, Relaxed: *relaxed})
	defer tuner.Close()
	timer := node.New(node.Config{Options: targets.Options{MinTime: *peerTime / 3}, Relaxed: *relaxed})
	defer timer.Close()
	ref := wazero.New(wazero.Config{})
	defer ref.Close()
	tmp, err := os.MkdirTemp("", "tabtune-zoo-")
	check(err)
	defer os.RemoveAll(tmp)

	for _, name := range names {
		for _, i := range idx {
			s := shapes[name][i]
			r := Row{Op: name, Shape: s.name}
			if err := runRow(ctx, &r, s, t, seeds, *trials, *confirm, tuner, timer, ref, tmp, *withPeers, *peerTime, *windows); err != nil {
				r.Err = err.Error()
				fmt.Fprintf(os.Stderr, "%s %s: %v\n", name, s.name, err)
			} else if l, err := peer.MeasureLimits(300 * time.Millisecond); err == nil {
				// The limits again, in the row's own time window: the
				// machine's load drifts over a long run. Load only lowers
				// them, so the row's limits are the larger of these and
				// the run's first.
				r.Limits = l.Max(limits)
				if lim := limit(&r, l); lim > 0 {
					r.OfLimit = r.Speed / lim
				}
			}
			rep.Rows = append(rep.Rows, r)
		}
	}
	printTable(rep)
	if *jsonOut != "" {
		data, err := json.MarshalIndent(rep, "", "  ")
		check(err)
		check(os.WriteFile(*jsonOut, append(data, '\n'), 0o644))
	}
}

// runRow tunes one shape once per seed, re-times the seeds' best kernels
// together, then runs the peers on the same inputs.
func runRow(ctx context.Context, r *Row, s shape, t targets.Target, seeds []uint64, trials, confirm int,
	tuner, timer targets.Measurer, ref *wazero.Measurer, tmp string, withPeers bool, peerTime time.Duration, windows int) error {
	spec, params, err := s.spec(r.Op)
	if err != nil {
		return err
	}
	r.Spec = spec
	d, err := ops.BuildSpec(spec)
	if err != nil {
		return err
	}
	fmt.Fprintf(os.Stderr, "%s (%s): computing the reference outputs...\n", spec, s.name)
	w, err := ref.Workload(ctx, d, flow.InputSeed)
	if err != nil {
		return err
	}
	r.Unit, r.Work = "GFLOP/s", d.FLOPs()
	if f, ok := usefulFLOPs(r.Op, params); ok {
		r.Work = f
		r.Notes = append(r.Notes, fmt.Sprintf("useful work %.4g flop (the program computes %.4g)", f, d.FLOPs()))
	}
	if bandwidthOps[r.Op] {
		r.Unit, r.Work = "GB/s", 0
		for _, in := range w.Inputs {
			r.Work += float64(in.Bytes())
		}
	}
	speed := func(sec float64) float64 { return r.Work / sec / 1e9 }

	// Tune once per seed.
	var cands []targets.Candidate
	for _, seed := range seeds {
		env := flow.Env{Measurer: tuner, Reference: flow.Prepared{W: w}}
		cfg := flow.Config{Target: t, Trials: trials, Seed: seed, Confirm: confirm}
		res, err := flow.Tune(ctx, env, d, cfg, func(e flow.Event) {
			if e.Phase == flow.PhaseRound {
				fmt.Fprintf(os.Stderr, "\r%s seed %d: %d/%d trials, best %.2f GFLOP/s, %s   ", r.Op, seed, e.Trials, trials, e.BestGFLOPS(), e.Elapsed.Round(time.Second))
			}
		})
		fmt.Fprintln(os.Stderr)
		if err != nil {
			return fmt.Errorf("seed %d: %w", seed, err)
		}
		if res.Best == nil {
			return fmt.Errorf("seed %d: no schedule verified", seed)
		}
		st, err := res.Best.Replay(d)
		if err != nil {
			return fmt.Errorf("seed %d: replaying the best record: %w", seed, err)
		}
		c, err := build.Build(st, t)
		if err != nil {
			return fmt.Errorf("seed %d: building the best schedule: %w", seed, err)
		}
		cands = append(cands, c)
		r.Seeds = append(r.Seeds, Seed{Seed: seed, TuneSec: res.Took.Seconds(), Trials: res.Trials, Stop: string(res.Stop)})
		r.TuneSec += res.Took.Seconds() / float64(len(seeds))
	}

	// Time ours and the peers in turns, windows times: ours as the best
	// of 3 interleaved medians of the seeds' best kernels, then the peers
	// (each the best of 3 medians too). Each keeps its best over the
	// windows, so a burst of load on the shared machine during one
	// window does not decide the ratio.
	var job string
	if withPeers {
		dir, err := os.MkdirTemp(tmp, r.Op+"-")
		if err != nil {
			return err
		}
		defer os.RemoveAll(dir)
		if job, err = writeJob(dir, r, params, w); err != nil {
			return err
		}
	}
	peerBest := map[string]peer.Line{}
	for range windows {
		for range 3 {
			for i, res := range timer.Measure(ctx, w, cands) {
				if res.OK() && (r.Seeds[i].Seconds == 0 || res.Median < r.Seeds[i].Seconds) {
					r.Seeds[i].Seconds = res.Median
				}
			}
		}
		if !withPeers {
			continue
		}
		lines, err := peer.RunJobs(job, peerTime)
		if err != nil {
			return err
		}
		for _, l := range lines {
			if old, ok := peerBest[l.Peer]; !ok || (l.Ms > 0 && (old.Ms == 0 || l.Ms < old.Ms)) {
				peerBest[l.Peer] = l
			}
		}
	}
	for i := range r.Seeds {
		if r.Seeds[i].Seconds > 0 {
			r.Seeds[i].Speed = speed(r.Seeds[i].Seconds)
		}
		if r.Seconds == 0 || (r.Seeds[i].Seconds > 0 && r.Seeds[i].Seconds < r.Seconds) {
			r.Seconds = r.Seeds[i].Seconds
		}
	}
	if r.Seconds == 0 {
		return fmt.Errorf("the best kernels failed when re-timed")
	}
	r.Speed = speed(r.Seconds)
	r.Within = true
	slowest := r.Speed
	for _, sd := range r.Seeds {
		slowest = min(slowest, sd.Speed)
		r.Within = r.Within && sd.Speed >= 0.9*r.Speed
	}
	r.Spread = (r.Speed - slowest) / r.Speed

	if !withPeers {
		return nil
	}
	for _, name := range peerNames {
		p := Peer{Name: name, Skip: "not run"}
		if tm, ok := peerBest[name]; ok {
			p = Peer{Name: name, What: tm.What, Skip: tm.Skip}
			if tm.Ms > 0 {
				p.Seconds = tm.Ms / 1e3
				p.Speed = speed(p.Seconds)
			}
		}
		r.Peers = append(r.Peers, p)
		if p.Seconds > 0 && (r.Best == "" || p.Seconds < peerSeconds(r, r.Best)) {
			r.Best = name
		}
	}
	if r.Best == "" {
		fmt.Fprintf(os.Stderr, "%s %s: ours %.2f %s, no peer ran\n", r.Op, r.Shape, r.Speed, r.Unit)
		return nil
	}
	r.Ratio = peerSeconds(r, r.Best) / r.Seconds
	fmt.Fprintf(os.Stderr, "%s %s: ours %.2f %s, best peer %s, ours/peer %.2fx\n", r.Op, r.Shape, r.Speed, r.Unit, r.Best, r.Ratio)
	return nil
}

// limit is the engine's limit for a row: the f32x4 peak for flops, for
// bytes the bandwidth of the smallest copy at least as large as the
// row's inputs.
func limit(r *Row, l peer.Limits) float64 {
	if r.Unit == "GFLOP/s" {
		return l.PeakGFLOPS
	}
	return l.CopyFor(r.Work)
}

// describe prints the limits.
func describe(l peer.Limits) string {
	s := fmt.Sprintf("f32x4 mul+add peak %.1f GFLOP/s; v128 copy", l.PeakGFLOPS)
	for i, c := range l.Copy {
		if i > 0 {
			s += ","
		}
		s += fmt.Sprintf(" %.1f GB/s read (%d KiB)", c.GBs, c.KiB)
	}
	return s
}

func peerSeconds(r *Row, name string) float64 {
	for _, p := range r.Peers {
		if p.Name == name {
			return p.Seconds
		}
	}
	return 0
}

// writeJob writes the workload's inputs and reference outputs under dir,
// and the job of bench/peer/zoo.js that reads them; it returns the job's
// file.
func writeJob(dir string, r *Row, params map[string]int64, w *targets.Workload) (string, error) {
	job := peer.Job{ID: r.Spec, Op: r.Op, Params: params, Atol: w.Atol, Rtol: w.Rtol}
	for i, in := range w.Inputs {
		f := filepath.Join(dir, fmt.Sprintf("in%d.f32", i))
		if in.DType != targets.F32 {
			return "", fmt.Errorf("input %s is %s: the peers take f32 only", in.Name, in.DType)
		}
		if err := os.WriteFile(f, w.InputData[i], 0o644); err != nil {
			return "", err
		}
		job.Inputs = append(job.Inputs, peer.JobTensor{Name: in.Name, Shape: in.Shape, File: f})
	}
	for i, out := range w.Outputs {
		f := filepath.Join(dir, fmt.Sprintf("out%d.f32", i))
		data := make([]byte, 4*len(w.Want[i]))
		for j, v := range w.Want[i] {
			binary.LittleEndian.PutUint32(data[4*j:], math.Float32bits(v))
		}
		if err := os.WriteFile(f, data, 0o644); err != nil {
			return "", err
		}
		job.Outputs = append(job.Outputs, peer.JobTensor{Name: out.Name, Shape: out.Shape, File: f})
	}
	data, err := json.Marshal([]peer.Job{job})
	if err != nil {
		return "", err
	}
	file := filepath.Join(dir, "jobs.json")
	return file, os.WriteFile(file, data, 0o644)
}

// printTable prints the rows, then the notes: why a peer has no time,
// which operator each peer ran, useful-work counts.
func printTable(rep Report) {
	l := rep.Limits
	fmt.Printf("\nbench/zoo: %d trials per tune, seeds %v, target %s, node; engine limits at the start: %s\n", rep.Trials, rep.Seeds, rep.Target, describe(l))
	fmt.Printf("(\"of limit\": the row's speed over the peak, or over the bandwidth of the copy at least as large as its inputs; the larger of the run's first measurement and one right after the row)\n\n")
	tw := tabwriter.NewWriter(os.Stdout, 0, 0, 2, ' ', tabwriter.AlignRight|tabwriter.Debug)
	fmt.Fprintln(tw, "op\tshape\tunit\tours\txnnpack\tort\tours/best peer\tof limit\ttune s\tseed spread\t")
	var notes []string
	for _, r := range rep.Rows {
		if r.Err != "" {
			fmt.Fprintf(tw, "%s\t%s\t\t\t\t\t\t\t\t\t\n", r.Op, r.Shape)
			notes = append(notes, fmt.Sprintf("%s %s: %s", r.Op, r.Shape, r.Err))
			continue
		}
		cells := []string{r.Op, r.Shape, r.Unit, fmt.Sprintf("%.2f", r.Speed)}
		for _, name := range peerNames {
			c := "—"
			for _, p := range r.Peers {
				if p.Name != name {
					continue
				}
				if p.Seconds > 0 {
					c = fmt.Sprintf("%.2f", p.Speed)
					notes = append(notes, fmt.Sprintf("%s %s: %s ran %s", r.Op, r.Shape, name, p.What))
				} else {
					notes = append(notes, fmt.Sprintf("%s %s: %s —: %s", r.Op, r.Shape, name, p.Skip))
				}
			}
			cells = append(cells, c)
		}
		ratio := "—"
		if r.Ratio > 0 {
			ratio = fmt.Sprintf("%.2fx", r.Ratio)
		}
		spread := fmt.Sprintf("%.0f%%", 100*r.Spread)
		if len(r.Seeds) > 1 && !r.Within {
			spread += " (>10%)"
		}
		cells = append(cells, ratio, fmt.Sprintf("%.0f%%", 100*r.OfLimit), fmt.Sprintf("%.0f", r.TuneSec), spread)
		fmt.Fprintln(tw, strings.Join(cells, "\t")+"\t")
		for _, n := range r.Notes {
			notes = append(notes, fmt.Sprintf("%s %s: %s", r.Op, r.Shape, n))
		}
	}
	tw.Flush()
	fmt.Println("\nspecs:")
	for _, r := range rep.Rows {
		fmt.Printf("  %s %s: %s\n", r.Op, r.Shape, r.Spec)
	}
	fmt.Println("notes:")
	slices.Sort(notes)
	for _, n := range slices.Compact(notes) {
		fmt.Println("  " + n)
	}
}

func parseSeeds(list string) []uint64 {
	var seeds []uint64
	for _, f := range strings.Split(list, ",") {
		s, err := strconv.ParseUint(strings.TrimSpace(f), 10, 64)
		if err != nil {
			check(fmt.Errorf("-seeds: %q is not a seed", f))
		}
		seeds = append(seeds, s)
	}
	return seeds
}

func check(err error) {
	if err != nil {
		fmt.Fprintln(os.Stderr, "zoo:", err)
		os.Exit(1)
	}
}
