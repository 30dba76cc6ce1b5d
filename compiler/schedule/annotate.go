package schedule

import (
	"encoding/json"
	"fmt"

	"github.com/tabtune/tabtune/compiler/ir"
)

// Annotation marks how a loop runs.
type Annotation uint8

// The annotations: none, CPU parallelism, SIMD, unrolling, GPU bindings.
const (
	AnnNone Annotation = iota
	AnnParallel
	AnnVectorize
	AnnUnroll
	AnnBlockX
	AnnBlockY
	AnnBlockZ
	AnnThreadX
	AnnThreadY
	AnnThreadZ
	AnnVThread
)

// annThreads are the GPU bindings of the GPU annotations.
var annThreads = [...]ir.Thread{
	AnnBlockX: ir.BlockX, AnnBlockY: ir.BlockY, AnnBlockZ: ir.BlockZ,
	AnnThreadX: ir.ThreadX, AnnThreadY: ir.ThreadY, AnnThreadZ: ir.ThreadZ,
	AnnVThread: ir.VThread,
}

// annNames are the JSON names; a GPU annotation is named as its binding.
var annNames = [...]string{
	AnnNone: "none", AnnParallel: "parallel", AnnVectorize: "vectorize", AnnUnroll: "unroll",
	AnnBlockX: ir.BlockX.String(), AnnBlockY: ir.BlockY.String(), AnnBlockZ: ir.BlockZ.String(),
	AnnThreadX: ir.ThreadX.String(), AnnThreadY: ir.ThreadY.String(), AnnThreadZ: ir.ThreadZ.String(),
	AnnVThread: ir.VThread.String(),
}

// String returns the annotation's name as in the JSON form.
func (a Annotation) String() string {
	if int(a) < len(annNames) {
		return annNames[a]
	}
	return fmt.Sprintf("Annotation(%d)", uint8(a))
}

// IsThread reports whether a binds a GPU block or thread index.
func (a Annotation) IsThread() bool { return a >= AnnBlockX && a <= AnnVThread }

// Thread returns the GPU binding of a GPU annotation, or ir.NoThread.
func (a Annotation) Thread() ir.Thread {
	if a.IsThread() {
		return annThreads[a]
	}
	return ir.NoThread
}

// AnnotationByName looks an annotation up by name.
func AnnotationByName(name string) (Annotation, bool) {
	for i, n := range annNames {
		if n == name {
			return Annotation(i), true
		}
	}
	return 0, false
}

// MarshalJSON writes the annotation's name.
func (a Annotation) MarshalJSON() ([]byte, error) { return json.Marshal(a.String()) }

// UnmarshalJSON reads an annotation's name.
func (a *Annotation) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return err
	}
	v, ok := AnnotationByName(s)
	if !ok {
		return fmt.Errorf("unknown annotation %q", s)
	}
	*a = v
	return nil
}

// Annotate marks iterator Iter of stage Stage as parallel, vectorized,
// unrolled or bound to a GPU index.
type Annotate struct {
	Stage int        `json:"stage"`
	Iter  int        `json:"iter"`
	Ann   Annotation `json:"ann"`
}

// Kind implements Step.
func (Annotate) Kind() string { return "annotate" }

func (s Annotate) refs() []ref { return stageIterRefs(s.Stage, s.Iter) }

func (s Annotate) String() string {
	return fmt.Sprintf("annotate(%s, iter %d, %s)", stageName(s.Stage), s.Iter, s.Ann)
}

func (s Annotate) apply(c *ctx) error {
	stage, n, err := c.stageIter(s.Stage, s.Iter)
	if err != nil {
		return err
	}
	node := stage.Nodes[n]
	switch {
	case s.Ann > AnnVThread:
		return c.errorf("unknown annotation %d", s.Ann)
	case node.Kind == Reduce && (s.Ann == AnnParallel || s.Ann.IsThread()):
		// A vectorized reduction is fine: the code generators give it
		// vector accumulators (compiler/codegen, reduce.go) or run it
		// serially.
		return c.errorf("%s on a reduction iterator would race on the accumulator; use rfactor first", s.Ann)
	case node.Ann != AnnNone && s.Ann != AnnNone && node.Ann != s.Ann:
		return c.errorf("already annotated %s", node.Ann)
	}
	if s.Ann.IsThread() && s.Ann != AnnVThread {
		for _, m := range stage.Iters {
			if m != n && stage.Nodes[m].Ann == s.Ann {
				return c.errorf("%s is already bound to iterator %s", s.Ann, stage.Nodes[m].Name)
			}
		}
	}
	m := c.mut(s.Stage)
	m.Nodes = own(m.Nodes)
	m.Nodes[n].Ann = s.Ann
	return nil
}

