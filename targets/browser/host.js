// tabtune's measuring host: the side of in-page measurement that lives
// where the Go engine runs (the engine's Web Worker in a page, or node),
// between the Go measurer (package targets/browser) and the measuring
// worker (measure-worker.js). It loads as a classic script
// (importScripts('host.js') defines self.createMeasureHost) or as a
// CommonJS module (require('./host.js').createMeasureHost).
//
// The engine's worker script installs one host for the Go side:
//
//   globalThis.tabtuneMeasure = createMeasureHost({script: 'measure-worker.js'});
//
// Options:
//   spawn()        makes a measuring worker running measure-worker.js: a
//                  Web Worker (new Worker(url)) or a node worker_threads
//                  Worker. Optional when script is given.
//   script         measure-worker.js's URL (page) or path (node): spawn
//                  then makes a Worker of it.
//   startTimeout   ms a fresh worker has to say it is ready (default 15000).
//   maxWorkloads   how many workloads the host keeps (default 4).
//
// The host's methods (the contract with the Go measurer):
//
//   info() -> {crossOriginIsolated, relaxedSimd, clockResolution}
//       crossOriginIsolated: the page is cross-origin isolated (false
//       outside a page); relaxedSimd: WebAssembly.validate accepts a
//       module using f32x4.relaxed_madd; clockResolution: the smallest
//       step of performance.now() seen here, in seconds (5e-6 when
//       isolated, 1e-4 when not; finer in node).
//   hasWorkload(key) -> boolean
//   loadWorkload(key, {tensors: [{name, shape, dtype, offset, bytes, input, data}],
//                      scratch_offset, atol, rtol, poison})
//       keeps the workload (data: Uint8Array, see kernel.js newWorkload),
//       dropping the oldest beyond maxWorkloads; it is posted to a
//       measuring worker once, and again to each fresh one.
//   measure({key, wasm, min_pages, max_pages, import_max, has_import_max, warmup,
//            warmup_time, repeats, min_time, max_repeats, cutoff, timeout})
//       -> Promise of {err, msg, times[, phase, limit]}, with a method
//          abort() that ends this candidate: if it is in flight its worker
//          is terminated; either way the Promise resolves with a measure
//          error.
//       wasm is a Uint8Array; times and limits are in seconds. Candidates
//       run one at a time, in the order measure was called. err is a
//       targets.ErrorKind string:
//         none, compile error, runtime error, wrong result: the worker's
//             result (kernel.js);
//         timeout: compiling or the verification run took longer than
//             timeout, or the timed runs longer than the node measurer's
//             bound on them; phase and limit say which and how long. The
//             worker was terminated; the next candidate gets a fresh one;
//         runtime error: the worker died (an error event) in a phase;
//         measure error: the workload is not loaded, the worker does not
//             start, the worker failed outside the kernel, or abort().
//   close()   ends the candidate in flight, as abort does, and terminates
//             the worker; a later candidate starts a fresh one.
'use strict';

