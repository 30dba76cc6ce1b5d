package records

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
)

// MaxLine is the longest line a Reader accepts, in bytes. A longer line is
// reported and skipped.
const MaxLine = 16 << 20

// LineError is a line of the log that is not a record. Reading goes on
// with the next line.
type LineError struct {
	// Name is the log's name (Reader.Name), if it has one.
	Name string
	// Line is the line's number, from 1.
	Line int
	// Truncated says the line is the last one, has no newline and is not
	// complete JSON: the writer stopped in the middle of it. It is a
	// warning rather than a sign of a damaged log.
	Truncated bool
	// Err says what is wrong.
	Err error
}

func (e *LineError) Error() string {
	where := fmt.Sprintf("line %d", e.Line)
	if e.Name != "" {
		where = fmt.Sprintf("%s:%d", e.Name, e.Line)
	}
	if e.Truncated {
		return fmt.Sprintf("%s: skipped a truncated last line (the writer stopped in the middle of it): %v", where, e.Err)
	}
	return fmt.Sprintf("%s: %v", where, e.Err)
}

func (e *LineError) Unwrap() error { return e.Err }

// Reader reads records line by line. Blank lines are skipped.
type Reader struct {
	// Name names the log in errors, such as its file name; it may be
	// empty.
	Name string
	br   *bufio.Reader
	line int
	err  error // final: io.EOF or the underlying reader's error
}

// NewReader returns a Reader of the log in r.
func NewReader(r io.Reader) *Reader { return &Reader{br: bufio.NewReaderSize(r, 64<<10)} }

// Next returns the next record. A line that is not a record gives a
// *LineError, and the next call goes on with the following line. At the
// end of the log Next returns io.EOF; an error of the underlying reader is
// returned (wrapped) and ends reading too.
func (rd *Reader) Next() (*Record, error) {
	for rd.err == nil {
		data, newline, tooLong, err := rd.readLine()
		if err != nil {
			if err == io.EOF {
				rd.err = io.EOF
			} else {
				rd.err = fmt.Errorf("records: reading: %w", err)
				return nil, rd.err
			}
			if len(data) == 0 && !tooLong {
				break
			}
		}
		rd.line++
		lineErr := func(truncated bool, err error) error {
			return &LineError{Name: rd.Name, Line: rd.line, Truncated: truncated, Err: err}
		}
		if tooLong {
			return nil, lineErr(false, fmt.Errorf("records: line longer than %d bytes", MaxLine))
		}
		data = bytes.TrimSuffix(bytes.TrimSuffix(data, []byte{'\n'}), []byte{'\r'})
		if len(bytes.TrimSpace(data)) == 0 {
			continue
		}
		r := new(Record)
		if err := r.UnmarshalJSON(data); err != nil {
			return nil, lineErr(!newline && !json.Valid(data), err)
		}
		return r, nil
	}
	return nil, rd.err
}

// readLine returns the next line with its newline, if it has one. A line
// longer than MaxLine is consumed and reported as tooLong. err is io.EOF
// at the end of the input.
func (rd *Reader) readLine() (data []byte, newline, tooLong bool, err error) {
	for {
		frag, err := rd.br.ReadSlice('\n')
		if !tooLong {
			if len(data)+len(frag) > MaxLine+2 {
				data, tooLong = nil, true
			} else {
				data = append(data, frag...)
			}
		}
		switch {
		case err == bufio.ErrBufferFull:
			continue
		case err != nil:
			return data, false, tooLong, err
		default:
			return data, true, tooLong, nil
		}
	}
}

// Read reads a whole log. It returns the records it could read, and the
// problems it met: a *LineError for each line that is not a record (a
// truncated last line among them, with Truncated set), and last, the
// underlying reader's error if it failed.
func Read(r io.Reader) ([]*Record, []error) {
	return readAll(NewReader(r))
}

func readAll(rd *Reader) ([]*Record, []error) {
	var recs []*Record
	var errs []error
	for {
		rec, err := rd.Next()
		if err == io.EOF {
			return recs, errs
		}
		if err != nil {
			errs = append(errs, err)
			var le *LineError
			if errors.As(err, &le) {
				continue
			}
			return recs, errs
		}
		recs = append(recs, rec)
	}
}
