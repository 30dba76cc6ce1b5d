// XNNPACK as the Tune chart's reference line: tabtune serve -xnnpack with
// this folder's npm install of @tensorflow/tfjs-core and
// @tensorflow/tfjs-backend-wasm (package.json pins 4.22.0), the page under
// its own content security policy (nothing from other hosts, no eval),
// XNNPACK loaded and timed in the tab for GMM 256 and drawn; an operator
// XNNPACK lacks says so. Run by make e2e with TABTUNE and CHROMIUM set.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { resolve } from 'node:path';
import { serve, launch } from './harness.mjs';

const ART = resolve('artifacts');
mkdirSync(ART, { recursive: true });
let server, url, browser, page;
const problems = [];
const requested = [];

before(async () => {
  ({ server, url } = await serve('-xnnpack', resolve('node_modules/@tensorflow')));
  browser = await launch();
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  page = await context.newPage();
  page.on('console', (m) => { if (m.type() === 'error') problems.push(m.text()); });
  page.on('pageerror', (e) => problems.push(String(e)));
  page.on('request', (r) => requested.push(r.url()));
});

after(async () => {
  if (browser) await browser.close();
  if (server) server.kill();
});

test('XNNPACK is loaded in the tab and drawn as a reference line for GMM 256', { timeout: 120000 }, async () => {
  await page.goto(url);
  await page.waitForSelector('#tune-now:not([disabled])', { timeout: 30000 });
  await page.click('#op-gmm');
  await page.waitForFunction(() => /256, 256/.test(document.querySelector('#src').value));
  await page.click('#tab-tune');
  const button = page.locator('#xnnpack');
  await button.waitFor({ timeout: 10000 });
  assert.equal(await button.textContent(), 'Load XNNPACK');
  assert.equal(await page.evaluate(() => typeof window.tf), 'undefined', 'tfjs loads only when asked');
  await button.click();
  const line = page.locator('#tune-chart .ref.xnnpack');
  await line.waitFor({ state: 'attached', timeout: 60000 });
  const label = await line.locator('text').textContent();
  const gflops = Number(label.match(/^XNNPACK ([\d.]+)$/)[1]);
  assert.ok(gflops > 0.1, `XNNPACK's line: ${label}`);
  const note = await page.locator('#xnnpack-note').textContent();
  assert.match(note, /XNNPACK \(tfjs-backend-wasm, SIMD, one thread; tf\.matMul\) on gmm:M=256,N=256,K=256: [\d.]+ GFLOP\/s/);
  const tf = await page.evaluate(() => ({ backend: tf.getBackend(), threads: tf.wasm.getThreadsCount(), simd: tf.env().getBool('WASM_HAS_SIMD_SUPPORT') }));
  assert.deepEqual(tf, { backend: 'wasm', threads: 1, simd: true });
  console.log(`XNNPACK in the tab on GMM 256: ${gflops} GFLOP/s (${note})`);
  assert.ok(requested.some((u) => /\/xnnpack\/tfjs-backend-wasm-simd\.wasm\?v=/.test(u)), 'the SIMD binary came from this server');
  assert.ok(!requested.some((u) => /threaded/.test(u)), 'the threaded binary is not loaded');
  // A tune of the same operator keeps the line, beside the naive one.
  await page.fill('#trials', '16');
  await page.click('#start');
  await page.waitForFunction(() => /^done/.test(document.querySelector('#phase').textContent), null, { timeout: 90000 });
  assert.equal(await page.locator('#tune-chart .ref.naive').count(), 1, 'the naive line');
  assert.equal(await line.locator('text').textContent(), label, 'the XNNPACK line after the tune');
  assert.ok(await page.locator('#tune-chart .dot').count() > 0, 'the tune drew its points');
  await page.screenshot({ path: `${ART}/tune-xnnpack-1280x800.png` });
});

test('C2D is timed as tf.conv2d in NHWC, and not drawn on GMM\'s chart', { timeout: 120000 }, async () => {
  await page.click('#tab-workload');
  await page.click('#op-c2d');
  await page.click('#tab-tune');
  await page.waitForSelector('#xnnpack:not([disabled])', { timeout: 10000 });
  await page.click('#xnnpack');
  await page.waitForFunction(() => /tf\.conv2d\) on c2d/.test(document.querySelector('#xnnpack-note').textContent), null, { timeout: 60000 });
  const note = await page.locator('#xnnpack-note').textContent();
  assert.match(note, /: [\d.]+ GFLOP\/s/, note);
  console.log(note);
  // The chart is still GMM's tune: C2D's speed is in the note, not on it.
  assert.equal(await page.locator('#tune-chart .ref.xnnpack').count(), 0, 'C2D\'s XNNPACK speed on GMM\'s chart');
  assert.match(note, /the chart is the tune of gmm:M=256,N=256,K=256: tune this operator to see XNNPACK beside it/);
});

test('an operator XNNPACK lacks says so', { timeout: 60000 }, async () => {
  await page.click('#tab-workload');
  await page.click('#op-dep');
  await page.click('#tab-tune');
  await page.waitForFunction(() => /no equivalent of dep/.test(document.querySelector('#xnnpack-note').textContent), null, { timeout: 10000 });
  assert.equal(await page.locator('#xnnpack').isDisabled(), true);
  assert.match(await page.locator('#xnnpack-note').textContent(), /XNNPACK has no equivalent of dep \(only of gmm and c2d\)/);
});

test('nothing from other hosts, no errors (the content security policy let XNNPACK run)', () => {
  assert.deepEqual(requested.filter((u) => !u.startsWith(url) && !u.startsWith('blob:') && !u.startsWith('data:')), []);
  assert.deepEqual(problems, []);
});
