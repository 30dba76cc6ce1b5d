#!/usr/bin/env node
// The peers of bench/zoo: each job (one zoo operator at one shape, written
// by bench/zoo with our inputs and reference outputs) runs through
//   - xnnpack: @tensorflow/tfjs-backend-wasm 4.22.0, its SIMD binary, one
//     thread (set up by xnnpack.js's initBackend);
//   - ort: onnxruntime-web 1.30.0, its wasm backend (the SIMD build; every
//     1.30 wasm binary is SIMD), numThreads 1, on a one- or few-node ONNX
//     model encoded by onnx.js.
// Each peer's output is checked against our reference outputs (after
// converting the peer's layout back to ours) before its time counts.
//
//   node --no-liftoff zoo.js --jobs JOBS.json [--min-time 0.6] [--peers xnnpack,ort]
//
// JOBS.json: [{id, op, params: {NAME: int}, inputs: [{name, shape, file}],
// outputs: [{name, shape, file}], atol, rtol}], files of little-endian f32.
// stdout: one JSON line per job and peer:
//   {"id":..,"peer":"ort","ms":1.23,"runs":40,"maxerr":1e-6,"what":"Conv"}
// or {"id":..,"peer":"ort","skip":"why"} (no such operator, wrong output).
//
// Times: the best of 3 medians, each over at least min-time/3 seconds.
// What is timed, per call:
//   xnnpack: tf.tidy(() => op(inputs)), as xnnpack.js times it: the
//     operator runs synchronously; weights packed by the first call are
//     reused (XNNPACK operators are cached by weights tensor). Layout
//     changes (NCHW -> NHWC, kernel -> HWIO) are made once, before timing.
//   ort: await session.run(feeds): ORT copies the inputs into its heap and
//     the outputs out of it on every call; weights are initializers
//     (constants of the model), so prepacked once at session creation.
'use strict';

const fs = require('fs');
const { performance } = require('perf_hooks');
const { initBackend, median, log } = require('./xnnpack');
const { model, node } = require('./onnx');
const { eachFlag } = require('./flags');

function die(msg) { process.stderr.write(`zoo.js: ${msg}\n`); process.exit(1); }

function parseArgs(argv) {
  const o = { jobs: '', minTime: 0.6, minRuns: 5, warmup: 3, peers: ['xnnpack', 'ort'] };
  eachFlag(argv, (key, val, a) => {
    switch (key) {
      case '--jobs': o.jobs = val(); break;
      case '--min-time': o.minTime = Number(val()); break;
      case '--peers': o.peers = val().split(',').filter(Boolean); break;
      default: die(`unknown flag ${a}`);
    }
  });
  if (!o.jobs) die('--jobs FILE is required');
  return o;
}

function readF32(file, n) {
  const b = fs.readFileSync(file);
  if (b.length !== 4 * n) die(`${file}: ${b.length} bytes, want ${4 * n}`);
  const out = new Float32Array(n);
  new Uint8Array(out.buffer).set(b);
  return out;
}

const elems = (shape) => shape.reduce((a, b) => a * b, 1);

// compare checks got against want with the workload's tolerance; it
// returns the largest |got-want| / (atol + rtol|want|) (<= 1 passes).
function compare(got, want, atol, rtol) {
  if (got.length !== want.length) return { ok: false, why: `${got.length} outputs, want ${want.length}` };
  let worst = 0, at = 0;
  for (let i = 0; i < want.length; i++) {
    const r = Math.abs(got[i] - want[i]) / (atol + rtol * Math.abs(want[i]));
    if (!(r <= worst)) { worst = r; at = i; }
  }
  if (!(worst <= 1)) return { ok: false, why: `element ${at} is ${got[at]}, want ${want[at]} (${worst.toPrecision(3)}x the tolerance)` };
  return { ok: true, worst };
}

// ---- timing -------------------------------------------------------------------

