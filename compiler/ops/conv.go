package ops

import (
	"fmt"
)

// The convolutions, as TVM's topi defines them: the input is padded by a
// stage of its own (a select that reads the input inside and yields 0.0 on
// the border), and the convolution reduces over input channels and kernel
// offsets. The layouts are NCW, NCHW and NCDHW; kernels are [CO, CI, K...].

// conv1d is topi's conv1d_ncw.
func conv1d(a map[string]int64) (string, error) {
	n, ci, w, co := a["N"], a["CI"], a["W"], a["CO"]
	kw, s, pad, dil := a["KW"], a["stride"], a["pad"], a["dilation"]
	ow, err := outSize("W", w, kw, s, pad, dil)
	if err != nil {
		return "", err
	}
	var p program
	p.input("data", n, ci, w)
	p.input("kernel", co, ci, kw)
	in, _ := p.padStage("pad", "data", []int64{n, ci, w}, []string{"n", "ci", "w"}, []int64{0, 0, pad}, "0.0")
	p.line("out[n, co, %s] = sum(%s[n, ci, %s] * kernel[co, ci, rx], ci, rx)",
		ranged("x", ow), in, window("x", s, "rx", dil))
	return p.String(), nil
}

// conv2d is topi's conv2d_nchw (groups 1), group_conv2d_nchw and, with
// dilation > 1, the dilated convolution. In a grouped convolution output
// channel co belongs to group co // (CO/groups) and reads only that
// group's CI/groups input channels.
func conv2d(a map[string]int64) (string, error) {
	n, ci, h, w, co := a["N"], a["CI"], a["H"], a["W"], a["CO"]
	kh, kw, s, pad := a["KH"], a["KW"], a["stride"], a["pad"]
	dil, groups := a["dilation"], a["groups"]
	if dil == 0 {
		dil = 1
	}
	if groups == 0 {
		groups = 1
	}
	if ci%groups != 0 {
		return "", fmt.Errorf("CI=%d is not divisible by groups=%d", ci, groups)
	}
	if co%groups != 0 {
		return "", fmt.Errorf("CO=%d is not divisible by groups=%d", co, groups)
	}
	oh, err := outSize("H", h, kh, s, pad, dil)
	if err != nil {
		return "", err
	}
	ow, err := outSize("W", w, kw, s, pad, dil)
	if err != nil {
		return "", err
	}
	var p program
	p.input("data", n, ci, h, w)
	p.input("kernel", co, ci/groups, kh, kw)
	in, _ := p.padStage("pad", "data", []int64{n, ci, h, w}, []string{"n", "ci", "h", "w"}, []int64{0, 0, pad, pad}, "0.0")
	channel := "ci"
	if groups > 1 {
		group := "co"
		if co/groups > 1 {
			group = paren(fmt.Sprintf("co // %d", co/groups))
		}
		channel = scaled(group, ci/groups) + " + ci"
	}
	p.line("out[n, co, %s, %s] = sum(%s[n, %s, %s, %s] * kernel[co, ci, ry, rx], ci, ry, rx)",
		ranged("y", oh), ranged("x", ow), in, channel, window("y", s, "ry", dil), window("x", s, "rx", dil))
	return p.String(), nil
}

