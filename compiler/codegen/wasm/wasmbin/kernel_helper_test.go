package wasmbin

import (
	"context"
	"encoding/binary"
	"math"
	"testing"

	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/api"
)

// envMemoryModule is (module (memory (export "memory") pages)): wazero
// host modules cannot export a memory, so tests link kernels to this one,
// instantiated under the name "env".
func envMemoryModule(pages uint32) []byte {
	out := []byte{0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00}
	mem := appendU32([]byte{0x01, 0x00}, pages) // one memory, limits without a maximum
	out = appendU32(append(out, 5), uint32(len(mem)))
	out = append(out, mem...)
	exp := append(appendName([]byte{0x01}, "memory"), 0x02, 0x00) // memory 0
	out = appendU32(append(out, 7), uint32(len(exp)))
	return append(out, exp...)
}

// kernelRun is a kernel module instantiated in wazero next to its memory.
type kernelRun struct {
	Mem    api.Memory
	Module api.Module
}

// instantiateKernel compiles bin in a fresh wazero runtime (default
// config: SIMD on) and links it to a memory of memPages pages exported as
// env.memory. The runtime is closed when the test ends.
func instantiateKernel(t testing.TB, bin []byte, memPages uint32) kernelRun {
	t.Helper()
	ctx := context.Background()
	r := wazero.NewRuntime(ctx)
	t.Cleanup(func() { r.Close(ctx) })
	env, err := r.InstantiateWithConfig(ctx, envMemoryModule(memPages), wazero.NewModuleConfig().WithName("env"))
	if err != nil {
		t.Fatalf("instantiate env: %v", err)
	}
	mod, err := r.InstantiateWithConfig(ctx, bin, wazero.NewModuleConfig().WithName("kernel"))
	if err != nil {
		t.Fatalf("instantiate kernel: %v", err)
	}
	return kernelRun{Mem: env.Memory(), Module: mod}
}

// runKernel instantiates bin (see instantiateKernel), writes each slice of
// init at its byte offset, calls the export "kernel" with args and returns
// the memory, to read results from, and the call's results.
func runKernel(t testing.TB, bin []byte, memPages uint32, init map[uint32][]float32, args ...uint64) (api.Memory, []uint64) {
	t.Helper()
	k := instantiateKernel(t, bin, memPages)
	for off, vs := range init {
		writeF32s(t, k.Mem, off, vs)
	}
	fn := k.Module.ExportedFunction("kernel")
	if fn == nil {
		t.Fatal(`no export "kernel"`)
	}
	res, err := fn.Call(context.Background(), args...)
	if err != nil {
		t.Fatalf("kernel: %v", err)
	}
	return k.Mem, res
}

func writeF32s(t testing.TB, mem api.Memory, off uint32, vs []float32) {
	t.Helper()
	buf := make([]byte, 4*len(vs))
	for i, v := range vs {
		binary.LittleEndian.PutUint32(buf[4*i:], math.Float32bits(v))
	}
	if !mem.Write(off, buf) {
		t.Fatalf("write of %d floats at %d out of range", len(vs), off)
	}
}

func readF32s(t testing.TB, mem api.Memory, off uint32, n int) []float32 {
	t.Helper()
	buf, ok := mem.Read(off, uint32(4*n))
	if !ok {
		t.Fatalf("read of %d floats at %d out of range", n, off)
	}
	vs := make([]float32, n)
	for i := range vs {
		vs[i] = math.Float32frombits(binary.LittleEndian.Uint32(buf[4*i:]))
	}
	return vs
}
