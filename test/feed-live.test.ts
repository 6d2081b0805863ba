/**
 * Live updates of the feed (issue 12 item 4; "Live" and "No gaps"): Hearth subscribes to each
 * PDS's own firehose (real @atproto/pds in-process, real PLC; test/support/feed-world.ts) and
 * what the feed shows is compared with what each author's PDS lists. Server three keeps only 3 s
 * of firehose history (repoBackfillLimitMs), so a cursor older than that is refused with #info
 * OutdatedCursor, as a real PDS does after its (default one day) window. Server two stands for
 * a large host: Hearth reads its accounts through Jetstream, which cannot be reached from here,
 * so a stand-in re-frames server two's real firehose as Jetstream JSON
 * (test/support/jetstream-standin.ts). Run inside scripts/with-keyring.sh.
 */
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PostView } from '../src/shared/contract/index.ts';
import { listAll, startFeedWorld, type FeedWorld, type WorldAccount } from './support/feed-world.ts';
import { startJetstreamStandin, type JetstreamStandin } from './support/jetstream-standin.ts';

const DAY = 24 * 60 * 60_000;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
let world: FeedWorld;
let alice: WorldAccount, bob: WorldAccount, carol: WorldAccount, dave: WorldAccount, erin: WorldAccount, frank: WorldAccount, gina: WorldAccount, hank: WorldAccount;
let standin: JetstreamStandin;
let hankOld: { uri: string; cid: string };
let keep: { uri: string; cid: string };
let erinDoomed: { uri: string; cid: string };
let ginaOld: { uri: string; cid: string };
let ginaAncient: { uri: string; cid: string };
const deleted = new Set<string>();
let malformedUri = '';

