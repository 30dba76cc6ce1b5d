package ops

import "fmt"

// registry is the zoo, in the order All returns: Ansor's single-operator
// benchmark set (C1D C2D C3D GMM GRP DIL DEP T2D CAP NRM), then matrix
// products, a fused subgraph, normalizations, pooling and the convolution
// gradients. Defaults are the shapes Ansor and TVM benchmark: ResNet-50
// and MobileNet layers, DCGAN's transposed convolutions, BERT-base
// matrices.
var registry = []*Op{
	{
		Name: "c1d",
		Doc:  "1-D convolution, NCW (topi conv1d_ncw), padding stage + conv",
		Params: []Param{
			size("N", 1, "batch"),
			size("CI", 256, "input channels"),
			size("W", 64, "input width"),
			size("CO", 128, "output channels"),
			size("KW", 3, "kernel width"),
			size("stride", 2, "stride"),
			padding("pad", 1, "zero padding on each side"),
			size("dilation", 1, "kernel dilation"),
		},
		Small: map[string]int64{"N": 2, "CI": 3, "W": 11, "CO": 5, "KW": 3, "stride": 2, "pad": 1, "dilation": 1},
		build: conv1d,
	},
	{
		Name:   "c2d",
		Doc:    "2-D convolution, NCHW (topi conv2d_nchw), padding stage + conv",
		Params: conv2dParams(64, 56, 64, 3, 1, 1),
		Small:  map[string]int64{"N": 2, "CI": 3, "H": 7, "W": 6, "CO": 5, "KH": 3, "KW": 3, "stride": 2, "pad": 1},
		build:  conv2d,
	},
	{
		Name: "c3d",
		Doc:  "3-D convolution, NCDHW (topi conv3d_ncdhw), padding stage + conv",
		Params: []Param{
			size("N", 1, "batch"),
			size("CI", 64, "input channels"),
			size("D", 16, "input depth"),
			size("H", 56, "input height"),
			size("W", 56, "input width"),
			size("CO", 64, "output channels"),
			size("KD", 3, "kernel depth"),
			size("KH", 3, "kernel height"),
			size("KW", 3, "kernel width"),
			size("stride", 1, "stride"),
			padding("pad", 1, "zero padding on each side"),
		},
		Small: map[string]int64{"N": 1, "CI": 2, "D": 5, "H": 6, "W": 7, "CO": 3, "KD": 3, "KH": 3, "KW": 3, "stride": 2, "pad": 1},
		build: conv3d,
	},
	{
		Name: "gmm",
		Doc:  "matrix multiply C = A·B, A is MxK, B is KxN",
		Params: []Param{
			size("M", 1024, "rows of A and C"),
			size("N", 1024, "columns of B and C"),
			size("K", 1024, "columns of A, rows of B"),
		},
		Small: map[string]int64{"M": 7, "N": 6, "K": 5},
		build: matmul,
	},
	{
		Name:   "grp",
		Doc:    "group convolution, NCHW (topi group_conv2d_nchw)",
		Params: append(conv2dParams(64, 56, 128, 3, 2, 1), size("groups", 4, "channel groups (divide CI and CO)")),
		Small:  map[string]int64{"N": 1, "CI": 6, "H": 7, "W": 6, "CO": 9, "KH": 3, "KW": 3, "stride": 2, "pad": 1, "groups": 3},
		build:  conv2d,
	},
	{
		Name:   "dil",
		Doc:    "dilated convolution, NCHW (topi conv2d_nchw with dilation)",
		Params: append(conv2dParams(64, 56, 64, 3, 1, 2), size("dilation", 2, "kernel dilation")),
		Small:  map[string]int64{"N": 1, "CI": 3, "H": 9, "W": 8, "CO": 4, "KH": 3, "KW": 3, "stride": 2, "pad": 1, "dilation": 2},
		build:  conv2d,
	},
	{
		Name: "dep",
		Doc:  "depthwise convolution, NCHW, channel multiplier 1 (topi depthwise_conv2d_nchw)",
		Params: []Param{
			size("N", 1, "batch"),
			size("C", 32, "channels"),
			size("H", 112, "input height"),
			size("W", 112, "input width"),
			size("KH", 3, "kernel height"),
			size("KW", 3, "kernel width"),
			size("stride", 1, "stride"),
			padding("pad", 1, "zero padding on each side"),
		},
		Small: map[string]int64{"N": 1, "C": 4, "H": 7, "W": 6, "KH": 3, "KW": 3, "stride": 2, "pad": 1},
		build: depthwise,
	},
	{
		Name:   "t2d",
		Doc:    "transposed convolution, NCHW (topi conv2d_transpose_nchw) by phases, with no tap that meets the stride's zeros; output (H-1)*stride - 2*pad + KH",
		Params: conv2dParams(512, 4, 256, 4, 2, 1),
		// KH is not a multiple of the stride, KW is; neither is OH = 7 (the
		// phases overhang it), OW = 10 is.
		Small: map[string]int64{"N": 1, "CI": 3, "H": 4, "W": 5, "CO": 2, "KH": 3, "KW": 4, "stride": 2, "pad": 1},
		build: transposed,
	},
	{
		Name: "cap",
		Doc:  "capsule convolution, NHWIJC (Ansor's conv2d_capsule_nhwijc)",
		Params: []Param{
			size("N", 1, "batch"),
			size("H", 16, "input height"),
			size("W", 16, "input width"),
			size("CI", 32, "input capsule channels"),
			size("CO", 32, "output capsule channels"),
			size("KH", 3, "kernel height"),
			size("KW", 3, "kernel width"),
			size("stride", 2, "stride"),
			padding("pad", 1, "zero padding on each side"),
			size("capsule", 4, "capsule matrices are capsule x capsule"),
		},
		Small: map[string]int64{"N": 1, "H": 5, "W": 6, "CI": 2, "CO": 3, "KH": 3, "KW": 3, "stride": 2, "pad": 1, "capsule": 3},
		build: capsule,
	},
	{
		Name: "nrm",
		Doc:  "matrix 2-norm (Frobenius) of each matrix of a batch: sqrt(sum(A*A))",
		Params: []Param{
			size("B", 1, "batch"),
			size("M", 1024, "rows"),
			size("N", 1024, "columns"),
		},
		Small: map[string]int64{"B": 3, "M": 5, "N": 7},
		build: norm,
	},
	{
		Name: "bmm",
		Doc:  "batch matrix multiply C[b] = A[b]·B[b] (BERT-base attention scores)",
		Params: []Param{
			size("B", 12, "batch"),
			size("M", 128, "rows of A and C"),
			size("N", 128, "columns of B and C"),
			size("K", 64, "columns of A, rows of B"),
		},
		Small: map[string]int64{"B": 2, "M": 5, "N": 6, "K": 7},
		build: batchMatmul,
	},
	{
		Name: "dense_bias_relu",
		Doc:  "fused dense layer: relu(X·Wᵀ + bias), three stages (BERT-base FFN)",
		Params: []Param{
			size("M", 128, "rows of X (batch)"),
			size("N", 3072, "output features (rows of W)"),
			size("K", 768, "input features"),
		},
		Small: map[string]int64{"M": 5, "N": 6, "K": 7},
		build: denseBiasRelu,
	},
	{
		Name: "softmax",
		Doc:  "softmax of each row: max, exp(x - max), sum, times 1/sum",
		Params: []Param{
			size("M", 1536, "rows (BERT-base: 12 heads x 128)"),
			size("N", 128, "columns, the softmax axis"),
		},
		Small: map[string]int64{"M": 5, "N": 7},
		build: softmax,
	},
	{
		Name: "layernorm",
		Doc:  "layer normalization of each row, with gamma and beta, epsilon 1e-5",
		Params: []Param{
			size("M", 512, "rows (batch x sequence)"),
			size("N", 768, "columns, the normalized axis"),
		},
		Small: map[string]int64{"M": 5, "N": 7},
		build: layernorm,
	},
	{
		Name:   "maxpool2d",
		Doc:    "2-D max pooling, NCHW, padding with -inf (ResNet stem)",
		Params: poolParams(),
		Small:  map[string]int64{"N": 1, "C": 3, "H": 7, "W": 6, "K": 3, "stride": 2, "pad": 1},
		build:  maxPool,
	},
	{
		Name:   "avgpool2d",
		Doc:    "2-D average pooling, NCHW, zero padding counted in the K*K divisor",
		Params: poolParams(),
		Small:  map[string]int64{"N": 1, "C": 3, "H": 7, "W": 6, "K": 3, "stride": 2, "pad": 1},
		build:  avgPool,
	},
	{
		Name:   "conv2d_bwd_data",
		Doc:    "gradient of c2d with respect to its input (H, W: the input's size), by phases as t2d",
		Params: conv2dParams(64, 56, 64, 3, 1, 1),
		Small:  map[string]int64{"N": 1, "CI": 3, "H": 7, "W": 6, "CO": 4, "KH": 3, "KW": 3, "stride": 2, "pad": 1},
		build:  conv2dBackwardData,
	},
	{
		Name:   "conv2d_bwd_weight",
		Doc:    "gradient of c2d with respect to its kernel, padding stage + reduction",
		Params: conv2dParams(64, 56, 64, 3, 1, 1),
		Small:  map[string]int64{"N": 2, "CI": 3, "H": 7, "W": 6, "CO": 4, "KH": 3, "KW": 3, "stride": 2, "pad": 1},
		build:  conv2dBackwardWeight,
	},
}

