import { createElement } from 'react';
import { renderToStaticMarkup } from 'react-dom/server';
import { describe, expect, it } from 'vitest';
import type { PostView, ProfileHeader } from '../../../../shared/contract/index.ts';
import { PostCard } from '../PostCard.tsx';
import { FeedNavContext } from './navigation.ts';
import { ProfileHeaderCard } from './ProfileView.tsx';

// The profile header and the cards as React writes them into the page: whatever a profile record
// holds stays text, and the cards offer profile and thread only where a view can open them.

const header = (extra: Partial<ProfileHeader> = {}): ProfileHeader => ({
  did: 'did:plc:bob',
  handle: 'bob.test',
  pdsUrl: 'http://localhost:2583',
  displayName: null,
  description: null,
  avatar: null,
  banner: null,
  counts: { posts: 3, follows: 1, complete: true },
  followers: null,
  followersNote: 'Followers: not known without an AppView.',
  viewerFollows: true,
  viewerFollowUri: 'at://did:plc:alice/app.bsky.graph.follow/1',
  isViewer: false,
  ...extra,
});
const renderHeader = (h: ProfileHeader) => renderToStaticMarkup(createElement(ProfileHeaderCard, { header: h, fallbackName: '@bob.test', headingId: 'h' }));

describe('ProfileHeaderCard', () => {
  it('shows a hostile display name and description as escaped text', () => {
    const html = renderHeader(header({ displayName: '<img src=x onerror=alert(1)>\u202Eevil', description: '<script>window.__pwned=1</script> javascript:alert(1)' }));
    expect(html).not.toContain('<script');
    expect(html).not.toContain('<img src=x');
    expect(html).not.toMatch(/href=/);
    expect(html).toContain('&lt;img src=x onerror=alert(1)&gt;\u202Eevil');
    expect(html).toContain('&lt;script&gt;window.__pwned=1&lt;/script&gt; javascript:alert(1)');
  });

  it('shows the counts, the follow state and that followers are not known', () => {
    const html = renderHeader(header());
    expect(html).toContain('<dt>Posts</dt><dd>3</dd>');
    expect(html).toContain('<dt>Follows</dt><dd>1</dd>');
    expect(html).toContain('<dt>Followers</dt><dd>not known</dd>');
    expect(html).toContain('not known without an AppView');
    expect(html).toContain('You follow this account');
    expect(renderHeader(header({ isViewer: true }))).not.toContain('follow this account');
  });

  it('loads the avatar only from an http/https PDS', () => {
    const avatar = (pdsUrl: string) => ({ pdsUrl, did: 'did:plc:bob', cid: 'bafkav', mimeType: 'image/png' });
    expect(renderHeader(header({ avatar: avatar('http://localhost:2583') }))).toContain('src="http://localhost:2583/xrpc/com.atproto.sync.getBlob?did=did%3Aplc%3Abob&amp;cid=bafkav"');
    expect(renderHeader(header({ avatar: avatar('javascript:alert(1)') }))).not.toContain('<img');
  });
});

describe('PostCard in a view that opens profiles and threads', () => {
  const post: PostView = {
    uri: 'at://did:plc:bob/app.bsky.feed.post/1',
    cid: 'bafy1',
    author: { did: 'did:plc:bob', handle: 'bob.test' },
    text: 'hello',
    createdAt: '2026-01-01T10:00:00.000Z',
    indexedAt: '2026-01-01T10:00:01.000Z',
    sortAt: '2026-01-01T10:00:00.000Z',
    reply: null,
    repostBy: null,
    embeds: { images: [], external: null, quote: null },
  };
  const card = () => createElement(PostCard, { post, position: 1, total: 1, handleOf: () => null });
  it('makes the handle and the time buttons', () => {
    const nav = { openProfile: () => undefined, openThread: () => undefined };
    const html = renderToStaticMarkup(createElement(FeedNavContext.Provider, { value: nav }, card()));
    expect(html).toMatch(/<button type="button" id="[^"]+" class="post-author post-link"><bdi>@bob.test<\/bdi><\/button>/);
    expect(html).toMatch(/<button type="button" class="post-time post-link muted small" title="Open thread" aria-label="Open thread \(posted [^"]+\)">/);
  });

  it('makes the reposter a button too', () => {
    const nav = { openProfile: () => undefined, openThread: () => undefined };
    const repost = { ...post, repostBy: { uri: 'at://did:plc:carol/app.bsky.feed.repost/1', actor: { did: 'did:plc:carol', handle: 'carol.test' }, at: post.createdAt } };
    const html = renderToStaticMarkup(createElement(FeedNavContext.Provider, { value: nav }, createElement(PostCard, { post: repost, position: 1, total: 1, handleOf: () => null })));
    expect(html).toContain('Reposted by <button type="button" class="post-link"><bdi>@carol.test</bdi></button>');
  });

  it('keeps them text where nothing can be opened', () => {
    expect(renderToStaticMarkup(card())).not.toContain('<button');
  });
});
