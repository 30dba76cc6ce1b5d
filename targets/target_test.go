package targets

import (
	"encoding/json"
	"strings"
	"testing"
)

func TestParseTargetRoundTrip(t *testing.T) {
	for _, c := range []struct{ in, canon string }{
		{"wasm-simd", "wasm-simd"},
		{"wasm-simd -relaxed", "wasm-simd -relaxed"},
		{"  wasm-simd   --relaxed ", "wasm-simd -relaxed"},
		{"cpu", "cpu"},
		{"cpu -mcpu=native -cores=2", "cpu -mcpu=native -cores=2"},
		{"cpu -cores=4 -lanes=16 -mcpu=skylake-avx512", "cpu -mcpu=skylake-avx512 -cores=4 -lanes=16"},
		{"cpu -l3=32768 -mcpu=znver4 -l1=32 -l2=1024", "cpu -mcpu=znver4 -l1=32 -l2=1024 -l3=32768"},
		{"cuda", "cuda"},
		{"cuda -arch=sm_90", "cuda -arch=sm_90"},
		{"cuda -arch=sm_90a", "cuda -arch=sm_90a"},
	} {
		tg, err := ParseTarget(c.in)
		if err != nil {
			t.Errorf("%q: %v", c.in, err)
			continue
		}
		if got := tg.String(); got != c.canon {
			t.Errorf("%q: String() = %q, want %q", c.in, got, c.canon)
		}
		again, err := ParseTarget(tg.String())
		if err != nil || again != tg {
			t.Errorf("%q: round trip gave %+v, %v", c.in, again, err)
		}
		if err := tg.Validate(); err != nil {
			t.Errorf("%q: Validate: %v", c.in, err)
		}
	}
}

func TestParseTargetErrors(t *testing.T) {
	for _, c := range []struct{ in, msg string }{
		{"", "empty"},
		{"tpu", `unknown kind "tpu"`},
		{"wasm-simd -mcpu=native", "unknown flag -mcpu for wasm-simd (its flags: -relaxed)"},
		{"cpu -relaxed", "unknown flag -relaxed for cpu"},
		{"cpu -cores=0", "flag -cores: bad value"},
		{"cpu -cores=two", "flag -cores: bad value"},
		{"cpu -mcpu=", "flag -mcpu: bad value"},
		{"cuda -arch=90", "flag -arch: bad value"},
		{"wasm-simd -relaxed=1", "takes no value"},
		{"wasm-simd relaxed", "not a flag"},
		{"cpu -cores=2 -cores=3", "given twice"},
		{"cpu -l1=0", "flag -l1: bad value"},
		{"cpu -l2=1M", "flag -l2: bad value"},
		{"wasm-simd -l1=32", "unknown flag -l1 for wasm-simd"},
	} {
		_, err := ParseTarget(c.in)
		if err == nil || !strings.Contains(err.Error(), c.msg) {
			t.Errorf("%q: error %v, want one containing %q", c.in, err, c.msg)
		}
	}
	if err := (Target{Kind: WasmSIMD, Cores: 2}).Validate(); err == nil {
		t.Error("wasm-simd with cores validated")
	}
	if _, err := json.Marshal(Target{}); err == nil {
		t.Error("zero Target marshalled")
	}
}

func TestTargetJSONAndLanes(t *testing.T) {
	in := struct{ T Target }{MustParseTarget("cpu -mcpu=native -cores=2")}
	b, err := json.Marshal(in)
	if err != nil || string(b) != `{"T":"cpu -mcpu=native -cores=2"}` {
		t.Fatalf("%s %v", b, err)
	}
	var out struct{ T Target }
	if err := json.Unmarshal(b, &out); err != nil || out != in {
		t.Fatalf("%+v %v", out, err)
	}
	if err := json.Unmarshal([]byte(`{"T":"gpu"}`), &out); err == nil {
		t.Error("bad target unmarshalled")
	}
	for s, want := range map[string]int{"wasm-simd": 4, "cpu": 8, "cpu -lanes=16": 16, "cuda": 1,
		"cpu -mcpu=native": 8, "cpu -mcpu=skylake-avx512": 16, "cpu -mcpu=znver4": 16, "cpu -mcpu=znver3": 8,
		"cpu -mcpu=armv8.2-a": 4, "cpu -mcpu=skylake-avx512 -lanes=8": 8} {
		if got := MustParseTarget(s).VectorLanes(); got != want {
			t.Errorf("%s: VectorLanes %d, want %d", s, got, want)
		}
	}
	if MustParseTarget("wasm-simd").Parallel() || !MustParseTarget("cpu").Parallel() || !MustParseTarget("cuda").IsGPU() {
		t.Error("Parallel/IsGPU")
	}
}

func TestCaches(t *testing.T) {
	for s, want := range map[string]Caches{
		"wasm-simd":                     commonCaches,
		"cpu":                           commonCaches,
		"cpu -mcpu=native":              commonCaches,
		"cpu -mcpu=haswell":             clientCaches,
		"cpu -mcpu=icelake-server":      wideL1Caches,
		"cpu -mcpu=armv8.2-a":           armCaches,
		"cpu -mcpu=native -l2=2048":     {L1: 32 << 10, L2: 2 << 20, L3: 32 << 20},
		"cpu -l1=48 -l2=1280 -l3=49152": {L1: 48 << 10, L2: 1280 << 10, L3: 48 << 20},
	} {
		if got := MustParseTarget(s).Caches(); got != want {
			t.Errorf("%s: Caches %+v, want %+v", s, got, want)
		}
	}
}
