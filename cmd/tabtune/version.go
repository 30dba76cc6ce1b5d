package main

import (
	"fmt"
	"io"
	"runtime"
	"runtime/debug"
)

// version is the version of tabtune; a release build sets it with
// -ldflags "-X main.version=v1.2.3".
var version = "devel"

// runVersion prints the version, and the Go toolchain and platform.
func runVersion(args []string, stdout, stderr io.Writer) int {
	fs := newFlags("version", "version", "Prints the version of tabtune.", stderr)
	if status, ok := parseFlags(fs, args); !ok {
		return status
	}
	v := version
	if info, ok := debug.ReadBuildInfo(); ok && v == "devel" {
		for _, s := range info.Settings {
			if s.Key == "vcs.revision" && len(s.Value) >= 12 {
				v += " " + s.Value[:12]
			}
		}
	}
	fmt.Fprintf(stdout, "tabtune %s (%s %s/%s)\n", v, runtime.Version(), runtime.GOOS, runtime.GOARCH)
	return exitOK
}

// runHelp prints the usage, or the usage of one command.
func runHelp(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		usage(stdout)
		return exitOK
	}
	if len(args) > 1 {
		fmt.Fprintf(stderr, "tabtune help: too many arguments; usage: tabtune help [COMMAND]\n")
		return exitBadInput
	}
	for _, c := range commands {
		if c.name == args[0] && c.name != "help" {
			return c.run([]string{"-h"}, stdout, stdout)
		}
	}
	if args[0] == "help" {
		fmt.Fprintf(stdout, "Usage: tabtune help [COMMAND]\n\nPrints the list of commands, or a command's flags.\n")
		return exitOK
	}
	fmt.Fprintf(stderr, "tabtune help: unknown command %q\n\n", args[0])
	usage(stderr)
	return exitBadInput
}
