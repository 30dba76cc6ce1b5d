package lower

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/tabtune/tabtune/compiler/ir"
	"github.com/tabtune/tabtune/compiler/ops"
	"github.com/tabtune/tabtune/compiler/schedule"
	"github.com/tabtune/tabtune/compiler/schedule/schedtest"
	"github.com/tabtune/tabtune/internal/golden"
)

// TestGolden prints the IR after every pass that changed it for a handful
// of schedules and compares with testdata/NAME.golden.
func TestGolden(t *testing.T) {
	cases := []struct {
		name, spec string
		fn         func(*schedtest.Builder)
	}{
		{"gmm_naive", "gmm:M=8,N=6,K=4", func(*schedtest.Builder) {}},
		{"gmm_tile", "gmm:M=8,N=6,K=4", schedtest.Tile},
		{"gmm_cache_parallel", "gmm:M=10,N=12,K=5", schedtest.CacheParallel},
		{"c2d_tile_pad", "c2d:N=1,CI=2,H=6,W=6,CO=4,KH=3,KW=3,stride=1,pad=1", schedtest.Tile},
		{"dense_bias_relu_inline", "dense_bias_relu:M=4,N=8,K=6", schedtest.InlineVectorize},
		{"softmax_rfactor", "softmax:M=4,N=10", schedtest.RfactorAll},
		{"nrm_rfactor", "nrm:B=2,M=3,N=5", schedtest.RfactorAll},
		{"softmax_rows", "softmax:M=5,N=6", softmaxRows},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			d, err := ops.BuildSpec(c.spec)
			if err != nil {
				t.Fatal(err)
			}
			b := schedtest.New(t, d)
			c.fn(b)
			var out strings.Builder
			out.WriteString("# " + c.spec + "\n")
			out.WriteString(d.String())
			out.WriteString("\n# steps\n")
			out.WriteString(b.St.StepsString())
			f, err := Trace(b.St, func(pass string, f *ir.Func) {
				out.WriteString("\n# after " + pass + "\n")
				out.WriteString(f.String())
			})
			if err != nil {
				t.Fatal(err)
			}
			checkLowered(t, b.St, d)
			_ = f
			golden.CheckString(t, filepath.Join("testdata", c.name+".golden"), out.String())
		})
	}
}

// softmaxRows computes softmax per block of two rows of out: the row max,
// the exps (read by the row sum and by out), the row sum and its inverse,
// all at out's outer row loop, in stage order.
func softmaxRows(b *schedtest.Builder) {
	rows := b.Split("out", "i", 2)
	at := b.Iter("out", rows[0])
	for _, p := range []string{"rsum", "expsum", "exps", "maxelem"} {
		b.Do(schedule.ComputeAt{Stage: b.Stage(p), Target: b.Stage("out"), TargetIter: at})
	}
}
