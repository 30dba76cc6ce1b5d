package wasm

import (
	"strings"
	"testing"

	"github.com/tabtune/tabtune/compiler/codegen"
	"github.com/tabtune/tabtune/compiler/ir"
	"github.com/tabtune/tabtune/compiler/lower"
)

// TestPasses: the generator's pass list keeps the shared ordering
// constraints, and Prepare reports the passes that change the GMM
// micro-kernel (no auto_unroll_max_step there) and gives Compile's IR.
func TestPasses(t *testing.T) {
	if err := codegen.CheckOrder(Passes); err != nil {
		t.Fatal(err)
	}
	f, err := lower.Lower(specState(t, "gmm:M=8,N=16,K=6", "testdata/gmm1024.json"))
	if err != nil {
		t.Fatal(err)
	}
	k, err := Compile(f, Options{})
	if err != nil {
		t.Fatal(err)
	}
	var changed []string
	var last *ir.Func
	_, err = Prepare(f, Options{}, func(pass string, f *ir.Func) {
		changed = append(changed, pass)
		last = f
	})
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(changed, " "); got != "vectorize unroll" {
		t.Errorf("passes that changed the function: %q, want vectorize unroll", got)
	}
	if last == nil || last.String() != k.Prepared.String() {
		t.Errorf("the traced IR is not what Compile emitted")
	}
	if _, err := Prepare(f, Options{MaxUnroll: -1}, nil); err == nil || err.Error() != "wasm: codegen: negative unroll bound -1" {
		t.Errorf("negative MaxUnroll: got %v", err)
	}
}
