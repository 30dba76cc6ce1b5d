package te

import (
	"fmt"
	"math"
	"strconv"
	"strings"
)

// ElemBytes is the size of an element of every dtype (f32 and i32).
const ElemBytes = 4

// Elements is the number of elements of a shape; ok is false when it does
// not fit in an int64.
func Elements(shape []int64) (n int64, ok bool) {
	n = 1
	for _, d := range shape {
		if d <= 0 {
			return 0, d == 0
		}
		if n > math.MaxInt64/d {
			return 0, false
		}
		n *= d
	}
	return n, true
}

// CheckBytes checks, before anything is allocated, that the tensors fit
// in limit bytes, which holder (such as "the interpreter's budget") can
// hold: every element count must fit in an int64, and the bytes together
// must not exceed limit. The error names the largest tensor, its size and
// the limit. A limit below zero means no limit but int64's.
func CheckBytes(tensors []*Tensor, limit int64, holder string) error {
	var total int64
	var big *Tensor
	var bigBytes int64
	for _, t := range tensors {
		n, ok := Elements(t.Shape)
		if !ok || n > math.MaxInt64/ElemBytes {
			return fmt.Errorf("tensor %s has %s: more than an int64 counts", t.Name, shapeText(t.Shape))
		}
		b := n * ElemBytes
		if b > bigBytes || big == nil {
			big, bigBytes = t, b
		}
		if total > math.MaxInt64-b {
			return fmt.Errorf("the tensors together need more bytes than an int64 counts (%s alone has %s)", big.Name, shapeText(big.Shape))
		}
		total += b
	}
	if limit >= 0 && total > limit {
		if len(tensors) == 1 {
			return fmt.Errorf("tensor %s (%s) needs %s; %s holds %s", big.Name, shapeText(big.Shape), FormatBytes(total), holder, FormatBytes(limit))
		}
		return fmt.Errorf("the tensors need %s (the largest, %s, has %s); %s holds %s",
			FormatBytes(total), big.Name, shapeText(big.Shape), holder, FormatBytes(limit))
	}
	return nil
}

// shapeText writes a shape's elements as "1000 x 1000 elements".
func shapeText(shape []int64) string {
	if len(shape) == 0 {
		return "1 element"
	}
	parts := make([]string, len(shape))
	for i, d := range shape {
		parts[i] = strconv.FormatInt(d, 10)
	}
	return strings.Join(parts, " x ") + " elements"
}

// FormatBytes writes a byte count with a binary unit: 6.0 GiB, 512 B.
func FormatBytes(n int64) string {
	units := []string{"B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"}
	v, u := float64(n), 0
	for v >= 1024 && u < len(units)-1 {
		v /= 1024
		u++
	}
	if u == 0 {
		return strconv.FormatInt(n, 10) + " B"
	}
	return strconv.FormatFloat(v, 'f', 1, 64) + " " + units[u]
}