// conv2dParams are the parameters of an NCHW convolution with a square
// input and kernel by default.
func conv2dParams(ci, hw, co, k, stride, pad int64) []Param {
	return []Param{
		size("N", 1, "batch"),
		size("CI", ci, "input channels"),
		size("H", hw, "input height"),
		size("W", hw, "input width"),
		size("CO", co, "output channels"),
		size("KH", k, "kernel height"),
		size("KW", k, "kernel width"),
		size("stride", stride, "stride"),
		padding("pad", pad, "zero padding on each side"),
	}
}

// poolParams are the parameters of a pooling: ResNet's 3x3 stride-2 max
// pool after the stem.
func poolParams() []Param {
	return []Param{
		size("N", 1, "batch"),
		size("C", 64, "channels"),
		size("H", 112, "input height"),
		size("W", 112, "input width"),
		size("K", 3, "window size (K x K)"),
		size("stride", 2, "stride"),
		padding("pad", 1, "padding on each side"),
	}
}

// matmul is Ansor's GMM.
func matmul(a map[string]int64) (string, error) {
	var p program
	p.input("A", a["M"], a["K"])
	p.input("B", a["K"], a["N"])
	p.line("C[i, j] = sum(A[i, k] * B[k, j], k)")
	return p.String(), nil
}

