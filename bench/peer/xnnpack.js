#!/usr/bin/env node
// Peer benchmark: the same workloads as tabtune's kernels, run by a
// hand-tuned library in the same node: @tensorflow/tfjs-backend-wasm
// (XNNPACK), its SIMD binary, one thread.
//
//   node --no-liftoff xnnpack.js [--workloads gmm,c2d,softmax,layernorm:M=128,N=1024] [--min-time 1]
//
// stdout: one JSON line per workload (nothing else is written there);
// stderr: what was loaded, checks, cold-call times.
//
// What tfjs calls (read from node_modules/@tensorflow/tfjs-backend-wasm
// 4.22.0: dist/kernels/BatchMatMul.js, dist/kernels/Conv2D.js, and the
// strings in dist/tfjs-backend-wasm-simd.wasm; C++ source in
// tensorflow/tfjs tfjs-backend-wasm/src/cc/batch_mat_mul_impl.cc and
// conv2d_impl.cc):
//   - tf.matMul -> kernel BatchMatMul -> C++ fused_batch_mat_mul. With
//     batch 1 and no transposes it runs xnn_create_fully_connected_nc_f32
//     (flag XNN_FLAG_TRANSPOSE_WEIGHTS; B is the "weights", A's rows the
//     batch) + xnn_setup/xnn_run. Otherwise it falls back to a plain C++
//     blocked loop (slow_batch_matmul), not XNNPACK.
//   - tf.conv2d (NHWC) -> kernel Conv2D -> xnn_create_convolution2d_nhwc_f32
//     (TF SAME padding flag) + setup/run, after transposing the HWIO filter
//     to OHWI in C++.
//   Both cache the created operator (which holds the packed weights) in a
//   std::map keyed by the weights tensor's id (+ bias id, activation; for
//   conv also all geometry) and delete it when that tensor is disposed.
//   So weight packing happens on the FIRST call with a given B/filter
//   tensor only; every timed call here reuses it (setup + run only), as a
//   model with constant weights would. The cold first call is reported on
//   stderr for reference.
'use strict';

const fs = require('fs');
const path = require('path');
const crypto = require('crypto');
const { performance } = require('perf_hooks');
const { eachFlag } = require('./flags');

// ---- flags ---------------------------------------------------------------

function parseArgs(argv) {
  const o = { workloads: ['gmm', 'c2d'], minTime: 1.0, minRuns: 5, warmup: 3, check: true, readback: false };
  eachFlag(argv, (key, val, a) => {
    switch (key) {
      case '--workloads': o.workloads = splitWorkloads(val()); break;
      case '--min-time': o.minTime = Number(val()); break;
      case '--min-runs': o.minRuns = Number(val()); break;
      case '--warmup': o.warmup = Number(val()); break;
      case '--no-check': o.check = false; break;
      case '--readback': o.readback = true; break;
      case '-h': case '--help':
        process.stderr.write('usage: node --no-liftoff xnnpack.js [--workloads gmm,c2d] [--min-time SECONDS]\n' +
          '         [--min-runs N] [--warmup N] [--readback] [--no-check]\n');
        process.exit(0);
      default:
        die(`unknown flag ${a} (try --help)`);
    }
  });
  for (const w of o.workloads) if (!WORKLOADS[w.split(':')[0]]) die(`unknown workload ${w}; have ${Object.keys(WORKLOADS).join(',')}`);
  if (!(o.minTime >= 0) || !(o.minRuns >= 1) || !(o.warmup >= 0)) die('bad --min-time/--min-runs/--warmup');
  return o;
}

// splitWorkloads splits a --workloads list at its commas, but for those
// between the parameters of one spec: "gmm,softmax:M=384,N=384" is gmm and
// softmax:M=384,N=384.
function splitWorkloads(list) {
  const out = [];
  for (const s of list.split(',').map(s => s.trim()).filter(Boolean)) {
    if (s.includes('=') && !s.includes(':') && out.length) out[out.length - 1] += ',' + s;
    else out.push(s);
  }
  return out;
}

function die(msg) {
  process.stderr.write(`xnnpack.js: ${msg}\n`);
  process.exit(1);
}

const log = (...a) => process.stderr.write(a.join(' ') + '\n');

// ---- deterministic inputs ------------------------------------------------

function randomF32(n, seed) {
  // xorshift32, uniform in [-1, 1)
  let s = seed >>> 0 || 1;
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    s ^= s << 13; s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5; s >>>= 0;
    out[i] = s / 2147483648 - 1;
  }
  return out;
}

