//go:build !js

package main

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Halide's peers: the algorithm of each workload written as a Halide 14
// generator (halideGenerators, the algorithm and estimates only), compiled
// once with g++ against libHalide and run ahead of time with an
// auto-scheduler plugin (Adams2019, Mullapudi2016) for the host and the
// thread count (machine_params parallelism) into a static library. The
// peer is a C wrapper in the kernel calling convention that describes our
// pointers as halide_buffer_t's and calls the pipeline on that many
// threads of Halide's pool; the measurer links the library into it
// (cpu.Config.Objects). All of it is built in a private temporary
// directory, removed at the end.
//
// The parallelism given decides Adams2019's schedule, not only its
// parallel loops (December 2026, AMD EPYC, loaded machine, one thread,
// interleaved): on GMM 1024 it picks 3x16 tiles for parallelism 1, which
// ran at 10-12 GFLOP/s where its schedule for parallelism 2 or 16 ran at
// 17-35; on C2D its schedule for parallelism 1 was the fastest (23-33
// against 17-23).

// Where Debian's libhalide14-0-dev puts Halide 14 (the plugins under
// /usr/lib/MULTIARCH/halide14).
const (
	halideInclude = "/usr/include/halide14"
	halideGenGen  = "/usr/src/halide14/GenGen.cpp"
	halideLibrary = "Halide14"
	halideInstall = "libhalide14-0-dev"
	halidePrefix  = "Halide " // of the peers' names
)

// halideSchedulers are the auto-schedulers run, by name (the generator's
// -s) and plugin.
var halideSchedulers = []struct{ name, plugin string }{
	{"Adams2019", "libautoschedule_adams2019.so"},
	{"Mullapudi2016", "libautoschedule_mullapudi2016.so"},
}

// halideGenerators holds the generators: gmm is C = A·B row-major (A MxK,
// B KxN) and c2d the convolution of compiler/ops (NCHW data, OIHW
// weights, zero padding, cross-correlation), in Halide's dimension order,
// innermost first. Every buffer's bounds and strides are fixed, as our
// kernels are specialized to their shapes, and estimated for the
// auto-schedulers.
const halideGenerators = `#include "Halide.h"
using namespace Halide;

class GMM : public Generator<GMM> {
public:
  GeneratorParam<int> M{"M", 1024}, N{"N", 1024}, K{"K", 1024};
  Input<Buffer<float>> A{"A", 2}, B{"B", 2};
  Output<Buffer<float>> C{"C", 2};
  void generate() {
    const int m = M, n = N, k = K;
    Var j("j"), i("i");
    RDom r(0, k, "k");
    Func prod("prod");
    prod(j, i) += A(r, i) * B(j, r);
    C(j, i) = prod(j, i);
    A.dim(0).set_bounds(0, k).dim(1).set_bounds(0, m).set_stride(k);
    B.dim(0).set_bounds(0, n).dim(1).set_bounds(0, k).set_stride(n);
    C.dim(0).set_bounds(0, n).dim(1).set_bounds(0, m).set_stride(n);
    A.set_estimates({{0, k}, {0, m}});
    B.set_estimates({{0, n}, {0, k}});
    C.set_estimates({{0, n}, {0, m}});
  }
};
HALIDE_REGISTER_GENERATOR(GMM, gmm)

class C2D : public Generator<C2D> {
public:
  GeneratorParam<int> N{"N", 1}, CI{"CI", 64}, H{"H", 56}, W{"W", 56}, CO{"CO", 64};
  GeneratorParam<int> KH{"KH", 3}, KW{"KW", 3}, S{"stride", 1}, P{"pad", 1};
  Input<Buffer<float>> data{"data", 4}, kernel{"kernel", 4};
  Output<Buffer<float>> out{"out", 4};
  void generate() {
    const int n_ = N, ci = CI, h = H, w = W, co_ = CO, kh = KH, kw = KW, s = S, p = P;
    const int oh = (h + 2 * p - kh) / s + 1, ow = (w + 2 * p - kw) / s + 1;
    Var x("x"), y("y"), co("co"), n("n");
    Func pad = BoundaryConditions::constant_exterior(data, 0.f, {{0, w}, {0, h}});
    RDom r(0, ci, 0, kh, 0, kw, "r");
    Func conv("conv");
    conv(x, y, co, n) += pad(x * s + r.z - p, y * s + r.y - p, r.x, n) * kernel(r.z, r.y, r.x, co);
    out(x, y, co, n) = conv(x, y, co, n);
    data.dim(0).set_bounds(0, w).dim(1).set_bounds(0, h).set_stride(w)
        .dim(2).set_bounds(0, ci).set_stride(w * h).dim(3).set_bounds(0, n_).set_stride(w * h * ci);
    kernel.dim(0).set_bounds(0, kw).dim(1).set_bounds(0, kh).set_stride(kw)
        .dim(2).set_bounds(0, ci).set_stride(kw * kh).dim(3).set_bounds(0, co_).set_stride(kw * kh * ci);
    out.dim(0).set_bounds(0, ow).dim(1).set_bounds(0, oh).set_stride(ow)
        .dim(2).set_bounds(0, co_).set_stride(ow * oh).dim(3).set_bounds(0, n_).set_stride(ow * oh * co_);
    data.set_estimates({{0, w}, {0, h}, {0, ci}, {0, n_}});
    kernel.set_estimates({{0, kw}, {0, kh}, {0, ci}, {0, co_}});
    out.set_estimates({{0, ow}, {0, oh}, {0, co_}, {0, n_}});
  }
};
HALIDE_REGISTER_GENERATOR(C2D, c2d)
`

