package lower

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tabtune/tabtune/compiler/ir"
	"github.com/tabtune/tabtune/compiler/ops"
	"github.com/tabtune/tabtune/compiler/schedule"
	"github.com/tabtune/tabtune/compiler/te"
	"github.com/tabtune/tabtune/internal/golden"
)

// TestStepsFilesReplay reads steps files that the sampler wrote for cuda
// and cpu (thread bindings, virtual threads, parallel loops, shared, local
// and global caches, unroll pragmas): each must read, write back byte for
// byte, replay, and lower to the loop IR in testdata/NAME.golden. The
// files and the golden IR were made before scopes, pragma keys and thread
// bindings were typed, so this test holds the JSON and printed forms to
// what they were. A file written for a zoo operator that changed since
// replays on the program it was written for (text).
func TestStepsFilesReplay(t *testing.T) {
	cases := []struct{ name, spec, text string }{
		{"cuda_gmm", "gmm:M=64,N=64,K=32", ""},
		{"cuda_softmax", "softmax:M=8,N=64", softmaxDivide},
		{"cpu_gmm", "gmm:M=32,N=32,K=16", ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			raw, err := os.ReadFile(filepath.Join("testdata", "before_vocab", c.name+".json"))
			if err != nil {
				t.Fatal(err)
			}
			raw = bytes.TrimSpace(raw)
			steps, err := schedule.UnmarshalSteps(raw)
			if err != nil {
				t.Fatal(err)
			}
			again, err := schedule.MarshalSteps(steps)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(again, raw) {
				t.Errorf("steps written back differ:\n got %s\nwant %s", again, raw)
			}
			d, err := ops.BuildSpec(c.spec)
			if c.text != "" {
				d, err = te.Parse(c.text)
			}
			if err != nil {
				t.Fatal(err)
			}
			st, err := schedule.Replay(d, steps)
			if err != nil {
				t.Fatal(err)
			}
			var out strings.Builder
			out.WriteString("# " + c.spec + "\n# steps\n")
			out.WriteString(st.StepsString())
			out.WriteString("\n# state\n")
			out.WriteString(st.String())
			if _, err := Trace(st, func(pass string, f *ir.Func) {
				out.WriteString("\n# after " + pass + "\n")
				out.WriteString(f.String())
			}); err != nil {
				t.Fatal(err)
			}
			checkLowered(t, st, d)
			golden.CheckString(t, filepath.Join("testdata", "before_vocab", c.name+".golden"), out.String())
		})
	}
}

// softmaxDivide is the zoo's softmax before it inverted the row sum once
// per row: out divided every element by the sum.
const softmaxDivide = `data = input(f32, [8, 64])
maxelem[i] = max_over(data[i, j], j)
exps[i, j] = exp(data[i, j] - maxelem[i])
expsum[i] = sum(exps[i, j], j)
out[i, j] = exps[i, j] / expsum[i]
`
