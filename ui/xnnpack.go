package ui

import (
	"fmt"
	"strconv"
	"strings"
)

// PeerOp is an operator as XNNPACK (tfjs-backend-wasm) runs it: Op is
// "matMul" (tf.matMul of [M,K] by [K,N]) or "conv2d" (tf.conv2d of an
// NHWC input by an HWIO filter, explicit padding), Dims its sizes by the
// zoo's parameter names, FLOPs its work.
type PeerOp struct {
	Op    string         `json:"op"`
	Dims  map[string]int `json:"dims"`
	FLOPs float64        `json:"flops"`
}

// xnnpackOps are the zoo's operators XNNPACK has, with their parameters.
var xnnpackOps = map[string]struct {
	op     string
	params []string
}{
	"gmm": {"matMul", []string{"M", "N", "K"}},
	"c2d": {"conv2d", []string{"N", "CI", "H", "W", "CO", "KH", "KW", "stride", "pad"}},
}

// xnnpackOp maps a workload to XNNPACK's operator, or says in words why
// XNNPACK has no equivalent: only GMM and C2D specs (op or
// op:NAME=VALUE,..., missing parameters at their defaults in ops) map,
// not other operators nor edited expressions.
func xnnpackOp(workload string, ops []OpInfo) (PeerOp, error) {
	workload = strings.TrimSpace(workload)
	if workload == "" || strings.ContainsAny(workload, "\n ()[]") {
		return PeerOp{}, fmt.Errorf("XNNPACK has no equivalent of an edited expression (only of gmm and c2d)")
	}
	name, args, _ := strings.Cut(workload, ":")
	spec, known := xnnpackOps[name]
	if !known {
		return PeerOp{}, fmt.Errorf("XNNPACK has no equivalent of %s (only of gmm and c2d)", name)
	}
	dims := map[string]int{}
	for _, o := range ops {
		if o.Name == name {
			for _, p := range o.Params {
				dims[p.Name] = int(p.Default)
			}
		}
	}
	for _, kv := range strings.Split(args, ",") {
		if kv == "" {
			continue
		}
		k, v, _ := strings.Cut(kv, "=")
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			return PeerOp{}, fmt.Errorf("XNNPACK: %s: %q is not a size", name, kv)
		}
		dims[k] = n
	}
	for _, p := range spec.params {
		if _, ok := dims[p]; !ok {
			return PeerOp{}, fmt.Errorf("XNNPACK: %s has no %s", workload, p)
		}
	}
	if len(dims) != len(spec.params) {
		return PeerOp{}, fmt.Errorf("XNNPACK has no equivalent of %s with parameters other than %s", name, strings.Join(spec.params, ","))
	}
	p := PeerOp{Op: spec.op, Dims: dims}
	switch name {
	case "gmm":
		p.FLOPs = 2 * float64(dims["M"]) * float64(dims["N"]) * float64(dims["K"])
	case "c2d":
		if dims["stride"] < 1 {
			return PeerOp{}, fmt.Errorf("XNNPACK: %s: stride must be at least 1", workload)
		}
		oh := (dims["H"]+2*dims["pad"]-dims["KH"])/dims["stride"] + 1
		ow := (dims["W"]+2*dims["pad"]-dims["KW"])/dims["stride"] + 1
		if oh < 1 || ow < 1 {
			return PeerOp{}, fmt.Errorf("XNNPACK: %s has no output", workload)
		}
		p.FLOPs = 2 * float64(dims["N"]*dims["CO"]*oh*ow) * float64(dims["CI"]*dims["KH"]*dims["KW"])
	}
	if p.FLOPs <= 0 {
		return PeerOp{}, fmt.Errorf("XNNPACK: %s does no work", workload)
	}
	return p, nil
}

// PeerState is XNNPACK's reference line of the Tune view.
type PeerState struct {
	// Have says the server has XNNPACK's files (tabtune serve -xnnpack);
	// Busy that it is loading or timing.
	Have, Busy bool
	// For is the workload it timed, GFLOPS its speed, Note what it ran.
	For    string
	GFLOPS float64
	Note   string
	Err    string
}

// XNNPACKApplies says whether XNNPACK has an equivalent of the Tune
// view's workload.
func (a *App) XNNPACKApplies() bool {
	_, err := xnnpackOp(a.Work.Workload(), a.Work.Ops)
	return err == nil
}

// XNNPACKNote says what the XNNPACK control did or, for a workload it
// has no equivalent of, why not.
func (a *App) XNNPACKNote() string {
	x := a.Tune.XNN
	if _, err := xnnpackOp(a.Work.Workload(), a.Work.Ops); err != nil && !x.Busy {
		return err.Error()
	}
	if x.Err != "" {
		return x.Err
	}
	if t := a.Tune.Workload; x.Note != "" && t != "" && t != x.For {
		return x.Note + "; the chart is the tune of " + t + ": tune this operator to see XNNPACK beside it"
	}
	return x.Note
}

// LoadXNNPACK loads XNNPACK into the page (once) and times the workload
// with it, for the chart's XNNPACK line.
func (a *App) LoadXNNPACK() {
	x := &a.Tune.XNN
	if x.Busy || !x.Have {
		return
	}
	wl := a.Work.Workload()
	op, err := xnnpackOp(wl, a.Work.Ops)
	if err != nil {
		x.Err = err.Error()
		return
	}
	x.Busy, x.Err, x.Note = true, "", "loading and timing XNNPACK…"
	a.async(func() {
		seconds, err := a.host.TimeXNNPACK(op)
		a.update(func() {
			x.Busy = false
			if err == nil && !(seconds > 0) {
				err = fmt.Errorf("it took %g s", seconds)
			}
			if err != nil {
				x.Err, x.Note = "XNNPACK: "+errText(err), ""
				return
			}
			x.For, x.GFLOPS = wl, op.FLOPs/seconds/1e9
			x.Note = fmt.Sprintf("XNNPACK (tfjs-backend-wasm, SIMD, one thread; tf.%s) on %s: %.2f GFLOP/s, %.3f ms", op.Op, wl, x.GFLOPS, seconds*1e3)
		})
	})
}