// ---- workloads -----------------------------------------------------------

const WORKLOADS = {
  gmm: (tf) => {
    const M = 1024, N = 1024, K = 1024;
    const ad = randomF32(M * K, 1), bd = randomF32(K * N, 2);
    const a = tf.tensor2d(ad, [M, K]);
    const b = tf.tensor2d(bd, [K, N]);
    return {
      name: `gmm:M=${M},N=${N},K=${K}`,
      flops: 2 * M * N * K,
      run: () => tf.matMul(a, b),
      // out[i][j] = sum_k A[i][k] B[k][j]
      ref: (idx) => {
        const i = Math.floor(idx / N), j = idx % N;
        let s = 0;
        for (let k = 0; k < K; k++) s += ad[i * K + k] * bd[k * N + j];
        return s;
      },
      outSize: M * N,
      dispose: () => { a.dispose(); b.dispose(); },
    };
  },
  // The ResNet 3x3 convolution (56x56x64 -> 64); c2d:stride=2 is its
  // downsampling form.
  c2d: (tf, p) => {
    const Nb = 1, CI = 64, H = 56, W = 56, CO = 64, KH = 3, KW = 3, stride = p.stride || 1, pad = 1;
    const OH = Math.floor((H + 2 * pad - KH) / stride) + 1, OW = Math.floor((W + 2 * pad - KW) / stride) + 1;
    const xd = randomF32(Nb * H * W * CI, 3), fd = randomF32(KH * KW * CI * CO, 4);
    const x = tf.tensor4d(xd, [Nb, H, W, CI]);        // NHWC
    const f = tf.tensor4d(fd, [KH, KW, CI, CO]);      // HWIO
    return {
      name: `c2d:N=${Nb},CI=${CI},H=${H},W=${W},CO=${CO},KH=${KH},KW=${KW},stride=${stride},pad=${pad}`,
      flops: 2 * Nb * CO * OH * OW * CI * KH * KW,
      // pad=1 with a 3x3 kernel and stride 1 is exactly TF 'same'; at
      // stride 2 'same' would pad only the bottom and right, so the
      // padding is given.
      run: () => tf.conv2d(x, f, stride, stride === 1 ? 'same' : pad),
      ref: (idx) => {
        const co = idx % CO, ow = Math.floor(idx / CO) % OW, oh = Math.floor(idx / (CO * OW)) % OH;
        let s = 0;
        for (let kh = 0; kh < KH; kh++) for (let kw = 0; kw < KW; kw++) {
          const ih = oh * stride - pad + kh, iw = ow * stride - pad + kw;
          if (ih < 0 || ih >= H || iw < 0 || iw >= W) continue;
          for (let ci = 0; ci < CI; ci++) s += xd[(ih * W + iw) * CI + ci] * fd[((kh * KW + kw) * CI + ci) * CO + co];
        }
        return s;
      },
      outSize: Nb * OH * OW * CO,
      dispose: () => { x.dispose(); f.dispose(); },
    };
  },
  // ResNet's downsampling 3x3: tabtune's c2d:stride=2.
  c2d_s2: (tf) => WORKLOADS.c2d(tf, { stride: 2 }),
  // Row-wise ops, at tabtune's default shapes; a spec such as
  // softmax:M=384,N=384 sets others. FLOPs are counted as tabtune counts
  // them (tabtune sketches -workload SPEC prints them).
  softmax: (tf, p) => {
    const M = p.M || 1536, N = p.N || 128;
    const xd = randomF32(M * N, 5);
    const x = tf.tensor2d(xd, [M, N]);
    return {
      name: `softmax:M=${M},N=${N}`,
      flops: 5 * M * N + M,
      // tf.softmax -> kernel Softmax -> xnn_create_softmax_nc_f32 (one
      // row at a time: max, exp(x - max) stored with their sum, scale).
      run: () => tf.softmax(x),
      ref: (idx) => {
        const i = Math.floor(idx / N);
        let m = -Infinity, s = 0;
        for (let j = 0; j < N; j++) m = Math.max(m, xd[i * N + j]);
        for (let j = 0; j < N; j++) s += Math.exp(xd[i * N + j] - m);
        return Math.exp(xd[idx] - m) / s;
      },
      outSize: M * N,
      dispose: () => { x.dispose(); },
    };
  },
  layernorm: (tf, p) => {
    const M = p.M || 512, N = p.N || 768, eps = 1e-5;
    const xd = randomF32(M * N, 6), gd = randomF32(N, 7), bd = randomF32(N, 8);
    const x = tf.tensor2d(xd, [M, N]), g = tf.tensor2d(gd, [1, N]), b = tf.tensor2d(bd, [1, N]);
    return {
      name: `layernorm:M=${M},N=${N}`,
      flops: 9 * M * N + 5 * M,
      // tfjs has no layer norm op: tf.moments (Mean, Sub, Square, Mean),
      // then element-wise kernels, none of them XNNPACK (the wasm
      // backend's FusedBatchNorm takes its mean per last axis, not per
      // row).
      run: () => {
        const { mean, variance } = tf.moments(x, -1, true);
        return tf.add(tf.mul(tf.mul(tf.sub(x, mean), tf.rsqrt(tf.add(variance, eps))), g), b);
      },
      ref: (idx) => {
        const i = Math.floor(idx / N), j = idx % N;
        let m = 0, v = 0;
        for (let k = 0; k < N; k++) m += xd[i * N + k];
        m /= N;
        for (let k = 0; k < N; k++) v += (xd[i * N + k] - m) ** 2;
        v /= N;
        return (xd[idx] - m) / Math.sqrt(v + eps) * gd[j] + bd[j];
      },
      outSize: M * N,
      dispose: () => { x.dispose(); g.dispose(); b.dispose(); },
    };
  },
  nrm: (tf, p) => {
    const B = p.B || 1, M = p.M || 1024, N = p.N || 1024;
    const xd = randomF32(B * M * N, 9);
    const x = tf.tensor3d(xd, [B, M, N]);
    return {
      name: `nrm:B=${B},M=${M},N=${N}`,
      flops: 2 * B * M * N + B,
      // tf.norm over the last two axes: Square, Sum and Sqrt kernels (no
      // XNNPACK).
      run: () => tf.norm(x, 'euclidean', [1, 2]),
      ref: (idx) => {
        let s = 0;
        for (let k = 0; k < M * N; k++) s += xd[idx * M * N + k] ** 2;
        return Math.sqrt(s);
      },
      outSize: B,
      // A float32 sum of a million squares drifts by about 1e-4.
      tol: 1e-3,
      dispose: () => { x.dispose(); },
    };
  },
};