// PragmaStep attaches a hint to a loop. The only pragma today is
// ir.AutoUnrollMaxStep: unroll the loops inside it while their total
// iteration count is at most Value.
type PragmaStep struct {
	Stage  int          `json:"stage"`
	Iter   int          `json:"iter"`
	Pragma ir.PragmaKey `json:"pragma"`
	Value  int64        `json:"value"`
}

// Kind implements Step.
func (PragmaStep) Kind() string { return "pragma" }

func (s PragmaStep) refs() []ref { return stageIterRefs(s.Stage, s.Iter) }

func (s PragmaStep) String() string {
	return fmt.Sprintf("pragma(%s, iter %d, %s=%d)", stageName(s.Stage), s.Iter, s.Pragma, s.Value)
}

func (s PragmaStep) apply(c *ctx) error {
	_, n, err := c.stageIter(s.Stage, s.Iter)
	if err != nil {
		return err
	}
	if err := s.Pragma.Check(); err != nil {
		return c.errorf("%v", err)
	}
	if s.Pragma == ir.AutoUnrollMaxStep && s.Value < 0 {
		return c.errorf("%s must be at least 0, not %d", s.Pragma, s.Value)
	}
	m := c.mut(s.Stage)
	m.Pragmas = append(m.Pragmas, Pragma{Node: n, Key: s.Pragma, Value: s.Value})
	return nil
}

// MaxAlignFactor bounds the factor of storage_align: padding a row to a
// multiple of more than this many elements pads nothing useful.
const MaxAlignFactor = 1 << 16

// StorageAlign pads the stride of the dimension that iterator Iter (a
// spatial root axis) indexes in the stage's buffer, so that
// stride % Factor == Offset: rows that start at different banks of shared
// memory, say.
type StorageAlign struct {
	Stage  int   `json:"stage"`
	Iter   int   `json:"iter"`
	Factor int64 `json:"factor"`
	Offset int64 `json:"offset"`
}

// Kind implements Step.
func (StorageAlign) Kind() string { return "storage_align" }

func (s StorageAlign) refs() []ref { return stageIterRefs(s.Stage, s.Iter) }

func (s StorageAlign) String() string {
	return fmt.Sprintf("storage_align(%s, iter %d, factor %d, offset %d)", stageName(s.Stage), s.Iter, s.Factor, s.Offset)
}

func (s StorageAlign) apply(c *ctx) error {
	stage, n, err := c.stageIter(s.Stage, s.Iter)
	if err != nil {
		return err
	}
	switch {
	case c.st.IsOutput(s.Stage):
		return c.errorf("%s is an output; outputs are dense", stage.Name())
	case n >= len(stage.Op.Axes):
		return c.errorf("storage_align needs a spatial root axis (one that is not split or fused)")
	case s.Factor <= 0:
		return c.errorf("factor must be positive, not %d", s.Factor)
	case s.Factor > MaxAlignFactor:
		return c.errorf("factor must be at most %d, not %d", MaxAlignFactor, s.Factor)
	case s.Offset < 0 || s.Offset >= s.Factor:
		return c.errorf("offset must be in [0, %d), not %d", s.Factor, s.Offset)
	}
	m := c.mut(s.Stage)
	m.Align = own(m.Align)
	for i, a := range m.Align {
		if a.Dim == n {
			m.Align[i] = Align{Dim: n, Factor: s.Factor, Offset: s.Offset}
			return nil
		}
	}
	m.Align = append(m.Align, Align{Dim: n, Factor: s.Factor, Offset: s.Offset})
	return nil
}
