package sketch

// Condition is what a rule says of a stage: pass it by, apply, or apply
// and skip the rules after it (Ansor's SketchGenerationRule::ConditionKind).
type Condition int

// The conditions.
const (
	Pass Condition = iota
	Apply
	ApplyAndSkipRest
)

// Rule is a derivation rule: a condition on a stage of a sketch, and the
// states it derives.
type Rule interface {
	Name() string
	Meets(p *Policy, s *Sketch, stage int) Condition
	Apply(p *Policy, s *Sketch, stage int) ([]Derived, error)
}

// CPURules are the rules for CPU and wasm targets, in the order they are
// tried at each stage.
var CPURules = []Rule{
	rowFusion{},
	keepExpensive{},
	inlinePadding{},
	alwaysInline{},
	separateWindow{},
	addRfactor{},
	fuseContiguousReduction{},
	addCacheWrite{},
	multiLevelTilingWithFusion{},
	multiLevelTiling{},
	skipStage{},
}

// GPURules are the rules for GPU targets (Ansor's GPU sketch rules), in
// the order they are tried at each stage: inputs of tiled stages go to
// shared memory first, short reductions go into their consumer's
// threads, element-wise stages are inlined, long reductions are spread
// over threads, and stages with reuse are tiled with a register
// accumulator, fused into their consumer below the block, virtual-thread
// and thread levels.
var GPURules = []Rule{
	addCacheRead{},
	specialComputeLocationGPU{},
	alwaysInline{},
	crossThreadReduction{},
	addCacheWrite{},
	multiLevelTilingWithFusionGPU{},
	multiLevelTiling{},
	skipStage{},
}

// skipStage leaves a stage as it is and moves to the one before.
type skipStage struct{}

func (skipStage) Name() string { return "skip" }

func (skipStage) Meets(*Policy, *Sketch, int) Condition { return Apply }

func (skipStage) Apply(_ *Policy, s *Sketch, stage int) ([]Derived, error) {
	return []Derived{{Sketch: s, Next: stage - 1}}, nil
}
