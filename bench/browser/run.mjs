// Browser benchmark: what a person tuning in a tab gets. It serves the app
// with tabtune serve on loopback, opens it in Debian's headless Chromium,
// and measures in one run:
//   - what the page loads: bytes of each file, raw and as served (gzip);
//   - the time until the engine worker answers its first message;
//   - a tune of the workload measured in the page (-trials, default 256):
//     each round's time and the best GFLOP/s;
//   - the best schedule re-timed in the page, in node (tabtune run
//     -measurer node on the same steps), and XNNPACK (tfjs-backend-wasm
//     4.22, SIMD, one thread) loaded into the same page on the same shape.
//
//   node run.mjs [--workload gmm:M=1024,N=1024,K=1024] [--trials 256] [--batch 64]
//
// Run by make bench; needs bin/tabtune (make), /usr/bin/chromium and node.
import { spawn, execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const here = dirname(fileURLToPath(import.meta.url));
const args = Object.fromEntries(process.argv.slice(2).reduce((acc, a, i, all) => {
  if (a.startsWith('--')) acc.push([a.slice(2), all[i + 1]]);
  return acc;
}, []));
const workload = args.workload || 'gmm:M=1024,N=1024,K=1024';
const trials = +(args.trials || 256), batch = +(args.batch || 64);
const TABTUNE = resolve(here, '../../bin/tabtune');
const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
const dims = Object.fromEntries(workload.split(':')[1].split(',').map((kv) => kv.split('=')).map(([k, v]) => [k, +v]));
const log = (...a) => console.error(...a);

const server = spawn(TABTUNE, ['serve', '-listen', '127.0.0.1:0'], { stdio: ['ignore', 'pipe', 'inherit'] });
const url = await new Promise((res, rej) => {
  let out = '';
  server.stdout.on('data', (d) => { out += d; const m = out.match(/http:\/\/127\.0\.0\.1:\d+\//); if (m) res(m[0]); });
  server.on('exit', (c) => rej(new Error('tabtune serve exited ' + c)));
});
const browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'] });
// XNNPACK's scripts come from npm, not from the app: the context lets them
// in (bypassCSP) and serves them from this origin (route).
const context = await browser.newContext({ bypassCSP: true });
const tfdir = join(here, 'node_modules/@tensorflow');
const peerFiles = {
  'tf-core.min.js': join(tfdir, 'tfjs-core/dist/tf-core.min.js'),
  'tf-backend-wasm.min.js': join(tfdir, 'tfjs-backend-wasm/dist/tf-backend-wasm.min.js'),
  'tfjs-backend-wasm.wasm': join(tfdir, 'tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm'),
  'tfjs-backend-wasm-simd.wasm': join(tfdir, 'tfjs-backend-wasm/dist/tfjs-backend-wasm-simd.wasm'),
  'tfjs-backend-wasm-threaded-simd.wasm': join(tfdir, 'tfjs-backend-wasm/dist/tfjs-backend-wasm-threaded-simd.wasm'),
};
await context.route('**/peer/*', (route) => {
  const name = new URL(route.request().url()).pathname.split('/').pop();
  if (!peerFiles[name]) return route.fulfill({ status: 404 });
  route.fulfill({ body: readFileSync(peerFiles[name]), contentType: name.endsWith('.wasm') ? 'application/wasm' : 'text/javascript',
    headers: { 'Cross-Origin-Resource-Policy': 'same-origin' } });
});
const page = await context.newPage();

// What the page loads, raw and as served.
const loaded = [];
context.on('response', async (r) => {
  if (!r.url().startsWith(url)) return;
  const h = await r.allHeaders();
  loaded.push({ url: r.url().slice(url.length) || 'index.html', served: +(h['content-length'] || 0), gzip: h['content-encoding'] === 'gzip' });
});
const t0 = Date.now();
await page.goto(url);
const info = await page.evaluate(() => tabtune.ready);
const ready = Date.now() - t0;
log(`engine ready ${ready} ms after navigation (${Math.round(info.ready_millis)} ms after the worker was made); cross-origin isolated: ${info.cross_origin_isolated}`);

const res = await page.evaluate(async ([workload, trials, batch]) => {
  const rounds = [];
  let last = 0;
  const r = await tabtune.call('tune', { workload, trials, batch, seed: 1, confirm: 4 }, (p) => {
    if (p.phase === 'round') { rounds.push({ round: p.round, trials: p.trials, seconds: p.elapsed - last, gflops: p.gflops, model: p.model_accuracy }); last = p.elapsed; }
  });
  return { r, rounds };
}, [workload, trials, batch]);
const best = res.r.best;
log(`tuned ${res.r.trials} trials in ${res.r.took.toFixed(0)} s: best ${best.gflops.toFixed(2)} GFLOP/s (${best.how})`);
for (const r of res.rounds) log(`  round ${r.round}: ${r.seconds.toFixed(1)} s, ${r.trials} trials, best ${r.gflops.toFixed(2)} GFLOP/s, model ranked ${r.model >= 0 ? (100 * r.model).toFixed(0) + '%' : '-'} of pairs right`);

// The best schedule again, in the page and in node.
const again = await page.evaluate(([workload, steps]) => tabtune.call('run', { workload, steps, baseline: true }), [workload, best.steps]);
const dir = mkdtempSync(join(tmpdir(), 'tabtune-bench-'));
writeFileSync(join(dir, 'best.json'), JSON.stringify(best.steps));
const nodeOut = execFileSync(TABTUNE, ['run', '-workload', workload, '-steps', join(dir, 'best.json'), '-measurer', 'node', '-min-time', '1s'], { encoding: 'utf8' });
const nodeGF = +nodeOut.match(/schedule: [0-9.]+ ms \(median of \d+\), ([0-9.]+) GFLOP\/s/)[1];

// XNNPACK in the same page: tfjs-backend-wasm, SIMD, one thread.
let xnn = null;
if (dims.M && dims.N && dims.K && workload.startsWith('gmm')) {
  await page.addScriptTag({ url: '/peer/tf-core.min.js' });
  await page.addScriptTag({ url: '/peer/tf-backend-wasm.min.js' });
  xnn = await page.evaluate(async ({ M, N, K }) => {
    tf.wasm.setWasmPaths('/peer/');
    // The SIMD binary on one thread: the threaded build is picked in a
    // cross-origin isolated page unless its check is turned off.
    tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', false);
    tf.wasm.setThreadsCount(1);
    await tf.setBackend('wasm');
    const a = tf.randomUniform([M, K], -1, 1), b = tf.randomUniform([K, N], -1, 1);
    for (let i = 0; i < 3; i++) tf.matMul(a, b).dispose();
    const times = [];
    let total = 0;
    while (times.length < 5 || total < 2000) {
      const t = performance.now();
      tf.matMul(a, b).dispose();
      const d = performance.now() - t;
      times.push(d); total += d;
    }
    times.sort((x, y) => x - y);
    return { median: times[times.length >> 1] / 1e3, threads: tf.wasm.getThreadsCount(), backend: tf.getBackend() };
  }, dims);
  xnn.gflops = 2 * dims.M * dims.N * dims.K / xnn.median / 1e9;
}
const files = {};
for (const f of loaded) {
  const name = f.url.split('?')[0];
  if (!name.startsWith('peer/')) files[name] = f.served;
}
const summary = {
  workload, trials: res.r.trials, ready_ms: ready, worker_ready_ms: Math.round(info.ready_millis), cross_origin_isolated: info.cross_origin_isolated,
  first_round_s: res.rounds[0].seconds, mean_round_s: res.rounds.reduce((s, r) => s + r.seconds, 0) / res.rounds.length,
  best_gflops_in_search: best.gflops, best_gflops_page: again.schedule.gflops, best_gflops_node: nodeGF, naive_gflops_page: again.naive.gflops,
  xnnpack_gflops_page: xnn && xnn.gflops, xnnpack_threads: xnn && xnn.threads,
  served_bytes: files, served_total: Object.values(files).reduce((s, n) => s + n, 0),
};
console.log(JSON.stringify(summary));
const naive = again.naive.err === 'none' ? `${again.naive.gflops.toFixed(2)} GFLOP/s` : `${again.naive.err}: ${again.naive.msg}`;
log(`the best schedule: ${again.schedule.gflops.toFixed(2)} GFLOP/s in the page, ${nodeGF.toFixed(2)} in node (page/node ${(again.schedule.gflops / nodeGF).toFixed(2)}); the naive schedule in the page: ${naive}`);
if (xnn) log(`XNNPACK (tfjs-backend-wasm, ${xnn.backend}, ${xnn.threads} thread) in the same page: ${xnn.gflops.toFixed(2)} GFLOP/s; tabtune/XNNPACK ${(again.schedule.gflops / xnn.gflops).toFixed(2)}`);
log(`the page loaded ${Object.keys(files).length} files, ${(summary.served_total / 1e6).toFixed(2)} MB as served`);
await browser.close();
server.kill();
