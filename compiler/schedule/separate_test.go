package schedule

import (
	"reflect"
	"strings"
	"testing"

	"github.com/tabtune/tabtune/compiler/te"
)

const poolSrc = `
data = input(f32, [1, 2, 5, 6])
pad[n, c, h:7, w:8] = select(h >= 1 && h < 6 && w >= 1 && w < 7, data[n, c, h - 1, w - 1], -inf)
out[n, c, y:3, x:3] = max_over(pad[n, c, y * 2 + ry, x * 2 + rx], ry:3, rx:3)
`

// TestSeparateWindow: separating either window axis of a 3x3 stride-2
// max pool adds out.win, which reduces the other axis over every row (or
// column) the windows cover, and leaves out reducing out.win along the
// separated one; the step round-trips through JSON and replays.
func TestSeparateWindow(t *testing.T) {
	for _, c := range []struct {
		iter      int
		win, last string
	}{
		{4, "out.win[n, c, y, x:3] = max_over(pad[n, c, y, x * 2 + rx], rx:3)",
			"out[n, c, y:3, x] = max_over(out.win[n, c, y * 2 + ry, x], ry:3)"},
		{5, "out.win[n, c, y:3, x:7] = max_over(pad[n, c, y * 2 + ry, x], ry:3)",
			"out[n, c, y, x:3] = max_over(out.win[n, c, y, x * 2 + rx], rx:3)"},
	} {
		d := parse(t, poolSrc)
		st := apply(t, New(d), SeparateWindow{Stage: 2, Iter: c.iter})
		if len(st.Stages) != 4 || st.Stages[2].Name() != "out.win" || st.Stages[3].Name() != "out" {
			t.Fatalf("iter %d: stages %v", c.iter, st)
		}
		if got := format(st.Stages[2].Op); got != c.win {
			t.Errorf("iter %d: out.win is %s, want %s", c.iter, got, c.win)
		}
		if got := format(st.Stages[3].Op); got != c.last {
			t.Errorf("iter %d: out is %s, want %s", c.iter, got, c.last)
		}
		data, err := MarshalSteps(st.Steps)
		if err != nil {
			t.Fatal(err)
		}
		back, err := UnmarshalSteps(data)
		if err != nil || !reflect.DeepEqual(back, st.Steps) {
			t.Fatalf("round trip: %v %v", back, err)
		}
		if re, err := Replay(d, back); err != nil || re.String() != st.String() {
			t.Errorf("replay: %v\n%s\n%s", err, re, st)
		}
	}
}

func TestSeparateWindowErrors(t *testing.T) {
	pool := parse(t, poolSrc)
	mm := parse(t, matmulRelu)
	for _, c := range []struct {
		d     *te.DAG
		steps []Step
		want  string
	}{
		{pool, []Step{SeparateWindow{Stage: 2, Iter: 1}}, "separate_window needs a reduction iterator"},
		{pool, []Step{SeparateWindow{Stage: 1, Iter: 0}}, "pad has no reduction"},
		{pool, []Step{Split{Stage: 2, Iter: 3, Lengths: []int64{2}}, SeparateWindow{Stage: 2, Iter: 5}},
			"must come before the iterators of out are split or fused"},
		{pool, []Step{SeparateWindow{Stage: 2, Iter: 4}, SeparateWindow{Stage: 3, Iter: 4}},
			"out reduces over one axis only"},
		{mm, []Step{Split{Stage: 2, Iter: 0, Lengths: []int64{2}}, SeparateWindow{Stage: 2, Iter: 3}},
			"must come before"},
		{parse(t, "A = input(f32, [4, 4])\nB = input(f32, [4])\nC[i] = sum(A[i, k] * B[k] + A[k, j], k, j)\n"),
			[]Step{SeparateWindow{Stage: 2, Iter: 1}}, "does not read the reduction iterator only as stride*y + k"},
	} {
		st := New(c.d)
		var err error
		for _, s := range c.steps {
			if st, err = st.Apply(s); err != nil {
				break
			}
		}
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%v: error %v, want %q", c.steps, err, c.want)
		}
	}
}

// format is the text form of one tensor's definition.
func format(t *te.Tensor) string {
	var b strings.Builder
	te.FormatTensor(&b, t)
	return strings.TrimSpace(b.String())
}
