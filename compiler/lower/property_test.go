package lower

import (
	"flag"
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/tabtune/tabtune/compiler/interp"
	"github.com/tabtune/tabtune/compiler/ops"
	"github.com/tabtune/tabtune/compiler/schedule"
	"github.com/tabtune/tabtune/compiler/te"
)

var propertyCases = flag.Int("property.n", 360, "random schedules the property test checks")

// smallDAGs builds every zoo operator at its small test shape.
func smallDAGs(t testing.TB) (names []string, dags []*te.DAG) {
	t.Helper()
	for _, op := range ops.All() {
		d, err := op.Build(op.Small)
		if err != nil {
			t.Fatalf("%s: %v", op.Name, err)
		}
		names = append(names, op.Name)
		dags = append(dags, d)
	}
	return names, dags
}

// randomStep proposes one step for st; it may not apply.
func randomStep(rng *rand.Rand, st *schedule.State) schedule.Step {
	var computed []int
	for i, s := range st.Stages {
		if !s.IsInput() && s.Attach.Kind != schedule.AttachInline {
			computed = append(computed, i)
		}
	}
	if len(computed) == 0 {
		return nil
	}
	id := computed[rng.IntN(len(computed))]
	s := st.Stages[id]
	n := len(s.Iters)
	pick := func() int { return rng.IntN(n) }
	switch k := rng.IntN(23); {
	case k < 5:
		// Lengths that roughly fit the extent, dividing it or not, as a
		// sampler would choose them: larger ones only multiply the work.
		it := pick()
		rest := s.Iter(it).Extent
		lengths := make([]int64, 1+rng.IntN(3))
		for i := range lengths {
			lengths[i] = 1 + rng.Int64N(min(rest, 5))
			rest = (rest + lengths[i] - 1) / lengths[i]
		}
		return schedule.Split{Stage: id, Iter: it, Lengths: lengths, InnerToOuter: rng.IntN(4) != 0}
	case k < 8:
		return schedule.Reorder{Stage: id, Order: rng.Perm(n)}
	case k < 10:
		a := pick()
		b := min(n-1, a+1+rng.IntN(2))
		iters := []int{}
		for i := a; i <= b; i++ {
			iters = append(iters, i)
		}
		return schedule.Fuse{Stage: id, Iters: iters}
	case k < 13:
		cons := st.Consumers(id)
		if len(cons) == 0 {
			return nil
		}
		c := cons[rng.IntN(len(cons))]
		return schedule.ComputeAt{Stage: id, Target: c, TargetIter: rng.IntN(len(st.Stages[c].Iters) + 1)}
	case k < 14:
		return schedule.ComputeInline{Stage: id}
	case k < 15:
		return schedule.CacheWrite{Stage: id, Scope: "local"}
	case k < 17:
		anns := []schedule.Annotation{schedule.AnnParallel, schedule.AnnVectorize, schedule.AnnUnroll, schedule.AnnBlockX, schedule.AnnThreadX, schedule.AnnVThread}
		return schedule.Annotate{Stage: id, Iter: pick(), Ann: anns[rng.IntN(len(anns))]}
	case k < 18:
		return schedule.Rfactor{Stage: id, Iter: pick(), FactorIter: rng.IntN(len(s.Op.Axes) + 1)}
	case k < 19:
		// cache_read of a tensor for its direct readers.
		src := rng.IntN(len(st.Stages))
		cons := st.Consumers(src)
		if len(cons) == 0 {
			return nil
		}
		return schedule.CacheRead{Stage: src, Scope: "shared", Readers: cons[:1+rng.IntN(len(cons))]}
	case k < 20:
		if len(st.Steps) == 0 {
			return nil
		}
		return schedule.FollowSplit{Stage: id, Iter: pick(), SrcStep: rng.IntN(len(st.Steps)), NSplit: 1 + rng.IntN(2)}
	case k < 21:
		if len(st.Steps) == 0 {
			return nil
		}
		srcs := []int{rng.IntN(len(st.Steps)), rng.IntN(len(st.Steps))}
		return schedule.FollowFusedSplit{Stage: id, Iter: pick(), SrcSteps: srcs, Level: rng.IntN(2), FactorOrNparts: rng.IntN(2) == 0}
	case k < 22:
		f := int64(1 + rng.IntN(8))
		return schedule.StorageAlign{Stage: id, Iter: pick(), Factor: f, Offset: rng.Int64N(f)}
	default:
		return schedule.PragmaStep{Stage: id, Iter: pick(), Pragma: "auto_unroll_max_step", Value: int64(rng.IntN(3) * 16)}
	}
}

// TestRandomSchedules is the property test: random valid step sequences on
// every zoo operator at small shapes lower to programs that compute what the
// direct evaluator computes. A step that does not apply is skipped; a state
// that applied must lower and must match.
func TestRandomSchedules(t *testing.T) {
	names, dags := smallDAGs(t)
	refs := make([][]interp.Data, len(dags))
	inputs := make([][]interp.Data, len(dags))
	for i, d := range dags {
		inputs[i] = interp.RandomInputs(d, 1)
		var err error
		if refs[i], err = interp.Eval(d, inputs[i]); err != nil {
			t.Fatalf("%s: eval: %v", names[i], err)
		}
	}
	applied := map[string]int{}
	for c := 0; c < *propertyCases; c++ {
		rng := rand.New(rand.NewPCG(uint64(c), 7))
		w := c % len(dags)
		st := schedule.New(dags[w])
		for try := 0; try < 30 && len(st.Steps) < 12; try++ {
			step := randomStep(rng, st)
			if step == nil {
				continue
			}
			next, err := st.Apply(step)
			if err != nil {
				continue
			}
			st = next
			applied[step.Kind()]++
		}
		if err := checkState(st, dags[w], inputs[w], refs[w]); err != nil {
			data, _ := schedule.MarshalSteps(st.Steps)
			t.Fatalf("case %d, %s: %v\nsteps: %s\n%s", c, names[w], err, data, st.StepsString())
		}
	}
	t.Logf("steps applied: %v", applied)
	for _, k := range []string{"split", "reorder", "fuse", "compute_at", "compute_inline", "cache_write", "annotate", "rfactor", "cache_read", "follow_split", "follow_fused_split", "storage_align", "pragma"} {
		if applied[k] == 0 && *propertyCases >= 100 {
			t.Errorf("no %s step applied: the generator needs a look", k)
		}
	}
}

func checkState(st *schedule.State, d *te.DAG, inputs, want []interp.Data) error {
	f, err := Lower(st)
	if err != nil {
		return err
	}
	args := append([]interp.Data(nil), inputs...)
	for _, o := range d.Outputs {
		args = append(args, interp.PoisonData(o.DType, int(o.Size())))
	}
	if err := interp.Run(f, args); err != nil {
		return fmt.Errorf("%v\n%s", err, f)
	}
	diff := interp.Compare(args[len(inputs):], want)
	if !diff.OK {
		return fmt.Errorf("mismatch: %v\n%s", diff, f)
	}
	return nil
}
