//go:build !js

package local

import (
	"errors"
	"strings"
	"testing"

	"github.com/tabtune/tabtune/targets"
)

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
