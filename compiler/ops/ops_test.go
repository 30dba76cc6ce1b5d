package ops

import (
	"math"
	"math/bits"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/tabtune/tabtune/compiler/te"
)

func TestRegistry(t *testing.T) {
	want := []string{"c1d", "c2d", "c3d", "gmm", "grp", "dil", "dep", "t2d", "cap", "nrm",
		"bmm", "dense_bias_relu", "softmax", "layernorm", "maxpool2d", "avgpool2d",
		"conv2d_bwd_data", "conv2d_bwd_weight"}
	if got := strings.Join(Names(), " "); got != strings.Join(want, " ") {
		t.Fatalf("Names() = %s\nwant      %s", got, strings.Join(want, " "))
	}
	for _, o := range All() {
		if o.Name != strings.ToLower(o.Name) || strings.ContainsAny(o.Name, " :,=") {
			t.Errorf("%s: names are lowercase words", o.Name)
		}
		if o.Doc == "" {
			t.Errorf("%s: no Doc", o.Name)
		}
		seen := map[string]bool{}
		for _, p := range o.Params {
			if seen[strings.ToLower(p.Name)] {
				t.Errorf("%s: two parameters named %s (ignoring case)", o.Name, p.Name)
			}
			seen[strings.ToLower(p.Name)] = true
			if p.Doc == "" {
				t.Errorf("%s: parameter %s has no Doc", o.Name, p.Name)
			}
			if _, ok := o.Small[p.Name]; !ok {
				t.Errorf("%s: Small lacks %s", o.Name, p.Name)
			}
		}
		for name := range o.Small {
			if _, ok := o.param(name); !ok {
				t.Errorf("%s: Small sets unknown parameter %s", o.Name, name)
			}
		}
		got, ok := Lookup(strings.ToUpper(o.Name))
		if !ok || got != o {
			t.Errorf("Lookup(%q) = %v, %v", strings.ToUpper(o.Name), got, ok)
		}
	}
	if _, ok := Lookup("conv"); ok {
		t.Error("Lookup(conv) found something")
	}
}

// build builds o at args or fails the test.
func build(t *testing.T, o *Op, args map[string]int64) *te.DAG {
	t.Helper()
	d, err := o.Build(args)
	if err != nil {
		t.Fatalf("%s: %v", o.Spec(args), err)
	}
	return d
}

func TestBuildAndRoundTrip(t *testing.T) {
	for _, o := range All() {
		for _, args := range []map[string]int64{nil, o.Small} {
			t.Run(o.Spec(args), func(t *testing.T) {
				d := build(t, o, args)
				text := te.Format(d)
				d2, err := te.Parse(text)
				if err != nil {
					t.Fatalf("Format does not reparse: %v\n%s", err, text)
				}
				if got := te.Format(d2); got != text {
					t.Fatalf("Format(Parse(Format(d))) changed the text:\n%s\nwant\n%s", got, text)
				}
				if d2.Key() != d.Key() {
					t.Fatal("the workload key changed in a round trip")
				}
				if d.FLOPs() <= 0 {
					t.Errorf("FLOPs = %v", d.FLOPs())
				}
				if len(d.Outputs) != 1 {
					t.Errorf("%d outputs, want 1", len(d.Outputs))
				}
			})
		}
	}
}

func isPow2(v int64) bool { return v > 0 && bits.OnesCount64(uint64(v)) == 1 }

// TestSmall checks that the Small shapes stay small enough for a naive
// interpreter, and are not trivial.
func TestSmall(t *testing.T) {
	for _, o := range All() {
		d := build(t, o, o.Small)
		if f := d.FLOPs(); f > 200e3 {
			t.Errorf("%s: Small has %v FLOPs, want at most 200k", o.Name, f)
		}
		for _, x := range d.Tensors {
			if x.Size() > 2048 {
				t.Errorf("%s: Small tensor %s has %d elements", o.Name, x.Name, x.Size())
			}
		}
		odd := false
		for name, v := range o.Small {
			if v > 2 && !isPow2(v) {
				odd = true
			}
			if (name == "stride" && v != 2) || (name == "pad" && v != 1) {
				t.Errorf("%s: Small has %s=%d; want stride 2, pad 1", o.Name, name, v)
			}
		}
		if !odd {
			t.Errorf("%s: every Small size is a power of two (or tiny)", o.Name)
		}
	}
}

