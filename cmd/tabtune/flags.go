package main

import (
	"errors"
	"flag"
	"fmt"
	"io"

	"github.com/tabtune/tabtune/compiler/schedule"
	"github.com/tabtune/tabtune/compiler/te"
)

// newFlags makes the flag set of a command. Its usage message, printed on
// -h and on flag errors, shows synopsis, about and the flags.
func newFlags(name, synopsis, about string, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "Usage: tabtune %s\n\n%s\n", synopsis, about)
		hasFlags := false
		fs.VisitAll(func(*flag.Flag) { hasFlags = true })
		if hasFlags {
			fmt.Fprintf(fs.Output(), "\nFlags:\n")
			fs.PrintDefaults()
		}
	}
	return fs
}

// parseFlags parses args. When the command should stop there (-h, a bad
// flag, a stray argument) it returns false and the exit status.
func parseFlags(fs *flag.FlagSet, args []string) (status int, ok bool) {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return exitOK, false
		}
		return exitBadInput, false // flag has printed the error and usage
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(fs.Output(), "tabtune %s: unexpected argument %q (flags come before arguments; see tabtune help %s)\n", fs.Name(), fs.Arg(0), fs.Name())
		return exitBadInput, false
	}
	return exitOK, true
}

// workloadFlags adds the flags that pick a workload and a schedule.
func workloadFlags(fs *flag.FlagSet) (workload, steps *string) {
	workload = fs.String("workload", "", "the workload `SPEC`: an operator spec such as gmm:M=64,N=64,K=64 (see tabtune ops), or a file in the text format")
	steps = fs.String("steps", "", "a JSON `file` of schedule steps to replay; without it, the naive schedule")
	return workload, steps
}

// fail prints err for command name and returns the exit status of bad input.
func fail(stderr io.Writer, name string, err error) int {
	fmt.Fprintf(stderr, "tabtune %s: %v\n", name, err)
	return exitBadInput
}

// printWorkload prints a DAG: its canonical text, key and size in FLOPs.
func printWorkload(w io.Writer, label string, d *te.DAG) {
	fmt.Fprintf(w, "workload %s\n", label)
	text := d.String()
	if len(text) > 0 && text[len(text)-1] != '\n' {
		text += "\n"
	}
	fmt.Fprintf(w, "%s", indent(text))
	fmt.Fprintf(w, "key %s, %.0f FLOPs (%.4g GFLOP)\n", d.Key(), d.FLOPs(), d.FLOPs()/1e9)
}

// printSteps prints the steps of st, numbered, or says there are none.
func printSteps(w io.Writer, st *schedule.State) {
	if len(st.Steps) == 0 {
		fmt.Fprintf(w, "steps: none (the naive schedule)\n")
		return
	}
	fmt.Fprintf(w, "steps (%d):\n%s", len(st.Steps), indent(st.StepsString()))
}

// indent puts two spaces before every non-empty line of s.
func indent(s string) string {
	out := make([]byte, 0, len(s)+32)
	start := true
	for i := 0; i < len(s); i++ {
		if start && s[i] != '\n' {
			out = append(out, ' ', ' ')
		}
		out = append(out, s[i])
		start = s[i] == '\n'
	}
	return string(out)
}
