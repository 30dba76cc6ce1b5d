package lower

import (
	"fmt"
	"testing"

	"github.com/tabtune/tabtune/compiler/ir"
)

// checkOrder reports the first constraint of Order that passes breaks,
// and a stage pass listed after a loop pass.
func checkOrder(passes []Pass) error {
	names := make([]string, len(passes))
	at := map[string]int{}
	for i, p := range passes {
		names[i] = p.Name
		at[p.Name] = i
	}
	if err := ir.CheckOrder(names, Order); err != nil {
		return err
	}
	for _, s := range StagePasses {
		for _, l := range LoopPasses {
			if at[s.Name] > at[l.Name] {
				return fmt.Errorf("stage pass %s runs after loop pass %s", s.Name, l.Name)
			}
		}
	}
	return nil
}

// TestPassOrder checks the pass list against its ordering constraints,
// and that the check catches a list that breaks them.
func TestPassOrder(t *testing.T) {
	if err := checkOrder(Passes); err != nil {
		t.Fatal(err)
	}
	if len(Passes) != len(StagePasses)+len(LoopPasses) {
		t.Fatalf("Passes has %d passes, the stage and loop lists %d", len(Passes), len(StagePasses)+len(LoopPasses))
	}
	swap := func(i, j int) []Pass {
		out := append([]Pass(nil), Passes...)
		out[i], out[j] = out[j], out[i]
		return out
	}
	for _, c := range []struct {
		passes []Pass
		want   string
	}{
		{swap(0, 2), "pass inline must run before bounds"},
		{swap(4, 5), "pass unit-loops must run before simplify"},
		{Passes[1:], "pass order inline before bounds: a pass is missing"},
		{append([]Pass{Passes[5]}, Passes...), "pass simplify is listed twice"},
	} {
		if err := checkOrder(c.passes); err == nil || err.Error() != c.want {
			t.Errorf("got %v, want %s", err, c.want)
		}
	}
}