// workload returns the workload a --workloads entry names: a name, or a
// name and parameters (softmax:M=384,N=384).
function workload(tf, spec) {
  const [name, args] = spec.split(':');
  const p = {};
  for (const kv of (args || '').split(',').filter(Boolean)) {
    const [k, v] = kv.split('=');
    p[k] = Number(v);
  }
  return WORKLOADS[name](tf, p);
}

// ---- backend setup -------------------------------------------------------

const WASM_NAMES = ['tfjs-backend-wasm.wasm', 'tfjs-backend-wasm-simd.wasm', 'tfjs-backend-wasm-threaded-simd.wasm'];

async function initBackend() {
  // Keep stdout for our JSON lines only: libraries that console.log go to stderr.
  console.log = (...a) => process.stderr.write(a.map(String).join(' ') + '\n');
  console.info = console.log;

  let tf, twasm;
  try {
    tf = require('@tensorflow/tfjs-core');
    twasm = require('@tensorflow/tfjs-backend-wasm');
  } catch (e) {
    die(`cannot load tfjs (${e.message}); run ./run.sh or 'npm ci' in ${__dirname}`);
  }
  const dist = path.dirname(require.resolve('@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-simd.wasm'));

  // Digests of the three binaries, to tell which one V8 was handed.
  const digest = (buf) => crypto.createHash('sha256').update(buf).digest('hex');
  const known = new Map(WASM_NAMES.map(n => [digest(fs.readFileSync(path.join(dist, n))), n]));
  const loaded = [];
  const origInstantiate = WebAssembly.instantiate;
  WebAssembly.instantiate = function (src, imports) {
    if (src instanceof ArrayBuffer || ArrayBuffer.isView(src)) {
      const u8 = src instanceof ArrayBuffer ? new Uint8Array(src) : new Uint8Array(src.buffer, src.byteOffset, src.byteLength);
      loaded.push(known.get(digest(u8)) || `unknown(${u8.byteLength} bytes)`);
    } else {
      loaded.push('precompiled WebAssembly.Module');
    }
    return origInstantiate.apply(this, arguments);
  };

  // Node is not a threaded target for tfjs (WASM_HAS_MULTITHREAD_SUPPORT is
  // false under IS_NODE); set it anyway so the choice does not depend on that.
  tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', false);
  const simd = await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT');
  if (!simd) die('this node/V8 reports no WebAssembly SIMD: the SIMD peer cannot run here');

  // File paths work in node: emscripten's glue reads them with fs.readFileSync.
  // Only the SIMD binary is reachable; picking another fails loudly.
  const refused = (n) => path.join(dist, `REFUSED-${n}-would-be-used-instead-of-the-simd-binary`);
  twasm.setWasmPaths({
    'tfjs-backend-wasm.wasm': refused('tfjs-backend-wasm.wasm'),
    'tfjs-backend-wasm-simd.wasm': path.join(dist, 'tfjs-backend-wasm-simd.wasm'),
    'tfjs-backend-wasm-threaded-simd.wasm': refused('tfjs-backend-wasm-threaded-simd.wasm'),
  });
  twasm.setThreadsCount(1);

  let ok;
  try {
    ok = await tf.setBackend('wasm');
  } catch (e) {
    die(`wasm backend failed to initialize: ${e && e.message || e}`);
  }
  if (!ok) die('tf.setBackend("wasm") returned false (see the messages above)');
  await tf.ready();
  WebAssembly.instantiate = origInstantiate;

  const threads = twasm.getThreadsCount();
  const info = {
    tf, twasm,
    binary: loaded.join(','),
    simd: tf.env().getBool('WASM_HAS_SIMD_SUPPORT'),
    multithread: tf.env().getBool('WASM_HAS_MULTITHREAD_SUPPORT'),
    threads,
    version: twasm.version_wasm,
    coreVersion: tf.version_core,
  };
  log(`tfjs-core ${info.coreVersion}, tfjs-backend-wasm ${info.version}, node ${process.version}`);
  log(`backend=${tf.getBackend()} binary=${info.binary} WASM_HAS_SIMD_SUPPORT=${info.simd} ` +
      `WASM_HAS_MULTITHREAD_SUPPORT=${info.multithread} threads=${threads}`);
  if (info.binary !== 'tfjs-backend-wasm-simd.wasm') die(`expected tfjs-backend-wasm-simd.wasm to be loaded, got ${info.binary}`);
  if (threads !== 1) die(`expected 1 thread, backend reports ${threads}`);
  if (!process.execArgv.includes('--no-liftoff')) {
    log('note: run with `node --no-liftoff` (as tabtune\'s node measurer does); warm-up runs cover tier-up otherwise');
  }
  return info;
}

