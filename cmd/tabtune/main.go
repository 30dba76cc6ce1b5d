// Command tabtune is the command line of tabtune, an automatic scheduler
// for tensor programs.
//
// A workload is what to compute: an operator of the zoo with its shape
// (gmm:M=64,N=64,K=64; see `tabtune ops`) or a file in the text format
// (matmul.te). A schedule is how to compute it: a JSON file of transform
// steps (split, reorder, compute_at, ...) replayed on the workload. The
// commands print what a workload is (show), the loop nest a schedule
// lowers to (lower), and whether that loop nest computes the same numbers
// as the workload's definition (check):
//
//	tabtune ops
//	tabtune show  -workload SPEC [-steps FILE.json] | -log FILE
//	tabtune lower -workload SPEC [-steps FILE.json] [-trace]
//	tabtune check -workload SPEC [-steps FILE.json] [-seed N] [-max-steps N]
//	tabtune run   -workload SPEC [-steps FILE.json] [-target wasm-simd] [-measurer auto|node|wazero] [-baseline]
//	tabtune sketches -workload SPEC [-target wasm-simd]
//	tabtune tune  -workload SPEC [-target wasm-simd] [-measurer auto|node|wazero] [-trials N] [-log FILE] [-seed S]
//	tabtune export -log FILE -workload SPEC [-target wasm-simd] -o DIR
//	tabtune version
//	tabtune help [COMMAND]
//
// Exit status: 0 on success, 1 when check finds a mismatch or the kernel
// fails, 2 on a usage error or bad input (a workload that does not parse,
// steps that do not apply).
//
// main is thin: run takes the arguments and the output streams and
// returns the exit status, so tests call it directly.
package main

import (
	"fmt"
	"io"
	"os"
	"strings"
)

// Exit statuses.
const (
	exitOK       = 0
	exitFailed   = 1 // check found a mismatch, or the kernel failed
	exitBadInput = 2 // usage errors and bad input
)

// command is one subcommand.
type command struct {
	name    string
	summary string
	run     func(args []string, stdout, stderr io.Writer) int
}

// commands lists the subcommands in the order usage prints them. It is
// filled in init, since help refers back to it.
var commands []command

func init() {
	commands = []command{
		{"ops", "list the operators of the zoo and their parameters", runOps},
		{"show", "print a workload and the loop structure of a schedule", runShow},
		{"lower", "print the loop IR a schedule lowers to", runLower},
		{"check", "lower a schedule, run it, compare with the workload's definition", runCheck},
		{"run", "build a schedule for a target, verify it and time it", runRun},
		{"sketches", "print the sketches the deducer derives for a workload", runSketches},
		{"tune", "search for the fastest schedule of a workload", runTune},
		{"export", "write the best kernel of a workload in a log", runExport},
		{"version", "print the version of tabtune", runVersion},
		{"help", "print this help, or a command's", runHelp},
	}
}

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

// run runs the command line args (without the program name) and returns
// the exit status.
func run(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		usage(stderr)
		return exitBadInput
	}
	name := args[0]
	switch name {
	case "-h", "-help", "--help":
		usage(stdout)
		return exitOK
	}
	for _, c := range commands {
		if c.name == name {
			return c.run(args[1:], stdout, stderr)
		}
	}
	fmt.Fprintf(stderr, "tabtune: unknown command %q\n\n", name)
	usage(stderr)
	return exitBadInput
}

// usage prints the list of commands.
func usage(w io.Writer) {
	var b strings.Builder
	b.WriteString("tabtune is an automatic scheduler for tensor programs.\n\n")
	b.WriteString("Usage:\n\n\ttabtune COMMAND [flags]\n\nCommands:\n\n")
	for _, c := range commands {
		fmt.Fprintf(&b, "\t%-8s %s\n", c.name, c.summary)
	}
	b.WriteString("\nA workload (-workload) is an operator spec such as gmm:M=64,N=64,K=64\n")
	b.WriteString("(see tabtune ops) or a file in the text format (a path, or a name ending in .te).\n")
	b.WriteString("Steps (-steps) are a JSON file: {\"version\":1,\"steps\":[{\"kind\":\"split\",...},...]}.\n")
	b.WriteString("\nRun 'tabtune help COMMAND' for a command's flags.\n")
	io.WriteString(w, b.String())
}
