package schedule

import (
	"bytes"
	"encoding/json"
	"fmt"
	"sort"
)

// FormatVersion is the version of the JSON form of steps. Readers accept
// this version and older ones they know.
const FormatVersion = 1

// registry maps each step kind to its decoder. A new step is one file
// and one line here.
var registry = map[string]decoder{
	"split":              decode[Split],
	"fuse":               decode[Fuse],
	"reorder":            decode[Reorder],
	"compute_at":         decode[ComputeAt],
	"compute_inline":     decode[ComputeInline],
	"compute_root":       decode[ComputeRoot],
	"cache_read":         decode[CacheRead],
	"cache_write":        decode[CacheWrite],
	"rfactor":            decode[Rfactor],
	"annotate":           decode[Annotate],
	"pragma":             decode[PragmaStep],
	"follow_split":       decode[FollowSplit],
	"follow_fused_split": decode[FollowFusedSplit],
	"storage_align":      decode[StorageAlign],
	"storage_order":      decode[StorageOrder],
	"separate_window":    decode[SeparateWindow],
}

// decoder reads the fields of one step kind.
type decoder func(raw []byte) (Step, error)

func decode[T Step](raw []byte) (Step, error) {
	var v T
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&v); err != nil {
		return nil, err
	}
	return v, nil
}

// Kinds lists the step kinds of the JSON form, sorted.
func Kinds() []string {
	out := make([]string, 0, len(registry))
	for k := range registry {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// Steps is the JSON document of a schedule: a version and the steps.
type stepsDoc struct {
	Version int               `json:"version"`
	Steps   []json.RawMessage `json:"steps"`
}

// MarshalSteps writes steps in the versioned JSON form:
//
//	{"version": 1, "steps": [{"kind": "split", "stage": 2, "iter": 0, ...}, ...]}
func MarshalSteps(steps []Step) ([]byte, error) {
	doc := stepsDoc{Version: FormatVersion, Steps: make([]json.RawMessage, len(steps))}
	for i, s := range steps {
		raw, err := MarshalStep(s)
		if err != nil {
			return nil, err
		}
		doc.Steps[i] = raw
	}
	return json.Marshal(doc)
}

// MarshalStep writes one step as a JSON object with its kind first.
func MarshalStep(s Step) ([]byte, error) {
	body, err := json.Marshal(s)
	if err != nil {
		return nil, fmt.Errorf("schedule: step %s: %w", s.Kind(), err)
	}
	var b bytes.Buffer
	b.WriteString(`{"kind":`)
	kind, _ := json.Marshal(s.Kind())
	b.Write(kind)
	if len(body) > 2 {
		b.WriteByte(',')
		b.Write(body[1:])
	} else {
		b.WriteByte('}')
	}
	return b.Bytes(), nil
}

// UnmarshalSteps reads the JSON form. Unknown kinds, unknown fields and
// newer versions are errors that say which step is wrong. Malformed or
// truncated text, data after the document, a key given twice, more than
// MaxSteps steps and a list in a step longer than MaxListLen are errors
// with a line and column, found before anything is decoded.
func UnmarshalSteps(data []byte) ([]Step, error) {
	if err := checkJSON(data, MaxSteps); err != nil {
		return nil, fmt.Errorf("schedule: reading steps: %w", err)
	}
	var doc stepsDoc
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&doc); err != nil {
		return nil, fmt.Errorf("schedule: reading steps: %w", err)
	}
	if doc.Version < 1 || doc.Version > FormatVersion {
		return nil, fmt.Errorf("schedule: steps have version %d; this tabtune reads version %d", doc.Version, FormatVersion)
	}
	steps := make([]Step, len(doc.Steps))
	for i, raw := range doc.Steps {
		s, err := UnmarshalStep(raw)
		if err != nil {
			return nil, fmt.Errorf("schedule: step %d: %w", i, err)
		}
		steps[i] = s
	}
	return steps, nil
}

// UnmarshalStep reads one step object. Its text is checked as
// UnmarshalSteps checks a document's.
func UnmarshalStep(raw []byte) (Step, error) {
	if err := checkJSON(raw, MaxListLen); err != nil {
		return nil, err
	}
	var head struct {
		Kind string `json:"kind"`
	}
	if err := json.Unmarshal(raw, &head); err != nil {
		return nil, err
	}
	mk, ok := registry[head.Kind]
	if !ok {
		return nil, fmt.Errorf("unknown step kind %q", head.Kind)
	}
	// Decode into the typed struct; "kind" is the one field it lacks.
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(raw, &fields); err != nil {
		return nil, err
	}
	delete(fields, "kind")
	rest, _ := json.Marshal(fields)
	s, err := mk(rest)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", head.Kind, err)
	}
	return s, nil
}
