import { describe, expect, it } from 'vitest';
import { segmentText } from './rich-text.ts';

const bytes = (s: string) => new TextEncoder().encode(s).length;
/** A facet over the first occurrence of `part` in `text`, measured in UTF-8 bytes as clients do. */
function facetOver(text: string, part: string, feature: Record<string, unknown>) {
  const at = text.indexOf(part);
  const byteStart = bytes(text.slice(0, at));
  return { index: { byteStart, byteEnd: byteStart + bytes(part) }, features: [feature] };
}
const link = (uri: string) => ({ $type: 'app.bsky.richtext.facet#link', uri });
const joined = (segments: { text: string }[]) => segments.map((s) => s.text).join('');

describe('segmentText', () => {
  it('cuts a post into text, links, mentions and tags by UTF-8 byte offsets', () => {
    const text = 'héllo 👋 @bob.test see https://example.com/x #hearth';
    const segments = segmentText(text, [
      facetOver(text, '@bob.test', { $type: 'app.bsky.richtext.facet#mention', did: 'did:plc:bob' }),
      facetOver(text, 'https://example.com/x', link('https://example.com/x')),
      facetOver(text, '#hearth', { $type: 'app.bsky.richtext.facet#tag', tag: 'hearth' }),
    ]);
    expect(segments).toEqual([
      { kind: 'text', text: 'héllo 👋 ' },
      { kind: 'mention', text: '@bob.test', did: 'did:plc:bob' },
      { kind: 'text', text: ' see ' },
      { kind: 'link', text: 'https://example.com/x', href: 'https://example.com/x' },
      { kind: 'text', text: ' ' },
      { kind: 'tag', text: '#hearth', tag: 'hearth' },
    ]);
  });

  it('accepts facets in any order', () => {
    const text = 'a #one b #two';
    const segments = segmentText(text, [
      facetOver(text, '#two', { $type: 'app.bsky.richtext.facet#tag', tag: 'two' }),
      facetOver(text, '#one', { $type: 'app.bsky.richtext.facet#tag', tag: 'one' }),
    ]);
    expect(segments.map((s) => s.kind)).toEqual(['text', 'tag', 'text', 'tag']);
  });

  it('keeps javascript:, data: and other non-http links as plain text', () => {
    const text = 'click javascript:alert(1) or data:text/html,<script>alert(2)</script>';
    const segments = segmentText(text, [
      facetOver(text, 'javascript:alert(1)', link('javascript:alert(1)')),
      facetOver(text, 'data:text/html,<script>alert(2)</script>', link('data:text/html,<script>alert(2)</script>')),
    ]);
    expect(segments.every((s) => s.kind === 'text')).toBe(true);
    expect(joined(segments)).toBe(text);
  });

  it('shows a link whose visible text differs from its target only to http/https targets', () => {
    const text = 'totally https://bank.example';
    const segments = segmentText(text, [facetOver(text, 'https://bank.example', link(' JaVaScRiPt:alert(1)'))]);
    expect(segments).toEqual([{ kind: 'text', text: 'totally ' }, { kind: 'text', text: 'https://bank.example' }]);
  });

  it('falls back to the plain text for facets out of range, reversed, fractional, negative or overlapping', () => {
    const text = 'short 👋 text';
    const cases: unknown[] = [
      [{ index: { byteStart: 0, byteEnd: 10_000 }, features: [link('https://x.test')] }],
      [{ index: { byteStart: 5_000, byteEnd: 6_000 }, features: [link('https://x.test')] }],
      [{ index: { byteStart: 5, byteEnd: 2 }, features: [link('https://x.test')] }],
      [{ index: { byteStart: -3, byteEnd: 2 }, features: [link('https://x.test')] }],
      [{ index: { byteStart: 0.5, byteEnd: 2 }, features: [link('https://x.test')] }],
      [{ index: { byteStart: '0', byteEnd: '2' }, features: [link('https://x.test')] }],
      [{ index: { byteStart: 0, byteEnd: Number.MAX_SAFE_INTEGER + 2 }, features: [link('https://x.test')] }],
      // Inside the 4-byte emoji: slicing there would turn it into replacement characters.
      [{ index: { byteStart: 7, byteEnd: 9 }, features: [link('https://x.test')] }],
      [
        { index: { byteStart: 0, byteEnd: 5 }, features: [link('https://x.test')] },
        { index: { byteStart: 3, byteEnd: 8 }, features: [link('https://y.test')] },
      ],
      [null],
      [{ features: [link('https://x.test')] }],
      'not an array',
      { length: 1, 0: { index: { byteStart: 0, byteEnd: 1 } } },
      Array.from({ length: 5000 }, () => ({ index: { byteStart: 0, byteEnd: 1 }, features: [] })),
    ];
    for (const facets of cases) {
      expect(segmentText(text, facets), JSON.stringify(facets).slice(0, 120)).toEqual([{ kind: 'text', text }]);
    }
  });

  it('ignores unknown features and zero-length facets without dropping the good ones', () => {
    const text = 'see https://a.test now';
    const segments = segmentText(text, [
      { index: { byteStart: 0, byteEnd: 3 }, features: [{ $type: 'com.example.unknown#thing', x: 1 }] },
      { index: { byteStart: 4, byteEnd: 4 }, features: [link('https://zero.test')] },
      facetOver(text, 'https://a.test', link('https://a.test')),
    ]);
    expect(segments).toEqual([
      { kind: 'text', text: 'see ' },
      { kind: 'link', text: 'https://a.test', href: 'https://a.test/' },
      { kind: 'text', text: ' now' },
    ]);
  });

  it('hands markup and scripts back as the very characters they are', () => {
    const text = '<script>window.__pwned=1</script><img src=x onerror=alert(1)> &amp; <b>bold</b>';
    expect(segmentText(text, undefined)).toEqual([{ kind: 'text', text }]);
    const withFacet = segmentText(text, [facetOver(text, '<b>bold</b>', link('https://ok.test'))]);
    expect(joined(withFacet)).toBe(text);
  });

  it('keeps bidi override characters intact (the renderer isolates them)', () => {
    const text = 'user\u202Egnp.exe\u202C and \u2067isolated\u2069 \u200F';
    const segments = segmentText(text, [facetOver(text, 'and', { $type: 'app.bsky.richtext.facet#tag', tag: 'and' })]);
    expect(joined(segments)).toBe(text);
  });

  it('copes with 10,000 characters and a facet at its very end', () => {
    const text = `${'x'.repeat(9_980)} https://end.test`.slice(0, 10_000);
    const tail = text.slice(text.lastIndexOf(' ') + 1);
    const segments = segmentText(text, [facetOver(text, tail, link(`https://${tail.slice(8)}`))]);
    expect(joined(segments)).toBe(text);
    expect(segments.at(-1)?.kind).toBe('link');
    expect(segmentText('y'.repeat(10_000), [{ index: { byteStart: 9_999, byteEnd: 10_001 }, features: [link('https://x.test')] }])).toEqual([
      { kind: 'text', text: 'y'.repeat(10_000) },
    ]);
  });

  it('gives no runs for an empty post', () => {
    expect(segmentText('', [])).toEqual([]);
    expect(segmentText('', [{ index: { byteStart: 0, byteEnd: 1 }, features: [link('https://x.test')] }])).toEqual([]);
  });
});
