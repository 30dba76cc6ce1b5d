package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"time"

	"github.com/tabtune/tabtune/search/evolve"
	"github.com/tabtune/tabtune/search/tasks"
	"github.com/tabtune/tabtune/search/tune"
	"github.com/tabtune/tabtune/targets"
)

// tuneNetwork tunes the layers of a network under one trial budget with the
// task scheduler.
func tuneNetwork(network string, t targets.Target, measurer string, trials, batch, population, generations, confirm int,
	logPath string, seed uint64, minTime time.Duration, stdout, stderr io.Writer) int {
	entries, err := tasks.Network(network)
	if err != nil {
		f, ferr := os.Open(network)
		if ferr != nil {
			return fail(stderr, "tune", err)
		}
		entries, err = tasks.ParseNetwork(f)
		f.Close()
		if err != nil {
			return fail(stderr, "tune", fmt.Errorf("%s: %w", network, err))
		}
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	log, writer, closeLog, err := openLog(logPath, stderr)
	if err != nil {
		return fail(stderr, "tune", err)
	}
	defer closeLog()
	m, closeM, err := newMeasurer(measurer, targets.Options{MinTime: minTime}, t)
	if err != nil {
		return fail(stderr, "tune", err)
	}
	defer closeM()
	params := evolve.DefaultParams()
	params.Population, params.Generations = population, generations
	var ts []*tune.Task
	var weights []float64
	for i, e := range entries {
		d, err := loadWorkload(e.Spec)
		if err != nil {
			return fail(stderr, "tune", err)
		}
		fmt.Fprintf(stderr, "layer %d/%d: %s\n", i+1, len(entries), e.Spec)
		w, err := buildWorkload(ctx, d, 1, stderr)
		if err != nil {
			return fail(stderr, "tune", err)
		}
		task, err := tune.NewTask(d, w, tune.Options{Target: t, Measurer: m, Batch: batch, Seed: seed + uint64(i),
			Search: params, Log: log, Writer: writer, Tabtune: version})
		if err != nil {
			return fail(stderr, "tune", err)
		}
		ts = append(ts, task)
		weights = append(weights, e.Weight)
	}
	s := tasks.NewScheduler(ts, weights)
	fmt.Fprintf(stdout, "tuning %d layers of %s on %s with the %s measurer: %d trials\n", len(ts), network, t, m.Name(), trials)
	start := time.Now()
	for s.Trials() < trials {
		i, r, err := s.Step(ctx)
		if ctx.Err() != nil {
			fmt.Fprintf(stderr, "\ninterrupted: the log holds every measurement made\n")
			break
		}
		if err != nil {
			return fail(stderr, "tune", err)
		}
		total := "not all layers verified yet"
		if v := s.Total(); v < 1e300 {
			total = fmt.Sprintf("network %.3f ms", v*1e3)
		}
		fmt.Fprintf(stderr, "\r%s, %s, last round: layer %d (%d measured), %s elapsed ",
			bar(s.Trials(), trials), total, i+1, r.Measured, time.Since(start).Round(time.Second))
	}
	fmt.Fprintln(stderr)
	if confirm > 0 && ctx.Err() == nil {
		fmt.Fprintf(stderr, "confirming: timing the %d fastest schedules of each layer twice more...\n", confirm)
		for _, task := range ts {
			if _, err := task.Confirm(ctx, confirm, confirmTimes); err != nil {
				if ctx.Err() != nil {
					break
				}
				return fail(stderr, "tune", err)
			}
		}
	}
	for i, task := range ts {
		b := task.Best()
		if b == nil {
			fmt.Fprintf(stdout, "%2d  x%-3g %-60s no schedule verified\n", i+1, weights[i], entries[i].Spec)
			continue
		}
		fmt.Fprintf(stdout, "%2d  x%-3g %-60s %9.3f ms %8.2f GFLOP/s  (%d trials)\n", i+1, weights[i], entries[i].Spec, b.Result.Median*1e3, b.GFLOPS(), task.Trials)
	}
	if v := s.Total(); v < 1e300 {
		fmt.Fprintf(stdout, "network latency (weighted sum of the layers' best): %.3f ms\n", v*1e3)
	}
	return exitOK
}