func TestFLOPs(t *testing.T) {
	for _, c := range []struct {
		spec string
		want float64
	}{
		{"gmm:M=64,N=64,K=64", 2.0 * 64 * 64 * 64},
		// The padding stage is a select on integer conditions that copies
		// or yields a constant: no float operation. The convolution does a
		// multiply and an add per step.
		{"c2d", 2.0 * 1 * 64 * 56 * 56 * 64 * 3 * 3},
		{"c2d:N=2,CI=3,H=7,W=6,CO=5,stride=2,pad=1", 2.0 * 2 * 5 * 4 * 3 * 3 * 3 * 3},
		// The transposed convolutions multiply only the kernel taps that
		// meet an input row or column: KH/stride of them per output row
		// (all of them at stride 1), and none that the stride leaves out.
		// The taps that meet the border padding count, as they do for c2d.
		{"t2d", 2.0 * 1 * 256 * 8 * 8 * 512 * 2 * 2},
		{"t2d:stride=1,pad=0", 2.0 * 1 * 256 * 7 * 7 * 512 * 4 * 4},
		{"conv2d_bwd_data:stride=2,KH=4,KW=4", 2.0 * 1 * 64 * 56 * 56 * 64 * 2 * 2},
		// When the stride divides neither the kernel nor the output, the
		// phases round the output up to 8x10, and along each dimension the
		// phases split the 3 taps as 2 + 1: 4x5 positions of 3x3 taps in
		// all. Interleaving the phases costs no float operation.
		{"t2d:H=4,W=5,KH=3,KW=3,stride=2,pad=1", 2.0 * 1 * 256 * 4 * 5 * 512 * 3 * 3},
		// 2MNK for the dense, one add for the bias, one max for the relu.
		{"dense_bias_relu:M=8,N=16,K=32", 2.0*8*16*32 + 8*16 + 8*16},
		// max_over 1, exp(x - max) 2, sum 1, multiply 1 per element; the
		// inverse of the sum 1 per row.
		{"softmax:M=8,N=16", 5.0*8*16 + 8},
		// total 1, sqdev 4 and out 4 per element; mean 1, variance 1 and
		// rstd = 1/sqrt(variance + eps) 3 per row.
		{"layernorm:M=8,N=16", 9.0*8*16 + 5*8},
		// A multiply and an add per step, one sqrt per matrix.
		{"nrm:B=3,M=8,N=16", 2.0*3*8*16 + 3},
	} {
		d, err := BuildSpec(c.spec)
		if err != nil {
			t.Fatal(err)
		}
		if got := d.FLOPs(); got != c.want {
			t.Errorf("%s: FLOPs %v, want %v", c.spec, got, c.want)
		}
	}
}

func TestShapes(t *testing.T) {
	for _, c := range []struct {
		spec  string
		shape string
	}{
		{"c2d", "[1 64 56 56]"},
		{"c2d:H=7,W=6,stride=2,pad=1", "[1 64 4 3]"},
		{"c1d", "[1 128 32]"},
		{"c3d", "[1 64 16 56 56]"},
		{"grp", "[1 128 28 28]"},
		{"dil", "[1 64 56 56]"},
		{"dep", "[1 32 112 112]"},
		{"t2d", "[1 256 8 8]"},
		{"t2d:H=4,W=5,KH=3,KW=3,stride=2,pad=1", "[1 256 7 9]"},
		{"t2d:stride=1", "[1 256 5 5]"},
		{"cap", "[1 8 8 4 4 32]"},
		{"nrm:B=3", "[3]"},
		{"bmm", "[12 128 128]"},
		{"maxpool2d", "[1 64 56 56]"},
		{"avgpool2d", "[1 64 56 56]"},
		{"conv2d_bwd_data:stride=2", "[1 64 56 56]"},
		{"conv2d_bwd_data:stride=2,H=55", "[1 64 55 56]"},
		{"conv2d_bwd_data", "[1 64 56 56]"},
		{"conv2d_bwd_weight:stride=2,KH=5", "[64 64 5 3]"},
		{"c2d:pad=0,stride=1,KH=1,KW=1", "[1 64 56 56]"},
	} {
		d, err := BuildSpec(c.spec)
		if err != nil {
			t.Errorf("%s: %v", c.spec, err)
			continue
		}
		out := d.Outputs[0]
		if got := fmtShape(out.Shape); got != c.shape {
			t.Errorf("%s: output %s has shape %s, want %s", c.spec, out.Name, got, c.shape)
		}
	}
}