// batchMatmul multiplies the matrices of two batches pairwise.
func batchMatmul(a map[string]int64) (string, error) {
	var p program
	p.input("A", a["B"], a["M"], a["K"])
	p.input("B", a["B"], a["K"], a["N"])
	p.line("C[b, i, j] = sum(A[b, i, k] * B[b, k, j], k)")
	return p.String(), nil
}

// norm is Ansor's NRM (norm_bmn). The sum inside sqrt is lifted into a
// stage of its own by the parser, as TVM's te.compute would need it
// written.
func norm(a map[string]int64) (string, error) {
	var p program
	p.input("A", a["B"], a["M"], a["N"])
	p.line("norm[b] = sqrt(sum(A[b, i, j] * A[b, i, j], i, j))")
	return p.String(), nil
}

// denseBiasRelu is topi's dense (X times W transposed) followed by a bias
// add and a relu, the subgraph a fully connected layer lowers to.
func denseBiasRelu(a map[string]int64) (string, error) {
	var p program
	p.input("X", a["M"], a["K"])
	p.input("W", a["N"], a["K"])
	p.input("bias", a["N"])
	p.line("dense[i, j] = sum(X[i, k] * W[j, k], k)")
	p.line("bias_add[i, j] = dense[i, j] + bias[j]")
	p.line("relu[i, j] = max(bias_add[i, j], 0.0)")
	return p.String(), nil
}

