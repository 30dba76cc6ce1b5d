// The app's views end to end, as a person uses them: tabtune serve on
// loopback, headless Chromium (Debian's, driven by playwright-core), the
// UI (ui/, vugu) in the page and the engine in its worker. Each view is
// photographed at 1280x800 and 1024x768 into e2e/artifacts/ (gitignored).
// Run by make e2e (part of make test) with TABTUNE and CHROMIUM set.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { resolve } from 'node:path';
import { serve, launch } from './harness.mjs';

const ART = resolve('artifacts');
mkdirSync(ART, { recursive: true });
let server, url, browser, context, page;
const consoleErrors = [];

function watch(p) {
  p.on('console', (m) => { if (m.type() === 'error') consoleErrors.push(m.text()); });
  p.on('pageerror', (e) => consoleErrors.push(String(e)));
  return p;
}

// shoot photographs the page at both sizes.
async function shoot(name, p = page) {
  for (const [w, h] of [[1024, 768], [1280, 800]]) {
    await p.setViewportSize({ width: w, height: h });
    await p.waitForTimeout(150);
    await p.screenshot({ path: `${ART}/${name}-${w}x${h}.png` });
  }
}

const text = (sel, p = page) => p.locator(sel).first().textContent();

before(async () => {
  ({ server, url } = await serve());
  browser = await launch();
  context = await browser.newContext({ viewport: { width: 1280, height: 800 }, acceptDownloads: true });
});

after(async () => {
  if (browser) await browser.close();
  if (server) server.kill();
});

test('the page opens on Workload with GMM selected and is interactive', { timeout: 60000 }, async () => {
  const bytes = { raw: 0, wire: 0 };
  context.on('response', async (r) => {
    const len = Number((await r.allHeaders())['content-length'] || 0);
    bytes.wire += len;
  });
  page = watch(await context.newPage());
  const t0 = Date.now();
  await page.goto(url);
  await page.waitForSelector('#tab-workload', { timeout: 30000 });
  const shown = Date.now() - t0;
  await page.waitForSelector('#tune-now:not([disabled])', { timeout: 30000 });
  const tti = Date.now() - t0;
  await page.waitForSelector('#canonical');
  const info = await page.evaluate(() => tabtune.ready);
  const ui = await page.evaluate(() => window.tabtuneUIMillis);
  console.log(`views drawn ${shown} ms, interactive ${tti} ms after navigation (engine ready in ${Math.round(info.ready_millis)} ms, UI module running after ${Math.round(ui)} ms); ${(bytes.wire / 1e6).toFixed(2)} MB over the wire (compressed)`);
  assert.ok(bytes.wire < 3e6, `the page loads ${bytes.wire} compressed bytes, over 3 MB`);
  assert.equal(await page.locator('#tab-workload').getAttribute('aria-current'), 'true');
  assert.match(await page.locator('#op-gmm').getAttribute('class'), /\bon\b/);
  assert.match(await text('#canonical'), /C\[i, j\] = sum\(A\[i, k\] \* B\[k, j\], k\)/);
  assert.match(await text('#flops'), /33\.6 M FLOP/);
  await shoot('workload');
});

test('an expression with a mistake shows the error at its position, and typing never waits', { timeout: 60000 }, async () => {
  const src = page.locator('#src');
  await src.fill('A = input(f32, [64, 32])\nB[i, j] = A[i, j] * 2.0 +\n');
  const err = page.locator('#parse-error');
  await err.waitFor({ timeout: 10000 });
  assert.match(await err.textContent(), /line 2, column \d+/);
  assert.match(await text('#parse-error .caret'), /\^/);
  await shoot('workload-error');
  // Keystrokes land at once, whatever the engine does: each key's value
  // is in the editor when the key's event returns.
  await src.fill('');
  const t0 = Date.now();
  await src.pressSequentially('A = input(f32, [64, 32])', { delay: 0 });
  const typing = Date.now() - t0;
  assert.equal(await src.inputValue(), 'A = input(f32, [64, 32])');
  console.log(`typed 24 characters in ${typing} ms (${(typing / 24).toFixed(1)} ms a key, parses run in the worker)`);
  await src.fill('A = input(f32, [64, 32])\nB[i, j] = A[i, j] * 2.0 + 1.0\n');
  await page.waitForFunction(() => !document.querySelector('#parse-error') && /B\[i, j\]/.test(document.querySelector('#canonical').textContent), null, { timeout: 10000 });
});

