package ir

import (
	"fmt"
	"strings"
)

// The vocabulary that schedules and the loop IR share: where a buffer
// lives (Scope), the hints a loop carries (PragmaKey) and the GPU index a
// loop is bound to (Thread). Package schedule uses these types for its
// steps and stages, so that a name is spelled once; their text forms are
// the names that the JSON form of steps and the printer have always used.

// Scope is where a buffer lives.
type Scope uint8

// The scopes. Global is main memory (arguments and scratch), Local is
// private to a thread (registers), Shared is shared by a GPU thread block.
const (
	Global Scope = iota
	Local
	Shared
)

var scopeNames = [...]string{Global: "global", Local: "local", Shared: "shared"}

// String returns the scope's name.
func (s Scope) String() string {
	if s.Valid() {
		return scopeNames[s]
	}
	return fmt.Sprintf("Scope(%d)", uint8(s))
}

// Valid reports whether s is one of the scopes.
func (s Scope) Valid() bool { return int(s) < len(scopeNames) }

// ScopeByName looks a scope up by name.
func ScopeByName(name string) (Scope, bool) {
	for i, n := range scopeNames {
		if n == name {
			return Scope(i), true
		}
	}
	return 0, false
}

// MarshalText writes the scope's name; a scope that is not one of the
// constants is an error.
func (s Scope) MarshalText() ([]byte, error) {
	if !s.Valid() {
		return nil, fmt.Errorf("unknown scope %s", s)
	}
	return []byte(scopeNames[s]), nil
}

// UnmarshalText reads a scope's name.
func (s *Scope) UnmarshalText(b []byte) error {
	v, ok := ScopeByName(string(b))
	if !ok {
		return fmt.Errorf("unknown scope %q; use %s", b, scopeChoices())
	}
	*s = v
	return nil
}

// Check returns an error unless s is one of the scopes.
func (s Scope) Check() error {
	if !s.Valid() {
		return fmt.Errorf("unknown scope %s; use %s", s, scopeChoices())
	}
	return nil
}

// scopeChoices lists the scope names: "global, local or shared".
func scopeChoices() string {
	n := len(scopeNames)
	return strings.Join(scopeNames[:n-1], ", ") + " or " + scopeNames[n-1]
}

// PragmaKey names a hint on a loop. It is a string so that a step can
// carry a key this version does not know and be refused with a clear
// error when it applies.
type PragmaKey string

// AutoUnrollMaxStep is the one pragma today: unroll the loops inside the
// loop while their total iteration count is at most the pragma's value.
const AutoUnrollMaxStep PragmaKey = "auto_unroll_max_step"

// pragmaKeys lists the known pragma keys.
var pragmaKeys = [...]PragmaKey{AutoUnrollMaxStep}

// String returns the key.
func (k PragmaKey) String() string { return string(k) }

// Known reports whether k is a pragma this version understands.
func (k PragmaKey) Known() bool {
	for _, p := range pragmaKeys {
		if p == k {
			return true
		}
	}
	return false
}

// Check returns an error unless k is a known pragma; the error lists the
// known ones.
func (k PragmaKey) Check() error {
	if k.Known() {
		return nil
	}
	names := make([]string, len(pragmaKeys))
	for i, p := range pragmaKeys {
		names[i] = string(p)
	}
	return fmt.Errorf("unknown pragma %q; known: %s", string(k), strings.Join(names, ", "))
}

// Thread is the GPU index a loop is bound to: a block index, a thread
// index or a virtual thread.
type Thread uint8

// The bindings, in the order of the cost model's features.
const (
	NoThread Thread = iota
	BlockX
	BlockY
	BlockZ
	ThreadX
	ThreadY
	ThreadZ
	VThread
)

var threadNames = [...]string{
	NoThread: "none",
	BlockX:   "blockIdx.x", BlockY: "blockIdx.y", BlockZ: "blockIdx.z",
	ThreadX: "threadIdx.x", ThreadY: "threadIdx.y", ThreadZ: "threadIdx.z",
	VThread: "vthread",
}

// String returns the binding's name as CUDA spells it (blockIdx.x, ...),
// vthread, or none.
func (t Thread) String() string {
	if int(t) < len(threadNames) {
		return threadNames[t]
	}
	return fmt.Sprintf("Thread(%d)", uint8(t))
}

// Bound reports whether t is one of the bindings (not NoThread, not out of
// range).
func (t Thread) Bound() bool { return t > NoThread && t <= VThread }