// Transposed convolutions: tf.conv2dTranspose, the gradient of a conv2d
// (kernel Conv2DBackpropInput). tfjs-backend-wasm 4.22.0 runs it as a
// plain C++ loop (conv2d_backprop_input), not XNNPACK: the SIMD binary has
// no deconvolution operator. The flops are the useful ones: 2 per multiply
// of an input pixel by a kernel tap that lands in the output. run.sh does
// not list them: node --no-liftoff xnnpack.js --workloads t2d,t2d8,t2d3.
Object.assign(WORKLOADS, {
  t2d: (tf) => transposed(tf, { CI: 512, CO: 256, H: 4, W: 4, K: 4, stride: 2, pad: 1 }),
  t2d8: (tf) => transposed(tf, { CI: 256, CO: 128, H: 8, W: 8, K: 4, stride: 2, pad: 1 }),
  t2d3: (tf) => transposed(tf, { CI: 256, CO: 128, H: 8, W: 8, K: 3, stride: 2, pad: 1 }),
});

// transposed is tabtune's t2d (topi conv2d_transpose_nchw) at one shape,
// in NHWC: input x[1, H, W, CI], filter [K, K, CO, CI], output
// [1, OH, OW, CO] with OH = (H-1)*stride - 2*pad + K.
function transposed(tf, { CI, CO, H, W, K, stride, pad }) {
  const OH = (H - 1) * stride - 2 * pad + K, OW = (W - 1) * stride - 2 * pad + K;
  const xd = randomF32(H * W * CI, 5), fd = randomF32(K * K * CO * CI, 6);
  const x = tf.tensor4d(xd, [1, H, W, CI]);
  const f = tf.tensor4d(fd, [K, K, CO, CI]);
  let taps = 0; // (input row, kernel row) pairs that land in the output, per dimension
  for (let i = 0; i < H; i++) for (let k = 0; k < K; k++) { const o = i * stride - pad + k; if (o >= 0 && o < OH) taps++; }
  return {
    name: `t2d:N=1,CI=${CI},H=${H},W=${W},CO=${CO},KH=${K},KW=${K},stride=${stride},pad=${pad}`,
    flops: 2 * CI * CO * taps * taps,
    run: () => tf.conv2dTranspose(x, f, [1, OH, OW, CO], stride, pad),
    ref: (idx) => {
      const co = idx % CO, ow = Math.floor(idx / CO) % OW, oh = Math.floor(idx / (CO * OW));
      let s = 0;
      for (let kh = 0; kh < K; kh++) for (let kw = 0; kw < K; kw++) {
        const th = oh + pad - kh, tw = ow + pad - kw;
        if (th % stride || tw % stride) continue;
        const ih = th / stride, iw = tw / stride;
        if (ih < 0 || ih >= H || iw < 0 || iw >= W) continue;
        for (let ci = 0; ci < CI; ci++) s += xd[(ih * W + iw) * CI + ci] * fd[((kh * K + kw) * CO + co) * CI + ci];
      }
      return s;
    },
    outSize: OH * OW * CO,
    dispose: () => { x.dispose(); f.dispose(); },
  };
}