func fmtShape(s []int64) string {
	parts := make([]string, len(s))
	for i, v := range s {
		parts[i] = itoa(v)
	}
	return "[" + strings.Join(parts, " ") + "]"
}

func itoa(v int64) string { return strconv.FormatInt(v, 10) }

// TestNoPadStage checks that padding 0 reads the input directly, with no
// copy stage.
func TestNoPadStage(t *testing.T) {
	for _, spec := range []string{"c2d:pad=0", "c1d:pad=0", "c3d:pad=0", "maxpool2d:pad=0", "conv2d_bwd_weight:pad=0", "t2d:pad=3,stride=1"} {
		d, err := BuildSpec(spec)
		if err != nil {
			t.Fatalf("%s: %v", spec, err)
		}
		if d.Lookup("pad") != nil {
			t.Errorf("%s: a padding stage without padding:\n%s", spec, d)
		}
	}
	d, err := BuildSpec("c2d")
	if err != nil {
		t.Fatal(err)
	}
	if d.Lookup("pad") == nil {
		t.Errorf("c2d: no padding stage:\n%s", d)
	}
}

func TestParseSpec(t *testing.T) {
	for _, c := range []struct {
		spec string
		op   string
		args map[string]int64
	}{
		{"gmm", "gmm", map[string]int64{}},
		{"GMM:m=5, n=6,K=7", "gmm", map[string]int64{"M": 5, "N": 6, "K": 7}},
		{" c2d:CI=3,stride=2 ", "c2d", map[string]int64{"CI": 3, "stride": 2}},
		{"c2d:Stride=2,PAD=0", "c2d", map[string]int64{"stride": 2, "pad": 0}},
		{"grp:CI=6,CO=9,groups=3", "grp", map[string]int64{"CI": 6, "CO": 9, "groups": 3}},
	} {
		o, args, err := ParseSpec(c.spec)
		if err != nil {
			t.Errorf("ParseSpec(%q): %v", c.spec, err)
			continue
		}
		if o.Name != c.op || len(args) != len(c.args) {
			t.Errorf("ParseSpec(%q) = %s %v, want %s %v", c.spec, o.Name, args, c.op, c.args)
			continue
		}
		for k, v := range c.args {
			if args[k] != v {
				t.Errorf("ParseSpec(%q) = %s %v, want %s %v", c.spec, o.Name, args, c.op, c.args)
			}
		}
	}
	known := "c1d, c2d, c3d, gmm, grp, dil, dep, t2d, cap, nrm, bmm, dense_bias_relu, softmax, layernorm, maxpool2d, avgpool2d, conv2d_bwd_data, conv2d_bwd_weight"
	for _, c := range []struct{ spec, err string }{
		{"", `empty operator spec "": want NAME or NAME:PARAM=VALUE,...; operators: ` + known},
		{":M=3", `empty operator spec ":M=3": want NAME or NAME:PARAM=VALUE,...; operators: ` + known},
		{"conv", `unknown operator "conv"; known operators: ` + known},
		{"gmm:X=3", "gmm has no parameter X; it takes M, N, K"},
		{"gmm:M", `gmm: bad argument "M" in spec "gmm:M": want PARAM=VALUE, as M=1024`},
		{"gmm:", `gmm: bad argument "" in spec "gmm:": want PARAM=VALUE, as M=1024`},
		{"gmm:M=3,,N=4", `gmm: bad argument "" in spec "gmm:M=3,,N=4": want PARAM=VALUE, as M=1024`},
		{"gmm:=3", `gmm: bad argument "=3" in spec "gmm:=3": want PARAM=VALUE, as M=1024`},
		{"gmm:M=abc", "gmm: M=abc: the value is not an integer"},
		{"gmm:M=1.5", "gmm: M=1.5: the value is not an integer"},
		{"gmm:M=99999999999999999999", "gmm: M=99999999999999999999: the value is too large (at most 9223372036854775807)"},
		{"gmm:M=-99999999999999999999", "gmm: M=-99999999999999999999: it must be positive"},
		{"gmm:M=3,m=4", "gmm: parameter M is given twice"},
		{"gmm:M=0", "gmm: M=0: it must be positive"},
		{"gmm:K=-2", "gmm: K=-2: it must be positive"},
		{"gmm:N=16777217", "gmm: N=16777217: it is too large (at most 16777216)"},
		{"c2d:pad=-1", "c2d: pad=-1: it must not be negative"},
		{"c2d:stride=0", "c2d: stride=0: it must be positive"},
		{"c2d:H=2,KH=5,pad=1", "c2d: the kernel (5) is larger than the padded input (2 + 2*1) along H, so the output is empty"},
		{"dil:H=4,pad=0", "dil: the dilated kernel (5) is larger than the padded input (4 + 2*0) along H, so the output is empty"},
		{"grp:CI=6,groups=4", "grp: CI=6 is not divisible by groups=4"},
		{"grp:CI=8,CO=6,groups=4", "grp: CO=6 is not divisible by groups=4"},
		{"t2d:pad=4", "t2d: pad=4 must be less than the kernel size (KH=4, KW=4)"},
		{"t2d:H=1,W=1,KH=3,KW=3,pad=2", "t2d: the output would be -1x-1: (H-1)*stride - 2*pad + KH must be positive"},
		{"maxpool2d:pad=2", "maxpool2d: pad=2 is more than half the window K=3: some windows would hold only padding"},
	} {
		_, _, err := ParseSpec(c.spec)
		if err == nil || err.Error() != c.err {
			t.Errorf("ParseSpec(%q): error %v\nwant %s", c.spec, err, c.err)
		}
	}
}

