package targets

import (
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
)

// Kind is the kind of hardware a target describes, and so which code
// generator builds its kernels. Its text form is the first word of a
// target string.
type Kind string

// The target kinds.
const (
	// WasmSIMD is WebAssembly with the fixed-width SIMD128 proposal: the
	// kernels tabtune measures in wazero, node and browsers.
	WasmSIMD Kind = "wasm-simd"
	// CPU is native code for the bridge's CPU, from C with vector
	// extensions and OpenMP.
	CPU Kind = "cpu"
	// CUDA is a CUDA kernel for the bridge's GPU.
	CUDA Kind = "cuda"
)

// Target says what hardware a kernel is tuned and measured for. Its text
// form, written by String and read by ParseTarget, is a kind followed by
// flags, as in TVM's target strings:
//
//	wasm-simd
//	wasm-simd -relaxed
//	cpu -mcpu=native -cores=2
//	cuda -arch=sm_90
//
// Records store that text; two Targets are the same target exactly when
// their String forms are equal. The zero Target is not valid.
type Target struct {
	// Kind is WasmSIMD, CPU or CUDA.
	Kind Kind
	// Relaxed (wasm-simd only, flag -relaxed) lets kernels use the relaxed
	// SIMD proposal (f32x4.relaxed_madd and friends). Browsers and node 22
	// run it; node 20 needs --experimental-wasm-relaxed-simd; wazero cannot
	// run it at all, so such kernels are measured with node or in a page.
	Relaxed bool
	// MCPU (cpu only, flag -mcpu=NAME) is the processor the C compiler
	// targets (its -march/-mcpu value): "native", "skylake-avx512", ...
	// Empty means the bridge's default, which is native.
	MCPU string
	// Cores (cpu only, flag -cores=N) is how many threads a parallel loop
	// may use; 0 means all of the bridge machine's cores.
	Cores int
	// Lanes (cpu only, flag -lanes=N) is the number of f32 lanes of the
	// vectors that vectorized loops are tiled for and that the C uses
	// (GCC/Clang vector types of that width); 0 means what MCPU implies:
	// 16 for an AVX-512 processor, 4 for an Arm architecture (NEON), 8
	// (AVX2) otherwise, native included.
	Lanes int
	// L1, L2 and L3 (cpu only, flags -l1=KIB, -l2=KIB, -l3=KIB) are the
	// data cache sizes of the processor in KiB: L1 and L2 per core, L3
	// shared; 0 means what MCPU implies (see Caches).
	L1, L2, L3 int
	// Arch (cuda only, flag -arch=sm_XY) is the GPU architecture passed to
	// nvcc; empty means the bridge's device.
	Arch string
}

// flagsOf lists each kind's flags in their canonical order.
var flagsOf = map[Kind][]string{
	WasmSIMD: {"relaxed"},
	CPU:      {"mcpu", "cores", "lanes", "l1", "l2", "l3"},
	CUDA:     {"arch"},
}

var (
	archRE = regexp.MustCompile(`^sm_[0-9]+[a-z]?$`)
	mcpuRE = regexp.MustCompile(`^[A-Za-z0-9_.+-]+$`)
)

// ParseTarget reads a target string: a kind (wasm-simd, cpu or cuda)
// then flags, each -name or -name=value, separated by spaces. An unknown
// kind or flag, a flag of another kind, a repeated flag or a bad value is
// an error that says which.
func ParseTarget(s string) (Target, error) {
	fields := strings.Fields(s)
	if len(fields) == 0 {
		return Target{}, fmt.Errorf("target %q: empty (want %s, %s or %s)", s, WasmSIMD, CPU, CUDA)
	}
	t := Target{Kind: Kind(fields[0])}
	allowed, ok := flagsOf[t.Kind]
	if !ok {
		return Target{}, fmt.Errorf("target %q: unknown kind %q (want %s, %s or %s)", s, t.Kind, WasmSIMD, CPU, CUDA)
	}
	seen := map[string]bool{}
	for _, f := range fields[1:] {
		if !strings.HasPrefix(f, "-") || len(f) < 2 {
			return Target{}, fmt.Errorf("target %q: %q is not a flag (flags start with -)", s, f)
		}
		name, value, hasValue := strings.Cut(strings.TrimPrefix(strings.TrimPrefix(f, "-"), "-"), "=")
		known := false
		for _, a := range allowed {
			known = known || a == name
		}
		if !known {
			return Target{}, fmt.Errorf("target %q: unknown flag -%s for %s (its flags: -%s)", s, name, t.Kind, strings.Join(allowed, ", -"))
		}
		if seen[name] {
			return Target{}, fmt.Errorf("target %q: flag -%s given twice", s, name)
		}
		seen[name] = true
		bad := func(want string) error {
			return fmt.Errorf("target %q: flag -%s: bad value %q (want %s)", s, name, value, want)
		}
		switch name {
		case "relaxed":
			if hasValue {
				return Target{}, fmt.Errorf("target %q: flag -relaxed takes no value", s)
			}
			t.Relaxed = true
		case "mcpu":
			if !mcpuRE.MatchString(value) {
				return Target{}, bad("a processor name such as native or skylake-avx512")
			}
			t.MCPU = value
		case "cores", "lanes", "l1", "l2", "l3":
			limit := 4096
			if name[0] == 'l' && name != "lanes" {
				limit = 1 << 30 // KiB
			}
			n, err := strconv.Atoi(value)
			if err != nil || n <= 0 || n > limit {
				return Target{}, bad("a positive integer")
			}
			switch name {
			case "cores":
				t.Cores = n
			case "lanes":
				t.Lanes = n
			case "l1":
				t.L1 = n
			case "l2":
				t.L2 = n
			case "l3":
				t.L3 = n
			}
		case "arch":
			if !archRE.MatchString(value) {
				return Target{}, bad("sm_ and a compute capability, such as sm_90")
			}
			t.Arch = value
		}
	}
	return t, nil
}

