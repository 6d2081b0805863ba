import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { mkdir, rm } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { AtpAgent } from '@atproto/api';
import WebSocket from 'ws';
import { FOLLOW, POST, REPOST } from '../src/core/feed/backfill.ts';
import { FeedIdentity } from '../src/core/feed/identity.ts';
import { FirehoseSource } from '../src/core/feed/live/firehose-source.ts';
import { ingest } from '../src/core/feed/live/ingest.ts';
import type { LiveEvent } from '../src/core/feed/live/source.ts';
import { FollowRecord, parsePost, parseRepost } from '../src/core/feed/records.ts';
import { FeedStore } from '../src/core/feed/store/feed-store.ts';
import { startInProcessPds } from '../test/support/pds-in-process.ts';
import { startPlc } from '../test/support/plc.ts';
import { readFrames, startFirehoseReplay, writeFrames } from './support/firehose-replay.ts';

/**
 * Ingest (issue 12): events per second written to the feed store, against only parsing the same
 * recorded event stream, measured in the same run. Goals: ≥ 0.3× of parse-only, and ≥ 20,000
 * events/s on one core.
 *
 * The stream is real: a local PDS (with a local PLC) where a few accounts write posts (with
 * links, replies, images, quotes), reposts, deletes, likes and follows through
 * com.atproto.repo.applyWrites, and its com.atproto.sync.subscribeRepos frames as the PDS sent
 * them, recorded once and kept in the temp dir (HEARTH_BENCH_RESEED=1 records again). The frames
 * are served again from a worker thread (support/firehose-replay.ts) to the live code itself: a
 * FirehoseSource (decoding, lexicon check, commit signature and MST proof verification against the
 * account's key, the collection filter, records to JSON) whose handler either
 * - parses only (baseline): records.ts's parsing and validation of each event, as ingest does it,
 *   nothing stored; or
 * - ingests: live/ingest.ts into a fresh FeedStore, one transaction per event with the source's
 *   cursor, exactly as live updates do.
 * Both run on this one thread (node:sqlite is synchronous), so events/s is on one core. An
 * "event" is one record change the source hands on (a post, repost or follow created, a record
 * deleted); likes ride in the same commits and are filtered out, as live does. The signing keys
 * come from the recording (what a warm identity cache returns): no lookup is timed.
 *
 * applyWrites puts many operations in one commit (HEARTH_BENCH_INGEST_OPS per commit); a commit's
 * signature is checked once for all of them, so fewer operations per commit means more of the
 * time goes into verifying, for both measurements alike.
 */
const EVENTS = Number(process.env.HEARTH_BENCH_INGEST_EVENTS ?? 40_000);
const OPS_PER_COMMIT = Number(process.env.HEARTH_BENCH_INGEST_OPS ?? 50);
const ACCOUNTS = 8;
const ROUNDS = 3;
const GOAL_RATIO = 0.3;
const GOAL_EVENTS_PER_S = 20_000;
const dir = join(tmpdir(), `hearth-bench-feed-ingest-${EVENTS}-${OPS_PER_COMMIT}`);
const framesFile = join(dir, 'frames.bin');
const metaFile = join(dir, 'meta.json');
const TINY_PNG = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==', 'base64');

