// tabtune's measuring core: verifies and times one WebAssembly kernel,
// step for step as package targets does it in Go (layout.go, timing.go):
// the memory image, the checks and their messages, the timing loop. The
// node harness (targets/node/harness.js) and the measuring worker of a
// page (measure-worker.js) both run kernels through it.
//
// It loads three ways: as a CommonJS module (require('./kernel.js') in
// node and in node's worker_threads), and as a classic script
// (importScripts('kernel.js') in a Web Worker), which defines
// self.tabtuneKernel. Either way it exposes:
//
//   newWorkload(desc)  a workload from {key, tensors: [{name, shape, dtype,
//                      offset, bytes, input, data}], scratch_offset, atol,
//                      rtol}: data holds an input's little-endian bytes, or
//                      an output's reference as little-endian f32. Throws
//                      when a size is wrong.
//   measure(w, req, wasm, event, engine)
//                      compiles, instantiates, verifies and times the
//                      module bytes wasm on workload w. req holds the
//                      limits and timing options of the node protocol
//                      (min_pages, max_pages, import_max, has_import_max,
//                      warmup, warmup_time, repeats, min_time, max_repeats,
//                      cutoff). event({event: 'verifying'}) is called just
//                      before the instance is made and the kernel runs,
//                      event({event: 'verified', seconds}) after the
//                      verification run; engine names the engine in
//                      compile errors ("V8"). Resolves to {err, msg, times}
//                      where err is a targets.ErrorKind string: none,
//                      compile error, runtime error or wrong result.
//
// A kernel that never returns blocks the caller's thread: whoever runs
// this must be killable (a process, a Worker) and watch the events.
'use strict';