// halidePipeline is a workload as a generator of halideGenerators.
type halidePipeline struct {
	generator string    // gmm or c2d
	params    []string  // the generator's parameters, NAME=VALUE
	shapes    [][]int64 // the kernel's arguments (inputs, then the output), outermost first
}

func gmmHalide(m, n, k int64) halidePipeline {
	return halidePipeline{"gmm", []string{param("M", m), param("N", n), param("K", k)}, [][]int64{{m, k}, {k, n}, {m, n}}}
}

func c2dHalide(c conv) halidePipeline {
	oh, ow := c.out()
	return halidePipeline{"c2d", []string{param("N", c.n), param("CI", c.ci), param("H", c.h), param("W", c.w), param("CO", c.co),
		param("KH", c.kh), param("KW", c.kw), param("stride", c.stride), param("pad", c.pad)},
		[][]int64{{c.n, c.ci, c.h, c.w}, {c.co, c.ci, c.kh, c.kw}, {c.n, c.co, oh, ow}}}
}

func param(name string, v int64) string { return name + "=" + strconv.FormatInt(v, 10) }

// halide builds Halide's peers. The generator is compiled on the first
// call of peers; Close removes everything built.
type halide struct {
	cxx  string // the C++ compiler
	save string // a folder for the schedules, or ""

	once    sync.Once
	dir     string // the private directory
	gen     string // the compiled generators
	plugins string // the folder of the auto-scheduler plugins
	err     error  // why there is no generator
}

func newHalide(cxx, save string) *halide { return &halide{cxx: cxx, save: save} }

// Close removes the private directory.
func (h *halide) Close() {
	if h.dir != "" {
		os.RemoveAll(h.dir)
	}
}

// build finds Halide and compiles the generators, once.
func (h *halide) build(ctx context.Context) {
	h.once.Do(func() {
		plugins, _ := filepath.Glob("/usr/lib/*/halide14/" + halideSchedulers[0].plugin)
		if _, err := os.Stat(filepath.Join(halideInclude, "Halide.h")); err != nil || len(plugins) == 0 {
			h.err = fmt.Errorf("Halide 14 not found (apt-get install %s)", halideInstall)
			return
		}
		h.plugins = filepath.Dir(plugins[0])
		if _, err := exec.LookPath(h.cxx); err != nil {
			h.err = fmt.Errorf("the Halide generators need a C++ compiler: %s was not found (apt-get install g++, or set CXX)", h.cxx)
			return
		}
		if h.dir, h.err = os.MkdirTemp("", "tabtune-halide-"); h.err != nil {
			return
		}
		src, gen := filepath.Join(h.dir, "generators.cpp"), filepath.Join(h.dir, "generators")
		if h.err = os.WriteFile(src, []byte(halideGenerators), 0o600); h.err != nil {
			return
		}
		cctx, cancel := context.WithTimeout(ctx, 5*time.Minute)
		defer cancel()
		out, err := exec.CommandContext(cctx, h.cxx, "-std=c++17", "-I", halideInclude, "-o", gen, src, halideGenGen,
			"-l"+halideLibrary, "-lpthread", "-ldl").CombinedOutput()
		if err != nil {
			h.err = fmt.Errorf("compiling the Halide generators: %v: %s", err, firstLine(string(out)))
			return
		}
		h.gen = gen
	})
}

// peers returns a peer per auto-scheduler for p on the given threads;
// one that could not be made says why.
func (h *halide) peers(ctx context.Context, p halidePipeline, threads int) []peer {
	h.build(ctx)
	var peers []peer
	for _, s := range halideSchedulers {
		pr := peer{name: halidePrefix + s.name, install: halideInstall}
		if h.err != nil {
			pr.missing = h.err.Error()
			peers = append(peers, pr)
			continue
		}
		fn := fmt.Sprintf("halide_%s_%s_t%d", p.generator, strings.ToLower(s.name), threads)
		start := time.Now()
		lib, err := h.generate(ctx, p, s.name, filepath.Join(h.plugins, s.plugin), fn, threads)
		if err != nil {
			pr.missing = err.Error()
		} else {
			fmt.Fprintf(os.Stderr, "%s on %s, %d thread(s): scheduled and compiled in %v\n", pr.name, p.generator, threads, time.Since(start).Round(100*time.Millisecond))
			pr.objects, pr.libraries, pr.source = []string{lib}, []string{"pthread", "dl"}, halideWrapper(fn, p.shapes, threads)
		}
		peers = append(peers, pr)
	}
	return peers
}