// conv3d is topi's conv3d_ncdhw.
func conv3d(a map[string]int64) (string, error) {
	n, ci, d, h, w, co := a["N"], a["CI"], a["D"], a["H"], a["W"], a["CO"]
	kd, kh, kw, s, pad := a["KD"], a["KH"], a["KW"], a["stride"], a["pad"]
	var out [3]int64
	for i, dim := range []struct {
		name  string
		in, k int64
	}{{"D", d, kd}, {"H", h, kh}, {"W", w, kw}} {
		o, err := outSize(dim.name, dim.in, dim.k, s, pad, 1)
		if err != nil {
			return "", err
		}
		out[i] = o
	}
	var p program
	p.input("data", n, ci, d, h, w)
	p.input("kernel", co, ci, kd, kh, kw)
	in, _ := p.padStage("pad", "data", []int64{n, ci, d, h, w}, []string{"n", "ci", "d", "h", "w"}, []int64{0, 0, pad, pad, pad}, "0.0")
	p.line("out[n, co, %s, %s, %s] = sum(%s[n, ci, %s, %s, %s] * kernel[co, ci, rz, ry, rx], ci, rz, ry, rx)",
		ranged("z", out[0]), ranged("y", out[1]), ranged("x", out[2]), in,
		window("z", s, "rz", 1), window("y", s, "ry", 1), window("x", s, "rx", 1))
	return p.String(), nil
}

// depthwise is topi's depthwise_conv2d_nchw with channel multiplier 1:
// channel c of the output convolves channel c of the input alone. The
// kernel keeps topi's layout [C, multiplier, KH, KW].
func depthwise(a map[string]int64) (string, error) {
	n, c, h, w := a["N"], a["C"], a["H"], a["W"]
	kh, kw, s, pad := a["KH"], a["KW"], a["stride"], a["pad"]
	oh, err := outSize("H", h, kh, s, pad, 1)
	if err != nil {
		return "", err
	}
	ow, err := outSize("W", w, kw, s, pad, 1)
	if err != nil {
		return "", err
	}
	var p program
	p.input("data", n, c, h, w)
	p.input("kernel", c, 1, kh, kw)
	in, _ := p.padStage("pad", "data", []int64{n, c, h, w}, []string{"n", "c", "h", "w"}, []int64{0, 0, pad, pad}, "0.0")
	p.line("out[n, c, %s, %s] = sum(%s[n, c, %s, %s] * kernel[c, 0, ry, rx], ry, rx)",
		ranged("y", oh), ranged("x", ow), in, window("y", s, "ry", 1), window("x", s, "rx", 1))
	return p.String(), nil
}

// transposed is topi's conv2d_transpose_nchw, written without its zero
// work. topi dilates the input by the stride (stride-1 zeros between
// neighbours) and runs a stride-1 convolution over it, so that with stride
// 2 three taps in four multiply a zero. Here input pixel i adds
// data[i] * kernel[kh] into output row i*stride - pad + kh, and an output
// row h collects only the taps kh that hit an input row; see phaseConv for
// how. The kernel is [CI, CO, KH, KW]; the output [N, CO, OH, OW] with
// OH = (H-1)*stride - 2*pad + KH.
func transposed(a map[string]int64) (string, error) {
	n, ci, h, w, co := a["N"], a["CI"], a["H"], a["W"], a["CO"]
	kh, kw, s, pad := a["KH"], a["KW"], a["stride"], a["pad"]
	if pad > kh-1 || pad > kw-1 {
		return "", fmt.Errorf("pad=%d must be less than the kernel size (KH=%d, KW=%d)", pad, kh, kw)
	}
	oh, ow := (h-1)*s-2*pad+kh, (w-1)*s-2*pad+kw
	if oh <= 0 || ow <= 0 {
		return "", fmt.Errorf("the output would be %dx%d: (H-1)*stride - 2*pad + KH must be positive", oh, ow)
	}
	var p program
	p.input("data", n, ci, h, w)
	p.input("kernel", ci, co, kh, kw)
	p.phaseConv(phaseConv{
		in: "data", kernel: "kernel", out: "out", inCh: "ci", outCh: "co",
		n: n, cin: ci, cout: co, inHW: [2]int64{h, w}, k: [2]int64{kh, kw}, outHW: [2]int64{oh, ow},
		stride: s, pad: pad,
	})
	return p.String(), nil
}

