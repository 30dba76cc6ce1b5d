// tabtune's page: a client of the engine worker (the message API of
// wasm/engine/api) and a small interface over it: pick or write a
// workload, tune it with a live chart, read the best schedule's loop IR
// and WebAssembly side by side, and move records in and out as JSON
// lines. window.tabtune is the client, for the console and for tests:
//   await tabtune.ready                      -> the ready event's data
//   await tabtune.call(op, args, onProgress) -> the result, or throws an
//                                               Error with .kind, .line, .col
'use strict';

class EngineClient {
  constructor(manifest) {
    this.manifest = manifest;
    this.pending = new Map();
    this.nextID = 1;
    const t0 = performance.now();
    this.worker = new Worker(manifest['engine-worker.js']);
    this.ready = new Promise((resolve, reject) => { this.onReady = resolve; this.onFail = reject; });
    this.worker.onmessage = (ev) => this.receive(ev.data, t0);
    this.worker.onerror = (ev) => this.onFail(new Error(ev.message || 'the engine worker failed'));
    this.worker.postMessage({ init: manifest });
  }

  receive(msg, t0) {
    if (msg.event === 'ready') {
      msg.data.ready_millis = performance.now() - t0;
      this.onReady(msg.data);
      return;
    }
    if (msg.event === 'failed') {
      this.onFail(new Error(msg.data));
      return;
    }
    const p = this.pending.get(msg.id);
    if (!p) return;
    if (msg.event) {
      if (p.onProgress) p.onProgress(msg.data);
      return;
    }
    this.pending.delete(msg.id);
    if (msg.ok) p.resolve(msg.result);
    else {
      const e = new Error(msg.error.msg);
      Object.assign(e, msg.error);
      p.reject(e);
    }
  }

  call(op, args, onProgress) {
    const id = this.nextID++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject, onProgress });
      this.worker.postMessage({ v: 1, id, op, args: args || {} });
    });
  }
}

const $ = (id) => document.getElementById(id);
const manifest = JSON.parse($('manifest').textContent);
const tabtune = new EngineClient(manifest);
window.tabtune = tabtune;

function workload() {
  return $('src').value.trim() ? $('src').value : $('spec').value.trim();
}

let parseTimer = 0;
async function parseNow() {
  try {
    const p = await tabtune.call('parse', { src: workload() });
    const shapes = p.tensors.map((t) => `${t.role} ${t.name}: ${t.dtype}[${t.shape.join(', ')}]`).join('\n');
    $('parsed').className = 'muted';
    $('parsed').textContent = `${p.text}\n${shapes}\n${(p.flops / 1e9).toPrecision(4)} GFLOP, key ${p.key}`;
  } catch (e) {
    $('parsed').className = 'error';
    $('parsed').textContent = e.line ? `line ${e.line}, column ${e.col}: ${e.message}` : e.message;
  }
}
function parseSoon() {
  clearTimeout(parseTimer);
  parseTimer = setTimeout(parseNow, 150);
}

// The chart: best GFLOP/s against trials, with the naive schedule's speed
// as a reference line when it is known.
const chart = { points: [], naive: 0, budget: 1 };
function draw() {
  const c = $('chart'), g = c.getContext('2d'), W = c.width, H = c.height, pad = 34;
  g.clearRect(0, 0, W, H);
  const top = Math.max(1e-9, chart.naive, ...chart.points.map((p) => p[1])) * 1.1;
  g.strokeStyle = '#9ca3af'; g.strokeRect(pad, 6, W - pad - 6, H - pad);
  g.fillStyle = '#6b7280'; g.font = '11px sans-serif';
  g.fillText(top.toPrecision(3) + ' GFLOP/s', 2, 16);
  g.fillText('0', pad - 10, H - pad + 6);
  g.fillText(chart.budget + ' trials', W - 70, H - pad + 18);
  const x = (t) => pad + (W - pad - 6) * t / chart.budget, y = (v) => H - pad - (H - pad - 6) * v / top + 6;
  if (chart.naive > 0) {
    g.strokeStyle = '#f59e0b'; g.setLineDash([4, 4]); g.beginPath();
    g.moveTo(pad, y(chart.naive)); g.lineTo(W - 6, y(chart.naive)); g.stroke(); g.setLineDash([]);
    g.fillText('naive', W - 40, y(chart.naive) - 3);
  }
  g.strokeStyle = '#2563eb'; g.lineWidth = 2; g.beginPath();
  chart.points.forEach(([t, v], i) => (i ? g.lineTo(x(t), y(v)) : g.moveTo(x(t), y(v))));
  g.stroke(); g.lineWidth = 1;
}

function showTop(top) {
  const body = $('top').tBodies[0];
  body.textContent = '';
  (top || []).forEach((e, i) => {
    const tr = body.insertRow();
    for (const v of [i + 1, e.gflops.toFixed(2), (e.median * 1e3).toFixed(3), `round ${e.round} (${e.origin})`]) tr.insertCell().textContent = v;
  });
}

