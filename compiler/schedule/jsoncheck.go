package schedule

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"unicode/utf8"
)

// Limits of the JSON form, checked before a step is decoded, so that a
// hostile document costs little: a schedule of the search has tens of
// steps, and a step's lists (split lengths, a reorder, cache readers) are
// as long as a stage's loops.
const (
	// MaxSteps bounds the steps of a schedule.
	MaxSteps = 10000
	// MaxListLen bounds each list inside a step.
	MaxListLen = 1024
)

// JSONError is a problem in the text of a JSON document, at a line and
// column (1-based; columns count characters).
type JSONError struct {
	Line, Column int
	Msg          string
}

// Error returns "line L, column C: message".
func (e *JSONError) Error() string {
	return fmt.Sprintf("line %d, column %d: %s", e.Line, e.Column, e.Msg)
}

// jsonErrorAt makes a JSONError at byte offset off of data.
func jsonErrorAt(data []byte, off int64, format string, args ...any) *JSONError {
	off = max(0, min(off, int64(len(data))))
	before := data[:off]
	line := bytes.Count(before, []byte{'\n'}) + 1
	col := utf8.RuneCount(before[bytes.LastIndexByte(before, '\n')+1:]) + 1
	return &JSONError{Line: line, Column: col, Msg: fmt.Sprintf(format, args...)}
}

// checkJSON reads data as one JSON value and refuses, with the line and
// column: malformed or truncated text, data after the value, an object
// that gives a key twice, and lists longer than the limits (steps, the
// list at the top level's "steps" key, at most maxTop elements; any other
// list at most MaxListLen). It allocates little, whatever the input.
func checkJSON(data []byte, maxTop int) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	c := &jsonChecker{data: data, dec: dec, maxTop: maxTop}
	if err := c.value(0, false); err != nil {
		return err
	}
	at := c.offsetOfNext()
	if _, err := dec.Token(); err != io.EOF {
		return jsonErrorAt(data, at, "data after the end of the document")
	}
	return nil
}

type jsonChecker struct {
	data   []byte
	dec    *json.Decoder
	maxTop int
}

// offsetOfNext is the offset of the next non-space byte after the
// decoder's position.
func (c *jsonChecker) offsetOfNext() int64 {
	off := c.dec.InputOffset()
	for off < int64(len(c.data)) && bytes.IndexByte([]byte(" \t\r\n,:"), c.data[off]) >= 0 {
		off++
	}
	return off
}

// token reads the next token, turning decoder errors into JSONErrors.
func (c *jsonChecker) token() (json.Token, error) {
	t, err := c.dec.Token()
	if err == nil {
		return t, nil
	}
	var syn *json.SyntaxError
	switch {
	case errors.As(err, &syn):
		return nil, jsonErrorAt(c.data, syn.Offset, "%s", syn.Error())
	case err == io.EOF || errors.Is(err, io.ErrUnexpectedEOF):
		return nil, jsonErrorAt(c.data, int64(len(c.data)), "the document ends early")
	}
	return nil, jsonErrorAt(c.data, c.dec.InputOffset(), "%v", err)
}

// value checks one value at the given depth; steps is true for the list
// of steps.
func (c *jsonChecker) value(depth int, steps bool) error {
	start := c.offsetOfNext()
	t, err := c.token()
	if err != nil {
		return err
	}
	if depth > 64 {
		return jsonErrorAt(c.data, start, "the document is nested too deeply (more than 64 levels)")
	}
	switch t {
	case json.Delim('{'):
		seen := map[string]bool{}
		for c.dec.More() {
			at := c.offsetOfNext()
			k, err := c.token()
			if err != nil {
				return err
			}
			key, _ := k.(string)
			if seen[key] {
				return jsonErrorAt(c.data, at, "key %q is given twice", key)
			}
			seen[key] = true
			if err := c.value(depth+1, depth == 0 && key == "steps"); err != nil {
				return err
			}
		}
		_, err := c.token()
		return err
	case json.Delim('['):
		limit, what := MaxListLen, "a list"
		if steps {
			limit, what = c.maxTop, "the steps"
		}
		n := 0
		for c.dec.More() {
			if n++; n > limit {
				return jsonErrorAt(c.data, c.offsetOfNext(), "%s: more than %d elements", what, limit)
			}
			if err := c.value(depth+1, false); err != nil {
				return err
			}
		}
		_, err := c.token()
		return err
	}
	return nil
}
