// Package peer runs the XNNPACK peer of bench/peer (tfjs-backend-wasm in
// node) and the engine's f32x4 peak, and reads their results.
package peer

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"os/exec"
	"path/filepath"
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
	cmd := exec.Command("bash", filepath.Join("bench", "peer", "run.sh"), "--workloads", strings.Join(append(specs, "peak"), ","),
		"--min-time", fmt.Sprintf("%.3f", minTime.Seconds()))
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return res, fmt.Errorf("bench/peer/run.sh: %v: %s", err, lastLine(stderr.String()))
	}
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		var line struct {
			Peer, Workload string
			Ms, Gflops     float64
		}
		if json.Unmarshal(sc.Bytes(), &line) != nil {
			continue
		}
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
	return res, nil
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

func lastLine(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.LastIndexByte(s, '\n'); i >= 0 {
		return s[i+1:]
	}
	return s
}
