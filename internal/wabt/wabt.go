// Package wabt lets tests check WebAssembly modules with the WebAssembly
// Binary Toolkit (wasm-validate, wasm2wat): an implementation of
// WebAssembly independent of wazero and of our encoder.
//
// wabt is a system package, not a Go module (Debian: apt-get install
// wabt), so it may be missing. On a developer's machine the tests then go
// on without it: a test that exists only to run a wabt tool skips, saying
// so, and `make test` prints a SKIP line. In CI (CI=true in the
// environment) a missing tool fails the test instead, so that CI cannot
// pass without checking the encoder against wabt.
package wabt

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// Install says how to install wabt.
const Install = "apt-get install wabt"

// CI reports whether the tests run in CI: the environment has CI=true.
func CI() bool { return os.Getenv("CI") == "true" }

// Lookup returns the path of a wabt tool, such as "wasm-validate", and
// true. When the tool is missing it fails the test under CI=true, and
// otherwise returns false: the test goes on without it.
func Lookup(t testing.TB, name string) (string, bool) {
	t.Helper()
	path, err := exec.LookPath(name)
	if err == nil {
		return path, true
	}
	if CI() {
		t.Fatalf("%s is not installed (%s) and CI=true: CI must check the WebAssembly encoder against wabt", name, Install)
	}
	return "", false
}

// Tool returns the path of a wabt tool, for a test that exists only to
// run it: when the tool is missing, the test fails under CI=true and
// skips, saying so, otherwise.
func Tool(t testing.TB, name string) string {
	t.Helper()
	path, ok := Lookup(t, name)
	if !ok {
		t.Skipf("%s is not installed (%s): the encoder is not checked against wabt", name, Install)
	}
	return path
}

// Validate runs wasm-validate with flags (such as
// "--enable-relaxed-simd") on the module bin, and reports an error with
// what it says when it rejects the module. Without wasm-validate it does
// nothing, or fails the test under CI=true (see Lookup).
func Validate(t testing.TB, bin []byte, flags ...string) {
	t.Helper()
	tool, ok := Lookup(t, "wasm-validate")
	if !ok {
		return
	}
	path := filepath.Join(t.TempDir(), "m.wasm")
	if err := os.WriteFile(path, bin, 0o644); err != nil {
		t.Fatalf("wabt: %v", err)
		return
	}
	out, err := exec.Command(tool, append(flags, path)...).CombinedOutput()
	if err != nil {
		t.Errorf("wasm-validate %v: %v\n%s", flags, err, out)
	}
}
