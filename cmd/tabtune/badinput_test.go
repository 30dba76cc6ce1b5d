package main

import (
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"
)

// badInput is one input of TestBadInputs: a command line whose FILE
// placeholders name files written with the given contents, the exit
// status it must give and the exact last line of its stderr.
type badInput struct {
	name   string
	args   []string
	files  map[string]string
	status int
	stderr string
}

const (
	matmulTE = "A = input(f32, [12, 7])\nB = input(f32, [7, 10])\nC[i, j] = sum(A[i, k] * B[k, j], k)\n"
	split1   = `{"kind":"split","stage":2,"iter":0,"lengths":[1],"inner_to_outer":true}`
)

// badInputLimit bounds how long a command given bad input may take to
// refuse it. Refusing takes milliseconds; the bound is loose because a
// loaded CI machine is slow (1.8 s was seen against an older 1 s bound),
// yet it fails a command that starts tuning before it checks its input.
const badInputLimit = 5 * time.Second

// stepsOf writes a steps document of the given step objects.
func stepsOf(steps ...string) string {
	return `{"version":1,"steps":[` + strings.Join(steps, ",") + `]}`
}

func repeat(n int, s string) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = s
	}
	return out
}

// badInputs are the inputs of issue 9 and more: each is refused early,
// clearly (a location where there is one) and cheaply, or, for the first
// few, now accepted.
var badInputs = []badInput{
	// The text format infers what it can.
	{name: "blur checks", args: []string{"check", "-workload", "../../examples/blur.te"}},
	{name: "strided convolution parses", args: []string{"show", "-workload", "../../examples/conv7x7_stride2.te"}},
	{name: "flat sum of 1001 terms", args: []string{"check", "-workload", "FILE.te"},
		files: map[string]string{"FILE.te": "A = input(f32, [8])\nB[i] = A[i]" + strings.Repeat(" + A[i]", 1000) + "\n"}},
	{name: "sketches of four chained matmuls", args: []string{"sketches", "-workload", "testdata/matmul_chain4.te"}},
	{name: "f32 of the most negative integer", args: []string{"run", "-workload", "FILE.te", "-measurer", "wasm", "-min-time", "1ms"},
		files: map[string]string{"FILE.te": "A = input(f32, [4])\nB[i] = A[i] + f32(-9223372036854775808)\n"}},

	// Errors found at parse time, with file:line:col.
	{"read past the end", []string{"show", "-workload", "FILE.te"},
		map[string]string{"FILE.te": "A = input(f32, [8])\nB[i:8] = A[i + 1]\n"},
		2, "tabtune show: FILE.te:2:10: A[i + 1] reads outside A: index i + 1 goes up to 8, but dimension 0 has size 8"},
	{"read before the start", []string{"lower", "-workload", "FILE.te"},
		map[string]string{"FILE.te": "A = input(f32, [8])\nB[i] = A[i] + A[i - 1]\n"},
		2, "tabtune lower: FILE.te:2:15: A[i - 1] reads outside A: index i - 1 goes down to -1"},
	{"no range keeps the read inside", []string{"show", "-workload", "FILE.te"},
		map[string]string{"FILE.te": "A = input(f32, [8])\nB[i] = A[i + 8]\n"},
		2, "tabtune show: FILE.te:2:3: no range of axis i keeps A[i + 8] inside A (dimension 0, size 8)"},
	{"padding guard that does not guard", []string{"show", "-workload", "FILE.te"},
		map[string]string{"FILE.te": "X = input(f32, [8])\nP[h:10] = select(h >= 1 && h < 10, X[h - 1], 0.0)\n"},
		2, "tabtune show: FILE.te:2:36: X[h - 1] reads outside X: index h - 1 goes up to 8, but dimension 0 has size 8"},
	{"division by zero", []string{"check", "-workload", "FILE.te"},
		map[string]string{"FILE.te": "A = input(i32, [8])\nB[i] = A[i] // 0\n"},
		2, "tabtune check: FILE.te:2:13: integer division by zero"},
	{"modulo by zero", []string{"lower", "-workload", "FILE.te"},
		map[string]string{"FILE.te": "A = input(i32, [8])\nB[i] = A[i] % (3 - 3)\n"},
		2, "tabtune lower: FILE.te:2:13: modulo by zero: 3 - 3 is always 0"},
	{"i32 literal too wide", []string{"run", "-workload", "FILE.te"},
		map[string]string{"FILE.te": "A = input(i32, [8])\nB[i] = A[i] + 3000000000\n"},
		2, "tabtune run: FILE.te:2:15: integer 3000000000 does not fit in i32 (-2147483648 to 2147483647)"},
	{"axis that cannot be inferred", []string{"show", "-workload", "FILE.te"},
		map[string]string{"FILE.te": "A = input(f32, [8])\nB[i, j] = A[i]\n"},
		2, "tabtune show: FILE.te:2:6: cannot infer the range of axis j; write it as j:N"},
	{"flat sum too long", []string{"show", "-workload", "FILE.te"},
		map[string]string{"FILE.te": "A = input(f32, [8])\nB[i] = A[i]" + strings.Repeat(" + A[i]", 100000) + "\n"},
		2, "tabtune show: FILE.te:2:27999: expression is nested too deeply (more than 4000 levels)"},
	{"syntax", []string{"show", "-workload", "FILE.te"},
		map[string]string{"FILE.te": "A = input(f32, [8])\nB[i] = A[i\n"},
		2, "tabtune show: FILE.te:2:11: expected ']' after the indices of A, found end of line"},

	// Sizes, checked before anything is allocated.
	{"input of 10^18 elements, run", []string{"run", "-workload", "FILE.te"},
		map[string]string{"FILE.te": "A = input(f32, [1000000000, 1000000000])\nB[i, j] = A[i, j] * 2.0\n"},
		2, "tabtune run: build: the tensors need 6.9 EiB (the largest, A, has 1000000000 x 1000000000 elements); the measurer's memory holds 1.0 GiB"},
	{"input of 10^18 elements, check", []string{"check", "-workload", "FILE.te"},
		map[string]string{"FILE.te": "A = input(f32, [1000000000, 1000000000])\nB[i, j] = A[i, j] * 2.0\n"},
		2, "tabtune check: interp: memory budget exceeded: the tensors need 6.9 EiB (the largest, A, has 1000000000 x 1000000000 elements); the interpreter's budget holds 1.0 GiB (use smaller shapes)"},
	{"40000 x 40000, check", []string{"check", "-workload", "FILE.te"},
		map[string]string{"FILE.te": "A = input(f32, [40000, 40000])\nB[i, j] = A[i, j] * 2.0\n"},
		2, "tabtune check: interp: memory budget exceeded: the tensors need 11.9 GiB (the largest, A, has 40000 x 40000 elements); the interpreter's budget holds 1.0 GiB (use smaller shapes)"},
	{"40000 x 40000, run", []string{"run", "-workload", "FILE.te"},
		map[string]string{"FILE.te": "A = input(f32, [40000, 40000])\nB[i, j] = A[i, j] * 2.0\n"},
		2, "tabtune run: build: the tensors need 11.9 GiB (the largest, A, has 40000 x 40000 elements); the measurer's memory holds 1.0 GiB"},
	{"20000 x 20000, run", []string{"run", "-workload", "FILE.te"},
		map[string]string{"FILE.te": "A = input(f32, [20000, 20000])\nB[i, j] = A[i, j] * 2.0\n"},
		2, "tabtune run: build: the tensors need 3.0 GiB (the largest, A, has 20000 x 20000 elements); the measurer's memory holds 1.0 GiB"},
	{"gmm 40000, check", []string{"check", "-workload", "gmm:M=40000,N=1,K=40000"}, nil,
		2, "tabtune check: interp: memory budget exceeded: the tensors need 6.0 GiB (the largest, A, has 40000 x 40000 elements); the interpreter's budget holds 1.0 GiB (use smaller shapes)"},
	{"20000 x 20000, tune", []string{"tune", "-workload", "FILE.te", "-trials", "8", "-batch", "8"},
		map[string]string{"FILE.te": "A = input(f32, [20000, 20000])\nB[i, j] = A[i, j] * 2.0\n"},
		2, "tabtune tune: build: the tensors need 3.0 GiB (the largest, A, has 20000 x 20000 elements); the measurer's memory holds 1.0 GiB"},
	{"gmm 40000, tune", []string{"tune", "-workload", "gmm:M=40000,N=1,K=40000", "-trials", "8", "-batch", "8"}, nil,
		2, "tabtune tune: build: the tensors need 6.0 GiB (the largest, A, has 40000 x 40000 elements); the measurer's memory holds 1.0 GiB"},
	{"gmm 40000, run", []string{"run", "-workload", "gmm:M=40000,N=1,K=40000"}, nil,
		2, "tabtune run: build: the tensors need 6.0 GiB (the largest, A, has 40000 x 40000 elements); the measurer's memory holds 1.0 GiB"},
	{"element count beyond int64, check", []string{"check", "-workload", "FILE.te"},
		map[string]string{"FILE.te": "A = input(f32, [9223372036854775807, 9223372036854775807])\nB[i, j] = A[i, j]\n"},
		2, "tabtune check: interp: memory budget exceeded: tensor A has 9223372036854775807 x 9223372036854775807 elements: more than an int64 counts (use smaller shapes)"},
	{"element count beyond int64, run", []string{"run", "-workload", "FILE.te"},
		map[string]string{"FILE.te": "A = input(f32, [9223372036854775807, 9223372036854775807])\nB[i, j] = A[i, j]\n"},
		2, "tabtune run: build: tensor A has 9223372036854775807 x 9223372036854775807 elements: more than an int64 counts"},
	{"spec integer beyond int64", []string{"show", "-workload", "gmm:M=99999999999999999999,N=1,K=1"}, nil,
		2, `tabtune show: workload "gmm:M=99999999999999999999,N=1,K=1": gmm: M=99999999999999999999: the value is too large (at most 9223372036854775807)`},

	// Steps JSON.
	{"two documents", []string{"lower", "-workload", "FILE.te", "-steps", "FILE.json"},
		map[string]string{"FILE.te": matmulTE, "FILE.json": stepsOf() + stepsOf(split1)},
		2, "tabtune lower: FILE.json: schedule: reading steps: line 1, column 25: data after the end of the document"},
	{"junk after the document", []string{"lower", "-workload", "FILE.te", "-steps", "FILE.json"},
		map[string]string{"FILE.te": matmulTE, "FILE.json": stepsOf(split1) + "\njunk\n"},
		2, "tabtune lower: FILE.json: schedule: reading steps: line 2, column 1: data after the end of the document"},
	{"key given twice", []string{"show", "-workload", "FILE.te", "-steps", "FILE.json"},
		map[string]string{"FILE.te": matmulTE, "FILE.json": "{\"version\":1,\n\"steps\":[{\"kind\":\"split\",\"stage\":2,\"iter\":0,\"iter\":1,\"lengths\":[2]}]}"},
		2, `tabtune show: FILE.json: schedule: reading steps: line 2, column 45: key "iter" is given twice`},
	{"truncated document", []string{"check", "-workload", "FILE.te", "-steps", "FILE.json"},
		map[string]string{"FILE.te": matmulTE, "FILE.json": "{\"version\":1,\n\"steps\":[{\"kind\":\"split\",\"stage\":2,\"it"},
		2, "tabtune check: FILE.json: schedule: reading steps: line 2, column 39: the document ends early"},
	{"10000 splits", []string{"lower", "-workload", "FILE.te", "-steps", "FILE.json"},
		map[string]string{"FILE.te": matmulTE, "FILE.json": stepsOf(repeat(10000, split1)...)},
		2, "tabtune lower: FILE.json: step 127 (split) on stage C, iterator i" + strings.Repeat(".0", 127) + ": the new iterator's name would have 257 characters, more than 256: the schedule splits and fuses too deeply"},
	{"too many steps", []string{"lower", "-workload", "FILE.te", "-steps", "FILE.json"},
		map[string]string{"FILE.te": matmulTE, "FILE.json": stepsOf(repeat(10001, "{}")...)},
		2, "tabtune lower: FILE.json: schedule: reading steps: line 1, column 30023: the steps: more than 10000 elements"},
	{"split with a long list", []string{"lower", "-workload", "FILE.te", "-steps", "FILE.json"},
		map[string]string{"FILE.te": matmulTE, "FILE.json": stepsOf(`{"kind":"split","stage":2,"iter":0,"inner_to_outer":true,"lengths":[` + strings.Repeat("1,", 100000) + `1]}`)},
		2, "tabtune lower: FILE.json: schedule: reading steps: line 1, column 2139: a list: more than 1024 elements"},
	{"storage_align factor 9e18", []string{"lower", "-workload", "FILE.te", "-steps", "FILE.json"},
		map[string]string{"FILE.te": matmulTE + "D[i, j] = max(C[i, j], 0.0)\n", "FILE.json": stepsOf(`{"kind":"storage_align","stage":2,"iter":0,"factor":9000000000000000000,"offset":1}`)},
		2, "tabtune lower: FILE.json: step 0 (storage_align) on stage C, iterator i: factor must be at most 65536, not 9000000000000000000"},

	// The command line.
	{"unknown measurer", []string{"run", "-workload", "gmm:M=8,N=8,K=8", "-measurer", "quantum"}, nil,
		2, `tabtune run: unknown measurer "quantum": use auto: the first of the others that can run the target, cpu (native C kernels built with the system C compiler, $CC or gcc), node (V8, what a browser runs; needs node), wazero (in-process, needs nothing installed)`},
	{"unknown measurer, tune", []string{"tune", "-workload", "gmm:M=8,N=8,K=8", "-measurer", "quantum"}, nil,
		2, `tabtune tune: unknown measurer "quantum": use auto: the first of the others that can run the target, cpu (native C kernels built with the system C compiler, $CC or gcc), node (V8, what a browser runs; needs node), wazero (in-process, needs nothing installed)`},
	{"show -log of a program", []string{"show", "-log", "FILE.te"}, map[string]string{"FILE.te": matmulTE},
		2, "tabtune show: FILE.te is not a records file: no line of it is a record (FILE.te:1: records: not a record: invalid character 'A' looking for beginning of value)"},
}