// MustParseTarget is ParseTarget for constants; it panics on an error.
func MustParseTarget(s string) Target {
	t, err := ParseTarget(s)
	if err != nil {
		panic(err)
	}
	return t
}

// String is the canonical text form: the kind, then the flags that are
// set, in a fixed order. ParseTarget(t.String()) == t for every valid t.
func (t Target) String() string {
	var b strings.Builder
	b.WriteString(string(t.Kind))
	if t.Relaxed {
		b.WriteString(" -relaxed")
	}
	if t.MCPU != "" {
		b.WriteString(" -mcpu=" + t.MCPU)
	}
	if t.Cores != 0 {
		b.WriteString(" -cores=" + strconv.Itoa(t.Cores))
	}
	if t.Lanes != 0 {
		b.WriteString(" -lanes=" + strconv.Itoa(t.Lanes))
	}
	for _, c := range []struct {
		flag string
		kib  int
	}{{"l1", t.L1}, {"l2", t.L2}, {"l3", t.L3}} {
		if c.kib != 0 {
			b.WriteString(" -" + c.flag + "=" + strconv.Itoa(c.kib))
		}
	}
	if t.Arch != "" {
		b.WriteString(" -arch=" + t.Arch)
	}
	return b.String()
}

// Validate reports whether t is a target that ParseTarget could return.
func (t Target) Validate() error {
	u, err := ParseTarget(t.String())
	if err != nil {
		return err
	}
	if u != t {
		return fmt.Errorf("target %q: fields set that do not apply to %s", t.String(), t.Kind)
	}
	return nil
}

// MarshalText writes the canonical form, so a Target is a JSON string.
func (t Target) MarshalText() ([]byte, error) {
	if err := t.Validate(); err != nil {
		return nil, err
	}
	return []byte(t.String()), nil
}

// UnmarshalText reads a target string.
func (t *Target) UnmarshalText(b []byte) error {
	u, err := ParseTarget(string(b))
	if err != nil {
		return err
	}
	*t = u
	return nil
}

// Kinds lists the target kinds in a fixed order.
func Kinds() []Kind { return []Kind{WasmSIMD, CPU, CUDA} }

// VectorLanes is the number of f32 lanes of one vector that a vectorized
// loop is tiled for: 4 for wasm-simd (v128), Lanes or what MCPU implies for
// cpu (see Lanes), 1 for cuda (a thread computes scalars; width comes
// from threads).
func (t Target) VectorLanes() int {
	switch t.Kind {
	case WasmSIMD:
		return 4
	case CPU:
		if t.Lanes > 0 {
			return t.Lanes
		}
		return mcpuLanes(t.MCPU)
	}
	return 1
}

// avx512 lists the -march values (GCC's names) of processors with
// AVX-512: their f32 vectors have 16 lanes.
var avx512 = strings.Fields(`skylake-avx512 cascadelake cooperlake cannonlake icelake-client icelake-server
	tigerlake rocketlake sapphirerapids emeraldrapids graniterapids graniterapids-d znver4 znver5 knl knm x86-64-v4`)

// mcpuLanes is the f32 lanes of the widest vectors of the -march value
// mcpu: 16 for AVX-512, 4 for Arm (armv8-a and later: NEON), else 8.
func mcpuLanes(mcpu string) int {
	switch {
	case slices.Contains(avx512, mcpu):
		return 16
	case strings.HasPrefix(mcpu, "armv"):
		return 4
	}
	return 8
}

// IsGPU reports whether kernels bind loops to GPU blocks and threads.
func (t Target) IsGPU() bool { return t.Kind == CUDA }

// Parallel reports whether kernels may run loops on several threads:
// cpu (OpenMP) and cuda do; wasm-simd kernels are single-threaded.
func (t Target) Parallel() bool { return t.Kind == CPU || t.Kind == CUDA }

// HowToMeasure says, for a person, where kernels of a kind are measured
// and what that takes: the hint of an error that refuses a target.
func HowToMeasure(k Kind) string {
	switch k {
	case WasmSIMD:
		return "wasm-simd kernels are measured in-process with wazero (-measurer wazero), in V8 with node (-measurer node), or in a browser tab (tabtune serve)"
	case CPU:
		return "cpu kernels are compiled with the system C compiler (gcc, or clang with CC=clang) and timed in a runner subprocess by the cpu measurer (-measurer cpu), on the machine tabtune runs on; name the processor (-mcpu=skylake-avx512) or its vector lanes (-lanes=16) in the target for AVX-512"
	case CUDA:
		return "CUDA kernels are compiled and timed by a bridge: the tabtune daemon on a machine with an NVIDIA GPU and the CUDA toolkit, started there with `tabtune bridge` and reached over a WebSocket with -measurer bridge=ws://HOST:PORT; the bridge and the CUDA code generator are not in this version of tabtune yet, so CUDA kernels cannot be tuned"
	}
	return fmt.Sprintf("no measurer knows target kind %q", string(k))
}
