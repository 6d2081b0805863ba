/**
 * Writes as the signed-in account (issue 12 item 7) against a real PLC and three real PDSes
 * (test/support/feed-world.ts), through Hearth's contract: each action's record is checked in the
 * account's own repo (listRecords, as any client would read it) and in what the feed shows.
 * Run inside scripts/with-keyring.sh.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PostView } from '../src/shared/contract/index.ts';
import { HearthError } from '../src/shared/errors.ts';
import { listAll, startFeedWorld, TINY_PNG, type FeedWorld, type WorldAccount } from './support/feed-world.ts';

const DAY = 24 * 60 * 60_000;
let world: FeedWorld;
let alice: WorldAccount, bob: WorldAccount, carol: WorldAccount, dave: WorldAccount, zed: WorldAccount;
const ref = (p: { uri: string; cid: string }) => ({ uri: p.uri, cid: p.cid });
let bobPost: { uri: string; cid: string };
let carolReply: { uri: string; cid: string };
let daveOld: { uri: string; cid: string };
const png = TINY_PNG.toString('base64');

beforeAll(async () => {
  world = await startFeedWorld();
  [alice, bob] = await Promise.all([world.account('one', 'alice'), world.account('one', 'bob')]);
  carol = await world.account('two', 'carol');
  [dave, zed] = await Promise.all([world.account('three', 'dave'), world.account('three', 'zed')]);
  await alice.agent.follow(bob.did);
  await alice.agent.follow(carol.did);
  bobPost = await bob.agent.post({ text: 'bob: the root of a thread' });
  carolReply = await carol.agent.post({ text: 'carol: a reply to bob', reply: { root: ref(bobPost), parent: ref(bobPost) } });
  // Older than the follow, inside the window: following dave must bring it in.
  daveOld = await dave.agent.post({ text: 'dave: three days ago', createdAt: new Date(Date.now() - 3 * DAY).toISOString() });
  await world.call('feed.signIn', { identifier: alice.handle, password: alice.password });
  await world.call('feed.signIn', { identifier: zed.handle, password: zed.password });
  await waitForJob((await world.call('feed.refresh', { did: alice.did })).jobId);
}, 180_000);

afterAll(async () => {
  await world?.stop();
});

async function waitForJob(jobId: string): Promise<void> {
  for (;;) {
    const job = await world.call('jobs.get', { id: jobId });
    if (job.state !== 'running') {
      expect(job.state, job.error?.message).toBe('succeeded');
      return;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function feedOf(did = alice.did): Promise<PostView[]> {
  return (await world.call('feed.following', { did, limit: 50 })).posts;
}

const records = (who: WorldAccount, collection: string) => listAll(who.agent, who.did, collection);

async function refused(promise: Promise<unknown>): Promise<HearthError> {
  const err = await promise.then(
    () => null,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(HearthError);
  return err as HearthError;
}

describe('writing as the signed-in account', () => {
  it('posts text with a mention and a link as facets; the post is in the repo and at the top of Following', async () => {
    const text = `Hello @${bob.handle}, see https://example.com/hearth 👋🏽`;
    const { post } = await world.call('feed.post', { did: alice.did, text });
    const [stored] = (await records(alice, 'app.bsky.feed.post')).filter((r) => r.uri === post.uri);
    expect(stored).toMatchObject({ cid: post.cid, value: { text } });
    const features = (stored!.value.facets as { features: { $type: string; did?: string; uri?: string }[] }[]).flatMap((f) => f.features);
    expect(features).toEqual(
      expect.arrayContaining([
        { $type: 'app.bsky.richtext.facet#mention', did: bob.did },
        { $type: 'app.bsky.richtext.facet#link', uri: 'https://example.com/hearth' },
      ]),
    );
    const feed = await feedOf();
    expect(feed[0]).toMatchObject({ uri: post.uri, cid: post.cid, text, author: { did: alice.did, handle: alice.handle } });
    expect(feed[0]!.facets?.length).toBe(2);
  });

  it('posts an image with alt text; the blob is on the PDS and the feed shows it', async () => {
    const { post } = await world.call('feed.post', { did: alice.did, text: 'a picture', images: [{ bytes: png, mimeType: 'image/png', alt: 'one red pixel' }] });
    const [stored] = (await records(alice, 'app.bsky.feed.post')).filter((r) => r.uri === post.uri);
    const embed = stored!.value.embed as { $type: string; images: { alt: string; image: { ref: unknown }; aspectRatio: unknown }[] };
    // @atproto/api hands the blob ref back as a CID object.
    const cid = String(embed.images[0]!.image.ref);
    expect(embed.$type).toBe('app.bsky.embed.images');
    expect(embed.images[0]).toMatchObject({ alt: 'one red pixel', aspectRatio: { width: 1, height: 1 } });
    const shown = (await feedOf()).find((p) => p.uri === post.uri)!;
    expect(shown.embeds.images).toEqual([{ alt: 'one red pixel', aspectRatio: { width: 1, height: 1 }, blob: { pdsUrl: world.pds.one.url, did: alice.did, cid, mimeType: 'image/png' } }]);
    const blob = await fetch(`${world.pds.one.url}/xrpc/com.atproto.sync.getBlob?did=${alice.did}&cid=${cid}`);
    expect(Buffer.from(await blob.arrayBuffer())).toEqual(TINY_PNG);
  });

  it('replies with the thread root read from the parent record, on another server', async () => {
    const { post } = await world.call('feed.post', { did: alice.did, text: 'alice: replying to carol', reply: { parentUri: carolReply.uri } });
    const [stored] = (await records(alice, 'app.bsky.feed.post')).filter((r) => r.uri === post.uri);
    expect(stored!.value.reply).toEqual({ root: ref(bobPost), parent: ref(carolReply) });
    expect(post.reply).toEqual({ parentUri: carolReply.uri, rootUri: bobPost.uri });
    expect((await feedOf()).find((p) => p.uri === post.uri)?.reply).toEqual({ parentUri: carolReply.uri, rootUri: bobPost.uri });
  });

  it('quotes a post (embed.record), and with an image (recordWithMedia)', async () => {
    const { post: quote } = await world.call('feed.post', { did: alice.did, text: 'quoting bob', quote: { uri: bobPost.uri } });
    const { post: both } = await world.call('feed.post', { did: alice.did, text: 'quoting with a picture', quote: { uri: bobPost.uri }, images: [{ bytes: png, mimeType: 'image/png', alt: 'dot' }] });
    const mine = await records(alice, 'app.bsky.feed.post');
    expect(mine.find((r) => r.uri === quote.uri)!.value.embed).toEqual({ $type: 'app.bsky.embed.record', record: ref(bobPost) });
    expect(mine.find((r) => r.uri === both.uri)!.value.embed).toMatchObject({ $type: 'app.bsky.embed.recordWithMedia', record: { record: ref(bobPost) }, media: { $type: 'app.bsky.embed.images' } });
    const feed = await feedOf();
    expect(feed.find((p) => p.uri === quote.uri)?.embeds.quote).toEqual(ref(bobPost));
    expect(feed.find((p) => p.uri === both.uri)?.embeds).toMatchObject({ quote: ref(bobPost), images: [{ alt: 'dot' }] });
  });

  it('likes and unlikes: the like record comes and goes, and the feed remembers it as done', async () => {
    const { uri } = await world.call('feed.like', { did: alice.did, uri: bobPost.uri });
    expect((await records(alice, 'app.bsky.feed.like')).map((r) => ({ uri: r.uri, subject: r.value.subject }))).toEqual([{ uri, subject: ref(bobPost) }]);
    expect((await world.call('feed.viewer', { did: alice.did, uris: [bobPost.uri] })).likes).toEqual({ [bobPost.uri]: uri });
    await world.call('feed.unlike', { did: alice.did, uri: bobPost.uri });
    expect(await records(alice, 'app.bsky.feed.like')).toEqual([]);
    expect((await world.call('feed.viewer', { did: alice.did, uris: [bobPost.uri] })).likes).toEqual({});
  });

  it('reposts and undoes it: the repost shows in Following with who reposted, then goes', async () => {
    const { uri } = await world.call('feed.repost', { did: alice.did, uri: carolReply.uri });
    const [repost] = await records(alice, 'app.bsky.feed.repost');
    expect(repost).toMatchObject({ uri, value: { subject: ref(carolReply) } });
    const row = (await feedOf())[0]!;
    expect(row).toMatchObject({ uri: carolReply.uri, repostBy: { uri, actor: { did: alice.did, handle: alice.handle } } });
    expect((await world.call('feed.viewer', { did: alice.did, uris: [carolReply.uri] })).reposts).toEqual({ [carolReply.uri]: uri });
    await world.call('feed.unrepost', { did: alice.did, uri: carolReply.uri });
    expect(await records(alice, 'app.bsky.feed.repost')).toEqual([]);
    const feed = await feedOf();
    expect(feed.some((p) => p.repostBy?.uri === uri)).toBe(false);
    // carol's reply itself is still there (she is followed).
    expect(feed.some((p) => p.uri === carolReply.uri && !p.repostBy)).toBe(true);
    expect((await world.call('feed.viewer', { did: alice.did, uris: [carolReply.uri] })).reposts).toEqual({});
  });

  it('follows an account on another server by its handle: its older posts come into the feed; unfollow takes them out', async () => {
    expect((await feedOf()).some((p) => p.uri === daveOld.uri)).toBe(false);
    const { uri, jobId } = await world.call('feed.follow', { did: alice.did, subject: dave.handle });
    expect((await records(alice, 'app.bsky.graph.follow')).filter((r) => r.value.subject === dave.did).map((r) => r.uri)).toEqual([uri]);
    expect((await world.call('feed.viewer', { did: alice.did, uris: [] })).following).toContain(dave.did);
    expect(jobId).not.toBeNull();
    await waitForJob(jobId!);
    expect((await feedOf()).find((p) => p.uri === daveOld.uri)).toMatchObject({ cid: daveOld.cid, author: { did: dave.did, handle: dave.handle } });

    await world.call('feed.unfollow', { did: alice.did, subject: dave.did });
    expect((await records(alice, 'app.bsky.graph.follow')).some((r) => r.value.subject === dave.did)).toBe(false);
    expect((await feedOf()).some((p) => p.author.did === dave.did)).toBe(false);
    expect((await world.call('feed.viewer', { did: alice.did, uris: [] })).following).not.toContain(dave.did);
    // A later refresh agrees: dave stays out.
    await waitForJob((await world.call('feed.refresh', { did: alice.did })).jobId);
    expect((await feedOf()).some((p) => p.author.did === dave.did)).toBe(false);
  });

  it('unfollows an account followed elsewhere (the follow record is found in the repo)', async () => {
    expect((await world.call('feed.viewer', { did: alice.did, uris: [] })).following).toContain(carol.did);
    await world.call('feed.unfollow', { did: alice.did, subject: carol.did });
    expect((await records(alice, 'app.bsky.graph.follow')).some((r) => r.value.subject === carol.did)).toBe(false);
    expect((await feedOf()).some((p) => p.author.did === carol.did && !p.repostBy)).toBe(false);
  });

  it('reposts a post by someone not followed: the post is read from its author’s repo and shows under the repost', async () => {
    const { uri } = await world.call('feed.repost', { did: alice.did, uri: daveOld.uri });
    expect((await feedOf())[0]).toMatchObject({ uri: daveOld.uri, cid: daveOld.cid, text: 'dave: three days ago', author: { handle: dave.handle }, repostBy: { uri } });
    await world.call('feed.unrepost', { did: alice.did, uri: daveOld.uri });
    expect((await feedOf()).some((p) => p.uri === daveOld.uri)).toBe(false);
    expect(await records(alice, 'app.bsky.feed.repost')).toEqual([]);
  });

  it('deletes an own post from the repo and the feed; refuses, in words, to delete anyone else’s', async () => {
    const { post } = await world.call('feed.post', { did: alice.did, text: 'this one goes' });
    expect((await feedOf())[0]!.uri).toBe(post.uri);
    await world.call('feed.deletePost', { did: alice.did, uri: post.uri });
    expect((await records(alice, 'app.bsky.feed.post')).some((r) => r.uri === post.uri)).toBe(false);
    expect((await feedOf()).some((p) => p.uri === post.uri)).toBe(false);

    const err = await refused(world.call('feed.deletePost', { did: alice.did, uri: bobPost.uri }));
    expect(err.message).toBe(`Only your own posts can be deleted: that post is by @${bob.handle}, not @${alice.handle}.`);
    expect((await records(bob, 'app.bsky.feed.post')).some((r) => r.uri === bobPost.uri)).toBe(true);
    expect((await feedOf()).some((p) => p.uri === bobPost.uri)).toBe(true);
  });

  it('refuses bad input with nothing written', async () => {
    const before = (await records(alice, 'app.bsky.feed.post')).length;
    const feedBefore = await feedOf();
    const bad = [
      { did: alice.did, text: 'x'.repeat(301) },
      { did: alice.did, text: '' },
      { did: alice.did, text: 'five images', images: Array.from({ length: 5 }, () => ({ bytes: png, mimeType: 'image/png', alt: '' })) },
      { did: alice.did, text: 'long alt', images: [{ bytes: png, mimeType: 'image/png', alt: 'a'.repeat(2001) }] },
      { did: alice.did, text: 'svg', images: [{ bytes: png, mimeType: 'image/svg+xml', alt: '' }] },
      // Says PNG, is text: checked by its bytes.
      { did: alice.did, text: 'not an image', images: [{ bytes: Buffer.from('<script>alert(1)</script>').toString('base64'), mimeType: 'image/png', alt: '' }] },
      { did: alice.did, text: 'too big', images: [{ bytes: Buffer.alloc(1_000_001).toString('base64'), mimeType: 'image/png', alt: '' }] },
    ];
    for (const input of bad) {
      const err = await refused(world.call('feed.post', input as never));
      expect(err.code, input.text).toBe('VALIDATION');
    }
    // 300 graphemes of a multi-code-point emoji are 300 characters to Bluesky, not 2,100.
    const family = '👨‍👩‍👧'.repeat(300);
    expect(family.length).toBeGreaterThan(300);
    const err = await refused(world.call('feed.post', { did: alice.did, text: `${family}!` }));
    expect(err.message).toContain('at most 300 characters');
    expect(await refused(world.call('feed.like', { did: alice.did, uri: 'at://not-a-did/app.bsky.feed.post/x' }))).toMatchObject({ code: 'VALIDATION' });
    expect(await refused(world.call('feed.follow', { did: alice.did, subject: alice.did }))).toMatchObject({ message: 'An account cannot follow itself.' });
    expect((await records(alice, 'app.bsky.feed.post')).length).toBe(before);
    expect(await feedOf()).toEqual(feedBefore);
  });

  it('a like of a post that does not exist fails clearly and changes nothing', async () => {
    const ghost = `at://${bob.did}/app.bsky.feed.post/3zzzzzzzzzzzz`;
    const err = await refused(world.call('feed.like', { did: alice.did, uri: ghost }));
    expect(err).toMatchObject({ code: 'NOT_FOUND', message: 'That post does not exist (any more): its author’s server does not have it.' });
    expect(await records(alice, 'app.bsky.feed.like')).toEqual([]);
    expect((await world.call('feed.viewer', { did: alice.did, uris: [ghost] })).likes).toEqual({});
  });

  it('a write the PDS refuses after the store took it is undone in the store', async () => {
    // zed's own server refuses writes of a deactivated account; Hearth still holds a valid session.
    await waitForJob((await world.call('feed.refresh', { did: zed.did })).jobId);
    await zed.agent.com.atproto.server.deactivateAccount({});
    const feedBefore = await feedOf(zed.did);
    const likeErr = await refused(world.call('feed.like', { did: zed.did, uri: bobPost.uri }));
    expect(likeErr).toMatchObject({ code: 'AUTH', message: 'Could not like the post: @zed.three.test is deactivated on its server, which takes no writes from it.' });
    expect(likeErr.hint).toMatch(/Nothing was changed/);
    const repostErr = await refused(world.call('feed.repost', { did: zed.did, uri: bobPost.uri }));
    expect(repostErr.message).toMatch(/^Could not repost the post/);
    const postErr = await refused(world.call('feed.post', { did: zed.did, text: 'never written' }));
    expect(postErr.message).toMatch(/^Could not post/);
    const followErr = await refused(world.call('feed.follow', { did: zed.did, subject: bob.did }));
    expect(followErr.message).toMatch(/^Could not follow @bob\.one\.test/);
    expect(await feedOf(zed.did)).toEqual(feedBefore);
    expect(await world.call('feed.viewer', { did: zed.did, uris: [bobPost.uri] })).toEqual({ likes: {}, reposts: {}, following: [] });
    await zed.agent.com.atproto.server.activateAccount();
  });

  it('with the account’s PDS stopped, a write fails in words and the store stays as it was', async () => {
    const feedBefore = await feedOf(zed.did);
    await world.stopPds('three');
    const err = await refused(world.call('feed.post', { did: zed.did, text: 'into the void' }));
    expect(err).toMatchObject({ code: 'NETWORK' });
    expect(err.message).toMatch(/did not answer/);
    const likeErr = await refused(world.call('feed.like', { did: zed.did, uri: bobPost.uri }));
    expect(likeErr.code).toBe('NETWORK');
    expect(await feedOf(zed.did)).toEqual(feedBefore);
    expect((await world.call('feed.viewer', { did: zed.did, uris: [bobPost.uri] })).likes).toEqual({});
  });
});
