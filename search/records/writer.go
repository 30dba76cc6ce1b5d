package records

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"io/fs"
	"sync"
)

// Writer appends records to a log, one line each. It is safe for
// concurrent use.
type Writer struct {
	mu sync.Mutex
	w  io.Writer
	// sync is whether to call w's Sync after each record: decided on the
	// first write, since a pipe or terminal cannot be synced.
	sync, decided bool
}

// NewWriter returns a Writer that appends to w. w should be positioned at
// the start of a line: to append to a log whose last line may have been
// cut short, first write a newline unless the log is empty or ends with
// one (OpenAppend does so for files).
func NewWriter(w io.Writer) *Writer { return &Writer{w: w} }

// Write appends r as one line, with a single Write call on the underlying
// writer, then flushes it (if it has a Flush method) and syncs it (if it
// has a Sync method and, when it can tell, is a regular file), so that
// what Write returned from survives a crash or an interrupt.
func (w *Writer) Write(r *Record) error {
	line, err := r.MarshalJSON()
	if err != nil {
		return err
	}
	line = append(line, '\n')
	w.mu.Lock()
	defer w.mu.Unlock()
	if _, err := w.w.Write(line); err != nil {
		return fmt.Errorf("records: writing: %w", err)
	}
	if f, ok := w.w.(interface{ Flush() error }); ok {
		if err := f.Flush(); err != nil {
			return fmt.Errorf("records: flushing: %w", err)
		}
	}
	s, ok := w.w.(interface{ Sync() error })
	if !ok {
		return nil
	}
	if !w.decided {
		w.decided, w.sync = true, true
		if st, ok := w.w.(interface{ Stat() (fs.FileInfo, error) }); ok {
			if fi, err := st.Stat(); err == nil && !fi.Mode().IsRegular() {
				w.sync = false
			}
		}
	}
	if w.sync {
		if err := s.Sync(); err != nil {
			return fmt.Errorf("records: syncing: %w", err)
		}
	}
	return nil
}

// marshalLine encodes v as compact JSON without escaping <, > and & (the
// program text has comparisons), and without the encoder's newline.
func marshalLine(v any) ([]byte, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, fmt.Errorf("records: %w", err)
	}
	return bytes.TrimSuffix(b.Bytes(), []byte{'\n'}), nil
}
