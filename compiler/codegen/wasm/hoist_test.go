package wasm

import (
	"testing"

	"github.com/tabtune/tabtune/compiler/schedule"
)

// TestHoistedStoreForgetsSplat: a scalar buffer hoisted into a local
// across an innermost loop (pad, computed per step of conv2d_bwd_weight's
// unrolled reduction) is stored several times and splat into a vectorized
// loop after each store; the splat cache must drop the old value at each
// store (it once kept the first, and 96 of 108 outputs were wrong).
func TestHoistedStoreForgetsSplat(t *testing.T) {
	steps, err := schedule.UnmarshalSteps([]byte(`{"version":1,"steps":[{"kind":"cache_write","stage":3,"scope":"local"},{"kind":"split","stage":3,"iter":0,"lengths":[1,1,4],"inner_to_outer":true},{"kind":"split","stage":3,"iter":4,"lengths":[1,1,1],"inner_to_outer":true},{"kind":"split","stage":3,"iter":8,"lengths":[1,1,3],"inner_to_outer":true},{"kind":"split","stage":3,"iter":12,"lengths":[1,1,3],"inner_to_outer":true},{"kind":"split","stage":3,"iter":16,"lengths":[2],"inner_to_outer":true},{"kind":"split","stage":3,"iter":19,"lengths":[1],"inner_to_outer":true},{"kind":"split","stage":3,"iter":18,"lengths":[4],"inner_to_outer":true},{"kind":"reorder","stage":3,"order":[4,8,12,0,5,9,13,1,16,20,18,6,10,14,2,17,21,19,7,11,15,3]},{"kind":"follow_split","stage":4,"iter":0,"src_step":1,"n_split":1},{"kind":"follow_split","stage":4,"iter":2,"src_step":2,"n_split":1},{"kind":"follow_split","stage":4,"iter":4,"src_step":3,"n_split":1},{"kind":"follow_split","stage":4,"iter":6,"src_step":4,"n_split":1},{"kind":"reorder","stage":4,"order":[2,4,6,0,3,5,7,1]},{"kind":"compute_at","stage":3,"target":4,"target_iter":3},{"kind":"cache_read","stage":1,"scope":"global","readers":[3]},{"kind":"compute_at","stage":3,"target":4,"target_iter":20},{"kind":"annotate","stage":2,"iter":3,"ann":"vectorize"},{"kind":"annotate","stage":3,"iter":3,"ann":"vectorize"},{"kind":"annotate","stage":4,"iter":21,"ann":"vectorize"},{"kind":"annotate","stage":5,"iter":7,"ann":"vectorize"},{"kind":"pragma","stage":3,"iter":0,"pragma":"auto_unroll_max_step","value":512},{"kind":"pragma","stage":4,"iter":0,"pragma":"auto_unroll_max_step","value":512},{"kind":"pragma","stage":5,"iter":0,"pragma":"auto_unroll_max_step","value":64}]}`))
	if err != nil {
		t.Fatal(err)
	}
	checkSource(t, `data = input(f32, [2, 3, 7, 6])
grad = input(f32, [2, 4, 4, 3])
pad[n, ci, h:9, w:8] = select(h >= 1 && h < 8 && w >= 1 && w < 7, data[n, ci, h - 1, w - 1], 0.0)
dw[co, ci, rh:3, rw:3] = sum(grad[n, co, y, x] * pad[n, ci, y * 2 + rh, x * 2 + rw], n, y, x)
`, steps)
}
