#!/usr/bin/env node
// Reference "peak" of this machine's WebAssembly SIMD in V8: a hand-written
// module whose loop runs C independent chains acc_i = acc_i * m + c on f32x4
// registers (f32x4.mul then f32x4.add; no loads or stores; V8 does not fuse
// them into FMA). 8 flops per chain per step: 4 lanes x (mul + add).
//
//   node --no-liftoff peak.js [--chains 8,12,16] [--min-time 1] [--wat]
//
// --chains takes a list: one JSON line each; the peak is the best of them.
// 8 chains are latency-bound on some cores: a chain step is a mul then a
// dependent add (~5-6 cycles), and a core with 2 mul + 2 add pipes (Zen 4/5)
// needs ~12 in flight. x64 V8 uses 16 xmm registers, so up to 14 chains
// (+ m and c) can stay in registers.
// --wat prints the module as text (for wasm2wat-free reading) and exits.
// No dependencies: the module's bytes are encoded below.
'use strict';

const { performance } = require('perf_hooks');
const { eachFlag } = require('./flags');

function die(msg) { process.stderr.write(`peak.js: ${msg}\n`); process.exit(1); }
const log = (...a) => process.stderr.write(a.join(' ') + '\n');

function parseArgs(argv) {
  const o = { chains: [8, 12, 16], minTime: 1.0, minRuns: 5, unroll: 4, wat: false, copyKiB: [] };
  eachFlag(argv, (key, val, a) => {
    switch (key) {
      case '--chains': o.chains = val().split(',').filter(Boolean).map(Number); break;
      case '--min-time': o.minTime = Number(val()); break;
      case '--min-runs': o.minRuns = Number(val()); break;
      case '--unroll': o.unroll = Number(val()); break;
      case '--wat': o.wat = true; break;
      case '--copy': o.copyKiB = val().split(',').filter(Boolean).map(Number); break;
      case '-h': case '--help':
        process.stderr.write('usage: node --no-liftoff peak.js [--chains 8[,12,...]] [--copy KIB[,KIB...]] [--min-time SECONDS] [--min-runs N] [--unroll U] [--wat]\n');
        process.exit(0);
      default: die(`unknown flag ${a} (try --help)`);
    }
  });
  for (const c of o.chains) if (!(Number.isInteger(c) && c >= 1 && c <= 64)) die(`bad --chains entry ${c}`);
  for (const k of o.copyKiB) if (!(Number.isInteger(k) && k >= 1 && k <= 1 << 20)) die(`bad --copy entry ${k} (KiB, 1 to 1048576)`);
  if (!(Number.isInteger(o.unroll) && o.unroll >= 1 && o.unroll <= 64)) die('bad --unroll');
  return o;
}

// ---- a minimal WebAssembly binary encoder ---------------------------------

const uleb = (n) => { const b = []; do { let x = n & 0x7f; n >>>= 7; if (n) x |= 0x80; b.push(x); } while (n); return b; };
const sleb = (n) => { const b = []; for (;;) { const x = n & 0x7f; n >>= 7; if ((n === 0 && !(x & 0x40)) || (n === -1 && (x & 0x40))) { b.push(x); return b; } b.push(x | 0x80); } };
const f32 = (v) => [...new Uint8Array(new Float32Array([v]).buffer)];
const vec = (items) => [...uleb(items.length), ...items.flat()];
const section = (id, body) => [id, ...uleb(body.length), ...body];
const str = (s) => [...uleb(s.length), ...Buffer.from(s, 'utf8')];

const I32 = 0x7f, F32 = 0x7d, V128 = 0x7b;
const op = {
  localGet: (i) => [0x20, ...uleb(i)], localSet: (i) => [0x21, ...uleb(i)], localTee: (i) => [0x22, ...uleb(i)],
  i32Const: (v) => [0x41, v & 0x7f], // small non-negative constants only (< 64)
  f32Const: (v) => [0x43, ...f32(v)],
  i32Sub: [0x6b], f32Add: [0x92], i32Add: [0x6a], i32LtU: [0x49],
  i32ConstS: (v) => [0x41, ...sleb(v)],
  v128Load: (offset) => [0xfd, ...uleb(0x00), 4, ...uleb(offset)],  // memarg: align 2^4, offset
  v128Store: (offset) => [0xfd, ...uleb(0x0b), 4, ...uleb(offset)],
  loop: [0x03, 0x40], brIf: (d) => [0x0d, ...uleb(d)], end: [0x0b],
  // SIMD: 0xfd prefix, LEB128 opcode
  f32x4Splat: [0xfd, ...uleb(0x13)],
  f32x4ExtractLane: (l) => [0xfd, ...uleb(0x1f), l],
  f32x4Add: [0xfd, ...uleb(0xe4)],
  f32x4Mul: [0xfd, ...uleb(0xe6)],
};