func TestSourceErrors(t *testing.T) {
	o, _ := Lookup("c2d")
	if _, err := o.Source(map[string]int64{"K": 3}); err == nil || err.Error() != "c2d has no parameter K; it takes N, CI, H, W, CO, KH, KW, stride, pad" {
		t.Errorf("unknown parameter: %v", err)
	}
	if _, err := o.Source(map[string]int64{"kh": 3, "KH": 3}); err == nil || err.Error() != "c2d: parameter KH is given twice (as KH and kh)" {
		t.Errorf("duplicate parameter: %v", err)
	}
	if _, err := BuildSpec("gmm:M=0"); err == nil {
		t.Error("BuildSpec(gmm:M=0) succeeded")
	}
	if _, err := BuildSpec("c3d:D=16777216,H=16777216,W=16777216"); err == nil || !strings.Contains(err.Error(), "too many") {
		t.Errorf("huge c3d: %v", err)
	}
}

func TestSpec(t *testing.T) {
	o, _ := Lookup("gmm")
	if got, want := o.Spec(map[string]int64{"N": 5}), "gmm:M=1024,N=5,K=1024"; got != want {
		t.Errorf("Spec = %s, want %s", got, want)
	}
	for _, o := range All() {
		spec := o.Spec(o.Small)
		o2, args, err := ParseSpec(spec)
		if err != nil || o2 != o || len(args) != len(o.Params) {
			t.Errorf("ParseSpec(%s) = %v %v %v", spec, o2, args, err)
		}
		src, err := o.Source(o.Small)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(src, "# "+spec+"\n") {
			t.Errorf("%s: the source does not start with its spec:\n%s", o.Name, src)
		}
	}
}

func TestUsageAndHelp(t *testing.T) {
	u := Usage()
	lines := strings.Split(u, "\n")
	for _, o := range All() {
		found := false
		for _, l := range lines {
			if strings.HasPrefix(l, o.Name+" ") && strings.Contains(l, o.Doc) {
				found = true
				for _, p := range o.Params {
					if !strings.Contains(l, p.Name+"="+itoa(p.Default)) {
						t.Errorf("Usage: the line of %s lacks %s=%d", o.Name, p.Name, p.Default)
					}
				}
			}
		}
		if !found {
			t.Errorf("Usage lacks %s:\n%s", o.Name, u)
		}
		h := o.Help()
		if !strings.Contains(h, o.Doc) || !strings.Contains(h, " = input(f32, ") {
			t.Errorf("Help(%s):\n%s", o.Name, h)
		}
	}
}

// TestSmallIsFast guards the promise of Small: building every operator at
// its small shape is quick (evaluation is checked in the numeric tests).
func TestSmallIsFast(t *testing.T) {
	start := time.Now()
	for _, o := range All() {
		build(t, o, o.Small)
	}
	if el := time.Since(start); el > 2*time.Second {
		t.Errorf("building the small shapes took %v", el)
	}
}

// closeTo reports whether got is within float32 accumulation error of want.
func closeTo(got float32, want float64) bool {
	return math.Abs(float64(got)-want) <= 1e-4+1e-4*math.Abs(want)
}
