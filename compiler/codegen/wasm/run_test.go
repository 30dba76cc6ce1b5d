package wasm

import (
	"context"
	"encoding/binary"
	"fmt"
	"math"
	"sync/atomic"
	"testing"

	"github.com/tetratelabs/wazero"

	"github.com/tabtune/tabtune/compiler/expr"
	"github.com/tabtune/tabtune/compiler/interp"
	"github.com/tabtune/tabtune/internal/wabt"
)

// memoryModule is (module (memory (export "memory") pages)).
func memoryModule(pages uint32) []byte {
	var limits []byte
	limits = append(limits, 0x01, 0x00) // one memory, no maximum
	for v := pages; ; {
		c := byte(v & 0x7f)
		v >>= 7
		if v != 0 {
			limits = append(limits, c|0x80)
			continue
		}
		limits = append(limits, c)
		break
	}
	b := []byte{0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, 0x05, byte(len(limits))}
	b = append(b, limits...)
	return append(b, 0x07, 0x0a, 0x01, 0x06, 'm', 'e', 'm', 'o', 'r', 'y', 0x02, 0x00)
}

var runtimeForTests = func() wazero.Runtime {
	return wazero.NewRuntime(context.Background())
}()

var moduleCount atomic.Int64

// runKernel runs a kernel in wazero on inputs and returns its outputs.
// Tensors sit 16-byte aligned with gaps of 64 bytes between them.
func runKernel(k *Kernel, inputs []interp.Data) ([]interp.Data, error) {
	ctx := context.Background()
	offsets := make([]uint64, len(k.Params)+1)
	off := uint64(64)
	for i, p := range k.Params {
		offsets[i] = off
		off += (uint64(p.Elems())*4+15)&^15 + 64
	}
	offsets[len(k.Params)] = off
	total := off + uint64(k.ScratchBytes) + 64
	pages := uint32((total + 65535) / 65536)
	n := moduleCount.Add(1)
	r := runtimeForTests
	env, err := r.InstantiateWithConfig(ctx, memoryModule(pages), wazero.NewModuleConfig().WithName("env"))
	if err != nil {
		return nil, err
	}
	defer env.Close(ctx)
	compiled, err := r.CompileModule(ctx, k.Wasm)
	if err != nil {
		return nil, fmt.Errorf("compile: %w", err)
	}
	defer compiled.Close(ctx)
	mod, err := r.InstantiateModule(ctx, compiled, wazero.NewModuleConfig().WithName(fmt.Sprintf("k%d", n)))
	if err != nil {
		return nil, fmt.Errorf("instantiate: %w", err)
	}
	defer mod.Close(ctx)
	mem := env.Memory()
	nin := len(k.Params) - k.Outputs
	for i, p := range k.Params {
		buf := make([]byte, p.Elems()*4)
		for j := int64(0); j < p.Elems(); j++ {
			var bits uint32
			switch {
			case i >= nin:
				bits = math.Float32bits(float32(math.NaN()))
			case p.DType == expr.Int:
				bits = uint32(inputs[i].I32[j])
			default:
				bits = math.Float32bits(inputs[i].F32[j])
			}
			binary.LittleEndian.PutUint32(buf[4*j:], bits)
		}
		mem.Write(uint32(offsets[i]), buf)
	}
	if sb, ok := mod.ExportedGlobal("scratch_bytes").Get(), true; ok && int(sb) != k.ScratchBytes {
		return nil, fmt.Errorf("scratch_bytes is %d, want %d", sb, k.ScratchBytes)
	}
	if _, err := mod.ExportedFunction("kernel").Call(ctx, offsets...); err != nil {
		return nil, fmt.Errorf("run: %w", err)
	}
	outs := make([]interp.Data, k.Outputs)
	for o := range outs {
		p := k.Params[nin+o]
		raw, _ := mem.Read(uint32(offsets[nin+o]), uint32(p.Elems()*4))
		d := interp.NewData(expr.Float, int(p.Elems()))
		for j := range d.F32 {
			d.F32[j] = math.Float32frombits(binary.LittleEndian.Uint32(raw[4*j:]))
		}
		outs[o] = d
	}
	return outs, nil
}

// checkKernel compiles a lowered function, runs it and compares with the
// reference outputs.
func checkKernel(t testing.TB, k *Kernel, inputs, want []interp.Data) error {
	got, err := runKernel(k, inputs)
	if err != nil {
		return err
	}
	if d := interp.Compare(got, want); !d.OK {
		return fmt.Errorf("mismatch: %v", d)
	}
	return nil
}

// wabtValidate checks a module with wabt's wasm-validate: an
// implementation independent of wazero and of our encoder. Without wabt
// it checks nothing, or fails the test when CI=true (package wabt).
func wabtValidate(t testing.TB, bin []byte) {
	t.Helper()
	wabt.Validate(t, bin, "--enable-relaxed-simd")
}
