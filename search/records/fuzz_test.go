package records

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// FuzzRead checks that Read never panics, and that every record it reads
// is written and read back unchanged.
func FuzzRead(f *testing.F) {
	golden, _ := os.ReadFile(filepath.Join("testdata", "record.golden"))
	f.Add(golden)
	f.Add(golden[:len(golden)/2])
	f.Add(bytes.Replace(golden, []byte(`"v":1`), []byte(`"v":7`), 1))
	f.Add([]byte("\n\r\n{}\n[]\nnull\n{\"v\":1}"))
	f.Add([]byte(`{"v":1,"workload":{"key":"k","text":"t"},"target":"x","steps":[{"kind":"split","stage":-1,"iter":0,"lengths":[0],"inner_to_outer":false}],"result":{"times":[1e308,-0],"median":-1,"err":"timeout"},"time":"9999-12-31T23:59:59.999999999+14:00"}`))
	f.Add([]byte(`{"v":1,"workload":{"key":"k","text":"t"},"target":"x","time":"0000-01-01T00:00:00+01:00"}`))
	// Issue 9: keys given twice, data after a record, lists and step
	// counts past the limits, a workload that reads outside a tensor.
	line := `{"v":1,"workload":{"key":"k","text":"A = input(f32, [8])\nB[i:8] = A[i + 1]\n"},"target":"x","steps":[%s],"result":{"times":[1],"median":1}}`
	for _, steps := range []string{
		`{"kind":"split","stage":1,"stage":1,"iter":0,"lengths":[2],"inner_to_outer":true}`,
		`{"kind":"split","stage":1,"iter":0,"lengths":[` + strings.Repeat("1,", 1100) + `1],"inner_to_outer":true}`,
		strings.TrimSuffix(strings.Repeat(`{"kind":"compute_root","stage":1},`, 10001), ","),
		`{"kind":"storage_align","stage":1,"iter":0,"factor":9000000000000000000,"offset":1}`,
	} {
		f.Add([]byte(fmt.Sprintf(line, steps)))
	}
	f.Add(append(bytes.TrimRight(golden, "\n"), []byte(` {"v":1}`)...))
	f.Fuzz(func(t *testing.T, data []byte) {
		recs, errs := Read(bytes.NewReader(data))
		for _, err := range errs {
			var le *LineError
			if !errors.As(err, &le) {
				t.Fatalf("not a line error: %v", err)
			}
		}
		var b bytes.Buffer
		w := NewWriter(&b)
		for _, r := range recs {
			if err := w.Write(r); err != nil {
				t.Fatalf("a record read cannot be written: %v\n%+v", err, r)
			}
		}
		back, errs := Read(&b)
		if len(errs) > 0 || len(back) != len(recs) {
			t.Fatalf("rewritten records do not read back: %v", errs)
		}
		for i, r := range recs {
			if !r.Time.Equal(back[i].Time) {
				t.Fatalf("time %v reads back as %v", r.Time, back[i].Time)
			}
			r2 := *back[i]
			r2.Time = r.Time
			if !reflect.DeepEqual(*r, r2) {
				t.Fatalf("record changed:\n%+v\n%+v", r, r2)
			}
			_, _ = r.State() // must not panic
			_ = StepsHash(r.Steps)
		}
		NewLog(recs...).TopK("k", "x", 3)
	})
}