// TestBadInputs runs every input of badInputs through the command's run
// function and checks its exit status and the last line of its stderr,
// and that it ends within a second and allocates less than 100 MB.
func TestBadInputs(t *testing.T) {
	for _, tc := range badInputs {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			args := append([]string(nil), tc.args...)
			for name, content := range tc.files {
				if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			for i, a := range args {
				if _, ok := tc.files[a]; ok {
					args[i] = filepath.Join(dir, a)
				}
			}
			var before, after runtime.MemStats
			runtime.GC()
			runtime.ReadMemStats(&before)
			start := time.Now()
			status, _, errOut := tabtune(t, args...)
			took := time.Since(start)
			runtime.ReadMemStats(&after)
			errOut = strings.ReplaceAll(errOut, dir+string(filepath.Separator), "")
			lines := strings.Split(strings.TrimRight(errOut, "\n"), "\n")
			last := lines[len(lines)-1]
			if tc.status == 0 {
				last = tc.stderr // only the status matters
			}
			if status != tc.status || last != tc.stderr {
				t.Errorf("status %d, stderr:\n%s\nwant status %d, last line:\n%s", status, errOut, tc.status, tc.stderr)
			}
			if took > badInputLimit {
				t.Errorf("took %v, more than %v", took, badInputLimit)
			}
			if alloc := after.TotalAlloc - before.TotalAlloc; alloc > 100<<20 {
				t.Errorf("allocated %d MB, more than 100", alloc>>20)
			}
		})
	}
}