// timeCalls times once in 3 chunks of at least minTime/3 and minRuns
// calls each, after warm-up, and returns the best chunk's median (as
// bench/zoo times our kernels: best of 3 medians).
async function timeCalls(once, o) {
  for (let i = 0; i < o.warmup; i++) await once();
  let best = Infinity, runs = 0;
  for (let chunk = 0; chunk < 3; chunk++) {
    const times = [];
    let total = 0;
    while (times.length < o.minRuns || total < o.minTime * 1000 / 3) {
      const t0 = performance.now();
      await once();
      const dt = performance.now() - t0;
      times.push(dt);
      total += dt;
    }
    best = Math.min(best, median(times));
    runs += times.length;
  }
  return { ms: best, runs };
}

// ---- xnnpack (tfjs-backend-wasm) ----------------------------------------------

const NHWC = [0, 2, 3, 1], NCHW = [0, 3, 1, 2];

// tfjsOps: for each zoo operator, a function of (tf, params, inputs as
// tensors in our layout) that returns {run, back, what}: run computes the
// output in the peer's layout, back converts it to ours (for the check).
// A thrown error or {skip} means the peer cannot run the operator.
const tfjsOps = {
  gmm: (tf, p, [a, b]) => ({ run: () => tf.matMul(a, b), what: 'matMul (XNNPACK fully connected)' }),
  bmm: (tf, p, [a, b]) => ({ run: () => tf.matMul(a, b), what: 'batched matMul (tfjs C++ loop: XNNPACK has no batch matmul)' }),
  // W is a constant: it is given to tfjs as [K, N] (moved once, before
  // timing), because tfjs-backend-wasm 4.22's fused matMul with
  // transposeB and a bias gave wrong outputs here (caught by the check).
  dense_bias_relu: (tf, p, [x, w, bias]) => {
    const wt = tf.transpose(w);
    return { run: () => tf.fused.matMul({ a: x, b: wt, bias, activation: 'relu' }), what: 'fused matMul+bias+relu (XNNPACK fully connected), W moved to [K,N] before timing' };
  },
  // tf.conv1d with a numeric pad pads the height it adds as well (its
  // output has the wrong size here), so it runs as the 2-D convolution it
  // becomes, of height 1, with explicit padding.
  c1d: (tf, p, [x, k]) => {
    const xi = tf.expandDims(tf.transpose(x, [0, 2, 1]), 1); // [N, 1, W, CI]
    const f = tf.expandDims(tf.transpose(k, [2, 1, 0]), 0); // [1, KW, CI, CO]
    const pad = [[0, 0], [0, 0], [p.pad, p.pad], [0, 0]];
    return {
      run: () => tf.conv2d(xi, f, p.stride, pad, 'NHWC', p.dilation),
      back: (t) => tf.transpose(tf.squeeze(t, [1]), [0, 2, 1]), what: 'conv2d of height 1 (XNNPACK conv)',
    };
  },
  c2d: (tf, p, ins) => conv2d(tf, p, ins),
  dil: (tf, p, ins) => conv2d(tf, p, ins),
  grp: () => ({ skip: 'tfjs has no grouped convolution' }),
  c3d: (tf, p, [x, k]) => {
    const xi = tf.transpose(x, [0, 2, 3, 4, 1]), f = tf.transpose(k, [2, 3, 4, 1, 0]);
    const same = p.stride === 1 && [p.KD, p.KH, p.KW].every(k => k === 2 * p.pad + 1);
    const pad = p.pad === 0 ? 'valid' : same ? 'same' : null;
    if (!pad) return { skip: 'tfjs conv3d takes only valid or same padding' };
    return { run: () => tf.conv3d(xi, f, p.stride, pad), back: (t) => tf.transpose(t, [0, 4, 1, 2, 3]), what: 'conv3d (tfjs C++ loop: XNNPACK has no 3-D convolution)' };
  },
  dep: (tf, p, [x, k]) => {
    const xi = tf.transpose(x, NHWC), f = tf.transpose(k, [2, 3, 0, 1]); // [KH, KW, C, 1]
    return { run: () => tf.depthwiseConv2d(xi, f, p.stride, p.pad), back: (t) => tf.transpose(t, NCHW), what: 'depthwiseConv2d (XNNPACK conv, groups=C)' };
  },
  t2d: (tf, p, [x, k]) => {
    const oh = (p.H - 1) * p.stride - 2 * p.pad + p.KH, ow = (p.W - 1) * p.stride - 2 * p.pad + p.KW;
    const xi = tf.transpose(x, NHWC), f = tf.transpose(k, [2, 3, 1, 0]); // [KH, KW, CO, CI]
    return {
      run: () => tf.conv2dTranspose(xi, f, [p.N, oh, ow, p.CO], p.stride, p.pad),
      back: (t) => tf.transpose(t, NCHW), what: 'conv2dTranspose (tfjs C++ loop: this build has no XNNPACK deconvolution)',
    };
  },
  conv2d_bwd_data: (tf, p, [g, k]) => {
    const gi = tf.transpose(g, NHWC), f = tf.transpose(k, [2, 3, 1, 0]); // [KH, KW, CI, CO]
    return {
      run: () => tf.conv2dTranspose(gi, f, [p.N, p.H, p.W, p.CI], p.stride, p.pad),
      back: (t) => tf.transpose(t, NCHW), what: 'conv2dTranspose (tfjs C++ loop: this build has no XNNPACK deconvolution)',
    };
  },
  conv2d_bwd_weight: () => ({ skip: 'tfjs-backend-wasm has no Conv2DBackpropFilter kernel' }),
  cap: () => ({ skip: 'no capsule convolution operator' }),
  nrm: (tf, p, [a]) => ({ run: () => tf.sqrt(tf.sum(tf.square(a), [1, 2])), what: 'sqrt(sum(square)) (3 tfjs kernels)' }),
  softmax: (tf, p, [x]) => ({ run: () => tf.softmax(x), what: 'softmax (XNNPACK softmax)' }),
  layernorm: (tf, p, [x, gamma, beta]) => ({
    run: () => {
      const mean = tf.mean(x, 1, true), d = tf.sub(x, mean);
      const v = tf.mean(tf.square(d), 1, true);
      return tf.add(tf.mul(tf.div(d, tf.sqrt(tf.add(v, 1e-5))), gamma), beta);
    },
    what: 'layer norm from mean/sub/square/div/sqrt/mul/add (tfjs has none)',
  }),
  maxpool2d: (tf, p, [x]) => {
    const xi = tf.transpose(x, NHWC);
    return { run: () => tf.maxPool(xi, p.K, p.stride, p.pad), back: (t) => tf.transpose(t, NCHW), what: 'maxPool (XNNPACK max pooling)' };
  },
  avgpool2d: (tf, p, [x]) => {
    // tfjs leaves padding out of the divisor; the zoo counts it (topi's
    // count_include_pad), so the peer gets the input padded beforehand.
    const xi = tf.pad(tf.transpose(x, NHWC), [[0, 0], [p.pad, p.pad], [p.pad, p.pad], [0, 0]]);
    return { run: () => tf.avgPool(xi, p.K, p.stride, 0), back: (t) => tf.transpose(t, NCHW), what: 'avgPool on the input padded before timing (XNNPACK average pooling)' };
  },
};

