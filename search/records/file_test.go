//go:build !js

package records

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"testing"
)

func TestFiles(t *testing.T) {
	d := parse(t, matmulRelu)
	name := filepath.Join(t.TempDir(), "tune.jsonl")
	if _, errs := ReadFile(name); len(errs) != 1 || !errors.Is(errs[0], fs.ErrNotExist) {
		t.Fatalf("missing file: %v", errs)
	}
	write := func(rs ...*Record) {
		f, err := OpenAppend(name)
		if err != nil {
			t.Fatal(err)
		}
		w := NewWriter(f)
		for _, r := range rs {
			if err := w.Write(r); err != nil {
				t.Fatal(err)
			}
		}
		if err := f.Close(); err != nil {
			t.Fatal(err)
		}
	}
	write(record(t, d, allSteps(), 1), record(t, d, rfSteps(), 2))
	// A run stops in the middle of its third record.
	data, _ := os.ReadFile(name)
	line := writeAll(t, record(t, d, splits(2), 3))
	if err := os.WriteFile(name, append(data, line[:40]...), 0o644); err != nil {
		t.Fatal(err)
	}
	recs, errs := ReadFile(name)
	if len(recs) != 2 || len(errs) != 1 || errs[0].Error() != name+":3: skipped a truncated last line (the writer stopped in the middle of it): records: not a record: unexpected end of JSON input" {
		t.Fatalf("%d records, %v", len(recs), errs)
	}
	// The next run appends on a line of its own.
	write(record(t, d, splits(3), 4))
	recs, errs = ReadFile(name)
	if len(recs) != 3 || len(errs) != 1 || errs[0].Error() != name+":3: records: not a record: unexpected end of JSON input" {
		t.Fatalf("%d records, %v", len(recs), errs)
	}
	if recs[2].Result.Median != 4 {
		t.Errorf("the appended record is %+v", recs[2])
	}
}