// generate runs the generator of p with the auto-scheduler in plugin for
// the host and the given parallelism, and returns the static library of
// the pipeline fn.
func (h *halide) generate(ctx context.Context, p halidePipeline, scheduler, plugin, fn string, threads int) (string, error) {
	// Mullapudi2016 reads the last-level cache's size and the cost of a
	// load against an operation (Halide's generic 40); Adams2019 only the
	// parallelism.
	machine := fmt.Sprintf("machine_params=%d,%d,40", threads, lastLevelCache())
	args := append([]string{"-g", p.generator, "-f", fn, "-o", h.dir, "-e", "static_library,schedule",
		"-p", plugin, "-s", scheduler, "target=host", "auto_schedule=true", machine}, p.params...)
	cctx, cancel := context.WithTimeout(ctx, 10*time.Minute)
	defer cancel()
	if out, err := exec.CommandContext(cctx, h.gen, args...).CombinedOutput(); err != nil {
		return "", fmt.Errorf("%s on %s: %v: %s", scheduler, p.generator, err, lastLine(string(out)))
	}
	if h.save != "" {
		if err := os.MkdirAll(h.save, 0o755); err != nil {
			return "", err
		}
		b, err := os.ReadFile(filepath.Join(h.dir, fn+".schedule.h"))
		if err == nil {
			err = os.WriteFile(filepath.Join(h.save, fn+".schedule.h"), b, 0o644)
		}
		if err != nil {
			return "", err
		}
	}
	return filepath.Join(h.dir, fn+".a"), nil
}

// halideWrapper is the peer's C: kernel_args describes each argument, a
// dense row-major array of shapes[i], as a halide_buffer_t (dimensions
// innermost first) and calls fn on the given threads of Halide's pool.
func halideWrapper(fn string, shapes [][]int64, threads int) string {
	var b strings.Builder
	fmt.Fprintf(&b, "#include \"%s/HalideRuntime.h\"\n", halideInclude)
	b.WriteString("#include <stdio.h>\n#include <stdlib.h>\nconst long kernel_scratch_bytes = 0;\n")
	params := strings.TrimSuffix(strings.Repeat("struct halide_buffer_t *, ", len(shapes)), ", ")
	fmt.Fprintf(&b, "int %s(%s);\n", fn, params)
	var ranks, extents, args []string
	rank := 0
	for i, s := range shapes {
		rank = max(rank, len(s))
		ranks = append(ranks, strconv.Itoa(len(s)))
		var e []string
		for j := range s {
			e = append(e, strconv.FormatInt(s[len(s)-1-j], 10))
		}
		extents = append(extents, "{"+strings.Join(e, ", ")+"}")
		args = append(args, fmt.Sprintf("&buf[%d]", i))
	}
	fmt.Fprintf(&b, `#define ARGS %d
#define RANK %d
static const int rank[ARGS] = {%s};
static const int extent[ARGS][RANK] = {%s};
void kernel_args(void **a) {
  halide_dimension_t dim[ARGS][RANK];
  halide_buffer_t buf[ARGS];
  for (int i = 0; i < ARGS; i++) {
    int stride = 1;
    for (int j = 0; j < rank[i]; j++) {
      dim[i][j] = (halide_dimension_t){0, extent[i][j], stride, 0};
      stride *= extent[i][j];
    }
    buf[i] = (halide_buffer_t){0};
    buf[i].host = (uint8_t *)a[i];
    buf[i].type = (struct halide_type_t){halide_type_float, 32, 1};
    buf[i].dimensions = rank[i];
    buf[i].dim = dim[i];
  }
  halide_set_num_threads(%d);
  int err = %s(%s);
  if (err != 0) {
    fprintf(stderr, "%s: Halide error %%d\n", err);
    abort();
  }
}
`, len(shapes), rank, strings.Join(ranks, ", "), strings.Join(extents, ", "), threads, fn, strings.Join(args, ", "), fn)
	return b.String()
}

// lastLevelCache is the size in bytes of this machine's last-level cache
// (Linux's sysfs), or Halide's generic 16 MiB when unknown.
func lastLevelCache() int64 {
	for _, index := range []string{"index3", "index2"} {
		b, err := os.ReadFile("/sys/devices/system/cpu/cpu0/cache/" + index + "/size")
		if err != nil {
			continue
		}
		s := strings.TrimSpace(string(b))
		unit := int64(1)
		switch {
		case strings.HasSuffix(s, "K"):
			unit, s = 1<<10, strings.TrimSuffix(s, "K")
		case strings.HasSuffix(s, "M"):
			unit, s = 1<<20, strings.TrimSuffix(s, "M")
		}
		if n, err := strconv.ParseInt(s, 10, 64); err == nil && n > 0 {
			return n * unit
		}
	}
	return 16 << 20
}

func lastLine(s string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	return lines[len(lines)-1]
}
