import { describe, expect, it } from 'vitest';
import type { PostView } from '../../../shared/contract/index.ts';
import { appendPage, mergeNewPosts, newPostsLabel, postKey, unseenPosts } from './new-posts.ts';

function post(n: number, extra: Partial<PostView> = {}): PostView {
  const at = new Date(Date.UTC(2026, 0, 1, 0, n)).toISOString();
  return {
    uri: `at://did:plc:a/app.bsky.feed.post/${n}`,
    cid: `cid${n}`,
    author: { did: 'did:plc:a', handle: 'a.test' },
    text: `post ${n}`,
    createdAt: at,
    indexedAt: at,
    sortAt: at,
    reply: null,
    repostBy: null,
    embeds: { images: [], external: null, quote: null },
    ...extra,
  };
}
const repost = (of: PostView, n: number) =>
  ({ ...of, sortAt: post(n).sortAt, repostBy: { uri: `at://did:plc:b/app.bsky.feed.repost/${n}`, actor: { did: 'did:plc:b', handle: 'b.test' }, at: post(n).sortAt } }) satisfies PostView;
const keys = (posts: PostView[]) => posts.map(postKey);

describe('new posts behind the pill', () => {
  it('keys a repost by its own record so the post and its repost are two rows', () => {
    const original = post(1);
    expect(postKey(original)).toBe(original.uri);
    expect(postKey(repost(original, 5))).toBe('at://did:plc:b/app.bsky.feed.repost/5');
  });

  it('counts only rows the reader has not seen', () => {
    const shown = [post(5), post(4), post(3)];
    const fresh = [post(7), post(6), post(5), post(4)];
    expect(keys(unseenPosts(shown, fresh, false))).toEqual(keys([post(7), post(6)]));
    expect(unseenPosts(shown, shown, false)).toEqual([]);
  });

  it('counts a repost of a post already shown as new', () => {
    const shown = [post(5), post(4)];
    const fresh = [repost(post(4), 6), post(5), post(4)];
    expect(keys(unseenPosts(shown, fresh, false))).toEqual(['at://did:plc:b/app.bsky.feed.repost/6']);
  });

  it('leaves rows older than the loaded ones to the next page while older pages remain', () => {
    const shown = [post(9), post(8)];
    // A backfill brought in an old post; the first page (after deletes) now reaches below the list.
    const fresh = [post(10), post(9), post(8), post(2)];
    expect(keys(unseenPosts(shown, fresh, true))).toEqual(keys([post(10)]));
    expect(keys(unseenPosts(shown, fresh, false))).toEqual(keys([post(10), post(2)]));
  });

  it('never lists one row twice even when a page repeats it', () => {
    expect(keys(unseenPosts([post(1)], [post(3), post(3), post(2)], false))).toEqual(keys([post(3), post(2)]));
  });

  it('keeps the rows already shown, in place, and adds the waiting ones in time order', () => {
    const shown = [post(5), post(3), post(1)];
    const merged = mergeNewPosts(shown, [post(4), post(7), post(6), post(5)]);
    expect(keys(merged)).toEqual(keys([post(7), post(6), post(5), post(4), post(3), post(1)]));
    // The rows that were on screen keep their objects, so React keeps their DOM nodes.
    expect(merged[2]).toBe(shown[0]);
  });

  it('orders rows with the same time by key, the same way every time', () => {
    const a = post(1, { uri: 'at://x/app.bsky.feed.post/a' });
    const b = post(1, { uri: 'at://x/app.bsky.feed.post/b' });
    expect(keys(mergeNewPosts([a], [b]))).toEqual(keys(mergeNewPosts([b], [a])));
  });

  it('appends an older page without repeating rows already shown', () => {
    expect(keys(appendPage([post(5), post(4)], [post(4), post(3), post(2)]))).toEqual(keys([post(5), post(4), post(3), post(2)]));
  });

  it('says how many in words', () => {
    expect(newPostsLabel(1)).toBe('1 new post');
    expect(newPostsLabel(12)).toBe('12 new posts');
  });
});
