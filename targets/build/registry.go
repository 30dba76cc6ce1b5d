package build

import (
	"fmt"

	"github.com/tabtune/tabtune/compiler/ir"
	"github.com/tabtune/tabtune/compiler/schedule"
	"github.com/tabtune/tabtune/targets"
)

// A Builder compiles schedules for one target kind.
type Builder interface {
	// Build lowers st and compiles it for t: the candidate that
	// measurers run. Errors are the code generator's refusals (a
	// schedule it cannot compile), not failures to report as bugs.
	Build(st *schedule.State, t targets.Target) (targets.Candidate, error)
	// Export returns the files that make up the kernel for a person to
	// use: the code to run and a readable form, in a fixed order.
	Export(st *schedule.State, t targets.Target) ([]File, error)
	// Prepare runs the code generator's IR passes on lowered IR, calling
	// watch (when not nil) with each pass's name and output when it
	// changed the function: what `tabtune lower -trace` shows.
	Prepare(f *ir.Func, t targets.Target, watch func(pass string, f *ir.Func)) (*ir.Func, error)
}

// File is one file of an exported kernel.
type File struct {
	// Name is the file name, such as kernel.wasm.
	Name string
	// Data is its contents.
	Data []byte
	// About says what the file is, in a few words, for messages.
	About string
}

// builders holds the Builder of each target kind: a new target kind is
// its Builder's file plus one line here.
var builders = map[targets.Kind]Builder{
	targets.WasmSIMD: wasmBuilder{},
	targets.CPU:      cpuBuilder{},
}

// NoBuilderError is the error of a target kind without a code generator.
type NoBuilderError struct{ Kind targets.Kind }

func (e *NoBuilderError) Error() string {
	return fmt.Sprintf("no code generator for %s kernels in this version of tabtune (it builds %s)", e.Kind, Kinds())
}

// For returns the Builder of t's kind, or a *NoBuilderError.
func For(t targets.Target) (Builder, error) {
	b, ok := builders[t.Kind]
	if !ok {
		return nil, &NoBuilderError{t.Kind}
	}
	return b, nil
}

// Kinds lists the target kinds that have a Builder, in targets.Kinds order.
func Kinds() []targets.Kind {
	var out []targets.Kind
	for _, k := range targets.Kinds() {
		if _, ok := builders[k]; ok {
			out = append(out, k)
		}
	}
	return out
}

// Build compiles st for t with the Builder of t's kind and sets the
// candidate's Kind and ID.
func Build(st *schedule.State, t targets.Target) (targets.Candidate, error) {
	b, err := For(t)
	if err != nil {
		return targets.Candidate{}, err
	}
	c, err := b.Build(st, t)
	if err != nil {
		return targets.Candidate{}, err
	}
	c.Kind = t.Kind
	c.ID = c.Digest()
	return c, nil
}

// Export returns the files of st's kernel for t, then steps.json: the
// schedule, to replay.
func Export(st *schedule.State, t targets.Target) ([]File, error) {
	b, err := For(t)
	if err != nil {
		return nil, err
	}
	files, err := b.Export(st, t)
	if err != nil {
		return nil, err
	}
	steps, err := schedule.MarshalSteps(st.Steps)
	if err != nil {
		return nil, err
	}
	return append(files, File{Name: "steps.json", Data: append(steps, '\n'), About: "the schedule, to replay"}), nil
}
