//go:build !js

package cpu

import (
	"context"
	"flag"
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/tabtune/tabtune/compiler/schedule"
	"github.com/tabtune/tabtune/compiler/schedule/schedtest"
	"github.com/tabtune/tabtune/targets"
	"github.com/tabtune/tabtune/targets/build"
	"github.com/tabtune/tabtune/targets/internal/kerneltest"
)

var randomCases = flag.Int("cpu-random", 1, "random schedules per zoo operator in TestZooCPU")

// TestZooCPU is the compiler's property test carried to C: every zoo
// operator at its small shape, naive, with each hand-written recipe and
// with random valid schedules (inner loops vectorized), built for cpu
// targets of 4, 8 and 16 lanes, compiled and run by the measurer, equals
// the interpreter's reference.
func TestZooCPU(t *testing.T) {
	// Parallel kernels on a loaded machine (OpenMP threads waiting for
	// cores) can take far longer than kerneltest's short limit.
	opts := kerneltest.Options()
	opts.Timeout = 20 * time.Second
	m := newMeasurerWith(t, opts)
	names, dags := schedtest.SmallDAGs(t)
	lanes := []string{"cpu -lanes=4", "cpu -lanes=8", "cpu -lanes=16 -cores=2"}
	measured := 0
	for w, d := range dags {
		states := []*schedule.State{schedule.New(d)}
		labels := []string{"naive"}
		for _, r := range schedtest.Recipes {
			b := schedtest.New(t, d)
			r.Apply(b)
			states, labels = append(states, b.St), append(labels, r.Name)
		}
		for c := range *randomCases {
			rng := rand.New(rand.NewPCG(uint64(c), uint64(w)))
			st := schedtest.VectorizeInner(schedtest.RandomState(rng, d, 12, nil), rng)
			states, labels = append(states, st), append(labels, fmt.Sprintf("random %d", c))
		}
		work, err := build.Workload(d, int64(w))
		if err != nil {
			t.Fatal(err)
		}
		if build.NeedsReference(work) {
			t.Fatalf("%s: a small workload should get its reference from the interpreter", names[w])
		}
		cands := make([]targets.Candidate, len(states))
		for i, st := range states {
			tg := targets.MustParseTarget(lanes[i%len(lanes)])
			if cands[i], err = build.Build(st, tg); err != nil {
				t.Fatalf("%s/%s on %s: %v\n%s", names[w], labels[i], tg, err, st.StepsString())
			}
			labels[i] += " on " + tg.String()
		}
		for i, r := range m.Measure(context.Background(), work, cands) {
			if !r.OK() {
				t.Errorf("%s/%s: %v: %s\n%s\n%s", names[w], labels[i], r.Err, r.Msg, states[i].StepsString(), cands[i].Source)
			}
			measured++
		}
	}
	t.Logf("%d kernels verified", measured)
}
