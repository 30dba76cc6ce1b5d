package wabt

import (
	"fmt"
	"strings"
	"testing"
)

// recorder is a testing.TB that keeps what the helpers report.
type recorder struct {
	testing.TB
	errors         []string
	fatal, skipped bool
}

func (r *recorder) Helper() {}
func (r *recorder) Errorf(format string, args ...any) {
	r.errors = append(r.errors, fmt.Sprintf(format, args...))
}
func (r *recorder) Fatalf(format string, args ...any) {
	r.Errorf(format, args...)
	r.fatal = true
}
func (r *recorder) Skipf(format string, args ...any) {
	r.errors = append(r.errors, fmt.Sprintf(format, args...))
	r.skipped = true
}

// missing is a tool no machine has.
const missing = "wabt-test-no-such-tool"

func TestMissingTool(t *testing.T) {
	t.Setenv("CI", "")
	r := &recorder{TB: t}
	if _, ok := Lookup(r, missing); ok || len(r.errors) > 0 {
		t.Errorf("Lookup of a missing tool outside CI: ok %v, reports %q", ok, r.errors)
	}
	r = &recorder{TB: t}
	Tool(r, missing)
	if !r.skipped || r.fatal || len(r.errors) != 1 || !strings.Contains(r.errors[0], Install) {
		t.Errorf("Tool of a missing tool outside CI: skipped %v, fatal %v, %q", r.skipped, r.fatal, r.errors)
	}

	t.Setenv("CI", "true")
	for name, call := range map[string]func(testing.TB){
		"Lookup": func(tb testing.TB) { Lookup(tb, missing) },
		"Tool":   func(tb testing.TB) { Tool(tb, missing) },
	} {
		r := &recorder{TB: t}
		call(r)
		if !r.fatal || len(r.errors) == 0 || !strings.Contains(r.errors[0], "CI=true") {
			t.Errorf("%s of a missing tool with CI=true: fatal %v, %q", name, r.fatal, r.errors)
		}
	}
}

func TestValidate(t *testing.T) {
	Tool(t, "wasm-validate")
	empty := []byte("\x00asm\x01\x00\x00\x00")
	r := &recorder{TB: t}
	Validate(r, empty)
	if len(r.errors) > 0 {
		t.Errorf("the empty module: %q", r.errors)
	}
	r = &recorder{TB: t}
	Validate(r, append(empty, 0x0a, 0x01)) // a code section cut short
	if len(r.errors) != 1 || !strings.Contains(r.errors[0], "wasm-validate") {
		t.Errorf("a broken module: %q", r.errors)
	}
}
