// Package sketch is the deducer: it derives sketches, schedule templates
// with open knobs, from a program, as Ansor's sketch generation does
// (Zheng et al., OSDI'20, Sec. 4.1).
//
// Derivation visits the stages from the output back to the inputs. At each
// stage, the rules of the target's rule list are tried in order; a rule
// whose condition holds derives new states (and says which stage to visit
// next), and a rule may stop the rules after it. Every state that reaches
// the inputs is a sketch. Rules are small values listed in one place
// (rules.go): a reader sees the whole rule set at once, and a new rule is
// one file and one line.
//
// A sketch is a schedule.State whose split steps carry placeholder lengths
// (all 1): its knobs, the tile sizes, are listed with the steps that hold
// them. Package sample fills them (and the annotations: parallel,
// vectorize, unroll, compute locations) to make concrete states.
package sketch

import (
	"fmt"
	"strings"

	"github.com/tabtune/tabtune/compiler/schedule"
	"github.com/tabtune/tabtune/compiler/te"
	"github.com/tabtune/tabtune/targets"
)

// TileKnob is an open tile size: split step Step divides an iterator of
// extent Extent into Parts loops whose inner lengths are to be chosen.
type TileKnob struct {
	Step   int
	Extent int64
	Parts  int
	// Reduce marks the split of a reduction iterator.
	Reduce bool
}

// Sketch is a schedule template: a state with placeholder tile sizes, and
// its knobs.
type Sketch struct {
	State *schedule.State
	Tiles []TileKnob
	// Rules names the rules that made it, for printing.
	Rules []string
}

// Policy holds what derivation needs to know of the target.
type Policy struct {
	Target targets.Target
	// Structure is the multi-level tiling structure: "SSRSRS" for CPU and
	// wasm, "SSSRRSRS" for GPU.
	Structure string
	Rules     []Rule
}

// NewPolicy returns the rule list and tiling structure of a target.
func NewPolicy(t targets.Target) *Policy {
	p := &Policy{Target: t, Structure: "SSRSRS", Rules: CPURules}
	if t.IsGPU() {
		p.Structure, p.Rules = "SSSRRSRS", GPURules
	}
	return p
}

// Generate derives the sketches of a program, in a deterministic order,
// without duplicates.
func (p *Policy) Generate(d *te.DAG) ([]*Sketch, error) {
	type item struct {
		s     *Sketch
		stage int
	}
	init := &Sketch{State: schedule.New(d)}
	queue := []item{{init, len(init.State.Stages) - 1}}
	var out []*Sketch
	seen := map[string]bool{}
	for steps := 0; len(queue) > 0; steps++ {
		if steps > 10000 {
			return nil, fmt.Errorf("sketch: derivation does not end")
		}
		it := queue[0]
		queue = queue[1:]
		if it.stage < 0 {
			key := it.s.key()
			if !seen[key] {
				seen[key] = true
				out = append(out, it.s)
			}
			continue
		}
		for _, r := range p.Rules {
			cond := r.Meets(p, it.s, it.stage)
			if cond == Pass {
				continue
			}
			derived, err := r.Apply(p, it.s, it.stage)
			if err != nil {
				return nil, fmt.Errorf("sketch: rule %s on stage %s: %w", r.Name(), it.s.State.Stages[it.stage].Name(), err)
			}
			for _, d := range derived {
				d.Sketch.Rules = append(append([]string(nil), it.s.Rules...), r.Name()+"("+it.s.State.Stages[it.stage].Name()+")")
				queue = append(queue, item{d.Sketch, d.Next})
			}
			if cond == ApplyAndSkipRest {
				break
			}
		}
	}
	return out, nil
}

func (s *Sketch) key() string {
	data, _ := schedule.MarshalSteps(s.State.Steps)
	return string(data)
}

// Derived is a state a rule made and the stage to visit next.
type Derived struct {
	Sketch *Sketch
	Next   int
}

// String prints a sketch as a loop nest; the extents its open tile sizes
// decide (those of the knobs' splits, and of the splits that follow them)
// print as ?.
func (s *Sketch) String() string {
	// Stages are named uniquely; replaying makes new tensors for cache
	// stages, so names, not tensors, identify them across states.
	type nodeRef struct {
		stage string
		node  int
	}
	open := map[nodeRef]bool{}
	knob := map[int]bool{}
	for _, k := range s.Tiles {
		knob[k.Step] = true
	}
	st := schedule.New(s.State.DAG)
	for i, step := range s.State.Steps {
		next, err := st.Apply(step)
		if err != nil {
			break
		}
		var stage, made int
		switch x := step.(type) {
		case schedule.Split:
			stage, made = x.Stage, len(x.Lengths)+1
			if !knob[i] {
				made = 0
			}
		case schedule.FollowSplit:
			stage, made = x.Stage, x.NSplit+1
		case schedule.FollowFusedSplit:
			stage, made = x.Stage, 2
		case schedule.Rfactor:
			// The partials' stage and the final reduction are new
			// stages whose loops are named after the old stage's
			// leaves: those that were open stay open.
			name := st.Stages[x.Stage].Name()
			was := map[string]bool{}
			for r := range open {
				if r.stage == name {
					was[st.Stages[x.Stage].Nodes[r.node].Name] = true
					delete(open, r)
				}
			}
			for _, ns := range next.Stages[x.Stage : x.Stage+2] {
				for n, node := range ns.Nodes {
					if was[node.Name] {
						open[nodeRef{ns.Name(), n}] = true
					}
				}
			}
		}
		if made > 0 {
			ns := next.Stages[stage]
			for n := len(ns.Nodes) - made; n < len(ns.Nodes); n++ {
				open[nodeRef{ns.Name(), n}] = true
			}
		}
		st = next
	}
	ext := make([][]int64, len(s.State.Stages))
	for i, stg := range s.State.Stages {
		ext[i] = make([]int64, len(stg.Nodes))
		for n := range stg.Nodes {
			ext[i][n] = stg.Nodes[n].Extent
			if open[nodeRef{stg.Name(), n}] {
				ext[i][n] = -1
			}
		}
	}
	var b strings.Builder
	fmt.Fprintf(&b, "rules: %s\n", strings.Join(s.Rules, ", "))
	b.WriteString(s.State.StringWithExtents(ext))
	return b.String()
}
