import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { performance } from 'node:perf_hooks';
import { AtpAgent } from '@atproto/api';
import { FOLLOW, POST } from '../src/core/feed/backfill.ts';
import { startInProcessPds, type InProcessPds } from '../test/support/pds-in-process.ts';
import { startPlc } from '../test/support/plc.ts';
import type { BackfillRunConfig, BackfillRunResult } from './support/feed-backfill-run.ts';

/**
 * Backfill (issue 12): a signed-in account that follows 1,000 accounts × 50 posts, spread over
 * three real PDSes (in this process, with a real PLC), read by Hearth's runBackfill, against
 * fetching the same pages with plain concurrent fetch under the same concurrency limits (see
 * support/feed-backfill-run.ts for both). Goal: ≥ 0.5× the baseline's throughput (posts/s).
 * Prints the backfill's peak memory.
 *
 * Each measured run is a child process of its own (its memory is the run's alone, and the
 * servers here keep their own thread), alternating baseline and backfill after one warm-up fetch.
 *
 * Seeding makes real accounts (createAccount) and writes each one's 50 posts in one applyWrites;
 * the PLC is in memory, so nothing of it can be kept for a later run. Its speed is measured on
 * the first accounts: when the rest would take longer than HEARTH_BENCH_BACKFILL_SEED_BUDGET_S,
 * fewer accounts are made, and the output says so (both sides read the same accounts).
 */
const TARGET = Number(process.env.HEARTH_BENCH_BACKFILL_ACCOUNTS ?? 1_000);
const POSTS = 50;
const SEED_BUDGET_S = Number(process.env.HEARTH_BENCH_BACKFILL_SEED_BUDGET_S ?? 180);
const PROBE = 30;
const SEED_CONCURRENCY = 12;
const ROUNDS = 3;
const GOAL_RATIO = 0.5;
const WINDOW_DAYS = 7;
const SERVERS = ['one', 'two', 'three'] as const;
const runner = fileURLToPath(new URL('./support/feed-backfill-run.ts', import.meta.url));

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const n = (x: number) => Math.round(x).toLocaleString('en');
const mib = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(0)} MiB`;

async function createAuthor(pds: InProcessPds, server: string, i: number): Promise<string> {
  const agent = new AtpAgent({ service: pds.url });
  await agent.createAccount({ handle: `author${i}.${server}.test`, email: `f${i}@example.com`, password: `bench-password-${i}` });
  const did = agent.session!.did;
  const now = Date.now();
  // Spread over the last six days: all inside the window, in the order they were written.
  const span = 6 * 24 * 60 * 60_000;
  const writes = Array.from({ length: POSTS }, (_, j) => {
    const link = `https://example.com/${i}/${j}`;
    const text = `Post ${j} of author${i}: an ordinary line about the day, with a link ${link}`;
    const byteStart = Buffer.byteLength(text) - Buffer.byteLength(link);
    return {
      $type: 'com.atproto.repo.applyWrites#create',
      collection: POST,
      value: {
        $type: POST,
        text,
        createdAt: new Date(now - span + (j / POSTS) * span).toISOString(),
        facets: [{ index: { byteStart, byteEnd: Buffer.byteLength(text) }, features: [{ $type: 'app.bsky.richtext.facet#link', uri: link }] }],
      },
    };
  });
  await agent.com.atproto.repo.applyWrites({ repo: did, writes: writes as never });
  return did;
}

async function seed(pdses: InProcessPds[], from: number, to: number, into: string[]): Promise<number> {
  const t0 = performance.now();
  let next = from;
  const worker = async () => {
    while (next < to) {
      const i = next++;
      into[i] = await createAuthor(pdses[i % pdses.length]!, SERVERS[i % SERVERS.length]!, i);
      if ((i + 1) % 100 === 0) process.stdout.write(`  seeded ${i + 1} accounts\r`);
    }
  };
  await Promise.all(Array.from({ length: SEED_CONCURRENCY }, worker));
  return (performance.now() - t0) / 1000;
}

function run(mode: 'backfill' | 'fetch', configFile: string): Promise<BackfillRunResult> {
  // Not execFileSync: the PDSes answering the run live in this process's event loop.
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [runner, mode, configFile], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.once('error', reject);
    child.once('exit', (code) => {
      const line = out.trim().split('\n').at(-1) ?? '';
      if (code !== 0 || !line.startsWith('{')) reject(new Error(`the ${mode} run failed (exit ${code}): ${out.slice(-500)}`));
      else resolve(JSON.parse(line) as BackfillRunResult);
    });
  });
}

