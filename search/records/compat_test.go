package records

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tabtune/tabtune/compiler/lower"
	"github.com/tabtune/tabtune/internal/golden"
)

// TestReadsLogBeforeVocab reads lines of a log that tabtune tune wrote
// (wasm-simd: local caches, global cache_read, unroll pragmas) before
// scopes and pragma keys were typed: each line must read, write back byte
// for byte, replay, and print and lower as it did then
// (testdata/before_vocab.golden).
func TestReadsLogBeforeVocab(t *testing.T) {
	data, err := os.ReadFile(filepath.Join("testdata", "before_vocab.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	recs, errs := Read(bytes.NewReader(data))
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	lines := bytes.Split(bytes.TrimSpace(data), []byte("\n"))
	if len(recs) != len(lines) {
		t.Fatalf("read %d records from %d lines", len(recs), len(lines))
	}
	var out strings.Builder
	for i, r := range recs {
		line := lines[i]
		again, err := r.MarshalJSON()
		if err != nil {
			t.Fatalf("line %d: %v", i+1, err)
		}
		if !bytes.Equal(again, line) {
			t.Errorf("line %d written back differs:\n got %s\nwant %s", i+1, again, line)
		}
		st, err := r.State()
		if err != nil {
			t.Fatalf("line %d: %v", i+1, err)
		}
		f, err := lower.Lower(st)
		if err != nil {
			t.Fatalf("line %d: %v", i+1, err)
		}
		fmt.Fprintf(&out, "# line %d\n", i+1)
		out.WriteString(st.StepsString())
		out.WriteString(st.String())
		out.WriteString(f.String())
	}
	golden.CheckString(t, filepath.Join("testdata", "before_vocab.golden"), out.String())
}
