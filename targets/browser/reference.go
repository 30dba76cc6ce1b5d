//go:build js

package browser

import (
	"context"
	"fmt"
	"syscall/js"

	"github.com/tabtune/tabtune/targets"
)

// Reference runs a trusted kernel once and returns its outputs: how the
// page makes the reference of a workload too large for the interpreter,
// from the unscheduled program compiled to wasm (build.WorkloadWith). w.Want
// is not needed. The kernel runs right here, in the engine's worker, not
// in a measuring worker: it must be one that terminates, the code
// generator's output for the naive schedule, never a candidate.
func (m *Measurer) Reference(ctx context.Context, w *targets.Workload, wasm []byte) ([][]float32, error) {
	layout, err := targets.NewLayout(w)
	if err != nil {
		return nil, err
	}
	info, err := targets.Inspect(wasm)
	if err != nil {
		return nil, err
	}
	wa := js.Global().Get("WebAssembly")
	mod, err := Await(ctx, wa.Call("compile", bytesJS(wasm)))
	if err != nil {
		return nil, fmt.Errorf("reference kernel: %v", err)
	}
	pages := max(layout.Pages(), uint64(info.MemoryMin))
	desc := map[string]any{"initial": pages}
	if info.HasMemoryMax {
		desc["maximum"] = info.MemoryMax
	}
	mem := wa.Get("Memory").New(desc)
	inst, err := Await(ctx, wa.Call("instantiate", mod, map[string]any{"env": map[string]any{"memory": mem}}))
	if err != nil {
		return nil, fmt.Errorf("reference kernel: %v", err)
	}
	exports := inst.Get("exports")
	kernel, scratch := exports.Get("kernel"), exports.Get("scratch_bytes")
	if kernel.Type() != js.TypeFunction || scratch.Type() != js.TypeObject {
		return nil, fmt.Errorf("reference kernel: it does not export kernel and scratch_bytes")
	}
	layout = layout.WithScratch(uint32(scratch.Get("value").Int()))
	if need := int(layout.Pages()) - mem.Get("buffer").Get("byteLength").Int()/targets.PageSize; need > 0 {
		if _, err := call(mem, "grow", need); err != nil {
			return nil, fmt.Errorf("reference kernel: %d more pages of memory: %v", need, err)
		}
	}
	image := make([]byte, mem.Get("buffer").Get("byteLength").Int())
	layout.Prepare(image, w)
	js.CopyBytesToJS(js.Global().Get("Uint8Array").New(mem.Get("buffer")), image)
	args := make([]any, 0, len(layout.Offsets)+1)
	for _, a := range layout.Args() {
		args = append(args, a)
	}
	if _, err := call(kernel, "apply", js.Null(), args); err != nil {
		return nil, fmt.Errorf("reference kernel: %v", err)
	}
	js.CopyBytesToGo(image, js.Global().Get("Uint8Array").New(mem.Get("buffer")))
	out := make([][]float32, len(w.Outputs))
	for i, t := range w.Outputs {
		off := layout.Offsets[len(w.Inputs)+i]
		out[i] = targets.Decode(t.DType, image[off:off+uint32(t.Bytes())])
	}
	return out, nil
}

// Await waits for a JavaScript Promise (or any value, taken as resolved)
// without blocking the JS event loop; a rejection is an error with its
// message. Call it from a goroutine, never inside a js.FuncOf handler.
func Await(ctx context.Context, p js.Value) (js.Value, error) {
	return await(ctx, p, func() {})
}