interface Recording {
  /** Record changes the live source hands on (posts, reposts, follows created; posts deleted). */
  events: number;
  counts: { posts: number; reposts: number; deletes: number; follows: number; likes: number };
  commits: number;
  frames: number;
  bytes: number;
  viewer: string;
  dids: string[];
  /** Each account's atproto signing key (did:key), as the identity resolver gives it. */
  keys: Record<string, string>;
  recordedInS: number;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const n = (x: number) => Math.round(x).toLocaleString('en');

type Write = { $type: string; collection: string; rkey?: string; value?: Record<string, unknown> };
interface Ref {
  uri: string;
  cid: string;
}

async function record(): Promise<Recording> {
  console.log(`recording a firehose of ${n(EVENTS)} events (${OPS_PER_COMMIT} operations per commit) from a local PDS …`);
  const started = performance.now();
  const plc = await startPlc();
  const pds = await startInProcessPds({ plcUrl: plc.url, handleDomain: '.ingest.test', inviteRequired: false });
  try {
    const agents: AtpAgent[] = [];
    for (let i = 0; i < ACCOUNTS; i++) {
      const agent = new AtpAgent({ service: pds.url });
      await agent.createAccount({ handle: `acct${i}.ingest.test`, email: `a${i}@example.com`, password: `bench-password-${i}` });
      agents.push(agent);
    }
    const dids = agents.map((a) => a.session!.did);
    const blobs = await Promise.all(agents.map(async (a) => (await a.uploadBlob(TINY_PNG, { encoding: 'image/png' })).data.blob));
    const counts = { posts: 0, reposts: 0, deletes: 0, follows: 0, likes: 0 };
    const all: Ref[] = [];
    const own: Ref[][] = dids.map(() => []);
    let commits = 0;
    let op = 0;
    const pick = (k: number) => all[(k * 7919) % all.length]!;

    const commitOf = (a: number): { writes: Write[]; kinds: string[] } => {
      const writes: Write[] = [];
      const kinds: string[] = [];
      if (a === 0 && counts.follows === 0) {
        // The signed-in account follows everyone else: its follow records are in the stream too.
        for (const did of dids.slice(1)) {
          writes.push({ $type: 'com.atproto.repo.applyWrites#create', collection: FOLLOW, value: { $type: FOLLOW, subject: did, createdAt: new Date().toISOString() } });
          kinds.push('follow');
        }
      }
      const deletable = [...own[a]!];
      while (writes.length < OPS_PER_COMMIT) {
        const k = op++;
        const slot = k % 20;
        const createdAt = new Date().toISOString();
        if (slot >= 14 && slot <= 16 && all.length) {
          const subject = pick(k);
          writes.push({ $type: 'com.atproto.repo.applyWrites#create', collection: REPOST, value: { $type: REPOST, subject, createdAt } });
          kinds.push('repost');
        } else if ((slot === 17 || slot === 18) && deletable.length) {
          const victim = deletable.splice((k * 31) % deletable.length, 1)[0]!;
          writes.push({ $type: 'com.atproto.repo.applyWrites#delete', collection: POST, rkey: victim.uri.split('/').pop()! });
          kinds.push(`delete ${victim.uri}`);
        } else if (slot === 19 && all.length) {
          writes.push({ $type: 'com.atproto.repo.applyWrites#create', collection: 'app.bsky.feed.like', value: { $type: 'app.bsky.feed.like', subject: pick(k), createdAt } });
          kinds.push('like');
        } else {
          const link = `https://example.com/posts/${k}`;
          const text = `${k % 3 === 0 ? 'Grüße aus dem Bänchmark ☕ ' : ''}Post ${k} by acct${a}: an ordinary line of text about the day, and a link ${link}`;
          const byteStart = Buffer.byteLength(text) - Buffer.byteLength(link);
          const value: Record<string, unknown> = {
            $type: POST,
            text,
            createdAt,
            facets: [{ index: { byteStart, byteEnd: byteStart + Buffer.byteLength(link) }, features: [{ $type: 'app.bsky.richtext.facet#link', uri: link }] }],
          };
          if (k % 5 === 0 && all.length) {
            const parent = pick(k);
            value.reply = { root: parent, parent };
          }
          if (k % 10 === 1) value.embed = { $type: 'app.bsky.embed.images', images: [{ image: blobs[a], alt: `picture ${k}`, aspectRatio: { width: 4, height: 3 } }] };
          else if (k % 15 === 2 && all.length) value.embed = { $type: 'app.bsky.embed.record', record: pick(k) };
          writes.push({ $type: 'com.atproto.repo.applyWrites#create', collection: POST, value });
          kinds.push('post');
        }
      }
      return { writes, kinds };
    };

    const counted = () => counts.posts + counts.reposts + counts.deletes + counts.follows;
    const writer = async (a: number) => {
      while (counted() < EVENTS) {
        const { writes, kinds } = commitOf(a);
        const { data } = await agents[a]!.com.atproto.repo.applyWrites({ repo: dids[a]!, writes: writes as never });
        commits++;
        const results = (data.results ?? []) as { uri?: string; cid?: string }[];
        kinds.forEach((kind, i) => {
          const result = results[i];
          if (kind === 'post') {
            counts.posts++;
            const ref = { uri: result!.uri!, cid: result!.cid! };
            all.push(ref);
            own[a]!.push(ref);
          } else if (kind.startsWith('delete ')) {
            counts.deletes++;
            const uri = kind.slice('delete '.length);
            own[a] = own[a]!.filter((r) => r.uri !== uri);
          } else if (kind === 'repost') counts.reposts++;
          else if (kind === 'follow') counts.follows++;
          else counts.likes++;
        });
        if (commits % 100 === 0) process.stdout.write(`  ${n(counted())} events in ${commits} commits\r`);
      }
    };
    await Promise.all(dids.map((_, a) => writer(a)));
    console.log(`  wrote ${n(counted())} events in ${commits} commits in ${((performance.now() - started) / 1000).toFixed(1)} s`);

    // The PDS replays its whole sequence to a subscriber from cursor 0; it is done when it goes quiet.
    const frames: Buffer[] = [];
    await new Promise<void>((resolve, reject) => {
      const ws = new WebSocket(`${pds.url.replace(/^http/, 'ws')}/xrpc/com.atproto.sync.subscribeRepos?cursor=0`);
      let quiet: NodeJS.Timeout = setTimeout(() => reject(new Error('the PDS sent no firehose frames')), 15_000);
      ws.on('message', (data: Buffer) => {
        frames.push(Buffer.from(data));
        clearTimeout(quiet);
        quiet = setTimeout(() => {
          ws.close();
          resolve();
        }, 2_000);
      });
      ws.on('error', reject);
    });
    // The keys as live updates get them (identity.ts, from the PLC).
    const identity = new FeedIdentity({ plcUrls: () => [plc.url], managedPdsUrls: () => [pds.url] });
    const keys = Object.fromEntries(await Promise.all(dids.map(async (did) => [did, await identity.signingKey(did)] as const)));
    await mkdir(dir, { recursive: true });
    writeFrames(framesFile, frames);
    const recording: Recording = {
      events: counted(),
      counts,
      commits,
      frames: frames.length,
      bytes: frames.reduce((s, f) => s + f.length, 0),
      viewer: dids[0]!,
      dids,
      keys,
      recordedInS: (performance.now() - started) / 1000,
    };
    writeFileSync(metaFile, JSON.stringify(recording));
    return recording;
  } finally {
    await pds.stop();
    await plc.close();
  }
}

/** What ingest parses of an event, without the store: the baseline's whole handler. */
function parseOnly(event: LiveEvent, cutoffMs: number, accountDid: string): number {
  if (event.kind !== 'put') return event.kind === 'delete' ? 1 : 0;
  if (event.collection === FOLLOW) return event.did === accountDid && FollowRecord.safeParse(event.record).success ? 1 : 0;
  const entry = { uri: event.uri, cid: event.cid, value: event.record };
  const parsed = event.collection === POST ? parsePost(entry) : event.collection === REPOST ? parseRepost(entry) : null;
  return parsed?.ok && Date.parse(parsed.value.createdAt) >= cutoffMs ? 1 : 0;
}

interface Pass {
  events: number;
  ms: number;
  /** CPU time of this thread (user + system) during the pass: the consumer's one core. */
  cpuMs: number;
  kept: number;
  feedRows: number | null;
  malformed: number | null;
  skipped: string[];
}

async function pass(mode: 'parse' | 'store', host: string, rec: Recording): Promise<Pass> {
  const storeDir = join(dir, 'store');
  await rm(storeDir, { recursive: true, force: true });
  await mkdir(storeDir, { recursive: true });
  const store = mode === 'store' ? FeedStore.open(join(storeDir, 'feed.sqlite')) : null;
  const wanted = new Set(rec.dids);
  // Every recorded event is in the window, however old the cached recording is.
  const cutoffMs = 0;
  const skipped: string[] = [];
  let events = 0;
  let kept = 0;
  let finish!: () => void;
  const finished = new Promise<void>((resolve) => (finish = resolve));
  let lastEventAt = performance.now();
  const source: FirehoseSource = new FirehoseSource({
    host,
    signingKey: async (did) => rec.keys[did] ?? Promise.reject(new Error(`no key recorded for ${did}`)),
    handlers: {
      wants: (did) => wanted.has(did),
      onEvent: async (event, cursor) => {
        // An account's #sync (a reset repo) is a catch-up in live updates, not an ingest.
        if (event.kind === 'resync') return;
        if (store) {
          ingest(store, event, { source: source.key, cursor, accountDid: rec.viewer, cutoffMs, now: new Date() });
          kept++;
        } else {
          kept += parseOnly(event, cutoffMs, rec.viewer);
        }
        lastEventAt = performance.now();
        if (++events === rec.events) finish();
      },
      onProgress: () => undefined,
      onGap: () => undefined,
      onState: () => undefined,
      log: (message, level) => {
        if (level === 'warn' || level === 'error') skipped.push(message);
      },
    },
  });
  const cpu0 = process.threadCpuUsage();
  const t0 = performance.now();
  source.start(null);
  const stalled = setInterval(() => {
    if (performance.now() - lastEventAt > 15_000) finish();
  }, 1_000);
  await finished;
  const ms = performance.now() - t0;
  const cpu = process.threadCpuUsage(cpu0);
  clearInterval(stalled);
  await source.stop();
  const result: Pass = { events, ms, cpuMs: (cpu.user + cpu.system) / 1000, kept, feedRows: store?.feedCount() ?? null, malformed: store?.malformedCount() ?? null, skipped };
  store?.close();
  if (events !== rec.events) throw new Error(`the ${mode} pass got ${events} of ${rec.events} events (${skipped.slice(0, 3).join('; ') || 'no message'})`);
  return result;
}

if (process.env.HEARTH_BENCH_RESEED) await rm(dir, { recursive: true, force: true });
const reused = existsSync(metaFile) && existsSync(framesFile);
const rec: Recording = reused ? (JSON.parse(readFileSync(metaFile, 'utf8')) as Recording) : await record();
const replay = await startFirehoseReplay(framesFile);
try {
  if (readFrames(framesFile).length !== rec.frames) throw new Error(`${framesFile} does not match ${metaFile}: HEARTH_BENCH_RESEED=1 records again`);
  await pass('parse', replay.url, rec); // warm up: JIT, the zod schemas, the socket path
  const parse: Pass[] = [];
  const store: Pass[] = [];
  for (let i = 0; i < ROUNDS; i++) {
    parse.push(await pass('parse', replay.url, rec));
    store.push(await pass('store', replay.url, rec));
  }
  const rate = (p: Pass) => p.events / (p.ms / 1000);
  const parseRate = median(parse.map(rate));
  const storeRate = median(store.map(rate));
  const ratio = storeRate / parseRate;
  const { counts } = rec;
  const expectedRows = counts.posts - counts.deletes + counts.reposts;
  const last = store.at(-1)!;
  console.log(
    `stream: ${n(rec.events)} events (${n(counts.posts)} posts, ${n(counts.reposts)} reposts, ${n(counts.deletes)} deletes, ${n(counts.follows)} follows; ${n(counts.likes)} likes filtered out)` +
      ` in ${n(rec.commits)} commits of ${OPS_PER_COMMIT} operations by ${rec.dids.length} accounts, ${n(rec.frames)} frames, ${(rec.bytes / 1024 / 1024).toFixed(1)} MiB`,
  );
  console.log(
    `  ${reused ? `recorded earlier, reused from ${dir} (HEARTH_BENCH_RESEED=1 records again)` : `recorded from a local PDS in ${rec.recordedInS.toFixed(1)} s, kept in ${dir}`}`,
  );
  console.log(`parse only (baseline):  ${n(parseRate)} events/s   (median of ${ROUNDS}: ${parse.map((p) => n(rate(p))).join(', ')})`);
  console.log(`parse + store (ingest): ${n(storeRate)} events/s   (median of ${ROUNDS}: ${store.map((p) => n(rate(p))).join(', ')})`);
  console.log(`  ratio ingest / parse only  ${ratio.toFixed(2)}×   (goal ≥ ${GOAL_RATIO}×: ${ratio >= GOAL_RATIO ? 'MET' : 'MISSED'})`);
  console.log(`  absolute, one core         ${n(storeRate)} events/s   (goal ≥ ${n(GOAL_EVENTS_PER_S)}: ${storeRate >= GOAL_EVENTS_PER_S ? 'MET' : 'MISSED'})`);
  const busy = (ps: Pass[]) => `${Math.round((100 * median(ps.map((p) => p.cpuMs / p.ms))))}%`;
  console.log(`  this thread's CPU during the passes: ${busy(parse)} of wall time parsing, ${busy(store)} ingesting (the replay server runs in a worker thread)`);
  console.log(`  store after a pass: ${n(last.feedRows ?? 0)} feed rows (expected ${n(expectedRows)}: posts − deletes + reposts), ${last.malformed} malformed; ${last.skipped.length} message(s) skipped by the source`);
  console.log(`load average during the run: ${loadavg().map((l) => l.toFixed(2)).join(', ')} on this machine's cores`);
} finally {
  await replay.stop();
  await rm(join(dir, 'store'), { recursive: true, force: true });
}
