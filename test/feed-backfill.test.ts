/**
 * The feed's backfill against a real PLC and three real PDSes (test/support/feed-world.ts), through
 * Hearth's contract: what Hearth stores is compared with what each author's PDS lists itself.
 * Run inside scripts/with-keyring.sh.
 */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { RichText } from '@atproto/api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PostView } from '../src/shared/contract/index.ts';
import { HearthError } from '../src/shared/errors.ts';
import { listAll, startFeedWorld, TINY_PNG, type FeedWorld, type WorldAccount } from './support/feed-world.ts';

const DAY = 24 * 60 * 60_000;
let world: FeedWorld;
let alice: WorldAccount, bob: WorldAccount, carol: WorldAccount, dave: WorldAccount, erin: WorldAccount, frank: WorldAccount, gina: WorldAccount;
const posts: Record<string, { uri: string; cid: string }> = {};
/** A strong ref (uri, cid) of a written record. */
const ref = (p: { uri: string; cid: string }) => ({ uri: p.uri, cid: p.cid });
let malformedUri = '';
let richFacets: unknown[] = [];
const follows: Record<string, { uri: string }> = {};

beforeAll(async () => {
  // Unreachable authors are retried after 300 ms (doubling) instead of 30 s, so a retry can be watched.
  // Live updates off: these tests are about what a backfill alone reads (test/feed-live.test.ts has the live part).
  world = await startFeedWorld({ feedRetryBaseMs: 300, feedLive: { enabled: false } });
  [alice, bob] = await Promise.all([world.account('one', 'alice'), world.account('one', 'bob')]);
  [carol, dave] = await Promise.all([world.account('two', 'carol'), world.account('two', 'dave')]);
  [erin, frank, gina] = await Promise.all([world.account('three', 'erin'), world.account('three', 'frank'), world.account('three', 'gina')]);
  // Follows across hosts; gina is followed by nobody Hearth reads.
  for (const who of [bob, carol, dave, erin, frank]) follows[who.name] = await alice.agent.follow(who.did);

  posts.alice = await alice.agent.post({ text: 'alice: hello from server one' });
  posts.bob = await bob.agent.post({ text: 'bob: a plain post <b>not bold</b>' });
  posts.bobOld = await bob.agent.post({ text: 'bob: ten days ago, outside the window', createdAt: new Date(Date.now() - 10 * DAY).toISOString() });
  posts.bobDoomed = await bob.agent.post({ text: 'bob: this one will be deleted' });
  posts.bobFuture = await bob.agent.post({ text: 'bob: my clock is two days ahead', createdAt: new Date(Date.now() + 2 * DAY).toISOString() });
  posts.carol = await carol.agent.post({ text: 'carol: on server two' });
  posts.carolReply = await carol.agent.post({ text: 'carol: replying to bob', reply: { root: ref(posts.bob), parent: ref(posts.bob) } });
  posts.gina = await gina.agent.post({ text: 'gina: nobody follows me' });
  // Rich text as a client writes it: facets with UTF-8 byte offsets, found by @atproto/api.
  const rich = new RichText({ text: `carol: süß, see https://example.com/page and #hearth, @${bob.handle}` });
  await rich.detectFacets(bob.agent); // bob's own server resolves his handle for the mention
  const facets = rich.facets ?? [];
  richFacets = facets;
  posts.carolRich = await carol.agent.post({ text: rich.text, facets });
  posts.daveRepostCarol = await dave.agent.repost(posts.carol.uri, posts.carol.cid);
  posts.daveRepostGina = await dave.agent.repost(posts.gina.uri, posts.gina.cid);
  const { data: blob } = await erin.agent.uploadBlob(TINY_PNG, { encoding: 'image/png' });
  posts.erinImage = await erin.agent.post({
    text: 'erin: a picture, and a quote of bob',
    embed: {
      $type: 'app.bsky.embed.recordWithMedia',
      record: { $type: 'app.bsky.embed.record', record: ref(posts.bob) },
      media: { $type: 'app.bsky.embed.images', images: [{ image: blob.blob, alt: 'one red pixel', aspectRatio: { width: 1, height: 1 } }] },
    },
  });
  posts.frank = await frank.agent.post({
    text: 'frank: a link',
    embed: { $type: 'app.bsky.embed.external', external: { uri: 'https://example.com/article', title: 'An article', description: 'About things' } },
  });
  // A raw record the lexicon would refuse: text is a number, the date is not a date.
  const raw = await bob.agent.com.atproto.repo.createRecord({ repo: bob.did, collection: 'app.bsky.feed.post', record: { $type: 'app.bsky.feed.post', text: 42, createdAt: 'yesterday' }, validate: false });
  malformedUri = raw.data.uri;

  await world.call('feed.signIn', { identifier: alice.handle, password: alice.password });
}, 180_000);

