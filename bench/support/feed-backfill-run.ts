/**
 * One measured run of bench/feed-backfill.ts, in a process of its own so its memory is its own
 * (the PDSes and the PLC live in the parent): `node feed-backfill-run.ts backfill|fetch CONFIG`.
 * - backfill: Hearth's runBackfill (FeedIdentity with a cold cache, RepoReader, a fresh FeedStore),
 *   as a feed refresh job runs it;
 * - fetch (baseline): the same requests with plain fetch and JSON.parse, nothing checked or stored:
 *   the follow pages, each followed DID's PLC document, then listRecords pages of posts and reposts
 *   until a page comes back empty; as many accounts at once as the backfill reads
 *   (AUTHOR_CONCURRENCY in backfill.ts) and as many requests per host (RepoReader's HostLimiter).
 * Prints one JSON line: { ms, posts, requests, startRss, peakRss, maxRss, peakHeap }.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { FOLLOW, POST, REPOST, runBackfill } from '../../src/core/feed/backfill.ts';
import { FeedIdentity } from '../../src/core/feed/identity.ts';
import { DEFAULT_PER_HOST, HostLimiter, RepoReader } from '../../src/core/feed/repo-reader.ts';
import { FeedStore } from '../../src/core/feed/store/feed-store.ts';
import type { JobContext } from '../../src/core/jobs/index.ts';

export interface BackfillRunConfig {
  plcUrl: string;
  pdsUrls: string[];
  viewer: { did: string; handle: string; pdsUrl: string };
  windowDays: number;
}

export interface BackfillRunResult {
  ms: number;
  posts: number;
  requests: number;
  startRss: number;
  peakRss: number;
  /** The kernel's peak resident set of the whole process (getrusage), bytes. */
  maxRss: number;
  peakHeap: number;
  unreachable: number;
}

/** backfill.ts reads this many accounts at once (AUTHOR_CONCURRENCY, not exported). */
const AUTHOR_CONCURRENCY = 16;

async function plainFetch(config: BackfillRunConfig): Promise<{ posts: number; requests: number }> {
  const limiter = new HostLimiter(DEFAULT_PER_HOST);
  let requests = 0;
  const get = async (url: string, limited: boolean): Promise<unknown> => {
    requests++;
    const go = async () => (await fetch(url, { headers: { accept: 'application/json' } })).json() as Promise<unknown>;
    return limited ? limiter.run(url, go) : go();
  };
  const pages = async (pdsUrl: string, repo: string, collection: string, each: (value: unknown) => void) => {
    let cursor: string | undefined;
    do {
      const params = new URLSearchParams({ repo, collection, limit: '100', ...(cursor && { cursor }) });
      const page = (await get(`${pdsUrl}/xrpc/com.atproto.repo.listRecords?${params}`, true)) as { records: { value: unknown }[]; cursor?: string };
      for (const r of page.records) each(r.value);
      cursor = page.records.length ? page.cursor : undefined;
    } while (cursor);
  };
  const follows: string[] = [];
  await pages(config.viewer.pdsUrl, config.viewer.did, FOLLOW, (v) => follows.push((v as { subject: string }).subject));
  const authors = [config.viewer.did, ...follows];
  let posts = 0;
  let next = 0;
  const worker = async () => {
    while (next < authors.length) {
      const did = authors[next++]!;
      // The backfill resolves each DID through its PLC (identity.ts); so does the baseline.
      const doc = (await get(`${config.plcUrl}/${encodeURIComponent(did)}`, false)) as { service?: { id: string; serviceEndpoint: string }[] };
      const pdsUrl = doc.service?.find((s) => s.id === '#atproto_pds')?.serviceEndpoint;
      if (!pdsUrl) throw new Error(`${did} names no PDS`);
      await pages(pdsUrl, did, POST, () => posts++);
      await pages(pdsUrl, did, REPOST, () => undefined);
    }
  };
  await Promise.all(Array.from({ length: AUTHOR_CONCURRENCY }, worker));
  return { posts, requests };
}

async function backfill(config: BackfillRunConfig): Promise<{ posts: number; requests: number; unreachable: number }> {
  const dir = mkdtempSync(join(tmpdir(), 'hearth-bench-backfill-store-'));
  const store = FeedStore.open(join(dir, 'feed.sqlite'));
  let requests = 0;
  const counting: typeof fetch = (input, init) => {
    requests++;
    return fetch(input, init);
  };
  try {
    const identity = new FeedIdentity({ plcUrls: () => [config.plcUrl], managedPdsUrls: () => config.pdsUrls }, counting);
    const reader = new RepoReader({ fetchFor: async () => counting });
    const ctx: JobContext = { id: 'bench', signal: new AbortController().signal, progress: () => undefined, log: () => undefined };
    const summary = await runBackfill({ store, account: config.viewer, identity, reader, windowDays: config.windowDays }, ctx);
    return { posts: store.feedCount(), requests, unreachable: summary.unreachable };
  } finally {
    store.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

const [mode, configFile] = process.argv.slice(2);
if ((mode !== 'backfill' && mode !== 'fetch') || !configFile) throw new Error('usage: feed-backfill-run.ts backfill|fetch CONFIG.json');
const config = JSON.parse(readFileSync(configFile, 'utf8')) as BackfillRunConfig;
const startRss = process.memoryUsage().rss;
let peakRss = startRss;
let peakHeap = process.memoryUsage().heapUsed;
const sampler = setInterval(() => {
  const m = process.memoryUsage();
  peakRss = Math.max(peakRss, m.rss);
  peakHeap = Math.max(peakHeap, m.heapUsed);
}, 10);
const t0 = performance.now();
const out = mode === 'backfill' ? await backfill(config) : { ...(await plainFetch(config)), unreachable: 0 };
const ms = performance.now() - t0;
clearInterval(sampler);
const result: BackfillRunResult = { ms, ...out, startRss, peakRss, maxRss: process.resourceUsage().maxRSS * 1024, peakHeap };
console.log(JSON.stringify(result));
