/**
 * Posts read one by one from their authors' own PDSes (getRecord), for the Profile and Thread
 * views: the record is checked with the backfill's parser (records.ts) and turned into the same
 * PostView the Following feed shows. A post that cannot be read is not an error of the view: it
 * comes back as `missing` with the reason, and the view says so in its place.
 */
import type { PostView } from '../../shared/contract/feed.ts';
import { POST } from './backfill.ts';
import type { FeedIdentity, ResolvedIdentity } from './identity.ts';
import { parsePost, type ParsedPost, type ParsedRepost } from './records.ts';
import type { RepoReader } from './repo-reader.ts';
import { toPostView } from './views.ts';

export const MISSING_POST = 'This post was deleted or cannot be read';

export interface RemoteReads {
  identity: FeedIdentity;
  reader: RepoReader;
  signal?: AbortSignal;
}

/** The parts of an at:// record URI, or null when it is not one. */
export function splitUri(uri: string): { did: string; collection: string; rkey: string } | null {
  const match = /^at:\/\/(did:[a-z0-9]+:[a-zA-Z0-9._:%-]+)\/([a-zA-Z0-9.-]+)\/([a-zA-Z0-9._:~-]{1,512})$/.exec(uri);
  return match ? { did: match[1]!, collection: match[2]!, rkey: match[3]! } : null;
}

/** A parsed post as the contract's view; `repost` makes it a repost row (who reposted, when). */
export function postViewOf(
  post: ParsedPost,
  author: Pick<ResolvedIdentity, 'handle' | 'pdsUrl'>,
  seenAt: Date,
  repost?: { record: ParsedRepost; actorHandle: string },
): PostView {
  const indexedAt = seenAt.toISOString();
  const at = repost ? repost.record.createdAt : post.createdAt;
  return toPostView({
    feedUri: repost ? repost.record.uri : post.uri,
    kind: repost ? 'repost' : 'post',
    actorDid: repost ? repost.record.actorDid : post.authorDid,
    actorHandle: repost ? repost.actorHandle : author.handle,
    repostCreatedAt: at,
    // As the store places rows: a clock in the future does not put a post on top.
    sortAt: Math.min(Date.parse(at), seenAt.getTime()),
    uri: post.uri,
    cid: post.cid,
    authorDid: post.authorDid,
    authorHandle: author.handle,
    authorPds: author.pdsUrl,
    text: post.text,
    facets: post.facets,
    createdAt: post.createdAt,
    indexedAt,
    replyParent: post.reply?.parentUri ?? null,
    replyRoot: post.reply?.rootUri ?? null,
    embeds: post.embeds,
  });
}

export type ReadPostResult = { ok: true; post: ParsedPost; author: ResolvedIdentity } | { ok: false; reason: string };

/** One post from its author's repo, checked; never throws for a post that is gone or unreadable. */
export async function readPost(uri: string, reads: RemoteReads): Promise<ReadPostResult> {
  const parts = splitUri(uri);
  if (!parts || parts.collection !== POST) return { ok: false, reason: 'its address is not a post’s' };
  let author: ResolvedIdentity;
  try {
    author = await reads.identity.resolveDid(parts.did);
  } catch (err) {
    return { ok: false, reason: `its author’s identity could not be read (${short(err)})` };
  }
  try {
    const record = await reads.reader.getRecord(author.pdsUrl, parts.did, parts.collection, parts.rkey, reads.signal);
    // A PDS answering with some other record has not given what was asked for.
    if (record.uri !== uri) return { ok: false, reason: 'its server answered with another record' };
    const parsed = parsePost(record);
    if (!parsed.ok) return { ok: false, reason: `the record is not a valid post (${parsed.reason})` };
    return { ok: true, post: parsed.value, author };
  } catch (err) {
    if (reads.signal?.aborted) throw err;
    return { ok: false, reason: short(err) };
  }
}

export const short = (err: unknown): string => (err instanceof Error ? err.message : String(err)).replace(/\s+/g, ' ').slice(0, 200);

/** Runs fn over items, at most `concurrency` at once, keeping the order of the results. */
export async function mapBounded<T, R>(items: T[], concurrency: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, items.length) }, worker));
  return out;
}