function conv2d(tf, p, [x, k]) {
  if ((p.groups || 1) !== 1) return { skip: 'tfjs has no grouped convolution' };
  const xi = tf.transpose(x, NHWC), f = tf.transpose(k, [2, 3, 1, 0]); // HWIO
  const dil = p.dilation || 1;
  return { run: () => tf.conv2d(xi, f, p.stride, p.pad, 'NHWC', dil), back: (t) => tf.transpose(t, NCHW), what: 'conv2d (XNNPACK conv)' };
}

async function runTfjs(tf, job, data, o) {
  const make = tfjsOps[job.op];
  if (!make) return { skip: `no mapping of ${job.op} to tfjs` };
  // Every tensor made here (inputs, their NHWC copies) goes at endScope.
  tf.engine().startScope();
  const ins = job.inputs.map((t, i) => tf.tensor(data.inputs[i], t.shape));
  let w;
  try {
    w = make(tf, job.params, ins);
    if (w.skip) return w;
    const out = w.run(); // cold: creates the XNNPACK operator
    const mine = w.back ? w.back(out) : out;
    const got = mine.dataSync();
    const c = compare(got, data.want[0], job.atol, job.rtol);
    tf.dispose([out, mine]);
    if (!c.ok) return { skip: `output differs from ours: ${c.why}`, what: w.what };
    const r = await timeCalls(() => { tf.tidy(() => { w.run(); }); }, o);
    return { ...r, maxerr: c.worst, what: w.what };
  } catch (e) {
    return { skip: `tfjs: ${String(e && e.message || e).split('\n')[0]}` };
  } finally {
    tf.engine().endScope();
  }
}

