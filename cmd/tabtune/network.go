package main

import (
	"context"
	"fmt"
	"io"
	"math"
	"os"
	"os/signal"
	"time"

	"github.com/tabtune/tabtune/search/flow"
	"github.com/tabtune/tabtune/search/tasks"
)

// networkEntries reads -network: a built-in network's name or a file of
// "WEIGHT SPEC" lines.
func networkEntries(network string) ([]tasks.Entry, error) {
	entries, err := tasks.Network(network)
	if err == nil {
		return entries, nil
	}
	f, ferr := os.Open(network)
	if ferr != nil {
		return nil, err
	}
	defer f.Close()
	entries, err = tasks.ParseNetwork(f)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", network, err)
	}
	return entries, nil
}

// tuneNetwork tunes the layers of a network under one trial budget
// (flow.TuneNetwork) and prints each layer's best and the network's
// estimated latency against the naive network's.
func tuneNetwork(f tuneFlags, cfg flow.Config, stdout, stderr io.Writer) int {
	entries, err := networkEntries(f.network)
	if err != nil {
		return fail(stderr, "tune", err)
	}
	if min := tasks.MinBudget(len(entries)); cfg.Trials < min {
		return fail(stderr, "tune", fmt.Errorf("-trials %d is too small for the %d layers of %s: each layer's first round measures at least %d candidates, so give -trials %d or more", cfg.Trials, len(entries), f.network, tasks.MinFirstRound, min))
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	env, closeEnv, err := openEnv(f, cfg.Target, stderr)
	if err != nil {
		return fail(stderr, "tune", err)
	}
	defer closeEnv()
	fmt.Fprintf(stdout, "tuning %d layers of %s on %s with the %s measurer: %d trials\n", len(entries), f.network, cfg.Target, env.Measurer.Name(), cfg.Trials)
	res, err := flow.TuneNetwork(ctx, env, entries, cfg, func(e flow.Event) { progress(stderr, e) })
	fmt.Fprintln(stderr)
	if err != nil {
		return fail(stderr, "tune", err)
	}
	stopped(stderr, res.Stop)
	fmt.Fprintf(stdout, "%3s  %-5s %-60s %12s %10s %12s %8s\n", "", "xN", "layer", "best", "GFLOP/s", "naive", "trials")
	for i, l := range res.Layers {
		naive := "-"
		if l.Naive != nil && l.Naive.OK() {
			naive = fmt.Sprintf("%.4g ms", l.Naive.Median*1e3)
		}
		switch {
		case l.Best == nil && l.Naive == nil:
			fmt.Fprintf(stdout, "%3d  x%-4g %-60s %12s %10s %12s %8d\n", i+1, l.Weight, l.Spec, "not reached", "", naive, l.Trials)
		case l.Best == nil:
			fmt.Fprintf(stdout, "%3d  x%-4g %-60s %12s %10s %12s %8d\n", i+1, l.Weight, l.Spec, "none verified", "", naive, l.Trials)
		default:
			fmt.Fprintf(stdout, "%3d  x%-4g %-60s %9.4g ms %10.2f %12s %8d\n", i+1, l.Weight, l.Spec, l.Best.Result.Median*1e3, l.Best.GFLOPS(), naive, l.Trials)
		}
	}
	if math.IsInf(res.Total, 1) {
		fmt.Fprintf(stdout, "network latency: unknown (a layer has neither a verified schedule nor a naive time)\n")
		return exitOK
	}
	fmt.Fprintf(stdout, "network latency (weighted sum of each layer's best, naive where none): %.3f ms", res.Total*1e3)
	if !math.IsInf(res.NaiveTotal, 1) {
		fmt.Fprintf(stdout, "; the naive network: %.3f ms (%.1fx slower)", res.NaiveTotal*1e3, res.NaiveTotal/res.Total)
	}
	fmt.Fprintf(stdout, "; %d trials in %s\n", res.Trials, res.Took.Round(time.Second))
	return exitOK
}
