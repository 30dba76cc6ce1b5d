package ops

import (
	"fmt"
	"strings"
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

// transposed is topi's conv2d_transpose_nchw: the input dilated by the
// stride (stride-1 zeros between neighbours), padded by KH-1-pad on each
// side, and convolved (stride 1) with the kernel flipped in space and with
// its channel axes swapped. The kernel is [CI, CO, KH, KW]. Dilation and
// padding are one stage: position h of it holds data[(h - b) // stride]
// where h - b is a multiple of the stride inside the data, else 0.0.
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
	lhs := []string{"n", "ci", "h", "w"}
	idx := []string{"n", "ci", "h", "w"}
	var cond []string
	for i, dim := range []struct {
		v     string
		in, b int64
	}{{"h", h, kh - 1 - pad}, {"w", w, kw - 1 - pad}} {
		v, b := dim.v, dim.b
		ext := (dim.in-1)*s + 1 // the dilated input
		lhs[2+i] = ranged(v, ext+2*b)
		if b > 0 {
			cond = append(cond, fmt.Sprintf("%s >= %d", v, b), fmt.Sprintf("%s < %d", v, b+ext))
		}
		idx[2+i] = shift(v, b)
		if s > 1 {
			cond = append(cond, fmt.Sprintf("%s %% %d == 0", paren(shift(v, b)), s))
			idx[2+i] = fmt.Sprintf("%s // %d", paren(shift(v, b)), s)
		}
	}
	in := "data"
	if len(cond) > 0 {
		in = "pad"
		p.line("pad[%s] = select(%s, data[%s], 0.0)", strings.Join(lhs, ", "), strings.Join(cond, " && "), strings.Join(idx, ", "))
	}
	p.line("out[n, co, %s, %s] = sum(%s[n, ci, y + ry, x + rx] * kernel[ci, co, %d - ry, %d - rx], ci, %s, %s)",
		ranged("y", oh), ranged("x", ow), in, kh-1, kw-1, ranged("ry", kh), ranged("rx", kw))
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
// input: every input pixel h collects the output gradients of the windows
// that covered it, grad[(h + pad - kh) / stride] for each kernel row kh
// where h + pad - kh is a multiple of the stride inside the output.
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
	var cond, idx []string
	for _, dim := range []struct {
		v, r string
		out  int64
	}{{"h", "rh", oh}, {"w", "rw", ow}} {
		t := fmt.Sprintf("%s - %s", shift(dim.v, -pad), dim.r) // h + pad - rh
		cond = append(cond, fmt.Sprintf("%s >= 0", t), fmt.Sprintf("%s < %d", t, dim.out*s))
		if s > 1 {
			cond = append(cond, fmt.Sprintf("(%s) %% %d == 0", t, s))
			t = fmt.Sprintf("(%s) // %d", t, s)
		}
		idx = append(idx, t)
	}
	p.line("dx[n, ci, %s, %s] = sum(select(%s, grad[n, co, %s, %s] * kernel[co, ci, rh, rw], 0.0), co, rh, rw)",
		ranged("h", h), ranged("w", w), strings.Join(cond, " && "), idx[0], idx[1])
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
