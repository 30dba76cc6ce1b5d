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
	"container/heap"
	"fmt"
	"strings"

	"github.com/tabtune/tabtune/compiler/lower"
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
	// Vector marks the spatial knob whose innermost level is the stage's
	// innermost loop, the one vectorized.
	Vector bool
}

// Sketch is a schedule template: a state with placeholder tile sizes, and
// its knobs.
type Sketch struct {
	State *schedule.State
	Tiles []TileKnob
	// Rules names the rules that made it, for printing.
	Rules []string
	// Vector holds, by stage name, the stages whose vectorization the
	// sketch decides rather than sampling: true, the innermost loop is
	// vectorized; false, it stays scalar (row_fusion: the stages of a
	// row-wise chain vectorize along the row together, so that the fuse
	// pass joins their loops). Stages that are not keys are a knob.
	Vector map[string]bool
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
// without duplicates; where there are more than MaxSketches, the
// MaxSketches best (see GenerateCapped).
func (p *Policy) Generate(d *te.DAG) ([]*Sketch, error) {
	sks, _, err := p.GenerateCapped(d)
	return sks, err
}

// Bounds of derivation. Each tiled stage multiplies the sketches by the
// choices of its rules, so a chain of n matmuls has about 5^n of them.
const (
	// MaxSketches is the most sketches Generate returns.
	MaxSketches = 256
	// maxDerivations bounds the states derivation visits.
	maxDerivations = 10000
)

// GenerateCapped derives the sketches of a program. Where derivation
// ends with at most MaxSketches sketches, they are all returned, in
// breadth-first order, and capped is false. Otherwise derivation starts
// again best-first (bestFirst) and returns the MaxSketches best, with
// capped true: their number and the fact that there were more are for
// the caller to say.
func (p *Policy) GenerateCapped(d *te.DAG) (sks []*Sketch, capped bool, err error) {
	sks, done, err := p.breadthFirst(d)
	if err != nil || done {
		return sks, false, err
	}
	sks, err = p.bestFirst(d)
	return sks, true, err
}

// breadthFirst derives every sketch, visiting states in the order they
// are made; done is false, and nothing is returned, when that would make
// more than MaxSketches sketches or visit more than maxDerivations states.
func (p *Policy) breadthFirst(d *te.DAG) (out []*Sketch, done bool, err error) {
	type item struct {
		s     *Sketch
		stage int
	}
	init := &Sketch{State: schedule.New(d)}
	queue := []item{{init, len(init.State.Stages) - 1}}
	seen := map[string]bool{}
	for steps := 0; len(queue) > 0; steps++ {
		if steps > maxDerivations || len(out)+len(queue) > 4*MaxSketches {
			return nil, false, nil
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
		derived, err := p.derive(it.s, it.stage)
		if err != nil {
			return nil, false, err
		}
		for _, d := range derived {
			queue = append(queue, item{d.Sketch, d.Next})
		}
	}
	if len(out) > MaxSketches {
		return nil, false, nil
	}
	return out, true, nil
}

// derive applies the rules to one stage of a sketch, in order, and returns
// what they derive, with the rules that made each recorded.
func (p *Policy) derive(s *Sketch, stage int) ([]Derived, error) {
	var out []Derived
	for _, r := range p.Rules {
		cond := r.Meets(p, s, stage)
		if cond == Pass {
			continue
		}
		derived, err := r.Apply(p, s, stage)
		if err != nil {
			return nil, fmt.Errorf("sketch: rule %s on stage %s: %w", r.Name(), s.State.Stages[stage].Name(), err)
		}
		for _, d := range derived {
			d.Sketch.Rules = append(append([]string(nil), s.Rules...), r.Name()+"("+s.State.Stages[stage].Name()+")")
			out = append(out, d)
		}
		if cond == ApplyAndSkipRest {
			break
		}
	}
	return out, nil
}

// bestFirst derives the MaxSketches best sketches. The rules at a stage
// are listed in order of preference, and so are the states each derives:
// a derived state costs its parent's cost plus its place among what the
// stage derived (0 for the first). States are visited cheapest first
// (ties in the order they were made), so the sketches come out in order
// of how far they stray from the preferred choices, and the sketches of a
// long program still differ at every stage, not only at the last ones.
// Sketches that print the same loop nest lower to the same program and
// are merged (the first is kept).
func (p *Policy) bestFirst(d *te.DAG) ([]*Sketch, error) {
	init := &Sketch{State: schedule.New(d)}
	q := &frontier{}
	q.push(&pending{s: init, stage: len(init.State.Stages) - 1})
	seen := map[string]bool{}
	var out []*Sketch
	for steps := 0; q.Len() > 0 && len(out) < MaxSketches && steps < maxDerivations; steps++ {
		it := q.pop()
		if it.stage < 0 {
			if key := it.s.State.String(); !seen[key] {
				seen[key] = true
				out = append(out, it.s)
			}
			continue
		}
		derived, err := p.derive(it.s, it.stage)
		if err != nil {
			return nil, err
		}
		for i, d := range derived {
			q.push(&pending{s: d.Sketch, stage: d.Next, cost: it.cost + i})
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("sketch: derivation does not end: no sketch after visiting %d states", maxDerivations)
	}
	return out, nil
}

// pending is a state waiting in bestFirst's frontier.
type pending struct {
	s     *Sketch
	stage int
	cost  int
	seq   int // order of making, for ties
}

// frontier is a priority queue of pending states, cheapest first.
type frontier struct {
	items []*pending
	made  int
}

func (f *frontier) Len() int { return len(f.items) }

func (f *frontier) Less(i, j int) bool {
	a, b := f.items[i], f.items[j]
	return a.cost < b.cost || a.cost == b.cost && a.seq < b.seq
}

func (f *frontier) Swap(i, j int) { f.items[i], f.items[j] = f.items[j], f.items[i] }

// Push and Pop implement heap.Interface; use push and pop.
func (f *frontier) Push(x any) { f.items = append(f.items, x.(*pending)) }

func (f *frontier) Pop() any {
	it := f.items[len(f.items)-1]
	f.items = f.items[:len(f.items)-1]
	return it
}

func (f *frontier) push(it *pending) {
	it.seq = f.made
	f.made++
	heap.Push(f, it)
}

func (f *frontier) pop() *pending { return heap.Pop(f).(*pending) }

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
// decide (those of the knobs' splits, of the splits that follow them, and
// of the regions of stages computed inside their loops) print as ?.
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
	// A stage computed inside a loop runs over the region one iteration
	// reads: where that differs from its whole domain, the open tile
	// sizes decide it.
	inferred, _ := lower.InferBound(s.State)
	ext := make([][]int64, len(s.State.Stages))
	for i, stg := range s.State.Stages {
		ext[i] = make([]int64, len(stg.Nodes))
		for n := range stg.Nodes {
			ext[i][n] = stg.Nodes[n].Extent
			region := stg.Attach.Kind == schedule.AttachAt && i < len(inferred) && n < len(inferred[i]) && inferred[i][n] != ext[i][n]
			if open[nodeRef{stg.Name(), n}] || region {
				ext[i][n] = -1
			}
		}
	}
	var b strings.Builder
	fmt.Fprintf(&b, "rules: %s\n", strings.Join(s.Rules, ", "))
	b.WriteString(s.State.StringWithExtents(ext))
	return b.String()
}