let lastBest = null;
async function tune() {
  $('start').disabled = true; $('stop').disabled = false;
  chart.points = []; chart.budget = +$('trials').value; draw();
  const args = { workload: workload(), target: $('target').value, trials: +$('trials').value, batch: +$('batch').value, seed: +$('seed').value, confirm: 2 };
  try {
    const res = await tabtune.call('tune', args, (p) => {
      $('bar').style.width = `${100 * p.trials / p.budget}%`;
      if (p.phase === 'round') {
        chart.points.push([p.trials, p.gflops]); draw();
        const acc = p.model_accuracy >= 0 ? `, cost model ranked ${(100 * p.model_accuracy).toFixed(0)}% of pairs right` : '';
        $('round').textContent = `round ${p.round}: ${p.measured} measured, ${p.failed} failed${acc}; best ${p.gflops.toFixed(2)} GFLOP/s after ${p.trials} of ${p.budget} trials, ${p.elapsed.toFixed(1)} s`;
        showTop(p.top);
      } else if (p.phase === 'measure') {
        $('round').textContent = `round ${p.round}: ${p.measured} measured so far, ${p.failed} failed; ${p.trials} of ${p.budget} trials, ${p.elapsed.toFixed(1)} s`;
      } else {
        $('round').textContent = { reference: 'computing the reference outputs…', confirm: 'timing the fastest schedules again…', baseline: 'measuring the naive schedule…' }[p.phase] || p.phase;
      }
    });
    if (res.stop) $('round').textContent += ` (${res.stop})`;
    if (res.best) await showBest(args.workload, args.target, res.best, res.measurer);
    await listRecords();
  } catch (e) {
    $('round').textContent = e.message;
    $('round').className = 'error';
  } finally {
    $('start').disabled = false; $('stop').disabled = true;
  }
}

async function showBest(wl, target, best, measurer) {
  lastBest = { workload: wl, target, steps: best.steps };
  $('best').textContent = `${best.gflops.toFixed(2)} GFLOP/s (${(best.median * 1e3).toFixed(3)} ms) on ${target}, measured by ${measurer}; ${best.how}`;
  const low = await tabtune.call('lower', { workload: wl, target, steps: best.steps });
  $('ir').textContent = best.lines.join('\n') + '\n\n' + low.ir;
  $('wat').textContent = low.wat;
  $('download').disabled = false;
}

function download(name, data, type) {
  const a = document.createElement('a');
  a.href = URL.createObjectURL(new Blob([data], { type }));
  a.download = name;
  a.click();
  setTimeout(() => URL.revokeObjectURL(a.href), 1000);
}

async function downloadKernel() {
  const res = await tabtune.call('export', lastBest);
  for (const f of res.files) {
    const data = f.base64 ? Uint8Array.from(atob(f.base64), (c) => c.charCodeAt(0)) : f.text;
    download(f.name, data, f.base64 ? 'application/wasm' : 'text/plain');
  }
}

async function listRecords() {
  const res = await tabtune.call('records.list');
  const body = $('reclist').tBodies[0];
  body.textContent = '';
  for (const w of res.workloads) {
    for (const t of w.targets) {
      const tr = body.insertRow();
      tr.insertCell().textContent = w.text.trim().split('\n').pop();
      tr.insertCell().textContent = t.target;
      tr.insertCell().textContent = t.count;
      tr.insertCell().textContent = t.best ? t.best.gflops.toFixed(2) : '-';
      tr.insertCell().textContent = t.best ? t.best.how : 'none verified';
    }
  }
}

async function runNaive() {
  try {
    const r = await tabtune.call('run', { workload: workload(), target: $('target').value });
    chart.naive = r.schedule.gflops; draw();
    $('round').textContent = `naive schedule: ${r.schedule.err === 'none' ? r.schedule.gflops.toFixed(2) + ' GFLOP/s' : r.schedule.err + ': ' + r.schedule.msg}`;
  } catch (e) {
    $('round').textContent = e.message;
  }
}

async function main() {
  let info;
  try {
    info = await tabtune.ready;
  } catch (e) {
    $('status').textContent = `the engine did not start: ${e.message}`;
    $('status').className = 'error';
    return;
  }
  const notes = [`engine ${info.tabtune} ready in ${Math.round(info.ready_millis)} ms`, `measuring with ${info.measurer}`];
  if (info.note) notes.push(info.note);
  if (info.measure_error) notes.push(info.measure_error);
  $('status').textContent = notes.join('; ');
  const ops = await tabtune.call('ops');
  for (const o of ops.ops) {
    const opt = document.createElement('option');
    opt.value = o.spec; opt.textContent = `${o.name}: ${o.doc}`;
    $('op').appendChild(opt);
  }
  $('op').onchange = () => { if ($('op').value) { $('spec').value = $('op').value; $('src').value = ''; } parseSoon(); };
  $('spec').oninput = $('src').oninput = parseSoon;
  $('start').onclick = tune;
  $('stop').onclick = () => tabtune.call('stop');
  $('naive').onclick = runNaive;
  $('download').onclick = downloadKernel;
  $('export').onclick = async () => {
    const r = await tabtune.call('records.export');
    download('tabtune-records.jsonl', r.jsonl, 'application/jsonl');
    $('recmsg').textContent = `${r.lines} records exported`;
  };
  $('import').onchange = async (ev) => {
    const text = await ev.target.files[0].text();
    const r = await tabtune.call('records.import', { jsonl: text });
    $('recmsg').textContent = `${r.added} records imported` + (r.skipped.length ? `, ${r.skipped.length} lines skipped: ${r.skipped[0]}` : '');
    await listRecords();
  };
  draw();
  parseNow();
  listRecords();
}

main();