test('GMM 256 and its sketches', { timeout: 60000 }, async () => {
  await page.click('#op-gmm');
  await page.waitForFunction(() => /256, 256/.test(document.querySelector('#src').value));
  await page.click('#tab-sketches');
  await page.waitForSelector('#sketch-count', { timeout: 30000 });
  const n = Number((await text('#sketch-count')).match(/^(\d+) sketches/)[1]);
  assert.ok(n >= 2, `${n} sketches`);
  assert.ok(await page.locator('.sketch .knob').count() > 0, 'open knobs are marked');
  assert.match(await text('.sketch .rules'), /multi_level_tiling/);
  await shoot('sketches');
});

test('tuning 64 trials draws the chart and beats the naive schedule', { timeout: 240000 }, async () => {
  await page.click('#tab-tune');
  assert.equal(await page.locator('#xnnpack').count(), 0, 'a server without -xnnpack offers no XNNPACK');
  await page.fill('#trials', '64');
  await page.click('#start');
  await page.waitForFunction(() => /searching|round/.test(document.querySelector('#phase').textContent), null, { timeout: 120000 });
  // While the engine tunes, type in the editor: each keystroke's handling
  // (the UI's Go code and its render, on the page's thread) is timed; the
  // parse it asks for runs in the worker and never holds the key.
  await page.click('#tab-workload');
  const keys = await page.evaluate(() => {
    const ta = document.querySelector('#src'), times = [];
    ta.focus();
    for (const ch of 'D[i, j] = C[i, j] * 2.0') {
      const t = performance.now();
      ta.value += ch;
      ta.dispatchEvent(new InputEvent('input', { bubbles: true, data: ch, inputType: 'insertText' }));
      times.push(performance.now() - t);
    }
    return { times: times.sort((a, b) => a - b), value: ta.value };
  });
  const median = keys.times[keys.times.length >> 1], worst = keys.times[keys.times.length - 1];
  console.log(`typing during a tune: ${keys.times.length} keys, median ${median.toFixed(1)} ms, worst ${worst.toFixed(1)} ms a key on the page's thread`);
  assert.ok(keys.value.endsWith('* 2.0'));
  assert.ok(worst < 1000, `a keystroke held the page for ${worst} ms`);
  await page.click('#op-gmm');
  await page.click('#tab-tune');
  await page.waitForSelector('#tune-chart .dot', { state: 'attached', timeout: 120000 });
  await page.waitForFunction(() => /^done/.test(document.querySelector('#phase').textContent), null, { timeout: 200000 });
  const dots = await page.locator('#tune-chart .dot').count();
  assert.ok(dots >= 2, `${dots} points on the chart`);
  assert.equal(await page.locator('#tune-chart .ref.naive').count(), 1, 'the naive line');
  const best = Number(await text('#best')), naive = Number(await text('#naive'));
  console.log(`GMM 256 in the page: naive ${naive} GFLOP/s, best ${best} GFLOP/s after 64 trials`);
  assert.ok(best > naive, `best ${best} <= naive ${naive}`);
  assert.ok(await page.locator('#top tbody tr').count() > 0);
  await shoot('tune');
});

