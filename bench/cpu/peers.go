//go:build !js

package main

import (
	"fmt"
	"strings"
)

// A peer is a library kernel wrapped in the kernel calling convention
// (kernel_args, kernel_scratch_bytes), so that the cpu measurer compiles,
// verifies and times it exactly as it does tuned kernels.
type peer struct {
	name      string   // as the table prints it
	libraries []string // linked with -l (cpu.Config.Libraries)
	objects   []string // linked by path (cpu.Config.Objects)
	install   string   // the Debian package that provides it
	source    string   // C, with the runner's symbols
	missing   string   // why the peer could not be made; then it is not measured
}

// link is what the peer's kernel is linked with, as one key: peers with
// the same key share a measurer.
func (p peer) link() string {
	return strings.Join(p.libraries, " ") + "|" + strings.Join(p.objects, " ")
}

// threadsC sets the OpenMP threads of the calls that follow; oneDNN (built
// on OpenMP in Debian) reads them at each call.
const threadsC = "#include <omp.h>\n#include <stdio.h>\n#include <stdlib.h>\nconst long kernel_scratch_bytes = 0;\n"

// gmmPeers are OpenBLAS's and oneDNN's sgemm on C = A·B, row-major, A MxK
// and B KxN, on the given threads.
func gmmPeers(m, n, k int64, threads int) []peer {
	return []peer{
		{name: "OpenBLAS cblas_sgemm", libraries: []string{"openblas"}, install: "libopenblas-dev", source: threadsC + fmt.Sprintf(`#include <cblas.h>
void kernel_args(void **a) {
  openblas_set_num_threads(%[4]d);
  cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, %[1]d, %[2]d, %[3]d, 1.0f, a[0], %[3]d, a[1], %[2]d, 0.0f, a[2], %[2]d);
}
`, m, n, k, threads)},
		{name: "oneDNN dnnl_sgemm", libraries: []string{"dnnl"}, install: "libdnnl-dev", source: threadsC + fmt.Sprintf(`#include <dnnl.h>
void kernel_args(void **a) {
  omp_set_num_threads(%[4]d);
  if (dnnl_sgemm('N', 'N', %[1]d, %[2]d, %[3]d, 1.0f, a[0], %[3]d, a[1], %[2]d, 0.0f, a[2], %[2]d) != dnnl_success) {
    fprintf(stderr, "dnnl_sgemm failed\n");
    abort();
  }
}
`, m, n, k, threads)},
	}
}

// conv is the shape of a 2-D convolution, NCHW data and OIHW weights.
type conv struct{ n, ci, h, w, co, kh, kw, stride, pad int64 }

func (c conv) out() (oh, ow int64) {
	return (c.h+2*c.pad-c.kh)/c.stride + 1, (c.w+2*c.pad-c.kw)/c.stride + 1
}

// c2dPeers are oneDNN's direct convolution with the layouts it picks
// (blocked on AVX-512): once with the reorders from NCHW/OIHW and back in
// every call, as a framework with NCHW tensors runs it, and once with the
// input and weights reordered on the first call only (the call that is
// verified; the measurer times later calls on the same inputs), which is
// the convolution primitive and the reorder of its output to NCHW: the
// runner checks the outputs after the timed calls, so they must be
// written.
func c2dPeers(c conv, threads int) []peer {
	var peers []peer
	for _, each := range []int{1, 0} {
		name := "oneDNN conv, all reorders"
		if each == 0 {
			name = "oneDNN conv, out reorder only"
		}
		peers = append(peers, peer{name: name, libraries: []string{"dnnl"}, install: "libdnnl-dev", source: threadsC + c2dDNNL(c, threads, each)})
	}
	return peers
}