// capsule is the capsule convolution of Ansor's benchmarks
// (conv2d_capsule_nhwijc): every pixel holds CI capsules, each a
// capsule x capsule matrix, and the kernel multiplies them as matrices
// (cap_i x cap_k times cap_k x cap_j) while it convolves in space.
func capsule(a map[string]int64) (string, error) {
	n, h, w, ci, co := a["N"], a["H"], a["W"], a["CI"], a["CO"]
	kh, kw, s, pad, c := a["KH"], a["KW"], a["stride"], a["pad"], a["capsule"]
	oh, err := outSize("H", h, kh, s, pad, 1)
	if err != nil {
		return "", err
	}
	ow, err := outSize("W", w, kw, s, pad, 1)
	if err != nil {
		return "", err
	}
	var p program
	p.input("data", n, h, w, c, c, ci)
	p.input("kernel", kh, kw, c, c, ci, co)
	in, _ := p.padStage("pad", "data", []int64{n, h, w, c, c, ci}, []string{"n", "h", "w", "cap_i", "cap_j", "ci"}, []int64{0, pad, pad, 0, 0, 0}, "0.0")
	p.line("out[n, %s, %s, cap_i, cap_j, co] = sum(%s[n, %s, %s, cap_i, cap_k, ci] * kernel[ry, rx, cap_k, cap_j, ci, co], ry, rx, cap_k, ci)",
		ranged("y", oh), ranged("x", ow), in, window("y", s, "ry", 1), window("x", s, "rx", 1))
	return p.String(), nil
}

// conv2dBackwardData is the gradient of conv2d_nchw with respect to its
// input: input pixel h collects the output gradients of the windows that
// covered it, grad[(h + pad - kh) / stride] for each kernel row kh where
// h + pad - kh is a multiple of the stride inside the output. That is a
// transposed convolution of the gradient, and it is written as t2d is
// (phaseConv), with no taps that the stride skips.
func conv2dBackwardData(a map[string]int64) (string, error) {
	n, ci, h, w, co := a["N"], a["CI"], a["H"], a["W"], a["CO"]
	kh, kw, s, pad := a["KH"], a["KW"], a["stride"], a["pad"]
	oh, err := outSize("H", h, kh, s, pad, 1)
	if err != nil {
		return "", err
	}
	ow, err := outSize("W", w, kw, s, pad, 1)
	if err != nil {
		return "", err
	}
	var p program
	p.input("grad", n, co, oh, ow)
	p.input("kernel", co, ci, kh, kw)
	p.phaseConv(phaseConv{
		in: "grad", kernel: "kernel", out: "dx", inCh: "co", outCh: "ci",
		n: n, cin: co, cout: ci, inHW: [2]int64{oh, ow}, k: [2]int64{kh, kw}, outHW: [2]int64{h, w},
		stride: s, pad: pad,
	})
	return p.String(), nil
}

// conv2dBackwardWeight is the gradient of conv2d_nchw with respect to its
// kernel: each kernel element correlates the output gradient with the
// padded input it multiplied.
func conv2dBackwardWeight(a map[string]int64) (string, error) {
	n, ci, h, w, co := a["N"], a["CI"], a["H"], a["W"], a["CO"]
	kh, kw, s, pad := a["KH"], a["KW"], a["stride"], a["pad"]
	oh, err := outSize("H", h, kh, s, pad, 1)
	if err != nil {
		return "", err
	}
	ow, err := outSize("W", w, kw, s, pad, 1)
	if err != nil {
		return "", err
	}
	var p program
	p.input("data", n, ci, h, w)
	p.input("grad", n, co, oh, ow)
	in, _ := p.padStage("pad", "data", []int64{n, ci, h, w}, []string{"n", "ci", "h", "w"}, []int64{0, 0, pad, pad}, "0.0")
	p.line("dw[co, ci, %s, %s] = sum(grad[n, co, y, x] * %s[n, ci, %s, %s], n, y, x)",
		ranged("rh", kh), ranged("rw", kw), in, window("y", s, "rh", 1), window("x", s, "rw", 1))
	return p.String(), nil
}