// (func (export "run") (param $n i32) (result f32)): n loop trips, each
// with `unroll` steps of every chain; returns the sum of lane 0 of the
// accumulators so nothing is dead.
function buildModule(chains, unroll) {
  const N = 0, M = 1, C = 2, ACC = 3; // locals: param n; m, c, acc0..acc{chains-1}
  const body = [];
  body.push(...op.f32Const(0.9999), ...op.f32x4Splat, ...op.localSet(M));
  body.push(...op.f32Const(0.0001), ...op.f32x4Splat, ...op.localSet(C));
  for (let i = 0; i < chains; i++) body.push(...op.f32Const(1 + i / 1024), ...op.f32x4Splat, ...op.localSet(ACC + i));
  body.push(...op.loop);
  for (let u = 0; u < unroll; u++) {
    for (let i = 0; i < chains; i++) {
      body.push(...op.localGet(ACC + i), ...op.localGet(M), ...op.f32x4Mul,
        ...op.localGet(C), ...op.f32x4Add, ...op.localSet(ACC + i));
    }
  }
  body.push(...op.localGet(N), ...op.i32Const(1), ...op.i32Sub, ...op.localTee(N), ...op.brIf(0), ...op.end);
  body.push(...op.f32Const(0));
  for (let i = 0; i < chains; i++) body.push(...op.localGet(ACC + i), ...op.f32x4ExtractLane(0), ...op.f32Add);
  body.push(...op.end);

  const locals = vec([[...uleb(2 + chains), V128]]);
  const func = [...locals, ...body];
  return new Uint8Array([
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
    ...section(1, vec([[0x60, ...vec([[I32]]), ...vec([[F32]])]])), // type 0: (i32) -> f32
    ...section(3, vec([uleb(0)])),                                   // func 0: type 0
    ...section(7, vec([[...str('run'), 0x00, ...uleb(0)]])),         // export "run" func 0
    ...section(10, vec([[...uleb(func.length), ...func]])),          // code
  ]);
}

// The copy kernel: (func (export "copy") (param $src $dst $n i32)), which
// copies n bytes (a multiple of 64) from src to dst with v128.load and
// v128.store, 4 per loop trip; the module exports its memory.
function buildCopy(pages) {
  const SRC = 0, DST = 1, N = 2, I = 3;
  const body = [...op.loop];
  for (let u = 0; u < 4; u++) {
    body.push(...op.localGet(DST), ...op.localGet(I), ...op.i32Add,
      ...op.localGet(SRC), ...op.localGet(I), ...op.i32Add, ...op.v128Load(16 * u), ...op.v128Store(16 * u));
  }
  body.push(...op.localGet(I), ...op.i32ConstS(64), ...op.i32Add, ...op.localTee(I),
    ...op.localGet(N), ...op.i32LtU, ...op.brIf(0), ...op.end, ...op.end);
  const func = [...vec([[...uleb(1), I32]]), ...body];
  return new Uint8Array([
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
    ...section(1, vec([[0x60, ...vec([[I32], [I32], [I32]]), ...vec([])]])), // type 0: (i32 i32 i32) -> ()
    ...section(3, vec([uleb(0)])),
    ...section(5, vec([[0x00, ...uleb(pages)]])),                            // memory: min pages
    ...section(7, vec([[...str('copy'), 0x00, ...uleb(0)], [...str('memory'), 0x02, ...uleb(0)]])),
    ...section(10, vec([[...uleb(func.length), ...func]])),
  ]);
}

// copyBandwidth times copying kib KiB between two buffers of the module's
// memory and returns the bytes read per second (each byte copied is read
// once and written once).
function copyBandwidth(kib, o) {
  const n = kib * 1024, pages = Math.ceil((2 * n + 64) / 65536);
  const bytes = buildCopy(pages);
  if (!WebAssembly.validate(bytes)) die('the copy module does not validate: no SIMD in this V8?');
  const { copy, memory } = new WebAssembly.Instance(new WebAssembly.Module(bytes)).exports;
  const src = 0, dst = n;
  const m = new Uint8Array(memory.buffer);
  for (let i = 0; i < n; i++) m[src + i] = i * 7;
  copy(src, dst, n);
  for (let i = 0; i < n; i += 4093) if (m[dst + i] !== m[src + i]) die(`copy: byte ${i} was not copied`);
  // Repeat the copy so that a sample lasts about 20 ms.
  let reps = 1;
  for (;;) {
    const t0 = performance.now();
    for (let r = 0; r < reps; r++) copy(src, dst, n);
    if (performance.now() - t0 >= 20 || reps >= 1 << 20) break;
    reps *= 2;
  }
  const times = [];
  let total = 0;
  while (times.length < o.minRuns || total < o.minTime * 1000) {
    const t0 = performance.now();
    for (let r = 0; r < reps; r++) copy(src, dst, n);
    const dt = performance.now() - t0;
    times.push(dt / reps);
    total += dt;
  }
  const ms = median(times);
  return { ms, gbs: n / (ms * 1e6), runs: times.length };
}

