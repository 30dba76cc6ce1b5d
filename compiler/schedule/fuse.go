package schedule

import (
	"fmt"
	"strings"
)

// Fuse merges consecutive iterators of one kind into one loop whose
// extent is the product of theirs; fusing i and j gives i@j with
// i = i@j / extent(j) and j = i@j % extent(j).
type Fuse struct {
	Stage int   `json:"stage"`
	Iters []int `json:"iters"`
}

// Kind implements Step.
func (Fuse) Kind() string { return "fuse" }

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
	return nil
}

// Reorder puts a stage's iterators in a new order: Order lists every
// current position once, outermost first.
type Reorder struct {
	Stage int   `json:"stage"`
	Order []int `json:"order"`
}

// Kind implements Step.
func (Reorder) Kind() string { return "reorder" }

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
