import { createElement } from 'react';
import { renderToStaticMarkup } from 'react-dom/server';
import { describe, expect, it } from 'vitest';
import type { PostView } from '../../../shared/contract/index.ts';
import { PostCard, uriDid } from './PostCard.tsx';

// The card rendered to HTML the way React writes it into the page: whatever a post holds, what
// comes out is text inside Hearth's own elements, links only to http/https, images only from an
// http/https PDS.

function post(extra: Partial<PostView> = {}): PostView {
  return {
    uri: 'at://did:plc:alice/app.bsky.feed.post/1',
    cid: 'bafy1',
    author: { did: 'did:plc:alice', handle: 'alice.test' },
    text: 'hello',
    createdAt: '2026-01-01T10:00:00.000Z',
    indexedAt: '2026-01-01T10:00:01.000Z',
    sortAt: '2026-01-01T10:00:00.000Z',
    reply: null,
    repostBy: null,
    embeds: { images: [], external: null, quote: null },
    ...extra,
  };
}
const render = (p: PostView, handles: Record<string, string> = {}) =>
  renderToStaticMarkup(createElement(PostCard, { post: p, position: 1, total: -1, handleOf: (did: string) => handles[did] ?? null }));
const link = (byteStart: number, byteEnd: number, uri: string) => ({ index: { byteStart, byteEnd }, features: [{ $type: 'app.bsky.richtext.facet#link', uri }] });
const blob = (pdsUrl: string) => ({ pdsUrl, did: 'did:plc:alice', cid: 'bafkimg', mimeType: 'image/png' });

describe('PostCard', () => {
  it('renders markup and scripts in a post as escaped text', () => {
    const html = render(post({ text: '<script>window.__pwned=1</script><img src=x onerror=alert(1)>', author: { did: 'did:plc:m', handle: '<b>mallory</b>' } }));
    expect(html).not.toContain('<script');
    expect(html).not.toContain('<img');
    expect(html).not.toContain('<b>');
    expect(html).toContain('&lt;script&gt;window.__pwned=1&lt;/script&gt;&lt;img src=x onerror=alert(1)&gt;');
    expect(html).toContain('@&lt;b&gt;mallory&lt;/b&gt;');
  });

  it('isolates bidi overrides in the handle and the text', () => {
    const html = render(post({ text: 'pay \u202Egnp.exe', author: { did: 'did:plc:x', handle: 'evil\u202E.test' } }));
    expect(html).toMatch(/<p class="post-text" dir="auto">/);
    expect(html).toContain('<bdi>@evil\u202E.test</bdi>');
    expect(html).toContain('pay \u202Egnp.exe');
  });

  it('shows a 10,000-character post whole, in a text paragraph', () => {
    const text = 'w'.repeat(10_000);
    const html = render(post({ text }));
    expect(html).toContain(text);
  });

  it('links only to http/https targets, in a new tab without opener or referrer', () => {
    const text = 'a javascript:alert(1) b https://ok.test';
    const html = render(post({ text, facets: [link(2, 21, 'javascript:alert(1)'), link(24, 39, 'https://ok.test')] }));
    expect(html).toContain('<a href="https://ok.test/" target="_blank" rel="noopener noreferrer" class="post-link">https://ok.test</a>');
    expect(html).not.toMatch(/href="\s*javascript:/i);
    expect(html).toContain('javascript:alert(1)');
  });

  it('shows the plain text when facets point outside it', () => {
    const html = render(post({ text: 'short', facets: [link(2, 9_999, 'https://x.test')] }));
    expect(html).toContain('<span>short</span>');
    expect(html).not.toContain('<a ');
    // Core says null when it found the record's facets unsound.
    expect(render(post({ text: 'short', facets: null }))).toContain('<span>short</span>');
  });

  it('names who reposted and what a reply answers', () => {
    const html = render(
      post({
        repostBy: { uri: 'at://did:plc:bob/app.bsky.feed.repost/1', actor: { did: 'did:plc:bob', handle: 'bob.test' }, at: '2026-01-01T11:00:00.000Z' },
        reply: { parentUri: 'at://did:plc:carol/app.bsky.feed.post/9', rootUri: 'at://did:plc:carol/app.bsky.feed.post/9' },
      }),
      { 'did:plc:carol': 'carol.test' },
    );
    expect(html).toContain('Reposted by <bdi>@bob.test</bdi>');
    expect(html).toContain('Reply to <bdi>@carol.test</bdi>');
    const unknownParent = render(post({ reply: { parentUri: 'at://did:plc:zed/app.bsky.feed.post/2', rootUri: 'at://did:plc:zed/app.bsky.feed.post/2' } }));
    expect(unknownParent).toContain('Reply to <bdi class="uri">at://did:plc:zed/app.bsky.feed.post/2</bdi>');
  });

  it("loads images lazily from the author's http/https PDS with their alt text, and never from elsewhere", () => {
    const html = render(
      post({
        embeds: {
          images: [
            { alt: 'a "cat" <script>', blob: blob('http://localhost:2583'), aspectRatio: { width: 4, height: 3 } },
            { alt: 'from a hostile PDS', blob: blob('javascript:alert(1)//'), aspectRatio: null },
          ],
          external: null,
          quote: null,
        },
      }),
    );
    expect(html).toContain(
      '<img src="http://localhost:2583/xrpc/com.atproto.sync.getBlob?did=did%3Aplc%3Aalice&amp;cid=bafkimg" alt="a &quot;cat&quot; &lt;script&gt;" loading="lazy"',
    );
    expect(html).toContain('aspect-ratio:4 / 3');
    expect(html.match(/<img /g)).toHaveLength(1);
    expect(html).toContain('from a hostile PDS');
    expect(html).not.toContain('javascript:');
  });

  it('shows a link card as a safe link, or as text when its target is not http/https', () => {
    const safe = render(post({ embeds: { images: [], external: { uri: 'https://news.test/a', title: 'Title <i>', description: 'Desc', thumb: null }, quote: null } }));
    expect(safe).toContain('<a class="post-card" href="https://news.test/a" target="_blank" rel="noopener noreferrer">');
    expect(safe).toContain('Title &lt;i&gt;');
    const unsafe = render(post({ embeds: { images: [], external: { uri: 'javascript:alert(1)', title: 'Click', description: '', thumb: blob('file:///x') }, quote: null } }));
    expect(unsafe).not.toContain('<a ');
    expect(unsafe).not.toContain('<img');
    expect(unsafe).toContain('<div class="post-card">');
  });

  it('shows a quoted post by reference, one level deep', () => {
    const html = render(post({ embeds: { images: [], external: null, quote: { uri: 'at://did:plc:q/app.bsky.feed.post/3', cid: 'bafyq' } } }));
    expect(html).toContain('Quotes <bdi class="uri">at://did:plc:q/app.bsky.feed.post/3</bdi>');
  });

  it('reads the DID out of an at:// URI, and nothing out of anything else', () => {
    expect(uriDid('at://did:plc:abc123/app.bsky.feed.post/1')).toBe('did:plc:abc123');
    expect(uriDid('at://did:web:example.com/app.bsky.feed.post/1')).toBe('did:web:example.com');
    expect(uriDid('at://alice.test/app.bsky.feed.post/1')).toBeNull();
    expect(uriDid('https://did:plc:abc/x')).toBeNull();
  });
});
