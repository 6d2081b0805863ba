import { describe, expect, it } from 'vitest';
import { blobUrl, safeHttpUrl } from './safe-url.ts';

describe('safeHttpUrl', () => {
  it('keeps http and https links', () => {
    expect(safeHttpUrl('https://example.com/a?b=c#d')).toBe('https://example.com/a?b=c#d');
    expect(safeHttpUrl('http://localhost:2583')).toBe('http://localhost:2583/');
  });

  it('refuses javascript:, data:, file: and the like, however they are spelled', () => {
    for (const raw of [
      'javascript:alert(1)',
      ' JaVaScRiPt:alert(1)',
      'java\tscript:alert(1)',
      'javascript://example.com/%0Aalert(1)',
      'data:text/html,<script>alert(1)</script>',
      'file:///etc/passwd',
      'vbscript:msgbox(1)',
      'at://did:plc:abc/app.bsky.feed.post/1',
      'mailto:a@example.com',
    ]) {
      expect(safeHttpUrl(raw), raw).toBeNull();
    }
  });

  it('refuses what is not a URL at all', () => {
    for (const raw of ['', 'example.com', '/relative', '<script>', null, undefined, 42, { href: 'https://x' }, `https://x/${'a'.repeat(9000)}`]) {
      expect(safeHttpUrl(raw)).toBeNull();
    }
  });
});

describe('blobUrl', () => {
  const blob = { pdsUrl: 'https://pds.example.com', did: 'did:plc:abc', cid: 'bafkrei123', mimeType: 'image/png' };

  it("points at the author's PDS getBlob with the DID and CID as query parameters", () => {
    expect(blobUrl(blob)).toBe('https://pds.example.com/xrpc/com.atproto.sync.getBlob?did=did%3Aplc%3Aabc&cid=bafkrei123');
    expect(blobUrl({ ...blob, pdsUrl: 'http://localhost:2583/' })).toBe('http://localhost:2583/xrpc/com.atproto.sync.getBlob?did=did%3Aplc%3Aabc&cid=bafkrei123');
  });

  it('escapes hostile pieces instead of letting them change the URL', () => {
    const url = new URL(blobUrl({ ...blob, did: 'did:plc:a&cid=evil#x', cid: 'c"><script>' })!);
    expect(url.origin).toBe('https://pds.example.com');
    expect(url.searchParams.get('did')).toBe('did:plc:a&cid=evil#x');
    expect(url.searchParams.get('cid')).toBe('c"><script>');
    expect(url.hash).toBe('');
  });

  it('gives nothing for a PDS that is not http/https, or missing pieces', () => {
    expect(blobUrl({ ...blob, pdsUrl: 'javascript:alert(1)//' })).toBeNull();
    expect(blobUrl({ ...blob, pdsUrl: 'file:///tmp' })).toBeNull();
    expect(blobUrl({ ...blob, cid: '' })).toBeNull();
  });
});
