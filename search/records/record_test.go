package records

import (
	"bytes"
	"errors"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/tabtune/tabtune/compiler/ir"
	"github.com/tabtune/tabtune/compiler/schedule"
	"github.com/tabtune/tabtune/compiler/schedule/schedtest"
	"github.com/tabtune/tabtune/compiler/te"
	"github.com/tabtune/tabtune/internal/golden"
	"github.com/tabtune/tabtune/targets"
)

const matmulRelu = `
A = input(f32, [10, 7])
B = input(f32, [7, 12])
C[i, j] = sum(A[i, k] * B[k, j], k)
D[i, j] = max(C[i, j], 0.0)
`

// poolSrc is a 3x3 max pool at stride 2 (separate_window applies).
const poolSrc = `
data = input(f32, [1, 2, 7, 7])
out[n, c, y:3, x:3] = max_over(data[n, c, y * 2 + ry, x * 2 + rx], ry:3, rx:3)
`

func parse(t testing.TB, src string) *te.DAG {
	t.Helper()
	d, err := te.Parse(src)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// allSteps is a schedule of matmulRelu that uses every step kind but
// rfactor; rfSteps uses rfactor.
func allSteps() []schedule.Step {
	return []schedule.Step{
		schedule.CacheWrite{Stage: 2, Scope: ir.Local},
		schedule.Split{Stage: 4, Iter: 0, Lengths: []int64{2, 2}, InnerToOuter: true},
		schedule.Split{Stage: 4, Iter: 3, Lengths: []int64{3, 2}, InnerToOuter: true},
		schedule.Reorder{Stage: 4, Order: []int{0, 3, 1, 4, 2, 5}},
		schedule.Fuse{Stage: 4, Iters: []int{0, 1}},
		schedule.Annotate{Stage: 4, Iter: 0, Ann: schedule.AnnParallel},
		schedule.ComputeAt{Stage: 3, Target: 4, TargetIter: 2},
		schedule.ComputeAt{Stage: 2, Target: 3, TargetIter: 1},
		schedule.FollowSplit{Stage: 2, Iter: 0, SrcStep: 1, NSplit: 1},
		schedule.FollowFusedSplit{Stage: 2, Iter: 2, SrcSteps: []int{1, 2}, Level: 1, FactorOrNparts: true},
		schedule.PragmaStep{Stage: 4, Iter: 0, Pragma: ir.AutoUnrollMaxStep, Value: 16},
		schedule.Annotate{Stage: 4, Iter: 4, Ann: schedule.AnnVectorize},
		schedule.CacheRead{Stage: 1, Scope: ir.Shared, Readers: []int{2}},
		schedule.StorageAlign{Stage: 2, Iter: 0, Factor: 8, Offset: 1},
		schedule.StorageOrder{Stage: 2, Order: []int{1, 0}},
		schedule.ComputeRoot{Stage: 2},
		schedule.ComputeInline{Stage: 2},
	}
}

func rfSteps() []schedule.Step {
	return []schedule.Step{
		schedule.Split{Stage: 2, Iter: 2, Lengths: []int64{4}, InnerToOuter: true},
		schedule.Rfactor{Stage: 2, Iter: 3, FactorIter: 0},
	}
}

var when = time.Date(2026, 11, 25, 16, 0, 0, 0, time.UTC)

// record builds a timed record of steps applied to d, checking that they
// apply.
func record(t testing.TB, d *te.DAG, steps []schedule.Step, median float64) *Record {
	t.Helper()
	if _, err := schedule.Replay(d, steps); err != nil {
		t.Fatal(err)
	}
	return &Record{
		Workload: WorkloadOf(d),
		Target:   "wasm-simd",
		Measurer: "wasm",
		Steps:    steps,
		Result:   targets.Result{Times: []float64{median * 1.1, median, median * 0.9}, Median: median},
		FLOPs:    d.FLOPs(),
		Time:     when,
		Tabtune:  "devel",
		Round:    3,
		Origin:   OriginEvolve,
	}
}

func writeAll(t testing.TB, rs ...*Record) []byte {
	t.Helper()
	var b bytes.Buffer
	w := NewWriter(&b)
	for _, r := range rs {
		if err := w.Write(r); err != nil {
			t.Fatal(err)
		}
	}
	return b.Bytes()
}

func TestRoundTrip(t *testing.T) {
	d := parse(t, matmulRelu)
	ok := record(t, d, allSteps(), 0.00115)
	rf := record(t, d, rfSteps(), 0.002)
	failed := record(t, d, allSteps()[:3], 0)
	failed.Result = targets.Failed(targets.CompileError, "module does not compile: \"x\" <bad>\n")
	bare := &Record{Workload: WorkloadOf(d), Target: "cpu -mcpu=native -cores=2"}
	pool := parse(t, poolSrc)
	sep := record(t, pool, []schedule.Step{schedule.SeparateWindow{Stage: 1, Iter: 4, Expand: true}}, 0.001)
	in := []*Record{ok, rf, failed, bare, sep}
	dags := []*te.DAG{d, d, d, d, pool}

	kinds := map[string]bool{}
	for _, r := range in {
		for _, s := range r.Steps {
			kinds[s.Kind()] = true
		}
	}
	for _, k := range schedule.Kinds() {
		if !kinds[k] {
			t.Errorf("the test records do not use step kind %s", k)
		}
	}

	data := writeAll(t, in...)
	if n := bytes.Count(data, []byte{'\n'}); n != len(in) {
		t.Fatalf("%d lines for %d records:\n%s", n, len(in), data)
	}
	out, errs := Read(bytes.NewReader(data))
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	if !reflect.DeepEqual(out, in) {
		t.Fatalf("round trip changed the records:\n%+v\n%+v", in, out)
	}
	for i, r := range in {
		want, err := schedule.Replay(dags[i], r.Steps)
		if err != nil {
			t.Fatal(err)
		}
		got, err := out[i].State()
		if err != nil {
			t.Fatalf("record %d: %v", i, err)
		}
		if got.String() != want.String() || got.StepsString() != want.StepsString() {
			t.Errorf("record %d replays differently:\n%s\nwant\n%s", i, got, want)
		}
	}
}

// TestRandomSchedules round-trips random schedules of every zoo operator.
func TestRandomSchedules(t *testing.T) {
	names, dags := schedtest.SmallDAGs(t)
	rng := rand.New(rand.NewPCG(1, 2))
	for i, d := range dags {
		st := schedule.New(d)
		for range 40 {
			if s := schedtest.RandomStep(rng, st); s != nil {
				if next, err := st.Apply(s); err == nil {
					st = next
				}
			}
		}
		r := record(t, d, st.Steps, 0.001)
		out, errs := Read(bytes.NewReader(writeAll(t, r)))
		if len(errs) > 0 || len(out) != 1 {
			t.Fatalf("%s: %v", names[i], errs)
		}
		got, err := out[0].State()
		if err != nil {
			t.Fatalf("%s: %v", names[i], err)
		}
		if got.String() != st.String() {
			t.Errorf("%s: replays differently:\n%s\nwant\n%s", names[i], got, st)
		}
		if StepsHash(out[0].Steps) != StepsHash(st.Steps) {
			t.Errorf("%s: steps hash changed in the round trip", names[i])
		}
	}
}

// goldenProgram has a comparison, which must be written as it is.
const goldenProgram = `
A = input(f32, [64, 64])
B = input(f32, [64, 64])
R[i, k] = select(A[i, k] < 0.0, 0.0, A[i, k])
C[i, j] = sum(R[i, k] * B[k, j], k)
`

func goldenRecord(t testing.TB) *Record {
	d := parse(t, goldenProgram)
	r := record(t, d, []schedule.Step{
		schedule.ComputeInline{Stage: 2},
		schedule.Split{Stage: 3, Iter: 0, Lengths: []int64{8}, InnerToOuter: true},
		schedule.Split{Stage: 3, Iter: 2, Lengths: []int64{16}, InnerToOuter: true},
		schedule.Reorder{Stage: 3, Order: []int{0, 2, 1, 4, 3}},
		schedule.Annotate{Stage: 3, Iter: 4, Ann: schedule.AnnVectorize},
	}, 0)
	r.Result = targets.Timed([]float64{0.0012, 0.0011})
	return r
}

func TestGolden(t *testing.T) {
	r := goldenRecord(t)
	got := writeAll(t, r)
	path := filepath.Join("testdata", "record.golden")
	golden.Check(t, path, got)
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	// Records written in this format must stay readable.
	out, errs := Read(bytes.NewReader(want))
	if len(errs) > 0 || len(out) != 1 {
		t.Fatalf("reading the golden record: %v", errs)
	}
	if !reflect.DeepEqual(out[0], r) {
		t.Errorf("the golden record reads as\n%+v\nwant\n%+v", out[0], r)
	}
	if _, err := out[0].State(); err != nil {
		t.Error(err)
	}
}

func TestTruncatedLastLine(t *testing.T) {
	d := parse(t, matmulRelu)
	data := writeAll(t, record(t, d, allSteps(), 1), record(t, d, rfSteps(), 2), record(t, d, allSteps()[:5], 3))
	start := bytes.LastIndexByte(data[:len(data)-1], '\n') + 1
	for cut := start; cut < len(data); cut++ {
		out, errs := Read(bytes.NewReader(data[:cut]))
		switch {
		case cut == start:
			if len(out) != 2 || len(errs) != 0 {
				t.Fatalf("cut at %d: %d records, errors %v", cut, len(out), errs)
			}
		case cut == len(data)-1: // only the newline is missing
			if len(out) != 3 || len(errs) != 0 {
				t.Fatalf("cut at %d: %d records, errors %v", cut, len(out), errs)
			}
		default:
			var le *LineError
			if len(out) != 2 || len(errs) != 1 || !errors.As(errs[0], &le) || !le.Truncated || le.Line != 3 {
				t.Fatalf("cut at %d: %d records, errors %v", cut, len(out), errs)
			}
		}
	}
	_, errs := Read(bytes.NewReader(data[:len(data)-10]))
	want := "line 3: skipped a truncated last line (the writer stopped in the middle of it): records: not a record: unexpected end of JSON input"
	if len(errs) != 1 || errs[0].Error() != want {
		t.Errorf("got %v\nwant %s", errs, want)
	}
}

func TestMalformedLines(t *testing.T) {
	d := parse(t, matmulRelu)
	good := strings.TrimSuffix(string(writeAll(t, record(t, d, rfSteps(), 1))), "\n")
	v2 := strings.Replace(good, `{"v":1,`, `{"v":2,`, 1)
	badStep := strings.Replace(good, `"kind":"rfactor"`, `"kind":"tile"`, 1)
	badErr := strings.Replace(good, `"err":""`, `"err":"exploded"`, 1)
	lines := []string{
		good,
		"not json",
		"",
		good + "\r",
		`{"v":1}`,
		`   `,
		badStep,
		v2,
		`{"workload":{}}`,
		`{"v":"1"}`,
		`{"v":0}`,
		badErr,
		`{"v":1,"workload":{"key":"k","text":"t"},"target":"wasm-simd","round":"three"}`,
		`[1,2]`,
		good + ` {"v":1}`,
		good,
	}
	out, errs := Read(strings.NewReader(strings.Join(lines, "\n") + "\n"))
	if len(out) != 3 {
		t.Errorf("read %d records, want 3", len(out))
	}
	want := []string{
		"line 2: records: not a record: invalid character 'o' in literal null (expecting 'u')",
		"line 5: records: the workload has no key",
		`line 7: records: step 1: unknown step kind "tile"`,
		"line 8: records: the record has format version 2, newer than this tabtune reads (1); update tabtune to read it",
		"line 9: records: not a record: no format version (field v)",
		`line 10: records: format version "1" is not an integer`,
		"line 11: records: bad format version 0 (versions start at 1)",
		`line 12: records: result: unknown error kind "exploded"`,
		"line 13: records: json: cannot unmarshal string into Go struct field wire.round of type int",
		"line 14: records: not a record: json: cannot unmarshal array into Go value of type struct { V *json.RawMessage \"json:\\\"v\\\"\" }",
		"line 15: records: not a record: invalid character '{' after top-level value",
	}
	var got []string
	for _, e := range errs {
		var le *LineError
		if !errors.As(e, &le) || le.Truncated {
			t.Errorf("%v: not a plain *LineError", e)
		}
		got = append(got, e.Error())
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("errors:\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	var ve *VersionError
	if !errors.As(errs[3], &ve) || ve.Version != 2 {
		t.Errorf("%v is not a *VersionError of version 2", errs[3])
	}
}

func TestUnknownFieldsIgnored(t *testing.T) {
	d := parse(t, matmulRelu)
	r := record(t, d, rfSteps(), 1)
	line := strings.Replace(string(writeAll(t, r)), `"origin":"evolve"`, `"origin":"evolve","later":{"x":[1]}`, 1)
	line = strings.Replace(line, `"msg":""`, `"msg":"","stddev":0.1`, 1)
	out, errs := Read(strings.NewReader(line))
	if len(errs) > 0 || len(out) != 1 || !reflect.DeepEqual(out[0], r) {
		t.Errorf("%v %v", out, errs)
	}
	// "none" is read as no error, as is "".
	line = strings.Replace(line, `"err":""`, `"err":"none"`, 1)
	if out, errs := Read(strings.NewReader(line)); len(errs) > 0 || !out[0].OK() {
		t.Errorf("err none: %v", errs)
	}
}

func TestLongLine(t *testing.T) {
	d := parse(t, matmulRelu)
	good := writeAll(t, record(t, d, rfSteps(), 1))
	var b bytes.Buffer
	b.Write(good)
	b.WriteString(`{"v":1,"msg":"`)
	b.WriteString(strings.Repeat("x", MaxLine))
	b.WriteString("\"}\n")
	b.Write(good)
	out, errs := Read(&b)
	if len(out) != 2 || len(errs) != 1 || errs[0].Error() != "line 2: records: line longer than 16777216 bytes" {
		t.Errorf("%d records, %v", len(out), errs)
	}
}

func TestWriteErrors(t *testing.T) {
	d := parse(t, matmulRelu)
	cases := []struct {
		change func(*Record)
		want   string
	}{
		{func(r *Record) { r.Workload.Key = "" }, "records: the workload has no key"},
		{func(r *Record) { r.Workload.Text = "" }, "records: workload " + d.Key() + " has no text"},
		{func(r *Record) { r.Target = "" }, "records: no target"},
		{func(r *Record) { r.Result.Median = math.NaN() }, "records: the result's median is NaN"},
		{func(r *Record) { r.Result.Times[1] = math.Inf(1) }, "records: result time 1 is +Inf"},
		{func(r *Record) { r.FLOPs = math.Inf(-1) }, "records: the FLOP count is -Inf"},
		{func(r *Record) { r.Time = time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC) }, "records: time 10000-01-01 00:00:00 +0000 UTC is out of range (years 0 to 9999 in UTC)"},
		{func(r *Record) { r.Result.Err = 42 }, "records: result: invalid error kind 42"},
		{func(r *Record) { r.Steps = append(r.Steps, nil) }, "records: step 2 is nil"},
		{func(r *Record) { r.Steps[0] = schedule.Annotate{Ann: 99} }, `records: step 0 (annotate) would not read back: annotate: unknown annotation "Annotation(99)"`},
	}
	for _, c := range cases {
		r := record(t, d, rfSteps(), 1)
		c.change(r)
		var b bytes.Buffer
		err := NewWriter(&b).Write(r)
		if err == nil || err.Error() != c.want {
			t.Errorf("got %v\nwant %s", err, c.want)
		}
		if b.Len() != 0 {
			t.Errorf("%s: wrote %q", c.want, b.String())
		}
	}
}

func TestStateErrors(t *testing.T) {
	d := parse(t, matmulRelu)
	r := record(t, d, rfSteps(), 1)
	r.Workload.Key = "0123"
	if _, err := r.State(); err == nil || err.Error() != "records: workload key 0123 does not match its text, whose key is "+d.Key() {
		t.Error(err)
	}
	r = record(t, d, rfSteps(), 1)
	r.Steps = append(r.Steps, schedule.ComputeInline{Stage: 9})
	if _, err := r.State(); err == nil || !strings.HasPrefix(err.Error(), "records: workload "+d.Key()+": step 2 (compute_inline)") {
		t.Error(err)
	}
	other := parse(t, goldenProgram)
	if _, err := r.Replay(other); err == nil || !strings.Contains(err.Error(), "not "+other.Key()) {
		t.Error(err)
	}
}

func TestGFLOPS(t *testing.T) {
	r := &Record{FLOPs: 2e9, Result: targets.Timed([]float64{0.5})}
	if !r.OK() || r.GFLOPS() != 4 {
		t.Errorf("OK %v, GFLOPS %v", r.OK(), r.GFLOPS())
	}
	r.Result = targets.Failed(targets.Timeout, "too slow")
	if r.OK() || r.GFLOPS() != 0 {
		t.Errorf("failed: OK %v, GFLOPS %v", r.OK(), r.GFLOPS())
	}
}

// syncer counts the calls a Writer makes.
type syncer struct {
	bytes.Buffer
	writes, flushes, syncs int
	mode                   os.FileMode
}

func (s *syncer) Write(p []byte) (int, error) { s.writes++; return s.Buffer.Write(p) }
func (s *syncer) Flush() error                { s.flushes++; return nil }
func (s *syncer) Sync() error                 { s.syncs++; return nil }

type pipe struct{ syncer }

func (p *pipe) Stat() (os.FileInfo, error) { return fileInfo{}, nil }

type fileInfo struct{ os.FileInfo }

func (fileInfo) Mode() os.FileMode { return os.ModeNamedPipe }

func TestWriterFlushes(t *testing.T) {
	d := parse(t, matmulRelu)
	var s syncer
	w := NewWriter(&s)
	for range 3 {
		if err := w.Write(record(t, d, allSteps(), 1)); err != nil {
			t.Fatal(err)
		}
	}
	if s.writes != 3 || s.flushes != 3 || s.syncs != 3 {
		t.Errorf("writes %d, flushes %d, syncs %d; want 3 each", s.writes, s.flushes, s.syncs)
	}
	var p pipe
	w = NewWriter(&p)
	if err := w.Write(record(t, d, allSteps(), 1)); err != nil {
		t.Fatal(err)
	}
	if p.writes != 1 || p.flushes != 1 || p.syncs != 0 {
		t.Errorf("pipe: writes %d, flushes %d, syncs %d; want 1, 1, 0", p.writes, p.flushes, p.syncs)
	}
}
