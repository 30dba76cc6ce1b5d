package schedule

import (
	"fmt"
)

// StorageOrder sets the order in which the dimensions of a stage's buffer
// are laid out in memory (a layout rewrite): Order lists the buffer's
// dimensions from the outermost stored to the innermost, so that
// [1, 2, 3, 0] stores W[co, ci, kh, kw] as [ci][kh][kw][co], co
// contiguous. Indices and the stage's loops do not change; only the
// strides of the buffer do. Applied to a cache_read copy computed inside
// an outer tile of its reader, it makes the blocked layout of packing
// (such as [CO/v][CI][KH][KW][v]) one tile at a time; applied to a
// cache_write accumulator, it makes the vector axis of a register tile
// contiguous. Outputs and inputs keep the dense row-major layout of the
// calling convention. storage_align padding applies in the new order.
type StorageOrder struct {
	Stage int   `json:"stage"`
	Order []int `json:"order"`
}

// Kind implements Step.
func (StorageOrder) Kind() string { return "storage_order" }

func (s StorageOrder) refs() []ref { return []ref{stageRef("stage", s.Stage)} }

func (s StorageOrder) String() string {
	return fmt.Sprintf("storage_order(%s, %v)", stageName(s.Stage), s.Order)
}

func (s StorageOrder) apply(c *ctx) error {
	stage, err := c.computeStage(s.Stage)
	if err != nil {
		return err
	}
	if c.st.IsOutput(s.Stage) {
		return c.errorf("%s is an output; outputs are dense row-major", stage.Name())
	}
	if err := CheckOrder(s.Order, len(stage.Tensor.Shape)); err != nil {
		return c.errorf("%v", err)
	}
	m := c.mut(s.Stage)
	m.Order = append([]int(nil), s.Order...)
	if isIdentity(m.Order) {
		m.Order = nil
	}
	return nil
}

// CheckOrder says whether order is a permutation of the n dimensions of
// a buffer.
func CheckOrder(order []int, n int) error {
	if len(order) != n {
		return fmt.Errorf("order %v has %d dimensions; the buffer has %d", order, len(order), n)
	}
	seen := make([]bool, n)
	for _, d := range order {
		if d < 0 || d >= n || seen[d] {
			return fmt.Errorf("order %v is not a permutation of 0..%d", order, n-1)
		}
		seen[d] = true
	}
	return nil
}

// isIdentity reports whether order keeps every dimension in place.
func isIdentity(order []int) bool {
	for i, d := range order {
		if i != d {
			return false
		}
	}
	return true
}