// softmax is topi's softmax over the last axis: subtracting the row's
// maximum keeps exp from overflowing, and each row's sum is inverted once
// (rsum), so that the last stage multiplies instead of dividing.
func softmax(a map[string]int64) (string, error) {
	var p program
	p.input("data", a["M"], a["N"])
	p.line("maxelem[i] = max_over(data[i, j], j)")
	p.line("exps[i, j] = exp(data[i, j] - maxelem[i])")
	p.line("expsum[i] = sum(exps[i, j], j)")
	p.line("rsum[i] = 1.0 / expsum[i]")
	p.line("out[i, j] = exps[i, j] * rsum[i]")
	return p.String(), nil
}

// layernorm normalizes each row to mean 0 and variance 1 (the biased
// variance, computed in a second pass), then scales by gamma and shifts by
// beta per column; 1/sqrt(variance + eps) is computed once per row (rstd),
// so that the last stage multiplies instead of dividing.
func layernorm(a map[string]int64) (string, error) {
	n := flt(a["N"])
	var p program
	p.input("data", a["M"], a["N"])
	p.input("gamma", a["N"])
	p.input("beta", a["N"])
	p.line("total[i] = sum(data[i, j], j)")
	p.line("mean[i] = total[i] / %s", n)
	p.line("sqdev[i] = sum((data[i, j] - mean[i]) * (data[i, j] - mean[i]), j)")
	p.line("variance[i] = sqdev[i] / %s", n)
	p.line("rstd[i] = 1.0 / sqrt(variance[i] + 1e-05)")
	p.line("out[i, j] = (data[i, j] - mean[i]) * rstd[i] * gamma[j] + beta[j]")
	return p.String(), nil
}

// poolShape checks a pooling's parameters and returns its output size.
func poolShape(a map[string]int64) (oh, ow int64, err error) {
	k, pad := a["K"], a["pad"]
	if 2*pad > k {
		return 0, 0, fmt.Errorf("pad=%d is more than half the window K=%d: some windows would hold only padding", pad, k)
	}
	if oh, err = outSize("H", a["H"], k, a["stride"], pad, 1); err != nil {
		return 0, 0, err
	}
	if ow, err = outSize("W", a["W"], k, a["stride"], pad, 1); err != nil {
		return 0, 0, err
	}
	return oh, ow, nil
}

// maxPool is topi's pool2d with pool_type max: the padding holds -inf, so
// it never wins the max.
func maxPool(a map[string]int64) (string, error) {
	oh, ow, err := poolShape(a)
	if err != nil {
		return "", err
	}
	n, c, h, w, k, s, pad := a["N"], a["C"], a["H"], a["W"], a["K"], a["stride"], a["pad"]
	var p program
	p.input("data", n, c, h, w)
	in, _ := p.padStage("pad", "data", []int64{n, c, h, w}, []string{"n", "c", "h", "w"}, []int64{0, 0, pad, pad}, "-inf")
	p.line("out[n, c, %s, %s] = max_over(%s[n, c, %s, %s], %s, %s)",
		ranged("y", oh), ranged("x", ow), in, window("y", s, "ry", 1), window("x", s, "rx", 1), ranged("ry", k), ranged("rx", k))
	return p.String(), nil
}

// avgPool is topi's pool2d with pool_type avg and count_include_pad: the
// window sum over the zero-padded input, divided by K*K everywhere.
func avgPool(a map[string]int64) (string, error) {
	oh, ow, err := poolShape(a)
	if err != nil {
		return "", err
	}
	n, c, h, w, k, s, pad := a["N"], a["C"], a["H"], a["W"], a["K"], a["stride"], a["pad"]
	var p program
	p.input("data", n, c, h, w)
	in, _ := p.padStage("pad", "data", []int64{n, c, h, w}, []string{"n", "c", "h", "w"}, []int64{0, 0, pad, pad}, "0.0")
	p.line("window_sum[n, c, %s, %s] = sum(%s[n, c, %s, %s], %s, %s)",
		ranged("y", oh), ranged("x", ow), in, window("y", s, "ry", 1), window("x", s, "rx", 1), ranged("ry", k), ranged("rx", k))
	p.line("out[n, c, y, x] = window_sum[n, c, y, x] / %s", flt(k*k))
	return p.String(), nil
}
