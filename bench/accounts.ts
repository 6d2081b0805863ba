import { spawn, type ChildProcess } from 'node:child_process';
import { mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AtpAgent } from '@atproto/api';
import type { Page } from 'playwright-core';
import { PdsAdmin } from '../src/core/accounts/pds-admin.ts';
import { KeyringSecretStore } from '../src/core/secrets/index.ts';
import { launchBrowser } from '../e2e/support/browser.ts';
import { repoRoot } from '../e2e/support/hearth-web.ts';

/**
 * The Accounts screen with many accounts (10,000 by default; HEARTH_BENCH_ACCOUNTS) on a real PDS
 * (the sandbox), in browser mode:
 * - time to first rows after the data arrives (goal ≤ 200 ms), against a baseline measured in the
 *   same page: appending the same rows as plain elements, no virtualization;
 * - rows in the DOM while scrolling (only the visible ones);
 * - time to fetch all pages (listRepos + getAccountInfos, through Hearth), against listRepos alone.
 *
 * Seeding creates real accounts through the PDS's createAccount, concurrently. It is slow (the
 * PDS hashes each password and writes a repo and a PLC operation), so the seeded Hearth home is
 * kept in the temp dir and reused by later runs (HEARTH_BENCH_RESEED=1 starts over). The
 * keychain of a run is fresh, so a reused sandbox gets new secrets; listing does not care.
 */
const TARGET = Number(process.env.HEARTH_BENCH_ACCOUNTS ?? 10_000);
const GOAL_FIRST_ROWS_MS = 200;
const RUNS = 5;
const SEED_CONCURRENCY = 24;
const home = join(tmpdir(), `hearth-bench-accounts-${TARGET}`);
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

type Invoke = (name: string, input: unknown) => Promise<{ ok: boolean; result?: unknown; error?: { message: string } }>;

async function invoke<T>(page: Page, name: string, input: unknown): Promise<T> {
  const reply = await page.evaluate(
    ([n, i]) => (window as unknown as { hearth: { invoke: Invoke } }).hearth.invoke(n as string, i),
    [name, input] as const,
  );
  if (!reply.ok) throw new Error(`${name}: ${reply.error?.message}`);
  return reply.result as T;
}

