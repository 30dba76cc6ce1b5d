// tabtune's node harness: measures WebAssembly kernels in V8 for the Go
// package targets/node, which starts it as `node [flags] harness.js` and
// talks to it in JSON lines, one request at a time, on stdin and stdout.
// Every step mirrors package targets (layout.go, timing.go): the memory
// image, the checks, their messages and the timing loop live in
// kernel.js, which the page's measuring worker runs too.
//
// Requests (Go -> harness) and replies (harness -> Go):
//
//   (on start)                                   <- {"event":"ready","node":"v20.x","v8":"11.x"}
//   {"id":1,"op":"workload","key":K,"tensors":[{"name","shape","dtype","offset","bytes","input","file"}],
//    "scratch_offset":S,"atol":A,"rtol":R,"poison":P} <- {"id":1,"ok":true}
//       Inputs' files hold their little-endian bytes, outputs' files the
//       reference as little-endian f32. Cached under K until "drop".
//   {"id":2,"op":"drop","key":K}                 <- {"id":2,"ok":true}
//   {"id":3,"op":"measure","key":K,"wasm":BASE64,"min_pages":P,"max_pages":M,
//    "import_max":X,"has_import_max":B,"warmup":W,"warmup_time":s,"repeats":N,
//    "min_time":s,"max_repeats":N,"cutoff":s}
//                                                <- {"id":3,"event":"verifying"}  compiled; instantiating and running once
//                                                <- {"id":3,"event":"verified","seconds":t}  outputs right; timing
//                                                <- {"id":3,"result":{"err":"none","msg":"","times":[s,...]}}
//   A request that fails in the harness itself   <- {"id":N,"error":"..."}
//
// "err" is a targets.ErrorKind string: none, compile error, runtime error,
// wrong result. A kernel that never returns blocks this process: the Go
// side's watchdog kills it (it knows the phase from the events, which are
// written synchronously, before the kernel runs).
'use strict';

const fs = require('fs');
const readline = require('readline');
// The memory image, the checks and the timing loop, shared with the
// measuring worker of a page (targets/browser/kernel.js); the Go side
// writes it beside this file.
const kernel = require('./kernel.js');

const workloads = new Map();

function send(obj) {
  // Synchronous, so that an event is out before a kernel that hangs.
  const buf = Buffer.from(JSON.stringify(obj) + '\n');
  for (let off = 0; off < buf.length; ) {
    try {
      off += fs.writeSync(1, buf, off);
    } catch (e) {
      if (e.code !== 'EAGAIN') throw e;
    }
  }
}

function loadWorkload(req) {
  const tensors = req.tensors.map((t) => ({ ...t, data: fs.readFileSync(t.file) }));
  return kernel.newWorkload({ ...req, tensors });
}

function measure(req) {
  const w = workloads.get(req.key);
  if (!w) throw new Error(`workload ${req.key} not loaded`);
  return kernel.measure(w, req, Buffer.from(req.wasm, 'base64'), (ev) => send({ id: req.id, ...ev }), 'V8');
}

async function handle(line) {
  let req;
  try {
    req = JSON.parse(line);
  } catch (e) {
    send({ id: -1, error: `bad request: ${e.message}` });
    return;
  }
  try {
    switch (req.op) {
      case 'workload':
        workloads.set(req.key, loadWorkload(req));
        send({ id: req.id, ok: true });
        break;
      case 'drop':
        workloads.delete(req.key);
        send({ id: req.id, ok: true });
        break;
      case 'measure':
        send({ id: req.id, result: await measure(req) });
        break;
      default:
        throw new Error(`unknown op ${JSON.stringify(req.op)}`);
    }
  } catch (e) {
    send({ id: req.id, error: String(e && e.stack ? e.stack : e) });
  }
}

let chain = Promise.resolve();
const rl = readline.createInterface({ input: process.stdin, terminal: false });
rl.on('line', (line) => {
  chain = chain.then(() => handle(line));
});
rl.on('close', () => chain.then(() => process.exit(0)));
send({ event: 'ready', node: process.version, v8: process.versions.v8 });