(function (root, factory) {
  const api = factory();
  // A classic script in a worker (importScripts) even where some global
  // module exists; else CommonJS when loaded by require.
  if (typeof importScripts !== 'function' && typeof module === 'object' && module.exports) module.exports = api;
  else root.tabtuneKernel = api;
})(typeof self !== 'undefined' ? self : globalThis, function () {
  const PAGE = 65536, GUARD = 64, CANARY = 0xa5, POISON = 0x7fc00000;

  const alignUp = (n) => Math.ceil(n / 16) * 16;

  function newWorkload(desc) {
    // poison: targets.Workload.PoisonBits (NaN, or ±Inf for programs of maxima or minima).
    const w = { key: desc.key, tensors: [], scratchOffset: desc.scratch_offset, atol: desc.atol, rtol: desc.rtol, poison: desc.poison || POISON };
    for (const t of desc.tensors) {
      // A typed array is copied (an ArrayBuffer is viewed): either way
      // the bytes start their buffer, aligned for the Float32Array view.
      const data = new Uint8Array(t.data);
      const u = { name: t.name, shape: t.shape, dtype: t.dtype, offset: t.offset, bytes: t.bytes, input: t.input };
      if (t.input) {
        if (data.length !== t.bytes) throw new Error(`input ${t.name}: ${data.length} bytes, want ${t.bytes}`);
        u.data = data;
      } else {
        if (data.length !== t.bytes) throw new Error(`output ${t.name}: ${data.length} bytes of reference, want ${t.bytes}`);
        u.want = new Float32Array(data.buffer, data.byteOffset, data.length / 4);
      }
      w.tensors.push(u);
    }
    return w;
  }

  // The memory image of a verification run (targets.Layout.Prepare).
  function prepare(buf, w, scratch) {
    const u8 = new Uint8Array(buf);
    u8.fill(CANARY);
    for (const t of w.tensors) {
      if (t.input) u8.set(t.data, t.offset);
      else new Uint32Array(buf, t.offset, t.bytes / 4).fill(w.poison);
    }
    new Uint32Array(buf, w.scratchOffset, alignUp(scratch) / 4).fill(w.poison);
  }

  // targets.Layout.Poison: the poison in the outputs before the timed runs.
  function poison(buf, w) {
    for (const t of w.tensors) if (!t.input) new Uint32Array(buf, t.offset, t.bytes / 4).fill(w.poison);
  }

  function index(shape, i) {
    if (shape.length === 0) return '';
    const idx = new Array(shape.length);
    for (let d = shape.length - 1; d >= 0; d--) {
      idx[d] = i % shape[d];
      i = Math.floor(i / shape[d]);
    }
    return '[' + idx.join(', ') + ']';
  }

  // fmt32 writes a float32 with the fewest digits that read back to it.
  function fmt32(x) {
    if (!Number.isFinite(x)) return Number.isNaN(x) ? 'NaN' : x > 0 ? '+Inf' : '-Inf';
    for (let p = 1; p < 10; p++) {
      const s = x.toPrecision(p);
      if (Math.fround(Number(s)) === x) return String(Number(s));
    }
    return String(x);
  }

  function agree(g, w, atol, rtol) {
    if (Number.isNaN(g) || Number.isNaN(w)) return Number.isNaN(g) && Number.isNaN(w);
    if (g === w) return true;
    if (!Number.isFinite(g) || !Number.isFinite(w)) return false;
    return Math.abs(g - w) <= atol + rtol * Math.abs(w);
  }

  // The checks of targets.Layout.Verify; returns null or a message.
  function verify(buf, w, scratch) {
    const u8 = new Uint8Array(buf);
    for (const t of w.tensors) {
      if (!t.input) continue;
      for (let j = 0; j < t.bytes; j++) {
        if (u8[t.offset + j] !== t.data[j]) return `kernel wrote into input ${t.name}${index(t.shape, Math.floor(j / 4))}`;
      }
    }
    let start = 0, before = '';
    const check = (end, after) => {
      end = Math.min(end, u8.length);
      for (let j = start; j < end; j++) {
        if (u8[j] !== CANARY) {
          let where = 'before ' + after;
          if (before && after) where = `between ${before} and ${after}`;
          else if (before) where = 'after ' + before;
          return `kernel wrote outside its buffers: byte ${j} (${where})`;
        }
      }
      return null;
    };
    let msg;
    for (const t of w.tensors) {
      const name = (t.input ? 'input ' : 'output ') + t.name;
      if ((msg = check(t.offset, name))) return msg;
      start = t.offset + t.bytes;
      before = name;
    }
    if (scratch > 0) {
      if ((msg = check(w.scratchOffset, 'the scratch area'))) return msg;
      start = w.scratchOffset + alignUp(scratch);
      before = 'the scratch area';
    }
    if ((msg = check(u8.length, ''))) return msg;
    for (const t of w.tensors) {
      if (t.input) continue;
      const got = t.dtype === 'i32' ? new Int32Array(buf, t.offset, t.bytes / 4) : new Float32Array(buf, t.offset, t.bytes / 4);
      let first = -1, bad = 0;
      for (let j = 0; j < got.length; j++) {
        if (!agree(Math.fround(got[j]), t.want[j], w.atol, w.rtol)) {
          if (first < 0) first = j;
          bad++;
        }
      }
      if (bad > 0) {
        const g = Math.fround(got[first]), v = t.want[first];
        let why = '';
        if (Number.isFinite(g) && Number.isFinite(v)) {
          const p3 = (x) => String(Number(x.toPrecision(3)));
          why = ` (|diff| ${p3(Math.abs(g - v))} > tolerance ${p3(w.atol + w.rtol * Math.abs(v))})`;
        }
        return `output ${t.name}${index(t.shape, first)}: got ${fmt32(g)}, want ${fmt32(v)}${why}; ${bad} of ${got.length} elements differ`;
      }
    }
    return null;
  }

  // targets.Sample: warm up, pick calls per sample, time samples.
  function sample(req, call) {
    let spent = 0;
    for (let i = 0; i < 100000 && (i < req.warmup || spent < req.warmup_time); i++) spent += call(1);
    const sampleTime = req.min_time / req.max_repeats;
    let n = 1;
    while (n < 1 << 20 && call(n) < sampleTime) n *= 2;
    const times = [];
    let total = 0;
    while (times.length < req.repeats || (total < req.min_time && times.length < req.max_repeats)) {
      const s = call(n);
      times.push(s / n);
      total += s;
    }
    return times;
  }

  function layoutPages(w, scratch) {
    return Math.ceil((w.scratchOffset + alignUp(scratch) + GUARD) / PAGE);
  }

  async function measure(w, req, wasm, event, engine) {
    const fail = (err, msg) => ({ err, msg, times: [] });
    let mod;
    try {
      mod = await WebAssembly.compile(wasm);
    } catch (e) {
      return fail('compile error', `${engine}: ${e.message}`);
    }
    const pages = Math.max(layoutPages(w, 0), req.min_pages);
    const tooBig = (scratch) => fail('runtime error',
      `tensors and scratch area need ${w.scratchOffset + alignUp(scratch) + GUARD} bytes, more than the limit of ${req.max_pages * PAGE} (Options.MaxMemory)`);
    if (pages > req.max_pages) return tooBig(0);
    const desc = { initial: pages };
    if (req.has_import_max) desc.maximum = req.import_max;
    event({ event: 'verifying' });
    let memory, instance;
    try {
      memory = new WebAssembly.Memory(desc);
      instance = await WebAssembly.instantiate(mod, { env: { memory } });
    } catch (e) {
      if (e instanceof WebAssembly.RuntimeError || e instanceof RangeError) return fail('runtime error', `start function: ${e.message}`);
      return fail('compile error', `${engine}: instantiate: ${e.message}`);
    }
    const kernel = instance.exports.kernel;
    const scratch = instance.exports.scratch_bytes.value >>> 0;
    const need = layoutPages(w, scratch);
    if (need > req.max_pages) return tooBig(scratch);
    const cur = memory.buffer.byteLength / PAGE;
    if (need > cur) {
      try {
        memory.grow(need - cur);
      } catch (e) {
        return fail('runtime error', `memory cannot grow to ${need} pages for the scratch area: ${e.message}`);
      }
    }
    const args = w.tensors.map((t) => t.offset);
    args.push(w.scratchOffset);
    const run = kernel.bind(null, ...args);

    prepare(memory.buffer, w, scratch);
    const t0 = performance.now();
    try {
      run();
    } catch (e) {
      return fail('runtime error', e.message);
    }
    const seconds = (performance.now() - t0) / 1000;
    let msg = verify(memory.buffer, w, scratch);
    if (msg) return fail('wrong result', msg);
    event({ event: 'verified', seconds });
    // A kernel slower than the cutoff is timed by its verification run
    // (targets.Candidate.Cutoff): it is far from the best.
    if (req.cutoff > 0 && seconds > req.cutoff) return { err: 'none', msg: '', times: [seconds] };

    poison(memory.buffer, w);
    let times;
    try {
      times = sample(req, (n) => {
        const s = performance.now();
        for (let i = 0; i < n; i++) run();
        return (performance.now() - s) / 1000;
      });
    } catch (e) {
      return fail('runtime error', `timed run: ${e.message}`);
    }
    msg = verify(memory.buffer, w, scratch);
    if (msg) return fail('wrong result', `after the timed runs: ${msg}`);
    return { err: 'none', msg: '', times };
  }

  return { newWorkload, measure, prepare, poison, verify, agree, fmt32, index, sample, layoutPages };
});