async function startHearth(): Promise<{ child: ChildProcess; url: string }> {
  await mkdir(home, { recursive: true });
  const child = spawn(process.execPath, [join(repoRoot, 'out/web/main.js')], {
    env: { ...process.env, HEARTH_HOME: home, HEARTH_KEYCHAIN_SERVICE: 'hearth-bench-accounts' },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const url = await new Promise<string>((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (d) => {
      out += d;
      const m = /Open (http:\/\/\S+)/.exec(out);
      if (m?.[1]) resolve(m[1]);
    });
    child.once('exit', (code) => reject(new Error(`Hearth exited (${code})`)));
  });
  return { child, url };
}

async function countRepos(pdsUrl: string): Promise<{ count: number; ms: number }> {
  const agent = new AtpAgent({ service: pdsUrl });
  const t0 = performance.now();
  let count = 0;
  let cursor: string | undefined;
  do {
    const { data } = await agent.com.atproto.sync.listRepos({ limit: 1000, ...(cursor ? { cursor } : {}) });
    count += data.repos.length;
    cursor = data.repos.length ? data.cursor : undefined;
  } while (cursor);
  return { count, ms: performance.now() - t0 };
}

async function seed(pdsUrl: string, from: number, to: number): Promise<number> {
  const t0 = performance.now();
  let next = from;
  let done = 0;
  const worker = async () => {
    while (next < to) {
      const i = next++;
      const agent = new AtpAgent({ service: pdsUrl });
      await agent.com.atproto.server.createAccount({ handle: `b${i.toString(36)}x.test`, email: `bench${i}@example.com`, password: `bench-password-${i}` });
      if (++done % 1000 === 0) console.log(`  seeded ${from + done} of ${to} (${((performance.now() - t0) / 1000).toFixed(0)} s)`);
    }
  };
  await Promise.all(Array.from({ length: SEED_CONCURRENCY }, worker));
  return performance.now() - t0;
}

if (process.env.HEARTH_BENCH_RESEED) {
  const { rm } = await import('node:fs/promises');
  await rm(home, { recursive: true, force: true });
}
const { child, url } = await startHearth();
const browser = await launchBrowser();
const page = await browser.newPage();
try {
  await page.goto(url);
  const { jobId } = await invoke<{ jobId: string }>(page, 'sandbox.start', {});
  for (;;) {
    const job = await invoke<{ state: string; error: { message: string } | null }>(page, 'jobs.get', { id: jobId });
    if (job.state === 'succeeded') break;
    if (job.state !== 'running') throw new Error(`sandbox did not start: ${job.error?.message}`);
    await new Promise((r) => setTimeout(r, 200));
  }
  const { pdsUrl } = await invoke<{ pdsUrl: string }>(page, 'sandbox.status', {});
  // Loads the accounts code in the host now: a rebuild of out/ during a long seeding would
  // otherwise remove the chunk it loads on first use.
  await invoke(page, 'accounts.serverInfo', { serverId: 'sandbox' });

  const existing = (await countRepos(pdsUrl)).count;
  let seedLine: string;
  if (existing < TARGET) {
    console.log(`Seeding ${TARGET - existing} accounts (createAccount × ${SEED_CONCURRENCY} at a time)…`);
    const ms = await seed(pdsUrl, existing, TARGET);
    seedLine = `seeded ${TARGET - existing} accounts in ${(ms / 1000).toFixed(1)} s (${(((TARGET - existing) / ms) * 1000).toFixed(1)} accounts/s)`;
  } else {
    seedLine = `reused ${existing} accounts seeded by an earlier run (HEARTH_BENCH_RESEED=1 to seed again)`;
  }

  // Fetch all pages: through Hearth (listRepos + getAccountInfos, over the WebSocket) vs listRepos alone.
  // The part spent in core alone (same code, in this process), to tell the PDS from the socket.
  const adminPassword = (await new KeyringSecretStore({ service: 'hearth-bench-accounts' }).get('sandbox/admin-password'))!;
  const core = new PdsAdmin({ pdsUrl, serverName: 'sandbox', admin: { username: 'admin', password: adminPassword } });
  const fetchHearth: number[] = [];
  const fetchBase: number[] = [];
  const fetchCore: number[] = [];
  let listed = 0;
  for (let i = 0; i < 3; i++) {
    fetchBase.push((await countRepos(pdsUrl)).ms);
    const t0 = performance.now();
    await core.listAccounts();
    fetchCore.push(performance.now() - t0);
    // Timed in the page, where the screen gets it (not through the test driver's channel).
    const inPage = await page.evaluate(async () => {
      const start = performance.now();
      const reply = await (window as unknown as { hearth: { invoke: Invoke } }).hearth.invoke('accounts.list', { serverId: 'sandbox' });
      return { ms: performance.now() - start, count: (reply.result as { accounts: unknown[] }).accounts.length };
    });
    listed = inPage.count;
    fetchHearth.push(inPage.ms);
  }

  // Time to first rows after the data arrives, on open and on each Refresh.
  await page.goto(`${new URL(url).origin}/#/accounts`);
  const firstRows: number[] = [];
  const waitRows = async (n: number) => {
    await page.waitForFunction((count) => performance.getEntriesByName('hearth:accounts:rows').length >= count, n, { timeout: 120_000 });
    return page.evaluate(() => {
      const data = performance.getEntriesByName('hearth:accounts:data').at(-1)!.startTime;
      const rows = performance.getEntriesByName('hearth:accounts:rows').at(-1)!.startTime;
      return rows - data;
    });
  };
  firstRows.push(await waitRows(1));
  for (let i = 2; i <= RUNS; i++) {
    await page.getByRole('button', { name: 'Refresh' }).click();
    firstRows.push(await waitRows(i));
  }

  // Rows in the DOM while scrolling from top to bottom.
  const scroll = page.locator('.acct-scroll');
  const domRows: number[] = [];
  const firstIndex: number[] = [];
  for (const fraction of [0, 0.1, 0.25, 0.5, 0.75, 0.9, 1]) {
    await scroll.evaluate((el, f) => {
      el.scrollTop = (el.scrollHeight - el.clientHeight) * f;
    }, fraction);
    await page.waitForTimeout(100);
    domRows.push(await page.locator('[data-account-row]').count());
    firstIndex.push(Number(await page.locator('[data-account-row]').first().getAttribute('aria-rowindex')));
  }
  const visible = await scroll.evaluate((el) => Math.ceil(el.clientHeight / 44));

  // Baseline in the same page: the same rows as plain elements, appended and laid out.
  const rowsJson = await page.evaluate(async () => {
    const reply = await (window as unknown as { hearth: { invoke: Invoke } }).hearth.invoke('accounts.list', { serverId: 'sandbox' });
    return reply.result;
  });
  const baseline: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    baseline.push(
      await page.evaluate((list) => {
        const t0 = performance.now();
        const box = document.createElement('div');
        for (const a of (list as { accounts: { handle: string; did: string; email: string | null; status: string }[] }).accounts) {
          const row = document.createElement('div');
          for (const text of [a.handle, a.did, a.email ?? '', a.status]) {
            const cell = document.createElement('span');
            cell.textContent = text;
            row.append(cell);
          }
          box.append(row);
        }
        document.body.append(box);
        void box.offsetHeight;
        const ms = performance.now() - t0;
        box.remove();
        return ms;
      }, rowsJson),
    );
  }

  const fr = median(firstRows);
  const bl = median(baseline);
  const fh = median(fetchHearth);
  const fb = median(fetchBase);
  console.log(`accounts screen (browser mode), ${listed} accounts on the sandbox PDS, median of ${RUNS}`);
  console.log(`  seeding                                                 ${seedLine}`);
  console.log(`  first rows after the data arrives                       ${fr.toFixed(1)} ms   (goal ≤ ${GOAL_FIRST_ROWS_MS} ms: ${fr <= GOAL_FIRST_ROWS_MS ? 'met' : 'MISSED'})`);
  console.log(`  baseline: the same rows as plain elements, no virtual.  ${bl.toFixed(1)} ms`);
  console.log(`  ratio first rows / baseline                             ${(fr / bl).toFixed(3)}×`);
  console.log(`  DOM rows while scrolling (0%…100%)                      ${domRows.join(', ')}   (${visible} fit in view; first row index ${firstIndex.join(', ')})`);
  console.log(`  fetch all pages, in the page (core + socket + parse)    ${fh.toFixed(0)} ms`);
  console.log(`    of which listRepos + getAccountInfos in core          ${median(fetchCore).toFixed(0)} ms`);
  console.log(`  baseline: listRepos pages alone                         ${fb.toFixed(0)} ms`);
  console.log(`  ratio Hearth fetch / listRepos alone                    ${(fh / fb).toFixed(2)}×`);
  if (Math.max(...domRows) > visible + 20) throw new Error(`the table rendered ${Math.max(...domRows)} rows for ${visible} visible`);
} finally {
  await browser.close();
  child.kill('SIGTERM');
  await new Promise((r) => child.once('exit', r));
}
