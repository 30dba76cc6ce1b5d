// Package model is tabtune's learned cost model: gradient-boosted regression
// trees, written for this project, shaped like the XGBoost model of Ansor
// (Zheng et al., "Ansor: Generating High-Performance Tensor Programs for Deep
// Learning", OSDI 2020; TVM's auto_scheduler/cost_model/xgb_model.py).
//
// # What is predicted
//
// A training sample is a whole program, given as a set of rows: one feature
// vector per innermost statement of the lowered program (search/features),
// all of the same width F. Its target is a normalized throughput (per
// workload, best time / this program's time, 0 for a program that failed)
// and it has a weight. The model gives each row a score and the score of a
// program is the SUM of its rows' scores. The loss is the weighted squared
// error between that sum and the target: Ansor's "pack-sum" objective
// (pack_sum_square_error), which lets one model rank programs with any number
// of statements.
//
// # How it is trained
//
// Second-order (Newton) boosting as in XGBoost (Chen and Guestrin, "XGBoost:
// A Scalable Tree Boosting System", KDD 2016). Each round, every program p
// has the gradient g_p = w_p·(s_p − y_p) and hessian h_p = w_p of its loss
// with respect to its sum s_p; as d s_p / d(row score) = 1, every row of p
// gets g_p and h_p, exactly as Ansor feeds XGBoost. A regression tree is
// then fit to the rows: a split's gain is G_L²/(H_L+λ) + G_R²/(H_R+λ) −
// G²/(H+λ) over the rows' sums G and H, and a split is made only when its
// gain exceeds γ and both children keep a hessian of at least
// MinChildWeight. Trees grow depth-first to MaxDepth. A leaf's value is
// −G/(H+λ) times the learning rate.
//
// Two refinements keep boosting on sums stable where XGBoost's row-level
// hessian would not: with k rows of program p in a leaf, the leaf value
// moves s_p by k times the value, so the leaf's hessian is Σ_p k²·w_p
// rather than the rows' Σ_p k·w_p (otherwise a program of 40 similar rows
// makes a step 40 times too long, and training diverges); and a tree whose
// leaves together still overshoot (a program with rows in many leaves) is
// scaled down to the best step along its own direction, so the training
// loss never grows. On programs whose rows fall in different leaves both
// change nothing.
//
// Split finding is histogram based. Each feature is quantile-binned once per
// training from the training rows (at most Params.Bins bins; a feature with
// few distinct values, as most of tabtune's are, gets one bin per value and
// thresholds half-way between values). Features constant over the training
// rows are dropped. Rows are stored sparsely, without each feature's most
// frequent bin (mostly the bin of 0): a histogram gets that bin from the
// node's sums. A node's histogram is built from the rows of the smaller
// child only; the larger child's is the parent's minus it. NaN feature
// values are "missing": split finding tries sending them either way
// (XGBoost's sparsity-aware default direction) and prediction sends a NaN
// the way the node learned (or, when training saw no NaN there, to the child
// with more training weight).
//
// Rows are subsampled per tree (Params.Subsample) and features per tree
// (Params.ColSample), both from a math/rand/v2 PCG seeded with Params.Seed.
// Training is single-threaded and deterministic: the same programs and
// parameters give the same model, byte for byte.
//
// Program weights are rescaled to mean 1, so that λ and MinChildWeight are
// in units of "rows of an average-weight program", and the initial score of
// every row is the constant b that minimizes the loss of the sums,
// Σ w·n·y / Σ w·n² over programs with n rows, instead of XGBoost's fixed
// base_score.
//
// # Prediction and storage
//
// Trees are stored as one flat array of 16-byte nodes (feature and default
// direction, threshold, index of the left child with the right child next to
// it, leaf value); a row goes left when x[feature] < threshold. Thresholds
// are kept as order-preserving integer keys and a leaf is its own child, so
// a row takes a fixed number of branch-free steps down each tree, and eight
// trees are walked at once to overlap their memory loads. Rows with a NaN
// take a plain walk that honours the default directions.
//
// Save writes a compact little-endian binary form with a magic string, a
// format version and a CRC-32; Load rejects any other version or damaged
// data with a clear error.
//
// The package uses only the standard library, starts no goroutines and
// touches no file system, so it runs unchanged in a browser (GOOS=js
// GOARCH=wasm).
package model
