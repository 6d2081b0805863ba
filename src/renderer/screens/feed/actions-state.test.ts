import { describe, expect, it } from 'vitest';
import type { PostView } from '../../../shared/contract/index.ts';
import { begin, beginPost, emptyOptimistic, fail, hide, isOn, isPending, placeholderPost, postFailed, postSucceeded, succeed, unhide, withViewer } from './actions-state.ts';

const post = 'at://did:plc:bob/app.bsky.feed.post/1';
const other = 'at://did:plc:bob/app.bsky.feed.post/2';

describe('optimistic feed actions', () => {
  it('shows a like at once, keeps it when core confirms, and takes it back when the write fails', () => {
    let s = emptyOptimistic();
    const like = { kind: 'like' as const, key: post, on: true };
    s = begin(s, like);
    expect(isOn(s, 'like', post)).toBe(true);
    expect(isPending(s, 'like', post)).toBe(true);
    const failed = fail(s, like);
    expect(isOn(failed, 'like', post)).toBe(false);
    expect(isPending(failed, 'like', post)).toBe(false);
    s = succeed(s, like, 'at://did:plc:me/app.bsky.feed.like/x');
    expect(isOn(s, 'like', post)).toBe(true);
    expect(s.viewer.likes).toEqual({ [post]: 'at://did:plc:me/app.bsky.feed.like/x' });
    // Unlike that fails: the like is back.
    const unlike = { kind: 'like' as const, key: post, on: false };
    const out = begin(s, unlike);
    expect(isOn(out, 'like', post)).toBe(false);
    expect(isOn(fail(out, unlike), 'like', post)).toBe(true);
    expect(isOn(succeed(out, unlike, null), 'like', post)).toBe(false);
  });

  it('follows and unfollows by DID; a repost toggles on its own', () => {
    let s = emptyOptimistic();
    s = succeed(begin(s, { kind: 'follow', key: 'did:plc:bob', on: true }), { kind: 'follow', key: 'did:plc:bob', on: true }, 'at://f');
    expect(isOn(s, 'follow', 'did:plc:bob')).toBe(true);
    s = succeed(s, { kind: 'repost', key: post, on: true }, 'at://r');
    expect(isOn(s, 'repost', post)).toBe(true);
    expect(isOn(s, 'follow', 'did:plc:bob')).toBe(true);
    s = succeed(s, { kind: 'follow', key: 'did:plc:bob', on: false }, null);
    expect(s.viewer.following).toEqual([]);
  });

  it('a fresh answer from core replaces what it was asked about and keeps the rest; changes still out stay on top', () => {
    let s = withViewer(emptyOptimistic(), { likes: { [post]: 'l1', [other]: 'l2' }, reposts: {}, following: ['did:plc:a'] }, [post, other]);
    s = begin(s, { kind: 'like', key: other, on: false });
    s = withViewer(s, { likes: {}, reposts: {}, following: ['did:plc:b'] }, [post]);
    expect(s.viewer).toEqual({ likes: { [other]: 'l2' }, reposts: {}, following: ['did:plc:b'] });
    expect(isOn(s, 'like', post)).toBe(false);
    expect(isOn(s, 'like', other)).toBe(false);
  });

  it('shows a new post at once as a placeholder, then as written, or not at all if the write fails', () => {
    const placeholder = placeholderPost('1', { did: 'did:plc:me', handle: 'me.test' }, 'hello', new Date('2026-01-01T00:00:00Z'));
    let s = beginPost(emptyOptimistic(), placeholder);
    expect(s.posted.map((p) => p.text)).toEqual(['hello']);
    expect(postFailed(s, placeholder.uri).posted).toEqual([]);
    const written = { ...placeholder, uri: 'at://did:plc:me/app.bsky.feed.post/3', cid: 'bafy' } as PostView;
    s = postSucceeded(s, placeholder.uri, written);
    expect(s.posted).toEqual([written]);
  });

  it('hides a post being deleted and brings it back if the delete fails', () => {
    const s = hide(emptyOptimistic(), post);
    expect(s.hidden).toEqual([post]);
    expect(unhide(s, post).hidden).toEqual([]);
  });
});