afterAll(async () => {
  await world?.stop();
});

async function refresh(): Promise<{ log: string[] }> {
  const { jobId } = await world.call('feed.refresh', { did: alice.did });
  for (;;) {
    const job = await world.call('jobs.get', { id: jobId });
    if (job.state !== 'running') {
      expect(job.state, job.error?.message).toBe('succeeded');
      return { log: job.log.map((l) => l.message) };
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function wholeFeed(limit = 50): Promise<PostView[]> {
  const out: PostView[] = [];
  let cursor: string | undefined;
  for (;;) {
    const page = await world.call('feed.following', { did: alice.did, limit, ...(cursor ? { cursor } : {}) });
    out.push(...page.posts);
    if (!page.cursor) return out;
    cursor = page.cursor;
  }
}

/** The feed rows (uri, cid) of the store file itself, for one actor. */
function storedRows(did: string): { uri: string; cid: string }[] {
  const dir = join(world.dataDir, 'feed', 'accounts');
  const [folder] = readdirSync(dir).filter((f) => f === alice.did.replace(/[^a-zA-Z0-9._-]/g, '_'));
  const db = new DatabaseSync(join(dir, folder!, 'feed.sqlite'), { readOnly: true });
  try {
    return db.prepare('SELECT uri, cid FROM feed WHERE actor_did = ? ORDER BY uri').all(did) as { uri: string; cid: string }[];
  } finally {
    db.close();
  }
}

/** The truth: what the author's PDS lists, posts and reposts, dated within the window. */
async function truth(who: WorldAccount, windowDays = 7): Promise<{ uri: string; cid: string }[]> {
  const cutoff = Date.now() - windowDays * DAY;
  const records = [...(await listAll(who.agent, who.did, 'app.bsky.feed.post')), ...(await listAll(who.agent, who.did, 'app.bsky.feed.repost'))];
  return records
    .filter((r) => typeof r.value.createdAt === 'string' && Date.parse(r.value.createdAt) >= cutoff && r.uri !== malformedUri)
    .map((r) => ({ uri: r.uri, cid: r.cid }))
    .sort((a, b) => a.uri.localeCompare(b.uri));
}

const key = (p: PostView) => p.repostBy?.uri ?? p.uri;

describe('feed backfill from three real PDSes', () => {
  let firstRefreshAt = 0;
  let firstRefreshEnd = 0;

  it('stores exactly what each followed account (and the signed-in one) lists within the window', async () => {
    firstRefreshAt = Date.now();
    await refresh();
    firstRefreshEnd = Date.now();
    for (const who of [alice, bob, carol, dave, erin, frank]) {
      expect(storedRows(who.did), who.name).toEqual(await truth(who));
    }
    // Not followed: only present as the post dave reposted, never as a feed row of its own.
    expect(storedRows(gina.did)).toEqual([]);
    const feed = await wholeFeed();
    expect(feed.map((p) => p.uri)).not.toContain(posts.bobOld!.uri);
    expect(feed.map((p) => p.uri)).not.toContain(malformedUri);
  });

  it('shows posts newest first with authors, replies, reposts, images, quotes and link cards as plain data', async () => {
    const feed = await wholeFeed();
    const sortAts = feed.map((p) => Date.parse(p.sortAt));
    expect([...sortAts].sort((a, b) => b - a)).toEqual(sortAts);

    const bobPost = feed.find((p) => p.uri === posts.bob!.uri && !p.repostBy)!;
    expect(bobPost).toMatchObject({ cid: posts.bob!.cid, author: { did: bob.did, handle: bob.handle }, text: 'bob: a plain post <b>not bold</b>', reply: null });

    const reply = feed.find((p) => p.uri === posts.carolReply!.uri)!;
    expect(reply.reply).toEqual({ parentUri: posts.bob!.uri, rootUri: posts.bob!.uri });

    const repostOfGina = feed.find((p) => p.repostBy?.uri === posts.daveRepostGina!.uri)!;
    expect(repostOfGina).toMatchObject({ uri: posts.gina!.uri, text: 'gina: nobody follows me', author: { did: gina.did, handle: gina.handle }, repostBy: { actor: { did: dave.did, handle: dave.handle } } });
    const repostOfCarol = feed.find((p) => p.repostBy?.uri === posts.daveRepostCarol!.uri)!;
    expect(repostOfCarol).toMatchObject({ uri: posts.carol!.uri, author: { handle: carol.handle } });
    // The original and the repost are two rows with different keys.
    expect(feed.filter((p) => p.uri === posts.carol!.uri)).toHaveLength(2);
    expect(new Set(feed.map(key)).size).toBe(feed.length);

    const image = feed.find((p) => p.uri === posts.erinImage!.uri)!;
    expect(image.embeds.quote).toEqual(ref(posts.bob!));
    expect(image.embeds.images).toHaveLength(1);
    const [picture] = image.embeds.images;
    expect(picture).toMatchObject({ alt: 'one red pixel', aspectRatio: { width: 1, height: 1 }, blob: { did: erin.did, pdsUrl: world.pds.three.url, mimeType: 'image/png' } });
    // The blob URL pieces lead to the real image bytes on the author's PDS.
    const res = await fetch(`${picture!.blob.pdsUrl}/xrpc/com.atproto.sync.getBlob?did=${picture!.blob.did}&cid=${picture!.blob.cid}`);
    expect(Buffer.from(await res.arrayBuffer())).toEqual(TINY_PNG);

    const rich = feed.find((p) => p.uri === posts.carolRich!.uri)!;
    expect(richFacets.map((f) => (f as { features: { $type: string }[] }).features[0]!.$type).sort()).toEqual(
      ['app.bsky.richtext.facet#link', 'app.bsky.richtext.facet#mention', 'app.bsky.richtext.facet#tag'],
    );
    // The same ranges and features (the facet's own optional $type is not passed on).
    expect(rich.facets).toEqual(richFacets.map((f) => ({ index: (f as { index: unknown }).index, features: (f as { features: unknown }).features })));
    expect(bobPost.facets).toEqual([]);

    const link = feed.find((p) => p.uri === posts.frank!.uri)!;
    expect(link.embeds.external).toEqual({ uri: 'https://example.com/article', title: 'An article', description: 'About things', thumb: null });
  });

  it('places a post dated in the future at the time Hearth saw it', async () => {
    const feed = await wholeFeed();
    const future = feed.find((p) => p.uri === posts.bobFuture!.uri)!;
    expect(Date.parse(future.createdAt)).toBeGreaterThan(Date.now() + DAY);
    expect(Date.parse(future.sortAt)).toBeGreaterThanOrEqual(firstRefreshAt - 1000);
    expect(Date.parse(future.sortAt)).toBeLessThanOrEqual(firstRefreshEnd + 1000);

    // A post written later goes above it: the future date does not pin it to the top.
    posts.carolLater = await carol.agent.post({ text: 'carol: written after the first refresh' });
    await refresh();
    const after = await wholeFeed();
    const top = after.slice(0, 2).map((p) => p.uri);
    expect(top).toEqual([posts.carolLater.uri, posts.bobFuture!.uri]);
  });

  it('keeps one row per record however often the same records are read', async () => {
    const before = await wholeFeed();
    const { log } = await refresh();
    expect(log.join('\n')).toMatch(/Stored 0 new or changed record\(s\), removed 0/);
    expect(await wholeFeed()).toEqual(before);
    for (const who of [alice, bob, carol, dave, erin, frank]) expect(storedRows(who.did)).toEqual(await truth(who));
  });

  it('pages with a cursor: small pages add up to the whole feed, no row twice, none missing', async () => {
    const whole = await wholeFeed(50);
    const paged = await wholeFeed(3);
    expect(paged.map(key)).toEqual(whole.map(key));
    const bad = await world.app.dispatch('feed.following', { did: alice.did, cursor: 'not-a-cursor' });
    expect(bad).toMatchObject({ ok: false, error: { code: 'VALIDATION' } });
  });

  it('drops a post deleted at its source on the next refresh', async () => {
    expect((await wholeFeed()).map((p) => p.uri)).toContain(posts.bobDoomed!.uri);
    await bob.agent.deletePost(posts.bobDoomed!.uri);
    await refresh();
    expect((await wholeFeed()).map((p) => p.uri)).not.toContain(posts.bobDoomed!.uri);
    expect(storedRows(bob.did)).toEqual(await truth(bob));
  });

  it('skips and counts a malformed record, storing everything else', async () => {
    const status = await world.call('feed.status', { did: alice.did });
    expect(status.malformedSkipped).toBe(1);
    expect(status).toMatchObject({ accounts: 6, done: 6, catchingUp: 0, unreachable: [], windowDays: 7 });
    // Bob's well-formed posts are all there.
    const feed = await wholeFeed();
    expect(feed.filter((p) => p.author.did === bob.did && !p.repostBy).map((p) => p.uri).sort()).toEqual(
      [posts.bob!.uri, posts.bobFuture!.uri].sort(),
    );
  });

  it('keeps hostile text as the very text it is: markup, bidi overrides, 10,000 characters', async () => {
    const hostile = `<script>alert(1)</script><img src=x onerror=alert(2)> \u202Egnp.exe\u202C ${'long '.repeat(1_998)}end`;
    expect(hostile.length).toBeGreaterThan(10_000);
    // Over the lexicon's 3000 graphemes: only a raw record can hold it.
    const { data } = await bob.agent.com.atproto.repo.createRecord({ repo: bob.did, collection: 'app.bsky.feed.post', record: { $type: 'app.bsky.feed.post', text: hostile, createdAt: new Date().toISOString() }, validate: false });
    await refresh();
    const post = (await wholeFeed()).find((p) => p.uri === data.uri)!;
    expect(post.text).toBe(hostile);
    expect(storedRows(bob.did)).toEqual(await truth(bob));
  });

  it('reads further back when the window is widened', async () => {
    expect((await wholeFeed()).map((p) => p.uri)).not.toContain(posts.bobOld!.uri);
    const { jobId } = await world.call('feed.refresh', { did: alice.did, windowDays: 30 });
    for (let job = await world.call('jobs.get', { id: jobId }); job.state === 'running'; job = await world.call('jobs.get', { id: jobId })) await new Promise((r) => setTimeout(r, 100));
    expect((await wholeFeed()).map((p) => p.uri)).toContain(posts.bobOld!.uri);
    expect(storedRows(bob.did)).toEqual(await truth(bob, 30));
    expect((await world.call('feed.status', { did: alice.did })).windowDays).toBe(30);
    const bad = await world.app.dispatch('feed.refresh', { did: alice.did, windowDays: 0 });
    expect(bad).toMatchObject({ ok: false, error: { code: 'VALIDATION' } });
  });

  it('shows every post on a server Hearth manages, newest first, straight from its repos', async () => {
    const all = [];
    let cursor: string | undefined;
    for (;;) {
      const page = await world.call('feed.server', { serverId: 'three', limit: 2, ...(cursor ? { cursor } : {}) });
      all.push(...page.posts);
      if (!page.cursor) break;
      cursor = page.cursor;
    }
    const expected = [];
    for (const who of [erin, frank, gina]) expected.push(...(await listAll(who.agent, who.did, 'app.bsky.feed.post')).map((r) => ({ uri: r.uri, cid: r.cid })));
    expect(all.map((p) => ({ uri: p.uri, cid: p.cid })).sort((a, b) => a.uri.localeCompare(b.uri))).toEqual(expected.sort((a, b) => a.uri.localeCompare(b.uri)));
    // gina is on the server though nobody follows her.
    expect(all.find((p) => p.uri === posts.gina!.uri)?.author.handle).toBe(gina.handle);
    const times = all.map((p) => Date.parse(p.sortAt));
    expect([...times].sort((a, b) => b - a)).toEqual(times);

    // A post deleted on the server is gone the next time the view is opened.
    const extra = await gina.agent.post({ text: 'gina: short-lived' });
    expect((await world.call('feed.server', { serverId: 'three', limit: 50 })).posts.map((p) => p.uri)).toContain(extra.uri);
    await gina.agent.deletePost(extra.uri);
    expect((await world.call('feed.server', { serverId: 'three', limit: 50 })).posts.map((p) => p.uri)).not.toContain(extra.uri);

    const unknown = await world.app.dispatch('feed.server', { serverId: 'nowhere' });
    expect(unknown).toMatchObject({ ok: false, error: { code: 'NOT_FOUND' } });
  });

  it('names an account it cannot read with the reason, and reads it on its own once it can', async () => {
    // Written before she goes away, after the last refresh: only a read of her repo once she is back shows it.
    posts.carolLeaving = await carol.agent.post({ text: 'carol: away for a while' });
    await carol.agent.com.atproto.server.deactivateAccount({});
    posts.carolWhileDeactivated = await bob.agent.post({ text: 'bob: carol is away' });
    await refresh();
    const status = await world.call('feed.status', { did: alice.did });
    expect(status.unreachable).toEqual([{ did: carol.did, handle: carol.handle, reason: 'its server does not have this account now (deactivated, moved or deleted)', retryAt: expect.any(String) }]);
    const whileAway = await wholeFeed();
    expect(whileAway[0]!.uri).toBe(posts.carolWhileDeactivated.uri);
    expect(whileAway.map((p) => p.uri)).not.toContain(posts.carolLeaving.uri);

    await carol.agent.com.atproto.server.activateAccount();
    // No refresh asked for: the retry with backoff reads carol again by itself.
    const until = Date.now() + 20_000;
    for (let s = await world.call('feed.status', { did: alice.did }); s.unreachable.length > 0 || s.catchingUp > 0; s = await world.call('feed.status', { did: alice.did })) {
      if (Date.now() > until) throw new Error('carol was not retried');
      await new Promise((r) => setTimeout(r, 100));
    }
    expect((await wholeFeed()).map((p) => p.uri)).toContain(posts.carolLeaving.uri);
    const jobs = await world.call('jobs.list', {});
    expect(jobs.some((j) => j.title === `Retry unreachable accounts in the feed of @${alice.handle}` && j.state === 'succeeded')).toBe(true);
  });

  it('names the accounts of a PDS that is down as unreachable, with the reason, and the rest of the feed works', async () => {
    const before = await wholeFeed();
    await world.stopPds('three');
    posts.carolWhileDown = await carol.agent.post({ text: 'carol: server three is down' });
    const refreshedAt = Date.now();
    await refresh();
    const status = await world.call('feed.status', { did: alice.did });
    expect(status.unreachable.map((u) => u.handle).sort()).toEqual([erin.handle, frank.handle].sort());
    for (const u of status.unreachable) {
      expect(u.reason).toMatch(/did not answer \(connection refused\)/);
      expect(Date.parse(u.retryAt!)).toBeGreaterThan(refreshedAt);
    }
    expect(status).toMatchObject({ accounts: 6, done: 4, catchingUp: 0 });
    const feed = await wholeFeed();
    expect(feed[0]!.uri).toBe(posts.carolWhileDown.uri);
    // What Hearth already had of erin and frank stays readable.
    expect(feed.map(key)).toEqual(expect.arrayContaining(before.map(key)));

    const server = await world.app.dispatch('feed.server', { serverId: 'three' });
    expect(server).toMatchObject({ ok: false, error: { code: 'NETWORK' } });
  });

  it('drops an account from the feed once it is no longer followed', async () => {
    expect((await wholeFeed()).some((p) => p.repostBy?.actor.did === dave.did)).toBe(true);
    await alice.agent.deleteFollow(follows.dave!.uri);
    await refresh();
    const feed = await wholeFeed();
    expect(feed.some((p) => p.repostBy?.actor.did === dave.did || p.author.did === dave.did)).toBe(false);
    expect(storedRows(dave.did)).toEqual([]);
    // carol's post dave had reposted is still there as carol's own.
    expect(feed.filter((p) => p.uri === posts.carol!.uri).map((p) => p.repostBy)).toEqual([null]);
    expect(await world.call('feed.status', { did: alice.did })).toMatchObject({ accounts: 5 });
  });

  it('refuses calls for an account that is not signed in', async () => {
    const err = await world.call('feed.following', { did: bob.did }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(HearthError);
    expect((err as HearthError).code).toBe('NOT_FOUND');
  });
});
