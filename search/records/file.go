//go:build !js

package records

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
)

// ReadFile reads the log in a file; its line errors name the file. A
// file that cannot be opened is the only error in the list, and one that
// does not exist satisfies errors.Is(err, fs.ErrNotExist).
func ReadFile(name string) ([]*Record, []error) {
	f, err := os.Open(name)
	if err != nil {
		return nil, []error{fmt.Errorf("records: %w", err)}
	}
	defer f.Close()
	rd := NewReader(f)
	rd.Name = name
	return readAll(rd)
}

// OpenAppend opens a log file for appending, creating it if need be, for
// a Writer. If the file does not end with a newline (a run stopped in the
// middle of a line), it writes one first, so that new records start on a
// line of their own and the cut line stays a single bad line.
func OpenAppend(name string) (*os.File, error) {
	f, err := os.OpenFile(name, os.O_RDWR|os.O_CREATE|os.O_APPEND, 0o644)
	if err != nil {
		return nil, fmt.Errorf("records: %w", err)
	}
	fail := func(err error) (*os.File, error) {
		f.Close()
		return nil, fmt.Errorf("records: %s: %w", name, err)
	}
	fi, err := f.Stat()
	if err != nil {
		return fail(err)
	}
	if fi.Mode().IsRegular() && fi.Size() > 0 {
		last := make([]byte, 1)
		if _, err := f.ReadAt(last, fi.Size()-1); err != nil && err != io.EOF {
			return fail(err)
		}
		if last[0] != '\n' {
			if _, err := f.Write([]byte{'\n'}); err != nil {
				return fail(err)
			}
		}
	}
	return f, nil
}

// Resume reads a log file to resume from and opens it for appending: a
// missing file is an empty log. The file's bad lines come back in
// skipped, to report; err is for a file that cannot be read or opened.
// The caller closes f.
func Resume(name string) (log *Log, w *Writer, f *os.File, skipped []error, err error) {
	recs, errs := ReadFile(name)
	for _, e := range errs {
		if !errors.Is(e, fs.ErrNotExist) {
			skipped = append(skipped, e)
		}
	}
	if f, err = OpenAppend(name); err != nil {
		return nil, nil, nil, skipped, err
	}
	return NewLog(recs...), NewWriter(f), f, skipped, nil
}