(function (root, factory) {
  const api = factory();
  // A classic script in a worker (importScripts) even where some global
  // module exists; else CommonJS when loaded by require.
  if (typeof importScripts !== 'function' && typeof module === 'object' && module.exports) module.exports = api;
  else root.createMeasureHost = api.createMeasureHost;
})(typeof self !== 'undefined' ? self : globalThis, function () {
  // A tiny module whose function uses f32x4.relaxed_madd.
  const RELAXED = new Uint8Array([
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
    0x01, 0x08, 0x01, 0x60, 0x03, 0x7b, 0x7b, 0x7b, 0x01, 0x7b, // type (v128 v128 v128) -> v128
    0x03, 0x02, 0x01, 0x00, // one function
    0x0a, 0x0d, 0x01, 0x0b, 0x00, 0x20, 0x00, 0x20, 0x01, 0x20, 0x02, 0xfd, 0x85, 0x02, 0x0b, // relaxed_madd
  ]);

  function clockResolution() {
    let best = Infinity;
    for (let k = 0; k < 5; k++) {
      const a = performance.now();
      let b = a;
      for (let n = 0; b === a && n < 1e7; n++) b = performance.now();
      if (b > a) best = Math.min(best, b - a);
    }
    return best / 1000;
  }

  // The bound of the timed runs of a kernel whose verification run took
  // verify seconds: the node measurer's (targets/node timingBound).
  function timingBound(req, verify) {
    const t = Math.max(verify, 1e-3);
    const calls = req.warmup + req.repeats + 2;
    return req.timeout + 4 * (calls * t + req.warmup_time + req.min_time) + 1;
  }

  // listen attaches to a Web Worker or a worker_threads Worker.
  function listen(wk, onMessage, onError) {
    if (typeof wk.on === 'function') {
      wk.on('message', onMessage);
      wk.on('error', (e) => onError(e && e.message ? e.message : String(e)));
      wk.on('exit', (code) => onError(`it exited with code ${code}`));
    } else {
      wk.addEventListener('message', (e) => onMessage(e.data));
      wk.addEventListener('messageerror', () => onError('a message could not be read'));
      wk.addEventListener('error', (e) => {
        if (e.preventDefault) e.preventDefault();
        onError(e.message || 'its script failed to load or threw');
      });
    }
  }

  function createMeasureHost(opts) {
    opts = opts || {};
    let spawn = opts.spawn;
    if (!spawn && opts.script) {
      spawn = typeof Worker === 'function'
        ? () => new Worker(opts.script)
        : () => new (require('worker_threads').Worker)(opts.script);
    }
    if (typeof spawn !== 'function') throw new Error('createMeasureHost: give spawn or script');
    const startTimeout = opts.startTimeout || 15000;
    const maxWorkloads = opts.maxWorkloads || 4;

    const workloads = new Map(); // key -> descriptor, oldest first
    let wk = null; // the measuring worker
    let loaded = new Set(); // workload keys wk has
    let ready = null; // Promise that wk is ready
    let starting = null; // {timer, reject} while wk starts
    let handler = null; // the candidate in flight: {message(m), died(why), abandon()}
    let queue = Promise.resolve(); // candidates run one after the other
    let nextID = 0;
    let info = null;

    function kill() {
      if (wk) wk.terminate();
      wk = null;
      ready = null;
      loaded = new Set();
      if (starting) {
        clearTimeout(starting.timer);
        starting.reject(new Error('the measuring worker was stopped while it started'));
        starting = null;
      }
    }

    // start makes a worker unless there is one and resolves when it is
    // ready.
    function start() {
      if (ready) return ready;
      let me;
      try {
        me = spawn();
      } catch (e) {
        return Promise.reject(new Error(`the measuring worker did not start: ${e.message}`));
      }
      wk = me;
      ready = new Promise((resolve, reject) => {
        const fail = (why) => {
          clearTimeout(starting.timer);
          starting = null;
          kill();
          reject(new Error(why));
        };
        starting = { reject, timer: setTimeout(() => fail(`the measuring worker did not start within ${startTimeout} ms`), startTimeout) };
        listen(me, (m) => {
          if (me !== wk) return;
          if (starting && m && m.event === 'ready') {
            clearTimeout(starting.timer);
            starting = null;
            resolve();
          } else if (handler) handler.message(m);
        }, (why) => {
          if (me !== wk) return;
          if (starting) return fail(`the measuring worker did not start: ${why}`);
          kill();
          if (handler) handler.died(why);
        });
      });
      return ready;
    }

    // run measures one candidate, answering through end; it resolves when
    // the candidate is over. bind receives its handler, for abort.
    async function run(req, desc, end, bind) {
      const id = ++nextID;
      let timer = null, phase = 'starting the measuring worker', over;
      const ended = new Promise((resolve) => {
        over = resolve;
      });
      const finish = (r) => {
        clearTimeout(timer);
        if (handler === h) handler = null;
        end(r);
        over();
      };
      const arm = (p, limit) => {
        phase = p;
        clearTimeout(timer);
        timer = setTimeout(() => {
          kill();
          finish({ err: 'timeout', msg: `${p} took longer than ${Math.round(limit * 1000)} ms`, times: [], phase: p, limit });
        }, limit * 1000);
      };
      const h = {
        message(m) {
          if (!m || m.id !== id) return;
          if (m.error !== undefined) return finish({ err: 'measure error', msg: `measuring worker: ${m.error}`, times: [] });
          if (m.result) return finish({ err: m.result.err, msg: m.result.msg, times: m.result.times || [] });
          if (m.event === 'verifying') arm('the verification run', req.timeout);
          else if (m.event === 'verified') arm('the timed runs', timingBound(req, m.seconds));
        },
        died(why) {
          finish({ err: 'runtime error', msg: `while ${phase}: the measuring worker died: ${why}`, times: [] });
        },
        abandon() {
          kill();
          finish({ err: 'measure error', msg: `not measured: abandoned while ${phase}`, times: [] });
        },
      };
      handler = h;
      bind(h);
      try {
        await start();
      } catch (e) {
        return finish({ err: 'measure error', msg: e.message, times: [] });
      }
      if (handler !== h) return; // abandoned while starting
      if (!loaded.has(req.key)) {
        // The same id: the worker's error about it ends this candidate.
        wk.postMessage({ ...desc, op: 'workload', id });
        loaded.add(req.key);
      }
      const msg = { ...req, op: 'measure', id };
      delete msg.timeout;
      arm('compiling the module', req.timeout);
      wk.postMessage(msg);
      await ended;
    }

    const host = {
      info() {
        if (!info) {
          info = {
            crossOriginIsolated: globalThis.crossOriginIsolated === true,
            relaxedSimd: WebAssembly.validate(RELAXED),
            clockResolution: clockResolution(),
          };
        }
        return info;
      },

      hasWorkload(key) {
        return workloads.has(key);
      },

      loadWorkload(key, desc) {
        workloads.delete(key);
        workloads.set(key, { key, tensors: desc.tensors, scratch_offset: desc.scratch_offset, atol: desc.atol, rtol: desc.rtol, poison: desc.poison });
        while (workloads.size > maxWorkloads) {
          const old = workloads.keys().next().value;
          workloads.delete(old);
          if (wk && loaded.has(old)) wk.postMessage({ op: 'drop', key: old });
          loaded.delete(old);
        }
      },

      measure(req) {
        const desc = workloads.get(req.key);
        let settle, h = null, over = false;
        const done = new Promise((resolve) => {
          settle = resolve;
        });
        const end = (r) => {
          if (!over) settle(r);
          over = true;
        };
        done.abort = () => {
          if (h) h.abandon();
          else end({ err: 'measure error', msg: 'not measured: abandoned before its turn', times: [] });
        };
        if (!desc) {
          end({ err: 'measure error', msg: `workload ${req.key} not loaded in the measuring host`, times: [] });
          return done;
        }
        const bind = (x) => {
          h = x;
        };
        queue = queue
          .then(() => (over ? undefined : run(req, desc, end, bind)))
          .catch((e) => end({ err: 'measure error', msg: `measuring host: ${e && e.stack ? e.stack : e}`, times: [] }));
        return done;
      },

      close() {
        if (handler) handler.abandon();
        kill();
      },
    };
    return host;
  }

  return { createMeasureHost, timingBound };
});
