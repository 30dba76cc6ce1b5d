package local

import (
	"errors"
	"strings"
	"testing"

	"github.com/tabtune/tabtune/targets"
)

func TestCheck(t *testing.T) {
	for _, c := range []struct {
		name, target, want string
	}{
		{Auto, "wasm-simd", ""},
		{"wazero", "wasm-simd", ""},
		{"wasm", "wasm-simd", ""}, // the wazero measurer's old name
		{"node", "wasm-simd -relaxed", ""},
		{"wazero", "wasm-simd -relaxed", "wazero cannot run relaxed SIMD"},
		{Auto, "cuda", "CUDA kernels are compiled and timed by a bridge"},
		{"node", "cuda", "bridge"},
		{"quantum", "wasm-simd", `unknown measurer "quantum"`},
	} {
		err := Check(c.name, targets.MustParseTarget(c.target))
		if c.want == "" {
			if err != nil {
				t.Errorf("%s on %s: %v", c.name, c.target, err)
			}
			continue
		}
		var u *Unavailable
		if err == nil || !strings.Contains(err.Error(), c.want) || !errors.As(err, &u) {
			t.Errorf("%s on %s: %v, want an *Unavailable saying %q", c.name, c.target, err, c.want)
		}
	}
	if got := strings.Join(Names(), " "); got != "auto node wazero" {
		t.Errorf("Names() = %s", got)
	}
}

// TestOpenWazero: wazero opens anywhere, and auto falls back to it when
// node cannot start.
func TestOpenWazero(t *testing.T) {
	m, closeM, err := Open("wazero", targets.MustParseTarget("wasm-simd"), targets.Options{})
	if err != nil || m.Name() != "wazero" {
		t.Fatalf("%v %v", m, err)
	}
	closeM()
	t.Setenv("TABTUNE_NODE", "/nonexistent/node")
	m, closeM, err = Open(Auto, targets.MustParseTarget("wasm-simd"), targets.Options{})
	if err != nil || m.Name() != "wazero" {
		t.Fatalf("auto without node: %v %v", m, err)
	}
	closeM()
}
