package schedule

import (
	"fmt"
	"slices"
	"strings"

	"github.com/tabtune/tabtune/compiler/ir"
)

// Fuse merges consecutive iterators of one kind into one loop whose
// extent is the product of theirs; fusing i and j gives i@j with
// i = i@j / extent(j) and j = i@j % extent(j). The pragmas of the fused
// loops move to the fused loop; where several carry the same key, the
// largest value stays (for auto_unroll_max_step, the largest budget that
// any of them gave the nest that is now under the fused loop).
type Fuse struct {
	Stage int   `json:"stage"`
	Iters []int `json:"iters"`
}

// Kind implements Step.
func (Fuse) Kind() string { return "fuse" }

func (s Fuse) refs() []ref {
	return []ref{stageRef("stage", s.Stage), itersRef("iters", s.Stage, s.Iters)}
}

func (s Fuse) String() string {
	return fmt.Sprintf("fuse(%s, iters %v)", stageName(s.Stage), s.Iters)
}

func (s Fuse) apply(c *ctx) error {
	stage, err := c.computeStage(s.Stage)
	if err != nil {
		return err
	}
	if len(s.Iters) == 0 {
		return c.errorf("fuse needs at least one iterator")
	}
	nodes := make([]int, len(s.Iters))
	names := make([]string, len(s.Iters))
	ext := int64(1)
	for i, pos := range s.Iters {
		n, err := c.iterAt(stage, pos)
		if err != nil {
			return err
		}
		if i > 0 && pos != s.Iters[i-1]+1 {
			return c.errorf("fused iterators must be consecutive, got positions %v", s.Iters)
		}
		node := stage.Nodes[n]
		if node.Kind != stage.Nodes[stage.Iters[s.Iters[0]]].Kind {
			return c.errorf("cannot fuse spatial and reduction iterators")
		}
		if node.Ann != AnnNone {
			return c.errorf("cannot fuse an iterator annotated %s", node.Ann)
		}
		if i < len(s.Iters)-1 {
			if err := checkNotAttachPoint(c, s.Stage, n); err != nil {
				return err
			}
		}
		nodes[i], names[i] = n, node.Name
		ext *= node.Extent
	}
	c.iter = ""
	if len(nodes) == 1 {
		return nil
	}
	// Stages attached at the innermost fused loop stay attached to the
	// fused loop: they ran once per iteration of it before, and still do.
	last := nodes[len(nodes)-1]
	name := strings.Join(names, "@")
	if err := checkName(c, name); err != nil {
		return err
	}
	m := c.mut(s.Stage)
	id := len(m.Nodes)
	m.Nodes = append(m.Nodes, Node{Name: name, Extent: ext, Kind: stage.Nodes[nodes[0]].Kind})
	m.Rels = append(m.Rels, Rel{Kind: RelFuse, In: nodes, Out: []int{id}})
	first := s.Iters[0]
	iters := append([]int(nil), m.Iters[:first]...)
	iters = append(iters, id)
	m.Iters = append(iters, m.Iters[s.Iters[len(s.Iters)-1]+1:]...)
	for _, j := range c.attachedTo(s.Stage, last) {
		c.mut(j).Attach.Node = id
	}
	movePragmas(m, nodes, id)
	return nil
}

// movePragmas moves the pragmas of nodes from to node to, one per key:
// on each node the last pragma of a key holds (as lowering and the code
// generators read them), and across nodes the largest value. The moved
// pragmas keep the order in which their keys first appear.
func movePragmas(m *Stage, from []int, to int) {
	type nodeKey struct {
		node int
		key  ir.PragmaKey
	}
	var keys []ir.PragmaKey
	last := map[nodeKey]int64{}
	var kept []Pragma
	for _, p := range m.Pragmas {
		if !slices.Contains(from, p.Node) {
			kept = append(kept, p)
			continue
		}
		if !slices.Contains(keys, p.Key) {
			keys = append(keys, p.Key)
		}
		last[nodeKey{p.Node, p.Key}] = p.Value
	}
	if len(keys) == 0 {
		return
	}
	for _, k := range keys {
		p := Pragma{Node: to, Key: k}
		found := false
		for _, n := range from {
			if v, ok := last[nodeKey{n, k}]; ok && (!found || v > p.Value) {
				p.Value, found = v, true
			}
		}
		kept = append(kept, p)
	}
	m.Pragmas = kept
}

// Reorder puts a stage's iterators in a new order: Order lists every
// current position once, outermost first.
type Reorder struct {
	Stage int   `json:"stage"`
	Order []int `json:"order"`
}

// Kind implements Step.
func (Reorder) Kind() string { return "reorder" }

func (s Reorder) refs() []ref {
	return []ref{stageRef("stage", s.Stage), itersRef("order", s.Stage, s.Order)}
}

func (s Reorder) String() string {
	return fmt.Sprintf("reorder(%s, %v)", stageName(s.Stage), s.Order)
}

func (s Reorder) apply(c *ctx) error {
	stage, err := c.computeStage(s.Stage)
	if err != nil {
		return err
	}
	if len(s.Order) != len(stage.Iters) {
		return c.errorf("reorder lists %d iterators; the stage has %d (%s)", len(s.Order), len(stage.Iters), iterNames(stage))
	}
	seen := make([]bool, len(stage.Iters))
	iters := make([]int, len(s.Order))
	for i, pos := range s.Order {
		if pos < 0 || pos >= len(stage.Iters) {
			return c.errorf("no iterator %d; the stage has %d (%s)", pos, len(stage.Iters), iterNames(stage))
		}
		if seen[pos] {
			return c.errorf("iterator %s is listed twice", stage.Nodes[stage.Iters[pos]].Name)
		}
		seen[pos] = true
		iters[i] = stage.Iters[pos]
	}
	c.mut(s.Stage).Iters = iters
	return nil
}
