package build

import (
	"fmt"

	"github.com/tabtune/tabtune/compiler/codegen/c"
	"github.com/tabtune/tabtune/compiler/ir"
	"github.com/tabtune/tabtune/compiler/lower"
	"github.com/tabtune/tabtune/compiler/schedule"
	"github.com/tabtune/tabtune/targets"
)

// cpuBuilder builds C kernels for CPUs (target cpu).
type cpuBuilder struct{}

func (cpuBuilder) Build(st *schedule.State, t targets.Target) (targets.Candidate, error) {
	k, err := C(st, t)
	if err != nil {
		return targets.Candidate{}, err
	}
	return targets.Candidate{Source: k.Source}, nil
}

func (cpuBuilder) Export(st *schedule.State, t targets.Target) ([]File, error) {
	k, err := C(st, t)
	if err != nil {
		return nil, err
	}
	about := "the C kernel: void kernel(one pointer per tensor)"
	if k.ScratchBytes > 0 {
		about = fmt.Sprintf("the C kernel: void kernel(one pointer per tensor, then %d bytes of scratch)", k.ScratchBytes)
	}
	return []File{{Name: "kernel.c", Data: []byte(k.Source), About: about}}, nil
}

func (cpuBuilder) Prepare(f *ir.Func, t targets.Target, watch func(string, *ir.Func)) (*ir.Func, error) {
	return c.Prepare(f, cOptions(t), watch)
}

// cOptions are the C generator's options for a cpu target: its vector
// lanes and thread count.
func cOptions(t targets.Target) c.Options {
	return c.Options{Lanes: t.VectorLanes(), Threads: t.Cores}
}

// C lowers a schedule and compiles it for a cpu target, returning the
// generator's whole output (the C, its scratch size, the prepared IR).
// Measuring code uses Build.
func C(st *schedule.State, t targets.Target) (*c.Kernel, error) {
	if t.Kind != targets.CPU {
		return nil, fmt.Errorf("build: target %s is not a cpu target", t)
	}
	f, err := lower.Lower(st)
	if err != nil {
		return nil, err
	}
	return c.Compile(f, cOptions(t))
}
