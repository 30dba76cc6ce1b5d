package model

import (
	"fmt"
	"math"
)

// Params are the training parameters of a model.
type Params struct {
	// Trees is the number of boosting rounds (trees), at least 1.
	Trees int
	// MaxDepth is the depth of the deepest leaf (the root has depth 0),
	// 1 to 24.
	MaxDepth int
	// LearningRate (shrinkage, XGBoost's eta) scales every leaf value;
	// greater than 0 and at most 1.
	LearningRate float64
	// Lambda is the L2 regularization of leaf values, at least 0.
	Lambda float64
	// Gamma is the least gain a split must bring (XGBoost's
	// min_split_loss), at least 0.
	Gamma float64
	// MinChildWeight is the least hessian (sum of row weights, with
	// program weights rescaled to mean 1) each child of a split keeps,
	// at least 0.
	MinChildWeight float64
	// Bins is the most histogram bins per feature, 2 to 255.
	Bins int
	// Subsample is the fraction of training rows each tree sees,
	// greater than 0 and at most 1.
	Subsample float64
	// ColSample is the fraction of (non-constant) features each tree
	// may split on, greater than 0 and at most 1.
	ColSample float64
	// Seed fixes the row and feature subsampling.
	Seed uint64
}

// DefaultParams are parameters that suit tuning logs of about 1e3 to 1e5
// rows (a few hundred to tens of thousands of measured programs).
func DefaultParams() Params {
	return Params{
		Trees:          200,
		MaxDepth:       6,
		LearningRate:   0.1,
		Lambda:         5,
		Gamma:          0,
		MinChildWeight: 1,
		Bins:           64,
		Subsample:      0.8,
		ColSample:      1,
		Seed:           1,
	}
}

const maxDepthLimit = 24

// Validate reports the first parameter out of its range.
func (p Params) Validate() error {
	bad := func(name string, v any, want string) error {
		return fmt.Errorf("model: Params.%s = %v, want %s", name, v, want)
	}
	finite := func(x float64) bool { return !math.IsNaN(x) && !math.IsInf(x, 0) }
	switch {
	case p.Trees < 1:
		return bad("Trees", p.Trees, "at least 1")
	case p.MaxDepth < 1 || p.MaxDepth > maxDepthLimit:
		return bad("MaxDepth", p.MaxDepth, fmt.Sprintf("1 to %d", maxDepthLimit))
	case !(p.LearningRate > 0 && p.LearningRate <= 1):
		return bad("LearningRate", p.LearningRate, "in (0, 1]")
	case !(p.Lambda >= 0) || !finite(p.Lambda):
		return bad("Lambda", p.Lambda, "a finite number >= 0")
	case !(p.Gamma >= 0) || !finite(p.Gamma):
		return bad("Gamma", p.Gamma, "a finite number >= 0")
	case !(p.MinChildWeight >= 0) || !finite(p.MinChildWeight):
		return bad("MinChildWeight", p.MinChildWeight, "a finite number >= 0")
	case p.Bins < 2 || p.Bins > 255:
		return bad("Bins", p.Bins, "2 to 255")
	case !(p.Subsample > 0 && p.Subsample <= 1):
		return bad("Subsample", p.Subsample, "in (0, 1]")
	case !(p.ColSample > 0 && p.ColSample <= 1):
		return bad("ColSample", p.ColSample, "in (0, 1]")
	}
	return nil
}