const plc = await startPlc();
const pdses = await Promise.all(SERVERS.map((id) => startInProcessPds({ plcUrl: plc.url, handleDomain: `.${id}.test`, inviteRequired: false })));
const work = await mkdtemp(join(tmpdir(), 'hearth-bench-backfill-'));
try {
  const viewerAgent = new AtpAgent({ service: pdses[0]!.url });
  await viewerAgent.createAccount({ handle: 'viewer.one.test', email: 'viewer@example.com', password: 'bench-viewer-password' });
  const viewer = { did: viewerAgent.session!.did, handle: 'viewer.one.test', pdsUrl: pdses[0]!.url };

  const dids: string[] = [];
  console.log(`seeding: measuring account creation (createAccount + one applyWrites of ${POSTS} posts) on the first ${PROBE} accounts …`);
  const probeS = await seed(pdses, 0, PROBE, dids);
  const perS = PROBE / probeS;
  const estimateS = (TARGET - PROBE) / perS;
  let count = TARGET;
  let note = '';
  if (estimateS > SEED_BUDGET_S) {
    count = Math.max(100, Math.floor((PROBE + perS * SEED_BUDGET_S) / 100) * 100);
    note = `REDUCED to ${n(count)} accounts: seeding runs at ${perS.toFixed(1)} accounts/s, so ${n(TARGET)} would take ~${n(estimateS)} s more (budget ${SEED_BUDGET_S} s, HEARTH_BENCH_BACKFILL_SEED_BUDGET_S)`;
    console.log(`  ${note}`);
  }
  const restS = await seed(pdses, PROBE, count, dids);
  const seedS = probeS + restS;
  for (let i = 0; i < dids.length; i += 200) {
    const writes = dids.slice(i, i + 200).map((subject) => ({
      $type: 'com.atproto.repo.applyWrites#create',
      collection: FOLLOW,
      value: { $type: FOLLOW, subject, createdAt: new Date().toISOString() },
    }));
    await viewerAgent.com.atproto.repo.applyWrites({ repo: viewer.did, writes: writes as never });
  }

  const config: BackfillRunConfig = { plcUrl: plc.url, pdsUrls: pdses.map((p) => p.url), viewer, windowDays: WINDOW_DAYS };
  const configFile = join(work, 'config.json');
  await writeFile(configFile, JSON.stringify(config));

  await run('fetch', configFile); // warm up the servers' caches
  const fetches: BackfillRunResult[] = [];
  const backfills: BackfillRunResult[] = [];
  for (let i = 0; i < ROUNDS; i++) {
    fetches.push(await run('fetch', configFile));
    backfills.push(await run('backfill', configFile));
  }
  const rate = (r: BackfillRunResult) => r.posts / (r.ms / 1000);
  const fetchRate = median(fetches.map(rate));
  const backfillRate = median(backfills.map(rate));
  const ratio = backfillRate / fetchRate;
  const expected = count * POSTS;
  const b = backfills.at(-1)!;
  const f = fetches.at(-1)!;
  console.log(
    `followed: ${n(count)} accounts × ${POSTS} posts = ${n(expected)} posts over three local PDSes (+ PLC), seeded in ${seedS.toFixed(0)} s (${(count / seedS).toFixed(1)} accounts/s)`,
  );
  if (note) console.log(`  ${note}`);
  console.log(`plain fetch (baseline): ${n(fetchRate)} posts/s   (median of ${ROUNDS}: ${fetches.map((r) => `${(r.ms / 1000).toFixed(2)} s`).join(', ')}; ${n(f.posts)} posts, ${n(f.requests)} requests)`);
  console.log(`backfill (runBackfill): ${n(backfillRate)} posts/s   (median of ${ROUNDS}: ${backfills.map((r) => `${(r.ms / 1000).toFixed(2)} s`).join(', ')}; ${n(b.posts)} posts stored, ${n(b.requests)} requests, ${b.unreachable} unreachable)`);
  console.log(`  ratio backfill / plain fetch  ${ratio.toFixed(2)}×   (goal ≥ ${GOAL_RATIO}×: ${ratio >= GOAL_RATIO ? 'MET' : 'MISSED'})`);
  console.log(
    `  peak memory of the backfill run: rss ${mib(Math.max(...backfills.map((r) => r.peakRss)))} sampled (${mib(b.startRss)} at its start; kernel peak ${mib(Math.max(...backfills.map((r) => r.maxRss)))}), heap used ≤ ${mib(Math.max(...backfills.map((r) => r.peakHeap)))}` +
      `; plain fetch: rss ${mib(Math.max(...fetches.map((r) => r.peakRss)))}, heap ≤ ${mib(Math.max(...fetches.map((r) => r.peakHeap)))}`,
  );
  if (b.posts !== expected || f.posts !== expected) console.log(`  NOTE: expected ${n(expected)} posts on both sides`);
  console.log(`load average during the run: ${loadavg().map((l) => l.toFixed(2)).join(', ')} on this machine's cores`);
} finally {
  await rm(work, { recursive: true, force: true });
  for (const pds of pdses) await pds.stop();
  await plc.close();
}
