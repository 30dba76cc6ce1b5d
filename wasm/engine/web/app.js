// tabtune's page script. It compiles the app's one WebAssembly binary
// (engine.wasm: wasm/engine, the engine and the UI in one Go program)
// once, hands the compiled module to the engine's Web Worker, which runs
// it in engine mode, and runs it in the page too, where it renders the UI
// (package ui, vugu components) and talks to the worker through
// window.tabtune, the engine client (the message API of wasm/engine/api),
// which is also there for the console and for tests:
//   await tabtune.ready                      -> the ready event's data
//   await tabtune.call(op, args, onProgress) -> the result, or throws an
//                                               Error with .kind, .line, .col
'use strict';

class EngineClient {
  // module is a promise of the compiled engine.wasm, which the worker
  // instantiates rather than compiling it again.
  constructor(manifest, module) {
    this.manifest = manifest;
    this.pending = new Map();
    this.nextID = 1;
    const t0 = performance.now();
    this.worker = new Worker(manifest['engine-worker.js']);
    this.ready = new Promise((resolve, reject) => { this.onReady = resolve; this.onFail = reject; });
    this.worker.onmessage = (ev) => this.receive(ev.data, t0);
    this.worker.onerror = (ev) => this.onFail(new Error(ev.message || 'the engine worker failed'));
    module.then((m) => this.worker.postMessage({ init: manifest, module: m }),
      () => this.worker.postMessage({ init: manifest }));
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
      // Requests wait for the engine's ready event: before it, the worker
      // is still loading the records and has no handler.
      this.ready.then(() => this.worker.postMessage({ v: 1, id, op, args: args || {} }), (e) => {
        this.pending.delete(id);
        reject(e);
      });
    });
  }
}

const manifest = JSON.parse(document.getElementById('manifest').textContent);

// compile fetches and compiles engine.wasm once (streaming when the server
// says application/wasm).
async function compile(url) {
  try {
    return await WebAssembly.compileStreaming(fetch(url));
  } catch (e) {
    return WebAssembly.compile(await (await fetch(url)).arrayBuffer());
  }
}

const t0 = performance.now();
const module = compile(manifest['engine.wasm']);
const tabtune = new EngineClient(manifest, module);
window.tabtune = tabtune;

// tabtuneDownload offers bytes as a file (the UI's downloads).
window.tabtuneDownload = (name, bytes, type) => {
  const a = document.createElement('a');
  a.href = URL.createObjectURL(new Blob([bytes], { type }));
  a.download = name;
  document.body.appendChild(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(a.href), 1000);
};

// vugu's renderer installs its helper with window.eval, which the page's
// content security policy forbids (no 'unsafe-eval'). The same helper is
// loaded as a script of its own (vugu-render.js, copied from vugu by make
// web), so its eval would be a no-op: answer that one call, and only it.
const nativeEval = window.eval;
window.eval = function (src) {
  if (typeof src === 'string' && src.startsWith('(function(){if(window.vuguRender)return;') && window.vuguRender) return undefined;
  return nativeEval(src);
};

// XNNPACK as a reference line (tabtune serve -xnnpack DIR: the manifest
// then lists tfjs-core and tfjs-backend-wasm under xnnpack/). The UI calls
//   tabtuneXNNPACK.available            -> whether the server has them
//   await tabtuneXNNPACK.time({op, dims}) -> the median seconds of one run
// which loads them on first use, from this server only, and times
// tf.matMul ([M,K] by [K,N]) or tf.conv2d (NHWC input, HWIO filter,
// explicit padding) with the wasm backend, SIMD, one thread: the threaded
// binary is never picked (its pthreads would be blob: workers, which the
// page does not allow), so XNNPACK runs on this page's thread, yielding
// between runs so the page answers.
const xnnpackWasm = ['tfjs-backend-wasm.wasm', 'tfjs-backend-wasm-simd.wasm', 'tfjs-backend-wasm-threaded-simd.wasm'];
const xnnpackScripts = ['tf-core.min.js', 'tf-backend-wasm.min.js'];
let xnnpackLoaded = null;

function loadScript(url) {
  return new Promise((resolve, reject) => {
    const s = document.createElement('script');
    s.src = url;
    s.onload = resolve;
    s.onerror = () => reject(new Error(`could not load ${url}`));
    document.head.appendChild(s);
  });
}

async function loadXNNPACK() {
  for (const name of xnnpackScripts) await loadScript(manifest['xnnpack/' + name]);
  const tf = window.tf;
  if (!tf || !tf.wasm) throw new Error('tfjs-backend-wasm did not load');
  tf.wasm.setWasmPaths(Object.fromEntries(xnnpackWasm.map((n) => [n, manifest['xnnpack/' + n]])));
  tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', false);
  tf.wasm.setThreadsCount(1);
  if (!await tf.setBackend('wasm')) throw new Error('tfjs could not start its wasm backend');
  if (!await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT')) throw new Error('this browser has no WebAssembly SIMD');
  return tf;
}

window.tabtuneXNNPACK = {
  available: [...xnnpackScripts, ...xnnpackWasm].every((n) => manifest['xnnpack/' + n]),
  async time({ op, dims: d }) {
    if (!xnnpackLoaded) xnnpackLoaded = loadXNNPACK();
    let tf;
    try {
      tf = await xnnpackLoaded;
    } catch (e) {
      xnnpackLoaded = null;
      throw e;
    }
    let inputs, run;
    if (op === 'matMul') {
      inputs = [tf.randomUniform([d.M, d.K], -1, 1), tf.randomUniform([d.K, d.N], -1, 1)];
      run = () => tf.matMul(inputs[0], inputs[1]);
    } else if (op === 'conv2d') {
      inputs = [tf.randomUniform([d.N, d.H, d.W, d.CI], -1, 1), tf.randomUniform([d.KH, d.KW, d.CI, d.CO], -1, 1)];
      const pad = [[0, 0], [d.pad, d.pad], [d.pad, d.pad], [0, 0]];
      run = () => tf.conv2d(inputs[0], inputs[1], d.stride, pad);
    } else {
      throw new Error(`XNNPACK has no ${op}`);
    }
    const times = [];
    try {
      for (let i = 0; i < 3; i++) run().dispose(); // the first call packs the weights
      let total = 0;
      while (times.length < 5 || (total < 1000 && times.length < 200)) {
        await new Promise((r) => setTimeout(r, 0));
        const t = performance.now();
        run().dispose();
        const dt = performance.now() - t;
        times.push(dt);
        total += dt;
      }
    } finally {
      inputs.forEach((x) => x.dispose());
    }
    times.sort((x, y) => x - y);
    return times[times.length >> 1] / 1e3;
  },
};

function fail(msg) {
  const s = document.getElementById('status');
  if (s) { s.textContent = msg; s.className = 'status error'; }
}

// The UI: the same module in page mode.
module.then(async (m) => {
  const go = new Go();
  const instance = await WebAssembly.instantiate(m, go.importObject);
  window.tabtuneUIMillis = performance.now() - t0;
  go.run(instance).then(() => fail('the app stopped; reload the page'));
}).catch((e) => fail(`the app did not start: ${e.message}`));
tabtune.ready.catch((e) => fail(`the engine did not start: ${e.message}`));