test('the code view shows the loop IR beside the WebAssembly', { timeout: 60000 }, async () => {
  await page.click('#tab-code');
  await page.waitForSelector('#wat', { timeout: 30000 });
  assert.match(await text('#ir'), /kernel\(A: f32\[256, 256\]/);
  assert.match(await text('#wat'), /\(module/);
  const loops = page.locator('#ir button.loop');
  if (await loops.count() > 0) {
    await loops.first().click();
    await page.waitForSelector('#ir .line.in');
  }
  const [dl] = await Promise.all([page.waitForEvent('download'), page.click('#download')]);
  assert.match(dl.suggestedFilename(), /\.(wasm|wat|json)$/);
  // Records written by the command line come in as JSON lines.
  await page.setInputFiles('#import', '../search/records/testdata/before_vocab.jsonl');
  await page.waitForFunction(() => /imported \d+ records/.test(document.querySelector('.codeview').textContent), null, { timeout: 30000 });
  await shoot('code');
});

test('the playground: split, vectorize, a bad step, undo, run', { timeout: 120000 }, async () => {
  await page.click('#tab-workload');
  await page.click('#op-gmm');
  await page.waitForFunction(() => /256, 256/.test(document.querySelector('#src').value));
  await page.getByText('Schedule it by hand').click();
  await page.waitForSelector('#loops');
  const before = await text('#loops');
  // split C's j (loop 1) by 4
  await page.selectOption('#step-kind', 'split');
  await page.selectOption('#step-stage', { label: 'C' });
  await page.selectOption('#step-iter', '1');
  await page.fill('#step-factor', '4');
  await page.locator('#step-factor').dispatchEvent('change');
  await page.click('#apply');
  await page.waitForFunction(() => document.querySelectorAll('#steps li').length === 1);
  assert.ok(await page.locator('#loops .add').count() > 0, 'the diff shows added lines');
  assert.notEqual(await text('#loops'), before);
  // vectorize j.1 (loop 2)
  await page.selectOption('#step-kind', 'vectorize');
  await page.selectOption('#step-iter', '2');
  await page.click('#apply');
  await page.waitForFunction(() => document.querySelectorAll('#steps li').length === 2);
  assert.match(await text('#loops'), /vectorize/);
  // a bad step: the reduction loop k (loop 3) in parallel (vectorizing it
  // is fine: the generators give it vector accumulators)
  await page.selectOption('#step-kind', 'parallel');
  await page.selectOption('#step-iter', '3');
  await page.click('#apply');
  await page.waitForSelector('#step-error');
  assert.match(await text('#step-error'), /step 3 does not apply: .*reduction/);
  assert.equal(await page.locator('#steps li').count(), 2, 'the bad step is not kept');
  await page.click('#undo');
  await page.waitForFunction(() => document.querySelectorAll('#steps li').length === 1);
  await page.click('#redo');
  await page.waitForFunction(() => document.querySelectorAll('#steps li').length === 2);
  await page.click('#run');
  await page.waitForSelector('#play-chart .dot', { timeout: 60000 });
  assert.match(await text('#play-msg'), /GFLOP\/s after 2 steps/);
  await page.click('#share');
  await shoot('playground');
});

test('a share link reproduces the playground in a fresh browser context', { timeout: 60000 }, async () => {
  const link = await page.locator('#share-link').inputValue();
  assert.match(link, /#play=/);
  // The loop nest as it is now: the diff's kept and added lines.
  const nest = (p) => p.evaluate(() => [...document.querySelectorAll('#loops span:not(.del)')].map((s) => s.textContent.slice(2)).join(''));
  const steps = await page.locator('#steps').textContent(), loops = await nest(page);
  const fresh = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  const p = watch(await fresh.newPage());
  await p.goto(link);
  await p.waitForFunction(() => document.querySelectorAll('#steps li').length === 2, null, { timeout: 30000 });
  assert.equal(await p.locator('#steps').textContent(), steps);
  assert.equal(await nest(p), loops);
  await fresh.close();
});

test('the first lesson, completed', { timeout: 120000 }, async () => {
  await page.click('#tab-lessons');
  await page.waitForSelector('#lesson-order');
  await page.locator('#lesson-order button').click();
  await page.waitForSelector('.lesson-banner');
  await page.waitForFunction(() => document.querySelectorAll('#steps li').length === 0 && document.querySelector('#loops').textContent.includes('512'));
  // reorder C: move loop 2 (k) to position 1: i, k, j
  await page.selectOption('#step-kind', 'reorder');
  await page.selectOption('#step-stage', { label: 'C' });
  await page.selectOption('#step-iter', '2');
  await page.selectOption('#step-to', '1');
  await page.click('#apply');
  await page.waitForFunction(() => document.querySelectorAll('#steps li').length === 1);
  await page.click('#run');
  await page.waitForSelector('#lesson-msg', { timeout: 60000 });
  let msg = await text('#lesson-msg');
  for (let i = 0; i < 2 && !/Lesson done/.test(msg); i++) { // a noisy machine: measure again
    await page.click('#run');
    await page.waitForFunction((n) => document.querySelectorAll('#play-chart .dot').length > n, i + 1, { timeout: 60000 });
    msg = await text('#lesson-msg');
  }
  assert.match(msg, /Lesson done/);
  await shoot('lesson-1');
  await page.click('#tab-lessons');
  assert.match(await text('#lesson-order'), /done/);
  assert.match(await text('#lesson-progress'), /^1 of/);
  await shoot('lessons');
  await page.click('#theme');
  await shoot('lessons-dark');
  await page.click('#tab-tune');
  await shoot('tune-dark');
  await page.click('#theme');
  // Keyboard: Alt+digit switches views.
  await page.keyboard.press('Alt+3');
  await page.waitForSelector('#tab-tune[aria-current=true]');
  await page.keyboard.press('Alt+1');
  await page.waitForSelector('#tab-workload[aria-current=true]');
});

test('no errors in the console', () => {
  assert.deepEqual(consoleErrors, []);
});
