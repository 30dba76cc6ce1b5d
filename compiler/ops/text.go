package ops

import (
	"fmt"
	"strconv"
	"strings"
)

// This file holds the small helpers that write index expressions and the
// padding stage, so that the operator definitions read like their formulas
// (x * 2 + rx, not x * 1 + rx * 1 + 0).

// program accumulates the statements of a program, one per line.
type program struct {
	b strings.Builder
}

// line appends one statement (or comment) formatted as by fmt.Sprintf.
func (p *program) line(format string, args ...any) {
	fmt.Fprintf(&p.b, format, args...)
	p.b.WriteByte('\n')
}

// input declares an f32 input tensor.
func (p *program) input(name string, shape ...int64) {
	p.line("%s = input(f32, %s)", name, dims(shape...))
}

func (p *program) String() string { return p.b.String() }

// dims prints a shape: [1, 64, 56, 56].
func dims(shape ...int64) string {
	s := make([]string, len(shape))
	for i, n := range shape {
		s[i] = strconv.FormatInt(n, 10)
	}
	return "[" + strings.Join(s, ", ") + "]"
}

// scaled prints v * k, or v when k is 1.
func scaled(v string, k int64) string {
	if k == 1 {
		return v
	}
	return fmt.Sprintf("%s * %d", v, k)
}

// window prints the input index of an output position x and a kernel
// offset r in a strided, dilated window: x * stride + r * dilation.
func window(x string, stride int64, r string, dilation int64) string {
	return scaled(x, stride) + " + " + scaled(r, dilation)
}

// shift prints e - c, e + c for negative c, or e when c is 0.
func shift(e string, c int64) string {
	switch {
	case c > 0:
		return fmt.Sprintf("%s - %d", e, c)
	case c < 0:
		return fmt.Sprintf("%s + %d", e, -c)
	}
	return e
}

// paren wraps e in parentheses unless it is a name or a number.
func paren(e string) string {
	if strings.ContainsAny(e, " ()[]") {
		return "(" + e + ")"
	}
	return e
}

// ranged prints an axis with an explicit range, h:58.
func ranged(v string, extent int64) string {
	return fmt.Sprintf("%s:%d", v, extent)
}

// padStage appends, when pads has a nonzero entry, a stage named name that
// copies src (of the given shape) into a tensor with pads[i] extra elements
// on both sides of dimension i, holding fill there:
//
//	pad[n, c, h:58, w:58] = select(h >= 1 && h < 57 && w >= 1 && w < 57, data[n, c, h - 1, w - 1], 0.0)
//
// axes names the stage's axes. It returns the name of the tensor to read,
// name or, with no padding at all, src itself, and the padded shape.
func (p *program) padStage(name, src string, shape []int64, axes []string, pads []int64, fill string) (string, []int64) {
	return p.padAround(name, src, shape, axes, pads, pads, fill)
}

// padAround is padStage with lo[i] extra elements before dimension i and
// hi[i] after it.
func (p *program) padAround(name, src string, shape []int64, axes []string, lo, hi []int64, fill string) (string, []int64) {
	padded := make([]int64, len(shape))
	lhs := make([]string, len(shape))
	idx := make([]string, len(shape))
	var cond []string
	anyPad := false
	for i, n := range shape {
		padded[i] = lo[i] + n + hi[i]
		lhs[i] = axes[i]
		idx[i] = axes[i]
		if lo[i] == 0 && hi[i] == 0 {
			continue
		}
		anyPad = true
		lhs[i] = ranged(axes[i], padded[i])
		idx[i] = shift(axes[i], lo[i])
		if lo[i] > 0 {
			cond = append(cond, fmt.Sprintf("%s >= %d", axes[i], lo[i]))
		}
		if hi[i] > 0 {
			cond = append(cond, fmt.Sprintf("%s < %d", axes[i], n+lo[i]))
		}
	}
	if !anyPad {
		return src, shape
	}
	p.line("%s[%s] = select(%s, %s[%s], %s)", name, strings.Join(lhs, ", "),
		strings.Join(cond, " && "), src, strings.Join(idx, ", "), fill)
	return name, padded
}

// outSize is the output extent of a sliding window: (in + 2*pad -
// dilation*(k-1) - 1) / stride + 1. what names the dimension for the error
// when the window does not fit.
func outSize(what string, in, k, stride, pad, dilation int64) (int64, error) {
	eff := dilation*(k-1) + 1
	if in+2*pad < eff {
		if dilation != 1 {
			return 0, fmt.Errorf("the dilated kernel (%d) is larger than the padded input (%d + 2*%d) along %s, so the output is empty", eff, in, pad, what)
		}
		return 0, fmt.Errorf("the kernel (%d) is larger than the padded input (%d + 2*%d) along %s, so the output is empty", eff, in, pad, what)
	}
	return (in+2*pad-eff)/stride + 1, nil
}
