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
