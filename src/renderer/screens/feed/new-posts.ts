import type { PostView } from '../../../shared/contract/index.ts';

/** A post and a repost of it share a URI: a row is the repost record's URI when it is one. */
export const postKey = (post: PostView): string => post.repostBy?.uri ?? post.uri;

/** Newest first, as the feed is ordered: by sortAt, then key, so equal times keep one order. */
function newerFirst(a: PostView, b: PostView): number {
  if (a.sortAt !== b.sortAt) return a.sortAt < b.sortAt ? 1 : -1;
  const ka = postKey(a);
  const kb = postKey(b);
  return ka < kb ? 1 : ka > kb ? -1 : 0;
}

/**
 * The rows of a freshly read first page that the reader has not seen: they wait behind the
 * "N new posts" pill instead of being put into the list, so the list under the reader never moves.
 * Rows that sort below the last loaded row while older pages remain are left for those pages (the
 * cursor brings them in order), so nothing is shown twice.
 */
export function unseenPosts(shown: readonly PostView[], fresh: readonly PostView[], moreBelow: boolean): PostView[] {
  const seen = new Set(shown.map(postKey));
  const last = shown.at(-1);
  const out: PostView[] = [];
  const keys = new Set<string>();
  for (const post of fresh) {
    const key = postKey(post);
    if (seen.has(key) || keys.has(key)) continue;
    if (moreBelow && last && newerFirst(post, last) > 0) continue;
    keys.add(key);
    out.push(post);
  }
  return out;
}

/** The list once the reader asked to see the waiting rows: one row per key, newest first. */
export function mergeNewPosts(shown: readonly PostView[], waiting: readonly PostView[]): PostView[] {
  const byKey = new Map<string, PostView>();
  for (const post of shown) byKey.set(postKey(post), post);
  for (const post of waiting) if (!byKey.has(postKey(post))) byKey.set(postKey(post), post);
  return [...byKey.values()].sort(newerFirst);
}

/** An older page appended below: rows already shown (a post that moved while paging) are not repeated. */
export function appendPage(shown: readonly PostView[], page: readonly PostView[]): PostView[] {
  const seen = new Set(shown.map(postKey));
  const out = [...shown];
  for (const post of page) {
    const key = postKey(post);
    if (seen.has(key)) continue;
    seen.add(key);
    out.push(post);
  }
  return out;
}

export function newPostsLabel(count: number): string {
  return count === 1 ? '1 new post' : `${count} new posts`;
}
