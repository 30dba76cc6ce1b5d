package tune

import (
	"context"
	"testing"

	"github.com/tabtune/tabtune/compiler/ops"
	"github.com/tabtune/tabtune/compiler/te"
	"github.com/tabtune/tabtune/search/evolve"
	"github.com/tabtune/tabtune/search/features"
	"github.com/tabtune/tabtune/search/records"
	"github.com/tabtune/tabtune/targets"
	"github.com/tabtune/tabtune/targets/build"
)

// gmmOnLog returns GMM 32, its workload, and the options of a task on a
// target that resumes from and records to log, with the fake measurer.
func gmmOnLog(log *records.Log) (*te.DAG, *targets.Workload, func(targets.Target) Options) {
	d, _ := ops.BuildSpec("gmm:M=32,N=32,K=32")
	w, _ := build.Workload(d, 1)
	p := evolve.DefaultParams()
	p.Population = 64
	return d, w, func(tg targets.Target) Options {
		return Options{Target: tg, Measurer: fakeMeasurer{}, Batch: 16, Seed: 3, Search: p, Log: log}
	}
}

// TestTrainsOnItsTarget: a log holding records of two targets trains the
// model of a task on the records of its own target only, whose features
// describe its own code generator (features.MachineOf).
func TestTrainsOnItsTarget(t *testing.T) {
	log := &records.Log{}
	d, w, opts := gmmOnLog(log)
	a, b := targets.MustParseTarget("wasm-simd"), targets.MustParseTarget("wasm-simd -relaxed")
	newTask := func(tg targets.Target) *Task {
		task, err := NewTask(d, w, opts(tg))
		if err != nil {
			t.Fatal(err)
		}
		return task
	}
	first := newTask(a)
	for range 3 {
		if _, err := first.Step(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
	other := newTask(b)
	if len(other.train) != 0 || other.model != nil {
		t.Fatalf("a task on %s trained on %d records of %s", b, len(other.train), a)
	}
	if _, err := other.Step(context.Background()); err != nil {
		t.Fatal(err)
	}
	na, nb := log.Count(d.Key(), a.String()), log.Count(d.Key(), b.String())
	if na == 0 || nb == 0 {
		t.Fatalf("records: %d of %s, %d of %s", na, a, nb, b)
	}
	for _, c := range []struct {
		tg   targets.Target
		want int
	}{{a, na}, {b, nb}} {
		task := newTask(c.tg)
		if len(task.train) != c.want {
			t.Errorf("a task on %s trained on %d records, want its target's %d (the log holds %d)", c.tg, len(task.train), c.want, na+nb)
		}
		if task.machine != features.MachineOf(c.tg) {
			t.Errorf("a task on %s extracts features for %+v", c.tg, task.machine)
		}
	}
}
