package sketch

import "strings"

// multiLevelTilingWithFusionGPU is multi-level tiling with fusion for GPU
// targets (Ansor's RuleMultiLevelTilingWithFusion with its GPU levels):
// the stage is fused into its element-wise consumer once, below the
// leading spatial levels of the structure (level 3 of "SSSRRSRS"), so
// that the consumer's outer tiles are the block, the virtual threads and
// the threads, and each thread computes its tile of the stage in
// registers. No packed-panel variant: on GPU the inputs' tiles go to
// shared memory (addCacheRead).
type multiLevelTilingWithFusionGPU struct{ multiLevelTilingWithFusion }

func (multiLevelTilingWithFusionGPU) Apply(p *Policy, s *Sketch, i int) ([]Derived, error) {
	level := len(p.Structure) - len(strings.TrimLeft(p.Structure, "S"))
	var out []Derived
	for _, inner := range reduceOrders(s, i) {
		d, err := fuseAt(p, s, i, level, inner, false, -1)
		if err != nil {
			return nil, err
		}
		out = append(out, d...)
	}
	return out, nil
}
