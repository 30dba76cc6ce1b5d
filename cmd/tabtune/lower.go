package main

import (
	"fmt"
	"io"

	"github.com/tabtune/tabtune/compiler/ir"
	"github.com/tabtune/tabtune/compiler/lower"
	"github.com/tabtune/tabtune/targets"
	"github.com/tabtune/tabtune/targets/build"
)

// runLower prints the loop IR of a schedule, or with -trace the IR after
// each lowering pass, then each code generator pass of the target, that
// changed it.
func runLower(args []string, stdout, stderr io.Writer) int {
	fs := newFlags("lower", "lower -workload SPEC [-steps FILE.json] [-trace [-target TARGET]]",
		"Lowers the schedule (the steps replayed on the workload; without steps, the\n"+
			"naive schedule) and prints the loop IR of the kernel. With -trace, prints the\n"+
			"IR after each lowering pass that changes it, then after each IR pass of the\n"+
			"target's code generator that changes it.", stderr)
	workload, steps := workloadFlags(fs)
	trace := fs.Bool("trace", false, "print the IR after each pass that changes it, headed by the pass's name: the lowering passes, then the code generator's")
	target := fs.String("target", string(targets.WasmSIMD), "the `target` whose code generator passes -trace follows: wasm-simd")
	if status, ok := parseFlags(fs, args); !ok {
		return status
	}
	t, err := targets.ParseTarget(*target)
	if err != nil {
		return fail(stderr, "lower", err)
	}
	builder, err := build.For(t)
	if err != nil && *trace {
		return fail(stderr, "lower", fmt.Errorf("target %s: %w", t, err))
	}
	st, err := loadWorkloadState(*workload, *steps)
	if err != nil {
		return fail(stderr, "lower", err)
	}
	if !*trace {
		f, err := lower.Lower(st)
		if err != nil {
			return fail(stderr, "lower", err)
		}
		io.WriteString(stdout, ensureNewline(f.String()))
		return exitOK
	}
	first := true
	watch := func(header string) func(string, *ir.Func) {
		return func(pass string, f *ir.Func) {
			if !first {
				fmt.Fprintln(stdout)
			}
			first = false
			fmt.Fprintf(stdout, "// after %s %s\n%s", header, pass, ensureNewline(f.String()))
		}
	}
	f, err := lower.Trace(st, watch("pass"))
	if err != nil {
		return fail(stderr, "lower", err)
	}
	if _, err := builder.Prepare(f, t, watch("codegen pass")); err != nil {
		return fail(stderr, "lower", err)
	}
	return exitOK
}

func ensureNewline(s string) string {
	if len(s) > 0 && s[len(s)-1] != '\n' {
		return s + "\n"
	}
	return s
}
