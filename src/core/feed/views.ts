/**
 * Pages of the store as the contract's post views, and the keyset cursor that gets the next page:
 * (sortAt, row URI) of the last row, so a page costs one index range scan however big the store.
 */
import type { BlobRef, PostView } from '../../shared/contract/feed.ts';
import { HearthError } from '../../shared/errors.ts';
import type { FeedRow, FeedStore, PageCursor } from './store/feed-store.ts';

export function encodeCursor(cursor: PageCursor): string {
  return Buffer.from(`${cursor.sortAt}\n${cursor.uri}`, 'utf8').toString('base64url');
}

export function decodeCursor(text: string): PageCursor {
  const decoded = Buffer.from(text, 'base64url').toString('utf8');
  const [sortAt, uri, extra] = decoded.split('\n');
  const n = Number(sortAt);
  if (extra !== undefined || !uri?.startsWith('at://') || !Number.isSafeInteger(n)) {
    throw new HearthError('VALIDATION', 'That feed position is not one Hearth handed out.', 'Reload the feed from the top.');
  }
  return { sortAt: n, uri };
}

export function readPage(store: FeedStore, limit: number, cursor?: string): { posts: PostView[]; cursor: string | null } {
  const rows = store.page(limit, cursor ? decodeCursor(cursor) : undefined);
  const last = rows.at(-1);
  return { posts: rows.map(toPostView), cursor: rows.length === limit && last ? encodeCursor({ sortAt: last.sortAt, uri: last.feedUri }) : null };
}

export function toPostView(row: FeedRow): PostView {
  const blob = (ref: { cid: string; mimeType: string }): BlobRef => ({ pdsUrl: row.authorPds ?? '', did: row.authorDid, cid: ref.cid, mimeType: ref.mimeType });
  return {
    uri: row.uri,
    cid: row.cid,
    author: { did: row.authorDid, handle: row.authorHandle ?? 'handle.invalid' },
    text: row.text,
    facets: row.facets,
    createdAt: row.createdAt,
    indexedAt: row.indexedAt,
    sortAt: new Date(row.sortAt).toISOString(),
    reply: row.replyParent && row.replyRoot ? { parentUri: row.replyParent, rootUri: row.replyRoot } : null,
    repostBy: row.kind === 'repost' ? { uri: row.feedUri, actor: { did: row.actorDid, handle: row.actorHandle ?? 'handle.invalid' }, at: row.repostCreatedAt } : null,
    embeds: {
      images: row.embeds.images.map((i) => ({ alt: i.alt, blob: blob(i), aspectRatio: i.aspectRatio })),
      external: row.embeds.external && { ...row.embeds.external, thumb: row.embeds.external.thumb ? blob(row.embeds.external.thumb) : null },
      quote: row.embeds.quote,
    },
  };
}