function wat(chains, unroll) {
  const L = [];
  L.push('(module', '  (func (export "run") (param $n i32) (result f32)',
    `    (local $m v128) (local $c v128)${Array.from({ length: chains }, (_, i) => ` (local $a${i} v128)`).join('')}`,
    '    (local.set $m (f32x4.splat (f32.const 0.9999)))', '    (local.set $c (f32x4.splat (f32.const 0.0001)))');
  for (let i = 0; i < chains; i++) L.push(`    (local.set $a${i} (f32x4.splat (f32.const ${1 + i / 1024})))`);
  L.push('    (loop $l');
  for (let u = 0; u < unroll; u++) for (let i = 0; i < chains; i++)
    L.push(`      (local.set $a${i} (f32x4.add (f32x4.mul (local.get $a${i}) (local.get $m)) (local.get $c)))`);
  L.push('      (br_if $l (local.tee $n (i32.sub (local.get $n) (i32.const 1)))))');
  let sum = '(f32.const 0)';
  for (let i = 0; i < chains; i++) sum = `(f32.add ${sum} (f32x4.extract_lane 0 (local.get $a${i})))`;
  L.push(`    ${sum}))`);
  return L.join('\n');
}

function median(xs) {
  const s = [...xs].sort((a, b) => a - b), m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

function main() {
  const o = parseArgs(process.argv.slice(2));
  if (o.wat) { for (const c of o.chains) process.stdout.write(wat(c, o.unroll) + '\n'); return; }
  for (const chains of o.chains) {
    const bytes = buildModule(chains, o.unroll);
    if (!WebAssembly.validate(bytes)) die(`the encoded module (chains=${chains}) does not validate: no SIMD in this V8?`);
    const run = new WebAssembly.Instance(new WebAssembly.Module(bytes)).exports.run;
    const flopsPerTrip = chains * o.unroll * 8;

    // Warm up (tier-up without --no-liftoff), then size a call to ~50 ms.
    let trips = 1 << 12;
    for (;;) {
      const t0 = performance.now();
      const r = run(trips);
      const dt = performance.now() - t0;
      if (!Number.isFinite(r)) die(`non-finite result ${r}`);
      if (dt >= 50 || trips >= 1 << 30) break;
      trips = Math.min(1 << 30, trips * 2);
    }
    for (let i = 0; i < 3; i++) run(trips);

    const times = [];
    let total = 0;
    while (times.length < o.minRuns || total < o.minTime * 1000) {
      const t0 = performance.now();
      run(trips);
      const dt = performance.now() - t0;
      times.push(dt);
      total += dt;
    }
    const ms = median(times);
    const gflops = (flopsPerTrip * trips) / (ms * 1e6);
    const name = `peak:f32x4.mul+f32x4.add,chains=${chains},unroll=${o.unroll}`;
    log(`${name}: median ${ms.toFixed(3)} ms for ${trips} trips (min ${Math.min(...times).toFixed(3)}, ` +
        `${times.length} runs), ${gflops.toFixed(2)} GFLOP/s`);
    process.stdout.write(JSON.stringify({
      peer: 'peak', workload: name, ms: Number(ms.toFixed(4)), gflops: Number(gflops.toFixed(3)),
      runs: times.length, simd: true, threads: 1, version: `node ${process.version}, V8 ${process.versions.v8}`,
    }) + '\n');
  }
  for (const kib of o.copyKiB) {
    const r = copyBandwidth(kib, o);
    const name = `copy:v128.load+v128.store,kib=${kib}`;
    log(`${name}: median ${(r.ms * 1e3).toFixed(2)} us per copy (${r.runs} samples), ${r.gbs.toFixed(2)} GB/s read (as much written)`);
    process.stdout.write(JSON.stringify({
      peer: 'copy', workload: name, kib, ms: Number(r.ms.toFixed(6)), gbs: Number(r.gbs.toFixed(3)),
      runs: r.runs, simd: true, threads: 1, version: `node ${process.version}, V8 ${process.versions.v8}`,
    }) + '\n');
  }
}

if (require.main === module) main();
else module.exports = { buildModule, buildCopy, wat };
