// tabtune's engine worker: the dedicated Web Worker in which the Go engine
// (engine.wasm, wasm/engine) runs, so that the page never freezes. The
// page creates it and first posts {init: URLS, module}, the app's file
// names mapped to their (content-hashed) URLs and, when the page compiled
// it already, engine.wasm's WebAssembly.Module (the same binary runs the
// page's UI, so it is compiled once). The worker then loads the Go
// runtime (wasm_exec.js), installs the measuring host
// (globalThis.tabtuneMeasure, host.js, which runs each candidate in a
// measuring worker it terminates at the time limit) and the records store
// (globalThis.tabtuneStore, IndexedDB), and runs the engine, which posts
// {event: "ready"} and then answers requests (the message API of
// wasm/engine/api). Requests that arrive before the engine are queued. A
// failure to start is posted as {event: "failed", data: MESSAGE}.
'use strict';

let queue = [];
let started = false;

self.onmessage = (ev) => {
  const msg = ev.data;
  if (msg && msg.init) {
    if (!started) {
      started = true;
      start(msg.init, msg.module).catch((e) => self.postMessage({ event: 'failed', data: String(e && e.message ? e.message : e) }));
    }
    return;
  }
  if (self.tabtuneHandle) self.tabtuneHandle(JSON.stringify(msg));
  else queue.push(msg);
};

async function start(urls, module) {
  const t0 = performance.now();
  importScripts(urls['wasm_exec.js'], urls['host.js'], urls['store.js']);
  self.tabtuneMeasure = self.createMeasureHost({ script: urls['measure-worker.js'] });
  try {
    self.tabtuneStore = await self.openStore();
  } catch (e) {
    self.tabtuneStore = undefined; // the engine keeps records in memory and says so
  }
  const go = new Go();
  let instance;
  if (module) {
    instance = await WebAssembly.instantiate(module, go.importObject);
  } else try {
    const source = fetch(urls['engine.wasm']);
    ({ instance } = await WebAssembly.instantiateStreaming(source, go.importObject));
  } catch (e) {
    // A server without application/wasm: compile from the bytes.
    const bytes = await (await fetch(urls['engine.wasm'])).arrayBuffer();
    ({ instance } = await WebAssembly.instantiate(bytes, go.importObject));
  }
  self.tabtuneStartMillis = performance.now() - t0;
  go.run(instance).then(() => self.postMessage({ event: 'failed', data: 'the engine exited' }));
  // The engine set tabtuneHandle before it first blocked.
  for (const msg of queue) self.tabtuneHandle(JSON.stringify(msg));
  queue = [];
}
