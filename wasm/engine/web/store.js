// tabtune's records store in the browser: the tuning log's lines in
// IndexedDB, so that they survive a reload. Each record is kept as its
// JSON line, indexed by workload key and target as the command line's log
// is; lines() returns them in the order they were added, ready to be read
// by the engine or exported as the JSON-lines file `tabtune show` reads.
// Loaded with importScripts by engine-worker.js: defines self.openStore.
'use strict';

self.openStore = function openStore(name = 'tabtune', version = 1) {
  const STORE = 'records';
  const request = (r) => new Promise((resolve, reject) => {
    r.onsuccess = () => resolve(r.result);
    r.onerror = () => reject(r.error);
  });
  return new Promise((resolve, reject) => {
    const open = indexedDB.open(name, version);
    open.onupgradeneeded = () => {
      const s = open.result.createObjectStore(STORE, { autoIncrement: true });
      s.createIndex('workload', ['key', 'target']);
    };
    open.onerror = () => reject(open.error);
    open.onblocked = () => reject(new Error('the records database is held open by another tab'));
    open.onsuccess = () => {
      const db = open.result;
      const tx = (mode) => db.transaction(STORE, mode).objectStore(STORE);
      resolve({
        // lines: every stored line, oldest first.
        async lines() {
          const all = await request(tx('readonly').getAll());
          return all.map((r) => r.line);
        },
        // append: store one line (a record's JSON); resolves once written.
        append(line) {
          let key = '', target = '';
          try {
            const r = JSON.parse(line);
            key = (r.workload && r.workload.key) || '';
            target = r.target || '';
          } catch (e) { /* kept as it is; the engine reports bad lines */ }
          return new Promise((resolve, reject) => {
            const t = db.transaction(STORE, 'readwrite');
            t.objectStore(STORE).add({ line, key, target, time: Date.now() });
            t.oncomplete = () => resolve();
            t.onerror = () => reject(t.error);
            t.onabort = () => reject(t.error || new Error('the write was aborted'));
          });
        },
        // clear: remove every record.
        clear() { return request(tx('readwrite').clear()); },
      });
    };
  });
};
