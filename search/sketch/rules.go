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
	alwaysInline{},
	addRfactor{},
	addCacheWrite{},
	multiLevelTilingWithFusion{},
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
