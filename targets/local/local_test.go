//go:build !js

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
	if got := strings.Join(Names(), " "); got != "auto cpu node wazero" {
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

// TestCPUNeedsCompiler: without a C compiler, cpu targets are refused
// before anything starts, by name and by auto, saying what to install;
// wasm measurers refuse cpu targets with how they are measured.
func TestCPUNeedsCompiler(t *testing.T) {
	t.Setenv("PATH", t.TempDir())
	t.Setenv("CC", "")
	cpuTarget := targets.MustParseTarget("cpu")
	for _, name := range []string{"cpu", Auto} {
		err := Check(name, cpuTarget)
		var u *Unavailable
		if !errors.As(err, &u) || !strings.Contains(err.Error(), "install gcc") {
			t.Errorf("%s: %v; want an Unavailable that says to install gcc", name, err)
		}
	}
	if err := Check("wazero", cpuTarget); err == nil || !strings.Contains(err.Error(), "cpu kernels are compiled with the system C compiler") {
		t.Errorf("wazero on cpu: %v", err)
	}
	if err := Check("cpu", targets.MustParseTarget("wasm-simd")); err == nil || !strings.Contains(err.Error(), "the cpu measurer runs cpu kernels") {
		t.Errorf("cpu on wasm-simd: %v", err)
	}
	if err := Check(Auto, targets.MustParseTarget("wasm-simd")); err != nil {
		t.Errorf("auto on wasm-simd: %v", err)
	}
}
