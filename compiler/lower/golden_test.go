package lower

import (
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tabtune/tabtune/compiler/ir"
	"github.com/tabtune/tabtune/compiler/ops"
	"github.com/tabtune/tabtune/compiler/schedule/schedtest"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/")

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
			checkGolden(t, filepath.Join("testdata", c.name+".golden"), out.String())
		})
	}
}

// checkGolden compares got with the file at path, or rewrites the file
// with -update.
func checkGolden(t *testing.T, path, got string) {
	t.Helper()
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if got != string(want) {
		t.Errorf("%s differs; got:\n%s", path, got)
	}
}
