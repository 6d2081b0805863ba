import type { BlobRef } from '../../../shared/contract/index.ts';

/**
 * A URL from a post (a link facet, a link card, a PDS address) as an href, or null when it is
 * not plain http/https: `javascript:`, `data:`, `file:` and anything that does not parse stay
 * text. The URL parser, not a regex, decides, so tricks like " JaVaScRiPt:" or tab-split
 * schemes are judged the way the browser would judge them.
 */
export function safeHttpUrl(raw: unknown): string | null {
  if (typeof raw !== 'string' || raw.length === 0 || raw.length > 8192) return null;
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return null;
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return null;
  return url.href;
}

/**
 * Where an image's bytes are: the author's PDS getBlob endpoint, built here from the pieces the
 * contract hands over, and only when that PDS is reached over http/https.
 */
export function blobUrl(blob: BlobRef): string | null {
  const base = safeHttpUrl(blob.pdsUrl);
  if (!base || !blob.did || !blob.cid) return null;
  const url = new URL(base);
  url.pathname = `${url.pathname.replace(/\/+$/, '')}/xrpc/com.atproto.sync.getBlob`;
  url.search = new URLSearchParams({ did: blob.did, cid: blob.cid }).toString();
  url.hash = '';
  return url.href;
}