// ---- ort (onnxruntime-web) ---------------------------------------------------

const pads2 = (p) => [p.pad, p.pad, p.pad, p.pad];

// ortOps: for each zoo operator, a function of (params, input shapes,
// output shape) that returns {nodes, consts, what}: the graph's nodes
// reading the zoo's tensor names and writing the zoo's output name, and
// which inputs are initializers (weights, constant in a model).
const ortOps = {
  gmm: () => ({ nodes: [node('MatMul', ['A', 'B'], ['C'])], consts: ['B'], what: 'MatMul' }),
  bmm: () => ({ nodes: [node('MatMul', ['A', 'B'], ['C'])], consts: [], what: 'MatMul (batched)' }),
  dense_bias_relu: () => ({
    nodes: [node('Gemm', ['X', 'W', 'bias'], ['g'], { transB: 1 }), node('Relu', ['g'], ['relu'])],
    consts: ['W', 'bias'], what: 'Gemm(transB)+Relu',
  }),
  c1d: (p) => conv(p, [p.KW], [p.pad, p.pad], [p.dilation || 1], 1),
  c2d: (p) => conv(p, [p.KH, p.KW], pads2(p), [p.dilation || 1, p.dilation || 1], p.groups || 1),
  dil: (p) => ortOps.c2d(p),
  grp: (p) => ortOps.c2d(p),
  c3d: (p) => conv(p, [p.KD, p.KH, p.KW], Array(6).fill(p.pad), [1, 1, 1], 1),
  dep: (p) => ({ ...conv(p, [p.KH, p.KW], pads2(p), [1, 1], p.C), what: `Conv (group=${p.C})` }),
  t2d: (p) => ({
    nodes: [node('ConvTranspose', ['data', 'kernel'], ['out'], { kernel_shape: [p.KH, p.KW], strides: [p.stride, p.stride], pads: pads2(p) })],
    consts: ['kernel'], what: 'ConvTranspose',
  }),
  conv2d_bwd_data: (p) => {
    const oh = Math.floor((p.H + 2 * p.pad - p.KH) / p.stride) + 1, ow = Math.floor((p.W + 2 * p.pad - p.KW) / p.stride) + 1;
    const extra = [p.H - ((oh - 1) * p.stride - 2 * p.pad + p.KH), p.W - ((ow - 1) * p.stride - 2 * p.pad + p.KW)];
    return {
      nodes: [node('ConvTranspose', ['grad', 'kernel'], ['dx'], {
        kernel_shape: [p.KH, p.KW], strides: [p.stride, p.stride], pads: pads2(p), output_padding: extra,
      })],
      consts: ['kernel'], what: 'ConvTranspose',
    };
  },
  conv2d_bwd_weight: () => ({ skip: 'ONNX has no convolution weight-gradient operator' }),
  cap: () => ({ skip: 'no capsule convolution operator' }),
  nrm: () => ({
    nodes: [node('ReduceSumSquare', ['A'], ['ss'], { axes: [1, 2], keepdims: 0 }), node('Sqrt', ['ss'], ['norm'])],
    consts: [], what: 'ReduceSumSquare+Sqrt',
  }),
  softmax: () => ({ nodes: [node('Softmax', ['data'], ['out'], { axis: 1 })], consts: [], what: 'Softmax' }),
  layernorm: () => ({
    nodes: [node('LayerNormalization', ['data', 'gamma', 'beta'], ['out'], { axis: 1, epsilon: 1e-5 }, ['epsilon'])],
    consts: ['gamma', 'beta'], what: 'LayerNormalization',
  }),
  maxpool2d: (p) => ({
    nodes: [node('MaxPool', ['data'], ['out'], { kernel_shape: [p.K, p.K], strides: [p.stride, p.stride], pads: pads2(p) })],
    consts: [], what: 'MaxPool',
  }),
  avgpool2d: (p) => ({
    nodes: [node('AveragePool', ['data'], ['out'], { kernel_shape: [p.K, p.K], strides: [p.stride, p.stride], pads: pads2(p), count_include_pad: 1 })],
    consts: [], what: 'AveragePool (count_include_pad)',
  }),
};

