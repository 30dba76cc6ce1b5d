package schedule

import (
	"bytes"
	"encoding/json"
	"strconv"
	"strings"
)

// A step refers to stages by index and to iterators by position, numbers
// that mean something only against the state the step applies to. Each
// step says which of its fields are such references with its refs method,
// next to its definition; describe, which prints steps for people, names
// them from that alone. A new step whose fields are called otherwise is
// named just as well, with no change here.

// refKind is what a step's field refers to.
type refKind uint8

// The references.
const (
	refStage  refKind = iota // a stage index
	refIter                  // the position of an iterator of a stage
	refStages                // a list of stage indices
	refIters                 // a list of iterator positions of one stage
)

// ref says that the JSON field field of a step refers to stages or
// iterators: ids are the stage indices (refStage, refStages) or the
// iterator positions of stage stage (refIter, refIters).
type ref struct {
	field string
	kind  refKind
	stage int
	ids   []int
}

// stageRef: field is stage index id.
func stageRef(field string, id int) ref { return ref{field: field, kind: refStage, ids: []int{id}} }

// iterRef: field is the position pos of an iterator of stage.
func iterRef(field string, stage, pos int) ref {
	return ref{field: field, kind: refIter, stage: stage, ids: []int{pos}}
}

// stagesRef: field lists stage indices.
func stagesRef(field string, ids []int) ref { return ref{field: field, kind: refStages, ids: ids} }

// itersRef: field lists iterator positions of stage.
func itersRef(field string, stage int, pos []int) ref {
	return ref{field: field, kind: refIters, stage: stage, ids: pos}
}

// stageIterRefs are the references of the many steps that act on one
// iterator of one stage, in fields "stage" and "iter".
func stageIterRefs(stage, iter int) []ref {
	return []ref{stageRef("stage", stage), iterRef("iter", stage, iter)}
}

// text names the stages or iterators r refers to as they are in st; a
// number out of range stays a number.
func (r ref) text(st *State) string {
	stageName := func(id int) string {
		if id >= 0 && id < len(st.Stages) {
			return st.Stages[id].Name()
		}
		return strconv.Itoa(id)
	}
	iterName := func(pos int) string {
		if r.stage >= 0 && r.stage < len(st.Stages) {
			if s := st.Stages[r.stage]; pos >= 0 && pos < len(s.Iters) {
				return s.Iter(pos).Name
			}
		}
		return strconv.Itoa(pos)
	}
	name := stageName
	if r.kind == refIter || r.kind == refIters {
		name = iterName
	}
	if r.kind == refStage || r.kind == refIter {
		return name(r.ids[0])
	}
	names := make([]string, len(r.ids))
	for i, id := range r.ids {
		names[i] = name(id)
	}
	return "[" + strings.Join(names, ", ") + "]"
}

// describe prints a step as kind(field=value, ...), in the order of its
// JSON fields, naming the stages and iterators its refs point at as they
// are in st; other values print as JSON.
func describe(st *State, s Step) string {
	raw, err := MarshalStep(s)
	if err != nil {
		return s.String()
	}
	named := map[string]string{}
	for _, r := range s.refs() {
		named[r.field] = r.text(st)
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	if _, err := dec.Token(); err != nil {
		return s.String()
	}
	var b strings.Builder
	b.WriteString(s.Kind())
	b.WriteByte('(')
	for first := true; dec.More(); {
		k, err := dec.Token()
		if err != nil {
			return s.String()
		}
		var v json.RawMessage
		if err := dec.Decode(&v); err != nil {
			return s.String()
		}
		key := k.(string)
		if key == "kind" {
			continue
		}
		if !first {
			b.WriteString(", ")
		}
		first = false
		text, ok := named[key]
		if !ok {
			text = string(v)
		}
		b.WriteString(key)
		b.WriteByte('=')
		b.WriteString(text)
	}
	b.WriteByte(')')
	return b.String()
}
