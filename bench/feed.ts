import { existsSync, statSync } from 'node:fs';
import { mkdir, rm } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { FeedStore } from '../src/core/feed/store/feed-store.ts';
import { decodeCursor, readPage } from '../src/core/feed/views.ts';
import { calls } from '../src/shared/contract/index.ts';
import type { ParsedPost } from '../src/core/feed/records.ts';

/**
 * Feed page (50 posts) from a store of 1,000,000 posts (HEARTH_BENCH_FEED_POSTS): goal p99 ≤ 5 ms,
 * for what feed.following does (keyset page from the store, post views, the contract's output
 * check), at the top and at random depths. Baseline in the same run: the bare indexed query
 * (SELECT … ORDER BY … LIMIT 50 on the feed table alone, no joins, no views). Prints the store's
 * size on disk.
 *
 * Seeding writes the posts through the store's own upsert, in transactions of 5,000, as a backfill
 * would; the seeded store is kept in the temp dir for later runs (HEARTH_BENCH_RESEED=1 starts over).
 */
const TARGET = Number(process.env.HEARTH_BENCH_FEED_POSTS ?? 1_000_000);
const AUTHORS = 1_000;
const GOAL_P99_MS = 5;
const RUNS = 2_000;
const dir = join(tmpdir(), `hearth-bench-feed-${TARGET}`);
const file = join(dir, 'feed.sqlite');

const pct = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((xs.length * p) / 100))]!;
const fmt = (ms: number) => `${ms.toFixed(3)} ms`;

async function seed(): Promise<void> {
  if (process.env.HEARTH_BENCH_RESEED) await rm(dir, { recursive: true, force: true });
  await mkdir(dir, { recursive: true });
  const store = FeedStore.open(file);
  try {
    const have = store.feedCount();
    if (have >= TARGET) return;
    console.log(`seeding ${TARGET - have} posts into ${file} …`);
    const started = performance.now();
    const now = Date.now();
    const span = 30 * 24 * 60 * 60_000;
    for (let a = 0; a < AUTHORS; a++) store.putActor(`did:plc:bench${String(a).padStart(20, '0')}`, `author${a}.bench.test`, 'https://pds.bench.test');
    const BATCH = 5_000;
    for (let i = have; i < TARGET; i += BATCH) {
      store.transaction(() => {
        for (let j = i; j < Math.min(TARGET, i + BATCH); j++) {
          const did = `did:plc:bench${String(j % AUTHORS).padStart(20, '0')}`;
          const createdAt = new Date(now - Math.floor(((j * 7919) % TARGET) / TARGET * span)).toISOString();
          const link = `https://example.com/${j}`;
          const text = `Post number ${j}: a line of ordinary length about nothing in particular, with a link ${link}`;
          const post: ParsedPost = {
            kind: 'post',
            uri: `at://${did}/app.bsky.feed.post/${j.toString(36).padStart(13, '2')}`,
            cid: `bafyrei${j.toString(36).padStart(52, 'a')}`,
            authorDid: did,
            text,
            facets: [{ index: { byteStart: text.length - link.length, byteEnd: text.length }, features: [{ $type: 'app.bsky.richtext.facet#link', uri: link }] }],
            createdAt,
            reply: j % 5 === 0 ? { parentUri: `at://${did}/app.bsky.feed.post/parent${j}`, rootUri: `at://${did}/app.bsky.feed.post/root${j}` } : null,
            embeds: { images: j % 10 === 0 ? [{ alt: 'a picture', cid: `bafkrei${j}`, mimeType: 'image/jpeg', aspectRatio: { width: 4, height: 3 } }] : [], external: null, quote: null },
          };
          store.putPost(post, new Date(now), true);
        }
      });
      if ((i / BATCH) % 20 === 0) process.stdout.write(`  ${i + BATCH}\r`);
    }
    console.log(`seeded in ${((performance.now() - started) / 1000).toFixed(1)} s (${Math.round((TARGET - have) / ((performance.now() - started) / 1000))} posts/s)`);
    store.checkpoint();
  } finally {
    store.close();
  }
}

await seed();
const store = FeedStore.open(file);
const { DatabaseSync } = await import('node:sqlite');
const raw = new DatabaseSync(file, { readOnly: true });
const bare = raw.prepare('SELECT uri, sort_at FROM feed WHERE (sort_at, uri) < (?, ?) ORDER BY sort_at DESC, uri DESC LIMIT 50');
const output = calls['feed.following'].output;

// Cursors at random depths: walk the feed once in pages of 50 and keep every 100th position.
const cursors: (string | undefined)[] = [undefined];
const positions: { sortAt: number; uri: string }[] = [];
{
  let cursor: string | undefined;
  let page = 0;
  for (;;) {
    const next = readPage(store, 50, cursor);
    if (!next.cursor) break;
    cursor = next.cursor;
    if (page++ % 100 === 0) {
      cursors.push(cursor);
      positions.push(decodeCursor(cursor));
    }
  }
}

const timePages = (fn: (i: number) => void): number[] => {
  for (let i = 0; i < 100; i++) fn(i); // warm up
  const times: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const t = performance.now();
    fn(i);
    times.push(performance.now() - t);
  }
  return times;
};

const full = timePages((i) => {
  const cursor = cursors[(i * 7919) % cursors.length];
  output.parse(readPage(store, 50, cursor));
});
const top = timePages(() => output.parse(readPage(store, 50)));
const baseline = timePages((i) => {
  const p = positions[(i * 7919) % positions.length]!;
  bare.all(p.sortAt, p.uri);
});

const bytes = ['', '-wal', '-shm'].map((s) => (existsSync(file + s) ? statSync(file + s).size : 0)).reduce((a, b) => a + b, 0);
console.log(`store: ${store.feedCount().toLocaleString('en')} posts, ${(bytes / 1024 / 1024).toFixed(1)} MiB on disk (${file})`);
console.log(`feed page (50), random depth: p50 ${fmt(pct(full, 50))}, p99 ${fmt(pct(full, 99))} (goal p99 ≤ ${GOAL_P99_MS} ms) ${pct(full, 99) <= GOAL_P99_MS ? 'MET' : 'MISSED'}`);
console.log(`feed page (50), top:          p50 ${fmt(pct(top, 50))}, p99 ${fmt(pct(top, 99))}`);
console.log(`baseline, bare indexed query: p50 ${fmt(pct(baseline, 50))}, p99 ${fmt(pct(baseline, 99))} → full page costs ${(pct(full, 50) / pct(baseline, 50)).toFixed(1)}× the bare query (median)`);
// Timings on a busy machine have multi-millisecond outliers (a descheduled process): say how busy it was.
console.log(`load average during the run: ${loadavg().map((l) => l.toFixed(2)).join(', ')} on this machine's cores`);
raw.close();
store.close();