async function waitFor<T>(what: string, probe: () => Promise<T>, ok: (value: T) => boolean, timeoutMs = 20_000): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (ok(value)) return value;
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}: ${JSON.stringify(value).slice(0, 2000)}`);
    await sleep(150);
  }
}

async function wholeFeed(): Promise<PostView[]> {
  const out: PostView[] = [];
  let cursor: string | undefined;
  for (;;) {
    const page = await world.call('feed.following', { did: alice.did, limit: 50, ...(cursor ? { cursor } : {}) });
    out.push(...page.posts);
    if (!page.cursor) return out;
    cursor = page.cursor;
  }
}

const key = (p: PostView) => p.repostBy?.uri ?? p.uri;
const actorOf = (p: PostView) => p.repostBy?.actor.did ?? p.author.did;

/** The truth: each author's posts and reposts within the window, as its own PDS lists them. */
async function truth(authors: WorldAccount[]): Promise<string[]> {
  const cutoff = Date.now() - 7 * DAY;
  const out: string[] = [];
  for (const who of authors) {
    const records = [...(await listAll(who.agent, who.did, 'app.bsky.feed.post')), ...(await listAll(who.agent, who.did, 'app.bsky.feed.repost'))];
    out.push(...records.filter((r) => typeof r.value.createdAt === 'string' && Date.parse(r.value.createdAt) >= cutoff && r.uri !== malformedUri).map((r) => r.uri));
  }
  return out.sort();
}

/** Waits until the feed holds exactly the truth of these authors: every record once, nothing deleted. */
async function expectFeedIsTruth(authors: WorldAccount[], timeoutMs = 30_000): Promise<PostView[]> {
  const dids = new Set(authors.map((a) => a.did));
  let expected: string[] = [];
  const feed = await waitFor(
    'the feed to equal what the PDSes list',
    async () => {
      expected = await truth(authors);
      return wholeFeed();
    },
    (f) => JSON.stringify(f.filter((p) => dids.has(actorOf(p))).map(key).sort()) === JSON.stringify(expected),
    timeoutMs,
  );
  expect(feed.filter((p) => dids.has(actorOf(p))).map(key).sort()).toEqual(expected);
  expect(new Set(feed.map(key)).size).toBe(feed.length);
  for (const uri of deleted) expect(feed.map((p) => p.uri)).not.toContain(uri);
  return feed;
}

/** Posts, deletes and reposts on all three hosts for a while, as people keep writing. */
async function churn(tag: string, rounds: number, pauseMs = 150): Promise<void> {
  const mine = new Map<string, { uri: string }[]>();
  for (let round = 0; round < rounds; round++) {
    await Promise.all(
      [bob, carol, erin, frank].map(async (who) => {
        const post = await who.agent.post({ text: `${who.name}: ${tag} ${round}` });
        const list = mine.get(who.name) ?? [];
        list.push(post);
        mine.set(who.name, list);
        if (round % 2 === 1) {
          const doomed = list.shift()!;
          await who.agent.deletePost(doomed.uri);
          deleted.add(doomed.uri);
        }
      }),
    );
    if (round % 3 === 0) await dave.agent.repost(keep.uri, keep.cid);
    await sleep(pauseMs);
  }
}

async function jobsSince(since: number) {
  return (await world.call('jobs.list', {})).filter((j) => Date.parse(j.startedAt) >= since);
}

const followed = () => [alice, bob, carol, dave, erin, frank];

beforeAll(async () => {
  // Set once the stand-in runs (it needs server two's address); read when an account goes live.
  const jetstream = { url: 'ws://127.0.0.1:1', hosts: (origin: string) => origin === new URL(world.pds.two.url).origin };
  world = await startFeedWorld({ feedRetryBaseMs: 300, feedLive: { maxReconnectSeconds: 1, jetstream }, repoBackfillLimitMs: { three: 3000 } });
  standin = await startJetstreamStandin({ pdsUrls: [world.pds.two.url], plcUrl: world.plcUrl });
  jetstream.url = standin.url;
  [alice, bob] = await Promise.all([world.account('one', 'alice'), world.account('one', 'bob')]);
  [carol, dave, hank] = await Promise.all([world.account('two', 'carol'), world.account('two', 'dave'), world.account('two', 'hank')]);
  [erin, frank, gina] = await Promise.all([world.account('three', 'erin'), world.account('three', 'frank'), world.account('three', 'gina')]);
  for (const who of [bob, carol, dave, erin, frank]) await alice.agent.follow(who.did);
  await bob.agent.post({ text: 'bob: before Hearth' });
  keep = await carol.agent.post({ text: 'carol: a post that stays' });
  erinDoomed = await erin.agent.post({ text: 'erin: deleted while Hearth is away' });
  ginaOld = await gina.agent.post({ text: 'gina: two days ago', createdAt: new Date(Date.now() - 2 * DAY).toISOString() });
  hankOld = await hank.agent.post({ text: 'hank: three days ago', createdAt: new Date(Date.now() - 3 * DAY).toISOString() });
  ginaAncient = await gina.agent.post({ text: 'gina: ten days ago, outside the window', createdAt: new Date(Date.now() - 10 * DAY).toISOString() });

  await world.call('feed.signIn', { identifier: alice.handle, password: alice.password });
  const { jobId } = await world.call('feed.refresh', { did: alice.did });
  await waitFor('the first backfill', () => world.call('jobs.get', { id: jobId }), (j) => j.state !== 'running');
  // Live after the first backfill: every account's host subscription connected and caught up.
  await waitFor('all six accounts live', () => world.call('feed.status', { did: alice.did }), (s) => s.live?.live === 6);
}, 120_000);

afterAll(async () => {
  await world?.stop();
  await standin?.stop();
});

describe('live feed from three PDS firehoses', () => {
  it('shows a post written on any of the three PDSes within 5 s', async () => {
    for (const who of [bob, carol, erin, alice]) {
      const started = Date.now();
      const post = await who.agent.post({ text: `${who.name}: live now` });
      await waitFor(`${who.name}'s post in the feed`, () => world.call('feed.following', { did: alice.did, limit: 10 }), (page) => page.posts.some((p) => p.uri === post.uri), 5_000);
      expect(Date.now() - started).toBeLessThan(5_000);
    }
    // A repost arrives with who reposted it, and a delete takes the post away.
    const repost = await dave.agent.repost(keep.uri, keep.cid);
    const shown = await waitFor('dave’s repost', () => wholeFeed(), (f) => f.some((p) => p.repostBy?.uri === repost.uri), 5_000);
    expect(shown.find((p) => p.repostBy?.uri === repost.uri)).toMatchObject({ uri: keep.uri, author: { did: carol.did }, repostBy: { actor: { did: dave.did, handle: dave.handle } } });
    const doomed = await bob.agent.post({ text: 'bob: gone in a moment' });
    await waitFor('bob’s post', () => wholeFeed(), (f) => f.some((p) => p.uri === doomed.uri), 5_000);
    await bob.agent.deletePost(doomed.uri);
    deleted.add(doomed.uri);
    await waitFor('bob’s post to go', () => wholeFeed(), (f) => !f.some((p) => p.uri === doomed.uri), 5_000);
  });

  it('skips and counts a malformed record on the firehose, and the next post still arrives', async () => {
    const before = (await world.call('feed.status', { did: alice.did })).malformedSkipped;
    const raw = await bob.agent.com.atproto.repo.createRecord({ repo: bob.did, collection: 'app.bsky.feed.post', record: { $type: 'app.bsky.feed.post', text: 42, createdAt: 'yesterday' }, validate: false });
    malformedUri = raw.data.uri;
    const next = await bob.agent.post({ text: 'bob: after the malformed one' });
    await waitFor('the post after the malformed one', () => wholeFeed(), (f) => f.some((p) => p.uri === next.uri), 5_000);
    const status = await world.call('feed.status', { did: alice.did });
    expect(status.malformedSkipped).toBe(before + 1);
    expect((await wholeFeed()).map((p) => p.uri)).not.toContain(malformedUri);
  });

  it('closes the gap after Hearth was closed while posts, deletes and reposts went on', async () => {
    const writing = churn('while Hearth restarts', 8);
    await sleep(300);
    await world.restartApp();
    await writing;
    await churn('after the restart', 2);
    await expectFeedIsTruth(followed());
    expect((await world.call('feed.status', { did: alice.did })).live).toMatchObject({ unreachable: 0 });
  });

  it('resumes from its cursor after one PDS’s firehose connection is cut while writes go on', async () => {
    const since = Date.now();
    const writing = churn('while the connection to server one drops', 8);
    let dropped = 0;
    for (let i = 0; i < 3; i++) {
      await sleep(350);
      dropped += world.pds.one.dropSubscriptions();
    }
    await writing;
    expect(dropped).toBeGreaterThan(0);
    await expectFeedIsTruth(followed());
    // Resumed from the stored cursor: nothing on server one had to be read again.
    expect((await jobsSince(since)).filter((j) => j.title.includes(world.pds.one.url))).toEqual([]);
    await waitFor('all live again', () => world.call('feed.status', { did: alice.did }), (s) => s.live?.live === 6);
  });

  it('reads the accounts again when the cursor is older than the PDS keeps (OutdatedCursor)', async () => {
    const since = Date.now();
    await world.restartApp(async () => {
      // Written while Hearth is closed, then left to age past server three's 3 s of history.
      await erin.agent.post({ text: 'erin: written while Hearth was closed' });
      await frank.agent.repost(keep.uri, keep.cid);
      await erin.agent.deletePost(erinDoomed.uri);
      deleted.add(erinDoomed.uri);
      await sleep(3_500);
    });
    await expectFeedIsTruth(followed());
    const catchUps = (await jobsSince(since)).filter((j) => j.title.includes(world.pds.three.url));
    expect(catchUps.map((j) => j.title).join('\n')).toMatch(/no longer keeps events that old/);
    expect(catchUps.every((j) => j.state === 'succeeded')).toBe(true);
  });

  it('keeps one row per record and the right order when events come twice and out of order', async () => {
    // A stale cursor (0) for server one makes its PDS send every event again.
    await world.restartApp(async () => {
      const dir = join(world.dataDir, 'feed', 'accounts', alice.did.replace(/[^a-zA-Z0-9._-]/g, '_'));
      const db = new DatabaseSync(join(dir, 'feed.sqlite'));
      try {
        const changed = db.prepare('UPDATE live_cursors SET cursor = 0 WHERE source = ?').run(`firehose:${world.pds.one.url}`);
        expect(changed.changes).toBe(1);
      } finally {
        db.close();
      }
    });
    // Written newest-dated first: the feed orders by date, not by arrival.
    const newer = await bob.agent.post({ text: 'bob: dated ten minutes ago', createdAt: new Date(Date.now() - 10 * 60_000).toISOString() });
    const older = await bob.agent.post({ text: 'bob: dated twenty minutes ago, written later', createdAt: new Date(Date.now() - 20 * 60_000).toISOString() });
    const feed = await expectFeedIsTruth(followed());
    const at = (uri: string) => feed.findIndex((p) => p.uri === uri && !p.repostBy);
    expect(at(newer.uri)).toBeGreaterThanOrEqual(0);
    expect(at(newer.uri)).toBeLessThan(at(older.uri));
    const sortAts = feed.map((p) => Date.parse(p.sortAt));
    expect([...sortAts].sort((a, b) => b - a)).toEqual(sortAts);
  });

  it('follows and unfollows by the signed-in account change the feed live, older posts included', async () => {
    const follow = await alice.agent.follow(gina.did);
    // Gina's post of two days ago is read in, the one of ten days ago (outside the window) is not.
    let feed = await waitFor('gina’s older post', () => wholeFeed(), (f) => f.some((p) => p.uri === ginaOld.uri && !p.repostBy), 15_000);
    expect(feed.map((p) => p.uri)).not.toContain(ginaAncient.uri);
    const fresh = await gina.agent.post({ text: 'gina: now that alice follows me' });
    await waitFor('gina’s new post', () => wholeFeed(), (f) => f.some((p) => p.uri === fresh.uri), 5_000);
    await expectFeedIsTruth([...followed(), gina]);
    expect(await world.call('feed.status', { did: alice.did })).toMatchObject({ accounts: 7 });

    await alice.agent.deleteFollow(follow.uri);
    feed = await waitFor('gina gone from the feed', () => wholeFeed(), (f) => !f.some((p) => p.author.did === gina.did && !p.repostBy), 10_000);
    expect(feed.map((p) => p.uri)).not.toContain(fresh.uri);
    const status = await waitFor('six accounts', () => world.call('feed.status', { did: alice.did }), (s) => s.accounts === 6 && s.live?.live === 6);
    expect(status.live).toEqual({ live: 6, catchingUp: 0, unreachable: 0 });
    // Unfollowed: her next post stays out.
    const after = await gina.agent.post({ text: 'gina: alice no longer follows me' });
    const bobNext = await bob.agent.post({ text: 'bob: still followed' });
    await waitFor('bob’s next post', () => wholeFeed(), (f) => f.some((p) => p.uri === bobNext.uri), 5_000);
    expect((await wholeFeed()).map((p) => p.uri)).not.toContain(after.uri);
  });

  it('reads the accounts of a large host through Jetstream (a stand-in), with wantedDids and options_update when follows change', async () => {
    // Server two's accounts come through Jetstream, asked for by DID: the URL names exactly them.
    const first = standin.wanted.find((w) => w.via === 'url')!;
    expect(first.dids).toEqual([carol.did, dave.did].sort());
    expect(standin.connections()).toBe(1);

    const follow = await alice.agent.follow(hank.did);
    await waitFor('an options_update naming hank', async () => standin.wanted.at(-1)!, (w) => w.via === 'options_update' && w.dids.includes(hank.did), 15_000);
    expect(standin.wanted.at(-1)!.dids).toEqual([carol.did, dave.did, hank.did].sort());
    await waitFor('hank’s older post', () => wholeFeed(), (f) => f.some((p) => p.uri === hankOld.uri), 15_000);
    const fresh = await hank.agent.post({ text: 'hank: through Jetstream' });
    await waitFor('hank’s new post', () => wholeFeed(), (f) => f.some((p) => p.uri === fresh.uri), 5_000);
    await expectFeedIsTruth([...followed(), hank]);

    await alice.agent.deleteFollow(follow.uri);
    await waitFor('an options_update without hank', async () => standin.wanted.at(-1)!, (w) => w.via === 'options_update' && !w.dids.includes(hank.did), 15_000);
    await waitFor('hank gone', () => wholeFeed(), (f) => !f.some((p) => p.author.did === hank.did), 10_000);
    // Still one connection: follows changed it in place.
    expect(standin.connections()).toBe(1);
  });

  it('counts the accounts of a PDS that went down as unreachable while the rest stays live', async () => {
    await world.stopPds('three');
    const status = await waitFor('erin and frank unreachable', () => world.call('feed.status', { did: alice.did }), (s) => s.live?.unreachable === 2, 15_000);
    expect(status.live).toEqual({ live: 4, catchingUp: 0, unreachable: 2 });
    const post = await bob.agent.post({ text: 'bob: server three is down, I am not' });
    await waitFor('bob’s post', () => wholeFeed(), (f) => f.some((p) => p.uri === post.uri), 5_000);
  });

  it('stops its subscriptions on sign-out', async () => {
    expect(standin.connections()).toBe(1);
    await world.call('feed.signOut', { did: alice.did, deleteData: false });
    await waitFor('the Jetstream connection to close', async () => standin.connections(), (n) => n === 0, 5_000);
  });
});
