package sample

import "github.com/tabtune/tabtune/targets"

// TileBudget is the most vector accumulators a register tile grown by the
// search may hold on the space's target: microRegisters, or on wasm the
// widest micro-kernel budget (microBudget), which V8 spills in part but
// which can gain when the tile's elements share their loads.
func (sp *Space) TileBudget() int64 {
	if sp.Target.Kind == targets.WasmSIMD {
		return wideBudgets[len(wideBudgets)-1]
	}
	return microRegisters(sp.Target)
}

// TileVectors is the register tile of the stage that tile knob k splits,
// in config c: the product of the innermost lengths of the stage's spatial
// knobs, the vector axis (the knob marked Vector, else the last spatial
// one) counted in vectors of the target's lanes, rounded up.
func (sp *Space) TileVectors(c Config, k int) int64 {
	knobs := sp.Sketch.Tiles
	st := sp.knobStage(knobs[k])
	lanes := int64(max(sp.Target.VectorLanes(), 1))
	var ids []int
	for i, kn := range knobs {
		if sp.knobStage(kn) == st {
			ids = append(ids, i)
		}
	}
	vec := vecKnobOf(knobs, ids)
	n := int64(1)
	for _, i := range ids {
		if knobs[i].Reduce {
			continue
		}
		l := c.Tiles[i][len(c.Tiles[i])-1]
		if i == vec {
			l = (l + lanes - 1) / lanes
		}
		n *= l
	}
	return n
}
