package golden

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestDiff(t *testing.T) {
	cases := []struct{ want, got, diff string }{
		{"a\nb\n", "a\nb\n", ""},
		{"a\nb\nc\n", "a\nB\nc\n", "first at line 2:\n  want: \"b\"\n  got:  \"B\""},
		{"a\n", "a\nb\n", `at line 2: the golden file has ended, the output goes on with "b"`},
		{"", "a", `at line 1: the golden file has ended, the output goes on with "a"`},
		{"a\nb\n", "a\n", `at line 2: the output has ended, the golden file goes on with "b"`},
		{"a\n", "a", "in the newline at the end"},
	}
	for _, c := range cases {
		if d := Diff(c.want, c.got); d != c.diff {
			t.Errorf("Diff(%q, %q) = %q, want %q", c.want, c.got, d, c.diff)
		}
	}
}

// recorder is a testing.TB that keeps what Check reports.
type recorder struct {
	testing.TB
	name   string
	errors []string
	fatal  bool
}

func (r *recorder) Helper()      {}
func (r *recorder) Name() string { return r.name }
func (r *recorder) Errorf(format string, args ...any) {
	r.errors = append(r.errors, fmt.Sprintf(format, args...))
}
func (r *recorder) Fatalf(format string, args ...any) {
	r.Errorf(format, args...)
	r.fatal = true
}

func TestCheck(t *testing.T) {
	path := filepath.Join(t.TempDir(), "testdata", "x.golden")

	r := &recorder{TB: t, name: "TestX/case one"}
	Check(r, path, []byte("a\n"))
	if !r.fatal || len(r.errors) != 1 || !strings.Contains(r.errors[0], "-update to create it") {
		t.Fatalf("a missing golden file: %q (fatal %v)", r.errors, r.fatal)
	}

	*update = true
	defer func() { *update = false }()
	r = &recorder{TB: t, name: "TestX"}
	Check(r, path, []byte("a\nb\n"))
	*update = false
	if len(r.errors) > 0 {
		t.Fatalf("-update: %q", r.errors)
	}
	if b, err := os.ReadFile(path); err != nil || string(b) != "a\nb\n" {
		t.Fatalf("-update wrote %q, %v", b, err)
	}

	r = &recorder{TB: t, name: "TestX"}
	CheckString(r, path, "a\nb\n")
	if len(r.errors) > 0 {
		t.Fatalf("the same output: %q", r.errors)
	}

	r = &recorder{TB: t, name: "TestX/case one"}
	CheckString(r, path, "a\nc\n")
	if r.fatal || len(r.errors) != 1 {
		t.Fatalf("a different output: %q (fatal %v)", r.errors, r.fatal)
	}
	for _, s := range []string{path, "line 2", `"b"`, `"c"`, `go test ./internal/golden -run '^TestX$/^case one$' -update`} {
		if !strings.Contains(r.errors[0], s) {
			t.Errorf("the report lacks %q:\n%s", s, r.errors[0])
		}
	}
}