// ---- timing --------------------------------------------------------------

function median(xs) {
  const s = [...xs].sort((a, b) => a - b), m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

function bench(tf, w, o) {
  // The wasm backend is synchronous: the XNNPACK operator has run when
  // tf.matMul/tf.conv2d returns (a direct call into the module, one thread),
  // so the timed call needs no dataSync() to complete. --readback adds
  // dataSync() (a copy of the output out of the wasm heap into a fresh JS
  // ArrayBuffer) to every timed call; it is not part of the kernel, and on
  // this VM the fresh 4 MB buffers of gmm cost 0.5-13 ms a call, mostly GC.
  // Note: the callback returns nothing; tf.tidy walks a returned typed array
  // element by element, which costs seconds.
  const once = o.readback
    ? () => { const t0 = performance.now(); tf.tidy(() => { w.run().dataSync(); }); return performance.now() - t0; }
    : () => { const t0 = performance.now(); tf.tidy(() => { w.run(); }); return performance.now() - t0; };

  // Cold call: creates the XNNPACK operator (packs the weights).
  const cold = once();

  if (o.check) {
    // Spot-check outputs against a float64 reference.
    // (Not tf.tidy(() => ...dataSync()): tidy walks a returned typed array
    // element by element looking for tensors, which costs seconds.)
    const t = tf.tidy(() => w.run()); // tidy: a composite op makes intermediates
    const out = t.dataSync();
    t.dispose();
    let worst = 0;
    const idx = randomF32(32, 99).map(v => Math.floor((v + 1) / 2 * w.outSize));
    for (const i of idx) {
      const r = w.ref(i);
      worst = Math.max(worst, Math.abs(out[i] - r) / Math.max(1, Math.abs(r)));
    }
    if (!(worst < (w.tol || 1e-4))) die(`${w.name}: output differs from the reference (rel err ${worst})`);
    log(`${w.name}: 32 outputs match a float64 reference (max rel err ${worst.toExponential(2)})`);
  }

  for (let i = 0; i < o.warmup; i++) once();
  const times = [];
  let total = 0;
  while (times.length < o.minRuns || total < o.minTime * 1000) {
    const t = once();
    times.push(t);
    total += t;
  }
  const ms = median(times);
  if (tf.memory().numTensors > 4) die(`tensor leak: ${tf.memory().numTensors} live tensors`);
  return { ms, runs: times.length, cold, min: Math.min(...times), max: Math.max(...times) };
}

// ---- main ----------------------------------------------------------------

async function main() {
  const o = parseArgs(process.argv.slice(2));
  const info = await initBackend();
  const { tf } = info;
  for (const key of o.workloads) {
    const w = workload(tf, key);
    const r = bench(tf, w, o);
    w.dispose();
    const gflops = w.flops / (r.ms * 1e6);
    log(`${w.name}: median ${r.ms.toFixed(3)} ms (min ${r.min.toFixed(3)}, max ${r.max.toFixed(3)}, ` +
        `${r.runs} runs), ${gflops.toFixed(2)} GFLOP/s; cold first call ${r.cold.toFixed(3)} ms`);
    process.stdout.write(JSON.stringify({
      peer: 'xnnpack',
      workload: w.name,
      ms: Number(r.ms.toFixed(4)),
      gflops: Number(gflops.toFixed(3)),
      runs: r.runs,
      simd: info.simd,
      threads: info.threads,
      version: info.version,
      readback: o.readback,
    }) + '\n');
  }
}

if (require.main === module) main().catch(e => die(e && e.stack || String(e)));
else module.exports = { initBackend, median, log };
