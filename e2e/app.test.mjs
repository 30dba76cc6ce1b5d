// The app end to end: tabtune serve on loopback, headless Chromium (Debian's,
// driven by playwright-core), the engine in its Web Worker measuring kernels
// in the page. Run by make e2e (part of make test) with TABTUNE (the binary)
// and CHROMIUM (the browser) set.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TABTUNE, serve, launch } from './harness.mjs';

const dir = mkdtempSync(join(tmpdir(), 'tabtune-e2e-'));
let server, url, browser, context, page;
const consoleErrors = [];

async function open() {
  page = await context.newPage();
  page.on('console', (m) => { if (m.type() === 'error') consoleErrors.push(m.text()); });
  page.on('pageerror', (e) => consoleErrors.push(String(e)));
  await page.goto(url);
  return page.evaluate(() => tabtune.ready);
}

// call runs one engine request in the page.
const call = (op, args) => page.evaluate(([op, args]) => tabtune.call(op, args), [op, args]);

before(async () => {
  ({ server, url } = await serve());
  browser = await launch();
  context = await browser.newContext();
});

after(async () => {
  if (browser) await browser.close();
  if (server) server.kill();
});

test('the engine starts in a worker, cross-origin isolated, with nothing from other hosts', { timeout: 180000 }, async () => {
  const requests = [];
  context.on('request', (r) => requests.push(r.url()));
  const t0 = Date.now();
  const info = await open();
  console.log(`engine ready in ${Date.now() - t0} ms after navigation (worker: ${Math.round(info.ready_millis)} ms)`);
  assert.equal(info.v, 1);
  assert.equal(info.cross_origin_isolated, true, 'COOP/COEP should make the page cross-origin isolated');
  assert.equal(info.measurer, 'browser');
  assert.equal(info.store, 'indexeddb');
  assert.ok(page.workers().length >= 1, 'the engine runs in a Web Worker');
  for (const r of requests) assert.ok(r.startsWith(url), `fetched ${r} from another host`);
  const p = await page.evaluate(() => tabtune.call('parse', { src: 'A = input(f32, [4])\nB[i] = A[i] +\n' }).catch((e) => ({ kind: e.kind, line: e.line })));
  assert.equal(p.kind, 'input');
  assert.equal(p.line, 2);
});

test('tuning GMM 256 in the page beats the naive schedule', { timeout: 180000 }, async () => {
  const wl = 'gmm:M=256,N=256,K=256';
  const naive = await call('run', { workload: wl });
  assert.equal(naive.schedule.err, 'none', naive.schedule.msg);
  const rounds = [];
  const res = await page.evaluate(async (wl) => {
    const rounds = [];
    const res = await tabtune.call('tune', { workload: wl, trials: 64, batch: 32, seed: 1 }, (p) => { if (p.phase === 'round') rounds.push(p); });
    return { res, rounds };
  }, wl);
  rounds.push(...res.rounds);
  assert.equal(res.res.trials, 64);
  assert.ok(res.res.best, 'a schedule verified');
  console.log(`GMM 256 in the page: naive ${naive.schedule.gflops.toFixed(2)} GFLOP/s, tuned ${res.res.best.gflops.toFixed(2)} GFLOP/s after 64 trials; rounds took ${rounds.map((r) => r.elapsed.toFixed(1)).join(', ')} s (cumulative)`);
  assert.ok(res.res.best.gflops > naive.schedule.gflops, `tuned ${res.res.best.gflops} <= naive ${naive.schedule.gflops}`);
  assert.ok(rounds.length >= 2 && rounds.every((r) => r.top && r.top.length > 0));
});

