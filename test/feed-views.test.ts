/**
 * The Profile and Thread views against a real PLC and three real PDSes (test/support/feed-world.ts),
 * through Hearth's contract, with no AppView anywhere: what Hearth shows is compared with what each
 * author's PDS lists itself. Run inside scripts/with-keyring.sh.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PostView } from '../src/shared/contract/index.ts';
import { listAll, startFeedWorld, TINY_PNG, type FeedWorld, type WorldAccount } from './support/feed-world.ts';

let world: FeedWorld;
let alice: WorldAccount, bob: WorldAccount, carol: WorldAccount, dave: WorldAccount, erin: WorldAccount, frank: WorldAccount, gina: WorldAccount;
type Ref = { uri: string; cid: string };
type Named = 'carolOld' | 'erinOld' | 'bobRepostCarol' | 'bobRepostErin' | 'root' | 'r1' | 'r2' | 'r3' | 'bobToR3' | 'frankToBob' | 'frankToR3' | 'ginaToR3' | 'dRoot' | 'dMiddle' | 'dLeaf';
const p = {} as Record<Named, Ref> & Record<`bob${number}`, Ref>;
const ref = (r: Ref) => ({ uri: r.uri, cid: r.cid });
const reply = (root: Ref, parent: Ref) => ({ root: ref(root), parent: ref(parent) });
const hostileName = '<img src=x onerror="window.__pwned=1">\u202Eevil\u202C';
const hostileDescription = '<script>window.__pwned=2</script> <b>not bold</b> javascript:alert(1)';
let avatarCid = '';

beforeAll(async () => {
  world = await startFeedWorld();
  [alice, bob] = await Promise.all([world.account('one', 'alice'), world.account('one', 'bob')]);
  [carol, dave] = await Promise.all([world.account('two', 'carol'), world.account('two', 'dave')]);
  [erin, frank, gina] = await Promise.all([world.account('three', 'erin'), world.account('three', 'frank'), world.account('three', 'gina')]);
  // alice follows bob (one), carol and dave (two) and frank (three); erin and gina nobody.
  for (const who of [bob, carol, dave, frank]) await alice.agent.follow(who.did);
  for (const who of [alice, carol, erin]) await bob.agent.follow(who.did);

  // bob's profile: hostile text, an avatar; his posts and reposts interleaved.
  const { data: avatar } = await bob.agent.uploadBlob(TINY_PNG, { encoding: 'image/png' });
  avatarCid = avatar.blob.ref.toString();
  await bob.agent.com.atproto.repo.putRecord({
    repo: bob.did,
    collection: 'app.bsky.actor.profile',
    rkey: 'self',
    record: { $type: 'app.bsky.actor.profile', displayName: hostileName, description: hostileDescription, avatar: avatar.blob },
  });
  p.carolOld = await carol.agent.post({ text: 'carol: something bob reposts' });
  p.erinOld = await erin.agent.post({ text: 'erin: bob reposts this too' });
  for (let i = 0; i < 7; i++) {
    p[`bob${i}`] = await bob.agent.post({ text: `bob: post ${i}` });
    if (i === 1) p.bobRepostCarol = await bob.agent.repost(p.carolOld.uri, p.carolOld.cid);
    if (i === 4) p.bobRepostErin = await bob.agent.repost(p.erinOld.uri, p.erinOld.cid);
  }

  // A thread three levels deep across two PDSes: carol (two) → bob (one) → carol (two) → dave (two).
  p.root = await carol.agent.post({ text: 'thread: the root, by carol' });
  p.r1 = await bob.agent.post({ text: 'thread: bob replies', reply: reply(p.root, p.root) });
  p.r2 = await carol.agent.post({ text: 'thread: carol answers bob', reply: reply(p.root, p.r1) });
  p.r3 = await dave.agent.post({ text: 'thread: dave, three levels down', reply: reply(p.root, p.r2) });
  // Replies to dave's post: by followed accounts (bob on one, frank on three, frank again deeper) and by gina, whom nobody follows.
  p.bobToR3 = await bob.agent.post({ text: 'thread: bob replies to dave', reply: reply(p.root, p.r3) });
  p.frankToBob = await frank.agent.post({ text: 'thread: frank replies to bob', reply: reply(p.root, p.bobToR3) });
  p.frankToR3 = await frank.agent.post({ text: 'thread: frank replies to dave', reply: reply(p.root, p.r3) });
  p.ginaToR3 = await gina.agent.post({ text: 'thread: gina, followed by nobody', reply: reply(p.root, p.r3) });

  // A thread whose middle post gets deleted.
  p.dRoot = await carol.agent.post({ text: 'doomed thread: root' });
  p.dMiddle = await bob.agent.post({ text: 'doomed thread: this reply will be deleted', reply: reply(p.dRoot, p.dRoot) });
  p.dLeaf = await dave.agent.post({ text: 'doomed thread: reply to the deleted one', reply: reply(p.dRoot, p.dMiddle) });
  await bob.agent.deletePost(p.dMiddle.uri);

  await world.call('feed.signIn', { identifier: alice.handle, password: alice.password });
}, 180_000);

afterAll(async () => {
  await world?.stop();
});

async function wholeAuthorFeed(actor: string, limit: number): Promise<{ posts: PostView[]; pages: number }> {
  const out: PostView[] = [];
  let cursor: string | undefined;
  for (let pages = 1; ; pages++) {
    const page = await world.call('feed.profile', { did: alice.did, actor, limit, ...(cursor ? { cursor } : {}) });
    if (cursor) expect(page.profile).toBeNull();
    out.push(...page.posts);
    if (!page.cursor) return { posts: out, pages };
    cursor = page.cursor;
  }
}

const rkeyOf = (uri: string) => uri.split('/').at(-1)!;
const key = (v: PostView) => v.repostBy?.uri ?? v.uri;

describe('Profile, read from the account’s own PDS', () => {
  it('shows the header and counts that equal what the repo lists', async () => {
    const { profile } = await world.call('feed.profile', { did: alice.did, actor: bob.handle, limit: 5 });
    const posts = await listAll(bob.agent, bob.did, 'app.bsky.feed.post');
    const follows = await listAll(bob.agent, bob.did, 'app.bsky.graph.follow');
    expect(profile).toMatchObject({
      did: bob.did,
      handle: bob.handle,
      counts: { posts: posts.length, follows: follows.length, complete: true },
      followers: null,
      viewerFollows: true,
      isViewer: false,
    });
    expect(profile!.counts.posts).toBe(9); // 7 posts and 2 thread replies (his reply in the doomed thread is deleted)
    expect(profile!.counts.follows).toBe(3);
    expect(profile!.followersNote).toMatch(/not known without an AppView/);
    expect(profile!.avatar).toEqual({ pdsUrl: world.pds.one.url, did: bob.did, cid: avatarCid, mimeType: 'image/png' });
    expect(profile!.banner).toBeNull();
  });

  it('keeps a hostile display name and description as the exact text of the record', async () => {
    const { profile } = await world.call('feed.profile', { did: alice.did, actor: bob.did, limit: 1 });
    expect(profile!.displayName).toBe(hostileName);
    expect(profile!.description).toBe(hostileDescription);
  });

  it('pages the author feed, posts and reposts newest first, equal to listRecords', async () => {
    const records = [...(await listAll(bob.agent, bob.did, 'app.bsky.feed.post')), ...(await listAll(bob.agent, bob.did, 'app.bsky.feed.repost'))];
    const truth = records.map((r) => r.uri).sort((a, b) => rkeyOf(b).localeCompare(rkeyOf(a)));
    // Small pages, so the merge of the two listings crosses page edges many times.
    const { posts, pages } = await wholeAuthorFeed(bob.handle, 3);
    expect(pages).toBeGreaterThanOrEqual(4);
    expect(posts.map(key)).toEqual(truth);
    const reposts = posts.filter((v) => v.repostBy);
    expect(reposts).toHaveLength(2);
    expect(reposts[0]).toMatchObject({ uri: p.erinOld.uri, text: 'erin: bob reposts this too', author: { did: erin.did, handle: erin.handle }, repostBy: { uri: p.bobRepostErin.uri, actor: { did: bob.did, handle: bob.handle } } });
    expect(reposts[1]).toMatchObject({ uri: p.carolOld.uri, author: { did: carol.did, handle: carol.handle }, repostBy: { uri: p.bobRepostCarol.uri, actor: { did: bob.did } } });
    expect(posts.find((v) => v.uri === p.r1.uri)).toMatchObject({ text: 'thread: bob replies', reply: { parentUri: p.root.uri, rootUri: p.root.uri } });
    // One page of 50 holds it all.
    expect((await wholeAuthorFeed(bob.did, 50)).posts.map(key)).toEqual(truth);
  });

  it('says whether the viewer follows, for an account on another PDS that nobody indexed', async () => {
    const { profile: g, posts } = await world.call('feed.profile', { did: alice.did, actor: gina.handle, limit: 50 });
    expect(g).toMatchObject({ handle: gina.handle, displayName: null, description: null, avatar: null, viewerFollows: false, viewerFollowUri: null, counts: { posts: 1, follows: 0 } });
    expect(posts.map((v) => v.text)).toEqual(['thread: gina, followed by nobody']);
    const { profile: self } = await world.call('feed.profile', { did: alice.did, actor: alice.did, limit: 1 });
    expect(self).toMatchObject({ isViewer: true, viewerFollows: false, counts: { posts: 0, follows: 4 } });
    const { profile: d } = await world.call('feed.profile', { did: alice.did, actor: dave.handle, limit: 1 });
    expect(d!.viewerFollowUri).toMatch(new RegExp(`^at://${alice.did}/app.bsky.graph.follow/`));
  });

  it('names an account that does not exist', async () => {
    await expect(world.call('feed.profile', { did: alice.did, actor: 'nobody.one.test', limit: 5 })).rejects.toThrow(/could not find the account @nobody\.one\.test/);
  });
});

describe('Thread, read from the authors’ repos', () => {
  it('shows every parent in order across two PDSes, the post, and the replies by followed accounts', async () => {
    const thread = await world.call('feed.thread', { did: alice.did, uri: p.r3.uri });
    expect(thread.parents.map((i) => [i.uri, i.post?.author.handle, i.missing])).toEqual([
      [p.root.uri, carol.handle, null],
      [p.r1.uri, bob.handle, null],
      [p.r2.uri, carol.handle, null],
    ]);
    expect(thread.post.post).toMatchObject({ uri: p.r3.uri, text: 'thread: dave, three levels down', author: { did: dave.did } });
    expect(thread.replies.map((r) => [r.post.uri, r.depth])).toEqual([
      [p.bobToR3.uri, 1],
      [p.frankToBob.uri, 2],
      [p.frankToR3.uri, 1],
    ]);
    // gina's reply is in no repo Hearth reads, and the view says why such replies are missing.
    expect(thread.replies.some((r) => r.post.uri === p.ginaToR3.uri)).toBe(false);
    expect(thread.repliesFrom).toMatch(/only an AppView indexes them/);

    // After a refresh the replies are in the store too: the same thread, nothing twice.
    const { jobId } = await world.call('feed.refresh', { did: alice.did });
    await expect.poll(async () => (await world.call('jobs.get', { id: jobId })).state, { timeout: 60_000 }).toBe('succeeded');
    const again = await world.call('feed.thread', { did: alice.did, uri: p.r3.uri });
    expect(again.replies.map((r) => [r.post.uri, r.depth])).toEqual(thread.replies.map((r) => [r.post.uri, r.depth]));
    expect(again.parents.map((i) => i.uri)).toEqual(thread.parents.map((i) => i.uri));
  });

  it('opens the root with its whole tree of replies', async () => {
    const thread = await world.call('feed.thread', { did: alice.did, uri: p.root.uri });
    expect(thread.parents).toEqual([]);
    expect(thread.replies.map((r) => [r.post.text, r.depth])).toEqual([
      ['thread: bob replies', 1],
      ['thread: carol answers bob', 2],
      ['thread: dave, three levels down', 3],
      ['thread: bob replies to dave', 4],
      ['thread: frank replies to bob', 5],
      ['thread: frank replies to dave', 4],
    ]);
  });

  it('names a deleted parent in its place and still shows the root', async () => {
    const thread = await world.call('feed.thread', { did: alice.did, uri: p.dLeaf.uri });
    expect(thread.parents).toHaveLength(2);
    expect(thread.parents[0]).toMatchObject({ uri: p.dRoot.uri, post: { text: 'doomed thread: root' }, missing: null });
    expect(thread.parents[1]).toMatchObject({ uri: p.dMiddle.uri, post: null });
    expect(thread.parents[1]!.missing).toMatch(/^This post was deleted or cannot be read \(the record is gone\)/);
    expect(thread.post.post?.text).toBe('doomed thread: reply to the deleted one');

    const gone = await world.call('feed.thread', { did: alice.did, uri: p.dMiddle.uri });
    expect(gone).toMatchObject({ parents: [], post: { uri: p.dMiddle.uri, post: null }, replies: [] });
    expect(gone.post.missing).toMatch(/^This post was deleted or cannot be read/);
  });

  it('refuses an address that is not a post’s', async () => {
    await expect(world.call('feed.thread', { did: alice.did, uri: 'https://example.com/post/1' })).rejects.toThrow(/not a post address/);
  });
});
