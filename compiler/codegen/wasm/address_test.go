package wasm

import (
	"fmt"
	"regexp"
	"testing"

	"github.com/tabtune/tabtune/compiler/codegen/wasm/wasmbin"
	"github.com/tabtune/tabtune/compiler/schedule"
)

// TestLiftedPointers: the taps of a read moved by a floor division of an
// outer loop's variable (a transposed convolution's phases read
// pad[.., y + (2 - py) // 2 + ry, ..], which simplifies to a term whose
// bounds dip below 0) share one pointer of the inner loop, each tap at a
// constant offset, rather than a pointer each; and compute the reference,
// also where the taps reach back before the shared pointer's start.
func TestLiftedPointers(t *testing.T) {
	cases := []struct {
		stride  int
		taps    []int
		vectors bool
	}{
		{2, []int{0, 1, 2}, true},
		{2, []int{0, 1, 2}, false},
		{3, []int{0, 2, 5}, true},
		{3, []int{1, 3}, false},
		{4, []int{0, 1, 2, 3}, true},
	}
	offset := regexp.MustCompile(`(f32|v128)\.load offset=`)
	for _, c := range cases {
		name := fmt.Sprintf("s%d taps%v vec=%v", c.stride, c.taps, c.vectors)
		t.Run(name, func(t *testing.T) {
			s := c.stride
			value := ""
			for k, tap := range c.taps {
				if k > 0 {
					value += " + "
				}
				value += fmt.Sprintf("A[p, j + (%d - p) // %d + %d] * %d.0", s, s, tap, k+1)
			}
			src := fmt.Sprintf("A = input(f32, [%d, 24])\nB[p:%d, j:16] = %s\n", s, s, value)
			steps := []schedule.Step{schedule.Split{Stage: 1, Iter: 1, Lengths: []int64{4}, InnerToOuter: true}}
			if c.vectors {
				steps = append(steps, schedule.Annotate{Stage: 1, Iter: 2, Ann: schedule.AnnVectorize})
			} else {
				steps = append(steps, schedule.Annotate{Stage: 1, Iter: 2, Ann: schedule.AnnUnroll})
			}
			k := checkSource(t, src, steps)
			text, err := wasmbin.Disassemble(k.Wasm)
			if err != nil {
				t.Fatal(err)
			}
			if n := len(offset.FindAllString(text, -1)); n < len(c.taps)-1 {
				t.Errorf("%d loads at a constant offset of a shared pointer, want at least %d\n%s\n%s", n, len(c.taps)-1, k.Prepared, text)
			}
		})
	}
}