// A module that follows the calling convention for three tensors and
// loops forever: (func (param i32 i32 i32 i32) (loop (br 0))).
const HANG = Buffer.from([
  0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
  0x01, 0x08, 0x01, 0x60, 0x04, 0x7f, 0x7f, 0x7f, 0x7f, 0x00,
  0x02, 0x0f, 0x01, 0x03, 0x65, 0x6e, 0x76, 0x06, 0x6d, 0x65, 0x6d, 0x6f, 0x72, 0x79, 0x02, 0x00, 0x01,
  0x03, 0x02, 0x01, 0x00,
  0x06, 0x06, 0x01, 0x7f, 0x00, 0x41, 0x00, 0x0b,
  0x07, 0x1a, 0x02, 0x06, 0x6b, 0x65, 0x72, 0x6e, 0x65, 0x6c, 0x00, 0x00,
  0x0d, 0x73, 0x63, 0x72, 0x61, 0x74, 0x63, 0x68, 0x5f, 0x62, 0x79, 0x74, 0x65, 0x73, 0x03, 0x00,
  0x0a, 0x09, 0x01, 0x07, 0x00, 0x03, 0x40, 0x0c, 0x00, 0x0b, 0x0b,
]).toString('base64');

test('a kernel that loops forever ends as a timeout, and the next tune works', { timeout: 180000 }, async () => {
  const t0 = Date.now();
  const r = await call('run', { workload: 'gmm:M=8,N=8,K=8', wasm: HANG });
  assert.equal(r.schedule.err, 'timeout', JSON.stringify(r.schedule));
  console.log(`the looping kernel ended as a timeout after ${Date.now() - t0} ms: ${r.schedule.msg}`);
  const res = await call('tune', { workload: 'gmm:M=32,N=32,K=32', trials: 16, batch: 8 });
  assert.ok(res.best && res.trials === 16);
});

test('stop ends a tune within a candidate, keeping what was measured', { timeout: 180000 }, async () => {
  const r = await page.evaluate(async () => {
    let stopAt = 0;
    const res = await tabtune.call('tune', { workload: 'gmm:M=128,N=128,K=128', trials: 256, batch: 32, seed: 2 }, (p) => {
      if (!stopAt && p.phase === 'measure') { stopAt = performance.now(); tabtune.call('stop'); }
    });
    return { res, after: performance.now() - stopAt };
  });
  console.log(`stopped ${Math.round(r.after)} ms after asking, with ${r.res.trials} trials measured`);
  assert.equal(r.res.stop, 'interrupted');
  assert.ok(r.res.trials < 256 && r.res.best, JSON.stringify(r.res));
  assert.ok(r.after < 3000, `stop took ${r.after} ms`);
});

test('records survive a reload and round-trip through JSONL with the command line', { timeout: 180000 }, async () => {
  await open(); // a reload: a new page, the same IndexedDB
  let list = await call('records.list');
  assert.ok(list.workloads.some((w) => w.text.includes('[256, 256]')), 'the GMM 256 records are still there');
  // The page's log, read by tabtune show.
  const exp = await call('records.export');
  const pageLog = join(dir, 'page.jsonl');
  writeFileSync(pageLog, exp.jsonl);
  const shown = execFileSync(TABTUNE, ['show', '-log', pageLog], { encoding: 'utf8' });
  assert.match(shown, /best: [0-9.]+ ms, [0-9.]+ GFLOP\/s, measured with browser/);
  // A log tuned by tabtune tune, imported into the page and ranked there.
  const cliLog = join(dir, 'cli.jsonl');
  execFileSync(TABTUNE, ['tune', '-workload', 'gmm:M=24,N=40,K=16', '-trials', '16', '-batch', '8', '-population', '32',
    '-measurer', 'wazero', '-min-time', '1ms', '-confirm', '0', '-log', cliLog], { stdio: 'ignore' });
  const imp = await call('records.import', { jsonl: readFileSync(cliLog, 'utf8') });
  assert.ok(imp.added >= 16, `imported ${imp.added}`);
  list = await call('records.list');
  const w = list.workloads.find((w) => w.text.includes('[24, 16]'));
  assert.ok(w && w.targets[0].best && w.targets[0].best.gflops > 0, 'the imported workload is ranked');
  assert.equal(w.targets[0].count, 17, 'the naive schedule and 16 trials');
});

test('no errors in the console', () => {
  assert.deepEqual(consoleErrors, []);
});
