// Package peer runs the peers of bench/peer in node (XNNPACK from
// tfjs-backend-wasm; with jobs, also onnxruntime-web) and the engine's
// limits (the f32x4 peak, the bandwidth of a copy), and reads their
// results.
package peer

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/tabtune/tabtune/compiler/ops"
)

// Results are the peer's times (seconds) by our workload spec, and the
// engine's peak in GFLOP/s.
type Results struct {
	Seconds map[string]float64
	Peak    float64
}

// Run runs bench/peer/run.sh from the repository root for the given specs
// (gmm, c2d, softmax, layernorm and nrm are what it knows) and the peak.
func Run(specs []string, minTime time.Duration) (Results, error) {
	res := Results{Seconds: map[string]float64{}}
	lines, err := runSh(minTime, "--workloads", strings.Join(append(specs, "peak"), ","))
	for _, line := range lines {
		switch line.Peer {
		case "peak":
			res.Peak = max(res.Peak, line.Gflops)
		case "xnnpack":
			for _, s := range specs {
				if SameWorkload(s, line.Workload) {
					res.Seconds[s] = line.Ms / 1e3
				}
			}
		}
	}
	return res, err
}

// SameWorkload matches two specs by operator and resolved parameters.
func SameWorkload(ours, theirs string) bool {
	a, aargs, err1 := ops.ParseSpec(ours)
	b, bargs, err2 := ops.ParseSpec(theirs)
	if err1 != nil || err2 != nil || a != b {
		return false
	}
	ra, err1 := a.Resolve(aargs)
	rb, err2 := b.Resolve(bargs)
	if err1 != nil || err2 != nil {
		return false
	}
	for k, v := range ra {
		if rb[k] != v {
			return false
		}
	}
	return true
}

// Limits are the engine's limits measured by bench/peer/peak.js: the
// f32x4 mul+add peak, and the bytes read per second by a v128 copy
// (as many are written) of 256 KiB, 4 MiB and 64 MiB.
type Limits struct {
	PeakGFLOPS float64 `json:"peak_gflops"`
	Copy       []Copy  `json:"copy"`
}

// Copy is the bandwidth of a copy of KiB kibibytes, in GB/s read.
type Copy struct {
	KiB int     `json:"kib"`
	GBs float64 `json:"gbs"`
}

// CopyFor is the bandwidth of the smallest copy at least as large as
// bytes (of the largest copy when none is), 0 when none was measured.
func (l Limits) CopyFor(bytes float64) float64 {
	best := Copy{}
	for _, c := range l.Copy {
		fits := float64(c.KiB)*1024 >= bytes
		bestFits := float64(best.KiB)*1024 >= bytes
		switch {
		case best.KiB == 0, fits && (!bestFits || c.KiB < best.KiB), !fits && !bestFits && c.KiB > best.KiB:
			best = c
		}
	}
	return best.GBs
}

// Max is the larger of each limit of l and o: load on a shared machine
// only lowers a measured limit.
func (l Limits) Max(o Limits) Limits {
	out := Limits{PeakGFLOPS: max(l.PeakGFLOPS, o.PeakGFLOPS)}
	for _, c := range append(append([]Copy(nil), l.Copy...), o.Copy...) {
		i := slices.IndexFunc(out.Copy, func(d Copy) bool { return d.KiB == c.KiB })
		if i < 0 {
			out.Copy = append(out.Copy, c)
		} else {
			out.Copy[i].GBs = max(out.Copy[i].GBs, c.GBs)
		}
	}
	return out
}

// MeasureLimits runs the peak and the copies.
func MeasureLimits(minTime time.Duration) (Limits, error) {
	var l Limits
	lines, err := runSh(minTime, "--workloads", "peak,copy")
	for _, line := range lines {
		switch line.Peer {
		case "peak":
			l.PeakGFLOPS = max(l.PeakGFLOPS, line.Gflops)
		case "copy":
			l.Copy = append(l.Copy, Copy{KiB: line.KiB, GBs: line.Gbs})
		}
	}
	return l, err
}

// A Job is one operator at one shape for bench/peer/zoo.js: the zoo's
// operator name and resolved parameters, and files of little-endian f32
// holding our inputs and reference outputs, which each peer's output must
// match within Atol + Rtol*|want|.
type Job struct {
	ID      string           `json:"id"`
	Op      string           `json:"op"`
	Params  map[string]int64 `json:"params"`
	Inputs  []JobTensor      `json:"inputs"`
	Outputs []JobTensor      `json:"outputs"`
	Atol    float64          `json:"atol"`
	Rtol    float64          `json:"rtol"`
}

// A JobTensor is a tensor of a Job and the file of its data.
type JobTensor struct {
	Name  string  `json:"name"`
	Shape []int64 `json:"shape"`
	File  string  `json:"file"`
}

// A Line is one JSON line of bench/peer/run.sh: a workload's or a job's
// result from one peer (xnnpack, ort): its median milliseconds, or why it
// has none (Skip: no such operator, or its output differed from ours);
// or a limit (peak, copy).
type Line struct {
	Peer     string
	Workload string  // what ran, for workloads and limits
	ID       string  // the job, with --jobs
	Ms       float64 // median milliseconds
	Runs     int
	Gflops   float64 // peak
	Gbs      float64 // copy: GB/s read
	KiB      int     // copy: its size
	What     string  // which operator of the peer ran
	Skip     string  // why the peer has no time
}

// RunJobs runs the jobs of file (a JSON list of Job) through the peers of
// bench/peer/zoo.js, each for at least minTime.
func RunJobs(file string, minTime time.Duration) ([]Line, error) {
	return runSh(minTime, "--jobs", file)
}

// runSh runs bench/peer/run.sh from the repository root with
// --min-time minTime and args, and reads the JSON lines of its stdout.
func runSh(minTime time.Duration, args ...string) ([]Line, error) {
	args = append([]string{filepath.Join("bench", "peer", "run.sh"), "--min-time", fmt.Sprintf("%.3f", minTime.Seconds())}, args...)
	cmd := exec.Command("bash", args...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("bench/peer/run.sh: %v: %s", err, lastLine(stderr.String()))
	}
	var lines []Line
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		var l Line
		if json.Unmarshal(sc.Bytes(), &l) == nil && l.Peer != "" {
			lines = append(lines, l)
		}
	}
	return lines, nil
}

func lastLine(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.LastIndexByte(s, '\n'); i >= 0 {
		return s[i+1:]
	}
	return s
}
