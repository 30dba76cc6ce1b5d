// Package golden compares what a test produced with a golden file, the
// output it is expected to produce, kept under the package's testdata/.
//
// A test calls Check with the path of its golden file and what it
// produced. Normally Check reports the first line where the two differ
// and the command that accepts the new output; run with -update, it
// rewrites the golden file instead:
//
//	go test ./compiler/lower -run '^TestGolden$' -update
//
// The -update flag is declared here, once, for every test binary that
// imports the package. The package uses only the standard library.
package golden

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/ with what the tests produce")

// Update reports whether the tests run with -update, for a test that
// rewrites a golden file in its own way.
func Update() bool { return *update }

// Check compares got with the golden file at path. Under -update it
// writes got to path, creating its directory, and compares nothing. A
// difference is reported with t.Errorf, so the test goes on; a golden
// file that cannot be read stops the test.
func Check(t testing.TB, path string, got []byte) {
	t.Helper()
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatalf("golden: %v", err)
			return
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatalf("golden: %v", err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("golden: %v\n%s to create it", err, command(t))
		return
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s: the output differs from the golden file, %s\nif the change is on purpose, %s to rewrite it", path, Diff(string(want), string(got)), command(t))
	}
}

// CheckString is Check for text.
func CheckString(t testing.TB, path, got string) {
	t.Helper()
	Check(t, path, []byte(got))
}

// Diff describes where got first differs from want: the line number and
// both lines, or the first line of the longer one. It returns "" when
// they are equal.
func Diff(want, got string) string {
	if want == got {
		return ""
	}
	w, g := lines(want), lines(got)
	for i := range min(len(w), len(g)) {
		if w[i] != g[i] {
			return fmt.Sprintf("first at line %d:\n  want: %q\n  got:  %q", i+1, w[i], g[i])
		}
	}
	switch {
	case len(w) < len(g):
		return fmt.Sprintf("at line %d: the golden file has ended, the output goes on with %q", len(w)+1, g[len(w)])
	case len(w) > len(g):
		return fmt.Sprintf("at line %d: the output has ended, the golden file goes on with %q", len(g)+1, w[len(g)])
	}
	return "in the newline at the end"
}

// lines splits s into lines, a final newline ending the last one.
func lines(s string) []string {
	if s == "" {
		return nil
	}
	return strings.Split(strings.TrimSuffix(s, "\n"), "\n")
}

// command is the go test command that reruns the current test with
// -update, from the module's root.
func command(t testing.TB) string {
	var run []string
	for _, part := range strings.Split(t.Name(), "/") {
		run = append(run, "^"+regexp.QuoteMeta(part)+"$")
	}
	return fmt.Sprintf("run go test %s -run '%s' -update", packageDir(), strings.Join(run, "/"))
}

// packageDir is the test's package directory as go test names it from
// the module's root ("./compiler/lower"), or "." when it cannot tell.
func packageDir() string {
	wd, err := os.Getwd()
	if err != nil {
		return "."
	}
	for root := wd; ; {
		if _, err := os.Stat(filepath.Join(root, "go.mod")); err == nil {
			rel, err := filepath.Rel(root, wd)
			if err != nil || rel == "." {
				return "."
			}
			return "./" + filepath.ToSlash(rel)
		}
		up := filepath.Dir(root)
		if up == root {
			return "."
		}
		root = up
	}
}
