// What the end-to-end tests share: tabtune serve on a free loopback port,
// and Debian's Chromium launched headless by playwright-core.
import { spawn } from 'node:child_process';
import { resolve } from 'node:path';
import { chromium } from 'playwright-core';

export const TABTUNE = resolve(process.env.TABTUNE || '../bin/tabtune');
export const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';

// serve starts tabtune serve, with extra flags if given, and resolves to
// { server, url }.
export function serve(...flags) {
  return new Promise((res, rej) => {
    const server = spawn(TABTUNE, ['serve', '-listen', '127.0.0.1:0', ...flags], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    const timer = setTimeout(() => rej(new Error('tabtune serve did not start: ' + out)), 10000);
    server.stdout.on('data', (d) => {
      out += d;
      const m = out.match(/http:\/\/127\.0\.0\.1:\d+\//);
      if (m) { clearTimeout(timer); res({ server, url: m[0] }); }
    });
    server.stderr.on('data', (d) => { out += d; });
    server.on('exit', (code) => rej(new Error(`tabtune serve exited with ${code}: ${out}`)));
  });
}

// launch starts the browser.
export function launch() {
  return chromium.launch({
    executablePath: CHROMIUM,
    args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}
