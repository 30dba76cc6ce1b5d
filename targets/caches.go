package targets

import (
	"slices"
	"strings"
)

// Caches are the data cache sizes of a processor, in bytes: L1 and L2 per
// core, L3 shared by the cores.
type Caches struct {
	L1, L2, L3 int64
}

// Caches is the data caches of the target's processor: the -l1, -l2 and
// -l3 flags where given, the rest by MCPU (mcpuCaches). Native and an
// empty MCPU get a common x86-64 server core's sizes; targets/cpu's
// WithNativeCaches sets the flags from the machine tabtune runs on. A
// wasm-simd target runs on whatever machine opens the page: it gets the
// same common sizes. A cuda target has none that the features use: it
// gets them too.
func (t Target) Caches() Caches {
	c := mcpuCaches(t.MCPU)
	for _, f := range []struct {
		kib int
		dst *int64
	}{{t.L1, &c.L1}, {t.L2, &c.L2}, {t.L3, &c.L3}} {
		if f.kib > 0 {
			*f.dst = int64(f.kib) << 10
		}
	}
	return c
}

// The cache sizes by processor family.
var (
	// commonCaches: a common x86-64 core (Skylake-SP's and Zen's 32 KiB
	// L1, a 1 MiB L2, a 32 MiB L3).
	commonCaches = Caches{L1: 32 << 10, L2: 1 << 20, L3: 32 << 20}
	// clientCaches: Intel client cores before Ice Lake (256 KiB L2).
	clientCaches = Caches{L1: 32 << 10, L2: 256 << 10, L3: 8 << 20}
	// wideL1Caches: Ice Lake and later Intel cores, Zen 5 (48 KiB L1).
	wideL1Caches = Caches{L1: 48 << 10, L2: 2 << 20, L3: 32 << 20}
	// armCaches: a common Arm server core (Neoverse: 64 KiB L1, 1 MiB L2).
	armCaches = Caches{L1: 64 << 10, L2: 1 << 20, L3: 32 << 20}
)

// mcpuCaches is the caches of the -march value mcpu.
func mcpuCaches(mcpu string) Caches {
	switch {
	case slices.Contains(strings.Fields(`icelake-client icelake-server tigerlake rocketlake sapphirerapids
		emeraldrapids graniterapids graniterapids-d alderlake raptorlake meteorlake znver5`), mcpu):
		return wideL1Caches
	case slices.Contains(strings.Fields(`haswell broadwell skylake x86-64-v3`), mcpu):
		return clientCaches
	case strings.HasPrefix(mcpu, "armv"):
		return armCaches
	}
	return commonCaches
}
