import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { readFile, readdir, mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { launchBrowser } from '../e2e/support/browser.ts';
import { repoRoot } from '../e2e/support/hearth-web.ts';

/**
 * Browser mode: time from starting Hearth's process to the first screen being interactive, and
 * the renderer's initial JS (gzip). The baseline, measured in the same run and the same browser,
 * is a bare Node process serving a one-button page: the floor any local web app pays.
 */
const RUNS = 5;
const GOAL_MS = 1000;
const GOAL_GZIP_KB = 300;

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

const browser = await launchBrowser();
const page = await browser.newPage();

async function timeHearth(): Promise<number> {
  const dataDir = await mkdtemp(join(tmpdir(), 'hearth-bench-'));
  const t0 = performance.now();
  const child = spawn(process.execPath, [join(repoRoot, 'out/web/main.js')], {
    env: { ...process.env, HEARTH_HOME: dataDir, HEARTH_KEYCHAIN_SERVICE: `hearth-bench-${randomUUID()}` },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const url = await new Promise<string>((resolve) => {
    let out = '';
    child.stdout.on('data', (d) => {
      out += d;
      const m = /Open (http:\/\/\S+)/.exec(out);
      if (m?.[1]) resolve(m[1]);
    });
  });
  await page.goto(url);
  // Interactive: the first-run choice is on screen and enabled (it is disabled until core answers).
  await page.waitForFunction(() =>
    [...document.querySelectorAll('button')].some((b) => b.textContent?.trim() === 'Try it on this computer' && !b.disabled),
  );
  const elapsed = performance.now() - t0;
  child.kill('SIGTERM');
  await new Promise((r) => child.once('exit', r));
  return elapsed;
}

async function timeBaseline(): Promise<number> {
  const script = `
    const http = require('node:http');
    const s = http.createServer((q, r) => { r.setHeader('content-type', 'text/html'); r.end('<button>Try it on this computer</button>'); });
    s.listen(0, '127.0.0.1', () => console.log('Open http://127.0.0.1:' + s.address().port + '/'));
  `;
  const t0 = performance.now();
  const child = spawn(process.execPath, ['-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
  const url = await new Promise<string>((resolve) => child.stdout.on('data', (d) => resolve(/Open (\S+)/.exec(String(d))![1]!)));
  await page.goto(url);
  await page.getByRole('button', { name: 'Try it on this computer' }).waitFor({ state: 'visible' });
  const elapsed = performance.now() - t0;
  child.kill();
  return elapsed;
}

async function initialJsGzip(): Promise<number> {
  const dir = join(repoRoot, 'out/renderer');
  const html = await readFile(join(dir, 'index.html'), 'utf8');
  const scripts = [...html.matchAll(/<(?:script|link)[^>]+(?:src|href)="\.?\/?([^"]+\.js)"/g)].map((m) => m[1]!);
  let total = 0;
  for (const file of scripts) total += gzipSync(await readFile(join(dir, file))).length;
  return total;
}

const hearth: number[] = [];
const baseline: number[] = [];
for (let i = 0; i < RUNS; i++) {
  baseline.push(await timeBaseline());
  hearth.push(await timeHearth());
}
await browser.close();

const jsBytes = await initialJsGzip();
const allJs = (await readdir(join(repoRoot, 'out/renderer/assets'))).filter((f) => f.endsWith('.js')).length;
const h = median(hearth);
const b = median(baseline);
console.log('startup (browser mode), median of', RUNS);
console.log(`  Hearth: process start → first screen interactive   ${h.toFixed(0)} ms   (goal ≤ ${GOAL_MS} ms: ${h <= GOAL_MS ? 'met' : 'MISSED'})`);
console.log(`  baseline: bare node page in the same browser          ${b.toFixed(0)} ms`);
console.log(`  ratio Hearth / baseline                               ${(h / b).toFixed(2)}×`);
console.log(`  initial renderer JS (gzip)                            ${(jsBytes / 1024).toFixed(1)} KB in ${allJs} file(s)   (goal ≤ ${GOAL_GZIP_KB} KB: ${jsBytes / 1024 <= GOAL_GZIP_KB ? 'met' : 'MISSED'})`);