function conv(p, kernel, pads, dilations, group) {
  const s = p.stride;
  return {
    nodes: [node('Conv', ['data', 'kernel'], ['out'], {
      kernel_shape: kernel, strides: kernel.map(() => s), pads, dilations, group,
    })],
    consts: ['kernel'], what: group > 1 ? `Conv (group=${group})` : 'Conv',
  };
}

async function runOrt(ort, job, data, o) {
  const make = ortOps[job.op];
  if (!make) return { skip: `no mapping of ${job.op} to ONNX` };
  const g = make(job.params);
  if (g.skip) return g;
  const consts = new Set(g.consts);
  const inputs = [], inits = [], feeds = {};
  job.inputs.forEach((t, i) => {
    if (consts.has(t.name)) inits.push([t.name, t.shape, data.inputs[i]]);
    else {
      inputs.push([t.name, t.shape]);
      feeds[t.name] = new ort.Tensor('float32', data.inputs[i], t.shape);
    }
  });
  const out = job.outputs[0];
  let session;
  try {
    const bytes = model({ nodes: g.nodes, inputs, outputs: [[out.name, out.shape]], initializers: inits });
    session = await ort.InferenceSession.create(bytes, { executionProviders: ['wasm'], graphOptimizationLevel: 'all' });
    const first = await session.run(feeds);
    const c = compare(first[out.name].data, data.want[0], job.atol, job.rtol);
    if (!c.ok) return { skip: `output differs from ours: ${c.why}`, what: g.what };
    const r = await timeCalls(async () => { await session.run(feeds); }, o);
    return { ...r, maxerr: c.worst, what: g.what };
  } catch (e) {
    return { skip: `ort: ${String(e && e.message || e).split('\n')[0]}` };
  } finally {
    if (session) await session.release();
  }
}

async function initOrt() {
  let ort;
  try {
    ort = require('onnxruntime-web');
  } catch (e) {
    die(`cannot load onnxruntime-web (${e.message}); run ./run.sh or 'npm ci' in ${__dirname}`);
  }
  ort.env.wasm.numThreads = 1;
  ort.env.wasm.proxy = false;
  ort.env.logLevel = 'error';
  log(`onnxruntime-web ${ort.env.versions.web}, wasm backend, numThreads=${ort.env.wasm.numThreads}`);
  return ort;
}

// ---- main ---------------------------------------------------------------------

async function main() {
  const o = parseArgs(process.argv.slice(2));
  const jobs = JSON.parse(fs.readFileSync(o.jobs, 'utf8'));
  const tf = o.peers.includes('xnnpack') ? (await initBackend()).tf : null;
  const ort = o.peers.includes('ort') ? await initOrt() : null;
  for (const job of jobs) {
    const data = {
      inputs: job.inputs.map(t => readF32(t.file, elems(t.shape))),
      want: job.outputs.map(t => readF32(t.file, elems(t.shape))),
    };
    for (const peer of o.peers) {
      const r = peer === 'xnnpack' ? await runTfjs(tf, job, data, o) : await runOrt(ort, job, data, o);
      const line = { id: job.id, peer, ...r };
      if (r.ms !== undefined) {
        line.ms = Number(r.ms.toFixed(4));
        log(`${job.id} ${peer}: ${line.ms} ms (${r.runs} runs), ${r.what}`);
      } else {
        log(`${job.id} ${peer}: — ${r.skip}`);
      }
      process.stdout.write(JSON.stringify(line) + '\n');
    }
  }
}

main().catch(e => die(e && e.stack || String(e)));
