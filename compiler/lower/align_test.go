package lower

import (
	"testing"
	"time"

	"github.com/tabtune/tabtune/compiler/schedule"
)

// TestAlignedStrides checks the padded strides of storage_align, and that
// a large factor costs no more than a small one.
func TestAlignedStrides(t *testing.T) {
	tests := []struct {
		shape  []int64
		aligns []schedule.Align
		order  []int
		want   []int64
	}{
		{[]int64{4, 10}, nil, nil, []int64{10, 1}},
		{[]int64{4, 10}, []schedule.Align{{Dim: 0, Factor: 16, Offset: 1}}, nil, []int64{17, 1}},
		{[]int64{4, 16}, []schedule.Align{{Dim: 0, Factor: 16, Offset: 0}}, nil, []int64{16, 1}},
		{[]int64{2, 3, 5}, []schedule.Align{{Dim: 1, Factor: 8, Offset: 3}, {Dim: 0, Factor: 4, Offset: 0}}, nil, []int64{36, 11, 1}},
		{[]int64{4, 10}, []schedule.Align{{Dim: 0, Factor: schedule.MaxAlignFactor, Offset: schedule.MaxAlignFactor - 1}}, nil, []int64{schedule.MaxAlignFactor - 1, 1}},
		// storage_order: W[co, ci, kh, kw] stored [ci][kh][kw][co].
		{[]int64{4, 2, 3, 3}, nil, []int{1, 2, 3, 0}, []int64{1, 36, 12, 4}},
		{[]int64{4, 10}, nil, []int{0, 1}, []int64{10, 1}},
		// Padding applies in the storage order: dim 0 is innermost.
		{[]int64{4, 10}, []schedule.Align{{Dim: 1, Factor: 8, Offset: 0}}, []int{1, 0}, []int64{1, 8}},
	}
	for _, tc := range tests {
		start := time.Now()
		got := layoutStrides(tc.shape, tc.aligns, tc.order)
		if time.Since(start) > 10*time.Millisecond {
			t.Errorf("%v %v took %v", tc.shape, tc.aligns, time.Since(start))
		}
		for i := range got {
			if got[i] != tc.want[i] {
				t.Errorf("layoutStrides(%v, %v, %v) = %v, want %v", tc.shape, tc.aligns, tc.order, got, tc.want)
				break
			}
		}
	}
}
