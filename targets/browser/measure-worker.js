// tabtune's measuring worker: verifies and times one WebAssembly kernel at
// a time through kernel.js, in a dedicated Worker that its host
// (host.js) terminates when a kernel runs past its time limit. The same
// file runs as a Web Worker in a page (new Worker(url); it loads kernel.js
// from its own directory with importScripts) and as a worker_threads
// Worker in node (it requires ./kernel.js).
//
// Messages (host -> worker) and replies (worker -> host), structured
// clones over postMessage:
//
//   (on start)                                    <- {event: 'ready'}
//   {op: 'workload', id, key, tensors: [{name, shape, dtype, offset, bytes, input, data}],
//    scratch_offset, atol, rtol, poison}          (no reply unless an error; cached under key until 'drop')
//       data: an input's little-endian bytes or an output's reference as
//       little-endian f32, a Uint8Array (see kernel.js newWorkload).
//   {op: 'drop', key}                             (no reply)
//   {op: 'measure', id, key, wasm: Uint8Array, min_pages, max_pages, import_max,
//    has_import_max, warmup, warmup_time, repeats, min_time, max_repeats, cutoff}
//                                                 <- {id, event: 'verifying'}  compiled; instantiating and running once
//                                                 <- {id, event: 'verified', seconds}  outputs right; timing
//                                                 <- {id, result: {err, msg, times}}
//   A message that fails in the worker itself     <- {id, error: '...'}
//
// err is a targets.ErrorKind string: none, compile error, runtime error,
// wrong result. Events are posted before the kernel runs, so the host
// knows the phase of a kernel that never returns. The clock is
// performance.now(), precise to 5 us in a cross-origin isolated page and
// to 100 us otherwise. Relaxed SIMD is whatever the engine supports.
'use strict';

(function () {
  const inNode = typeof importScripts !== 'function';
  let kernel, post, listen, engine;
  if (inNode) {
    const { parentPort } = require('worker_threads');
    kernel = require('./kernel.js');
    post = (msg) => parentPort.postMessage(msg);
    listen = (fn) => parentPort.on('message', fn);
    engine = 'V8';
  } else {
    importScripts('kernel.js');
    kernel = self.tabtuneKernel;
    post = (msg) => self.postMessage(msg);
    listen = (fn) => {
      self.onmessage = (e) => fn(e.data);
    };
    engine = 'browser';
  }

  const workloads = new Map();

  async function handle(msg) {
    try {
      switch (msg.op) {
        case 'workload':
          workloads.set(msg.key, kernel.newWorkload(msg));
          break;
        case 'drop':
          workloads.delete(msg.key);
          break;
        case 'measure': {
          const w = workloads.get(msg.key);
          if (!w) throw new Error(`workload ${msg.key} not loaded`);
          const result = await kernel.measure(w, msg, msg.wasm, (ev) => post({ id: msg.id, ...ev }), engine);
          post({ id: msg.id, result });
          break;
        }
        default:
          throw new Error(`unknown op ${JSON.stringify(msg.op)}`);
      }
    } catch (e) {
      post({ id: msg.id, error: String(e && e.stack ? e.stack : e) });
    }
  }

  // One message at a time, in order: a measure awaits compiling.
  let chain = Promise.resolve();
  listen((msg) => {
    chain = chain.then(() => handle(msg));
  });
  post({ event: 'ready' });
})();
