// A dedicated Web Worker as a page has it, made of node's worker_threads,
// for the tests of the browser paths of host.js and measure-worker.js:
// Worker(url) is an EventTarget with message and error events,
// postMessage and terminate; inside it, the script runs as a classic
// script (no require, no module) with self, postMessage, self.onmessage
// and importScripts (resolved against the script's directory).
'use strict';

const { Worker: NodeWorker } = require('worker_threads');

const BOOT = `
const { parentPort, workerData } = require('worker_threads');
const vm = require('vm'), fs = require('fs'), path = require('path');
// Node's eval mode makes these globals; a Web Worker has none of them.
for (const name of ['require', 'module', 'exports', '__filename', '__dirname']) delete globalThis[name];
const run = (file) => vm.runInThisContext(fs.readFileSync(file, 'utf8'), { filename: file });
globalThis.self = globalThis;
globalThis.postMessage = (m) => parentPort.postMessage(m);
globalThis.importScripts = (...urls) => urls.forEach((u) => run(path.resolve(path.dirname(workerData), u)));
parentPort.on('message', (data) => { if (typeof self.onmessage === 'function') self.onmessage({ data }); });
run(workerData);
`;

class Worker extends EventTarget {
  constructor(url) {
    super();
    this.w = new NodeWorker(BOOT, { eval: true, workerData: url });
    this.w.on('message', (data) => this.dispatchEvent(new MessageEvent('message', { data })));
    this.w.on('error', (e) => {
      const ev = new Event('error', { cancelable: true });
      ev.message = `Uncaught ${e.message}`;
      this.dispatchEvent(ev);
    });
  }

  postMessage(m) {
    this.w.postMessage(m);
  }

  terminate() {
    this.w.terminate();
  }
}

module.exports = { Worker };
