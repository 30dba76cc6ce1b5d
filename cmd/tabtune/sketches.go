package main

import (
	"errors"
	"fmt"
	"io"

	"github.com/tabtune/tabtune/search/sample"
	"github.com/tabtune/tabtune/search/sketch"
	"github.com/tabtune/tabtune/targets"
)

// runSketches prints the sketches the deducer derives for a workload.
func runSketches(args []string, stdout, stderr io.Writer) int {
	fs := newFlags("sketches", "sketches -workload SPEC [-target wasm-simd]",
		"Derives the sketches of the workload (schedule templates: the rules\n"+
			"applied, and the loop nest with its open tile sizes as ?) and lists the\n"+
			"knobs sampling fills for each.", stderr)
	workload := fs.String("workload", "", "the workload `SPEC`")
	target := fs.String("target", string(targets.WasmSIMD), "the `target`")
	if status, ok := parseFlags(fs, args); !ok {
		return status
	}
	if *workload == "" {
		return fail(stderr, "sketches", errors.New("-workload is required"))
	}
	t, err := targets.ParseTarget(*target)
	if err != nil {
		return fail(stderr, "sketches", err)
	}
	d, err := loadWorkload(*workload)
	if err != nil {
		return fail(stderr, "sketches", err)
	}
	sks, capped, err := sketch.NewPolicy(t).GenerateCapped(d)
	if err != nil {
		return fail(stderr, "sketches", err)
	}
	printWorkload(stdout, *workload, d)
	fmt.Fprintf(stdout, "%d sketches for %s\n", len(sks), t)
	if capped {
		fmt.Fprintf(stdout, "(more derive: the %d best are kept, found best-first)\n", len(sks))
	}
	for i, sk := range sks {
		sp := sample.NewSpace(sk, t)
		fmt.Fprintf(stdout, "\nsketch %d: %d tile sizes, %d compute locations, %d stages with vectorize and unroll knobs\n",
			i, len(sk.Tiles), len(sp.Locations), len(sp.Stages))
		fmt.Fprint(stdout, indent(sk.String()))
	}
	return exitOK
}