func c2dDNNL(c conv, threads, reorderEachCall int) string {
	oh, ow := c.out()
	return fmt.Sprintf(`#include <dnnl.h>
#define THREADS %d
#define REORDER_EACH_CALL %d
#define CHECK(x) do { dnnl_status_t s_ = (x); if (s_ != dnnl_success) { fprintf(stderr, "%%s: status %%d\n", #x, (int)s_); abort(); } } while (0)
static dnnl_engine_t eng;
static dnnl_stream_t stream;
static dnnl_primitive_t conv, rsrc, rwei, rdst;
static dnnl_memory_t usrc, uwei, udst, csrc, cwei, cdst;
static int calls;

static dnnl_primitive_t reorder(const dnnl_memory_desc_t *from, const dnnl_memory_desc_t *to) {
  dnnl_primitive_desc_t pd;
  dnnl_primitive_t p;
  CHECK(dnnl_reorder_primitive_desc_create(&pd, from, eng, to, eng, NULL));
  CHECK(dnnl_primitive_create(&p, pd));
  CHECK(dnnl_primitive_desc_destroy(pd));
  return p;
}

static void run(dnnl_primitive_t p, dnnl_memory_t from, dnnl_memory_t to) {
  dnnl_exec_arg_t args[2] = {{DNNL_ARG_FROM, from}, {DNNL_ARG_TO, to}};
  CHECK(dnnl_primitive_execute(p, stream, 2, args));
}

static void setup(void) {
  dnnl_dims_t sd = {%d, %d, %d, %d}, wd = {%d, %d, %d, %d}, dd = {%d, %d, %d, %d};
  dnnl_dims_t strides = {%d, %d}, pad = {%d, %d};
  dnnl_memory_desc_t sa, wa, da, su, wu, du;
  CHECK(dnnl_engine_create(&eng, dnnl_cpu, 0));
  CHECK(dnnl_stream_create(&stream, eng, dnnl_stream_default_flags));
  CHECK(dnnl_memory_desc_init_by_tag(&sa, 4, sd, dnnl_f32, dnnl_format_tag_any));
  CHECK(dnnl_memory_desc_init_by_tag(&wa, 4, wd, dnnl_f32, dnnl_format_tag_any));
  CHECK(dnnl_memory_desc_init_by_tag(&da, 4, dd, dnnl_f32, dnnl_format_tag_any));
  CHECK(dnnl_memory_desc_init_by_tag(&su, 4, sd, dnnl_f32, dnnl_nchw));
  CHECK(dnnl_memory_desc_init_by_tag(&wu, 4, wd, dnnl_f32, dnnl_oihw));
  CHECK(dnnl_memory_desc_init_by_tag(&du, 4, dd, dnnl_f32, dnnl_nchw));
  dnnl_convolution_desc_t cd;
  CHECK(dnnl_convolution_forward_desc_init(&cd, dnnl_forward_inference, dnnl_convolution_direct, &sa, &wa, NULL, &da, strides, pad, pad));
  dnnl_primitive_desc_t pd;
  CHECK(dnnl_primitive_desc_create(&pd, &cd, NULL, eng, NULL));
  const dnnl_memory_desc_t *cs = dnnl_primitive_desc_query_md(pd, dnnl_query_src_md, 0);
  const dnnl_memory_desc_t *cw = dnnl_primitive_desc_query_md(pd, dnnl_query_weights_md, 0);
  const dnnl_memory_desc_t *cdd = dnnl_primitive_desc_query_md(pd, dnnl_query_dst_md, 0);
  CHECK(dnnl_memory_create(&usrc, &su, eng, DNNL_MEMORY_NONE));
  CHECK(dnnl_memory_create(&uwei, &wu, eng, DNNL_MEMORY_NONE));
  CHECK(dnnl_memory_create(&udst, &du, eng, DNNL_MEMORY_NONE));
  CHECK(dnnl_memory_create(&csrc, cs, eng, DNNL_MEMORY_ALLOCATE));
  CHECK(dnnl_memory_create(&cwei, cw, eng, DNNL_MEMORY_ALLOCATE));
  CHECK(dnnl_memory_create(&cdst, cdd, eng, DNNL_MEMORY_ALLOCATE));
  rsrc = reorder(&su, cs);
  rwei = reorder(&wu, cw);
  rdst = reorder(cdd, &du);
  CHECK(dnnl_primitive_create(&conv, pd));
  CHECK(dnnl_primitive_desc_destroy(pd));
}

void kernel_args(void **a) {
  omp_set_num_threads(THREADS);
  if (calls == 0) setup();
  CHECK(dnnl_memory_set_data_handle(usrc, a[0]));
  CHECK(dnnl_memory_set_data_handle(uwei, a[1]));
  CHECK(dnnl_memory_set_data_handle(udst, a[2]));
  if (REORDER_EACH_CALL || calls == 0) {
    run(rsrc, usrc, csrc);
    run(rwei, uwei, cwei);
  }
  calls++;
  dnnl_exec_arg_t args[3] = {{DNNL_ARG_SRC, csrc}, {DNNL_ARG_WEIGHTS, cwei}, {DNNL_ARG_DST, cdst}};
  CHECK(dnnl_primitive_execute(conv, stream, 3, args));
  run(rdst, cdst, udst);
  CHECK(dnnl_stream_wait(stream));
}
`, threads, reorderEachCall,
		c.n, c.ci, c.h, c.w, c.co, c.ci, c.kh, c.kw, c.n, c.co, oh, ow,
		c.stride, c.stride, c.pad, c.pad)
}
