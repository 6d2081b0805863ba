/**
 * Backfill of one signed-in account's feed, as a job: its follows from its own repo, then every
 * followed account's posts and reposts (and its own) back to the window, read with listRecords
 * from each author's own PDS. One author failing (server down, account gone) marks that author
 * unreachable with the reason and a retry time; the others go on. A record that does not parse is
 * counted and skipped; nothing else stops.
 */
import { HearthError } from '../../shared/errors.ts';
import { throwIfCancelled, type JobContext } from '../jobs/index.ts';
import type { FeedIdentity } from './identity.ts';
import { FollowRecord, isRecordOf, parsePost, parseRepost, type ParsedRepost } from './records.ts';
import { RepoReadError, type RepoReader } from './repo-reader.ts';
import type { FeedStore } from './store/feed-store.ts';

export const POST = 'app.bsky.feed.post';
export const REPOST = 'app.bsky.feed.repost';
export const FOLLOW = 'app.bsky.graph.follow';
export const DEFAULT_WINDOW_DAYS = 7;
const PAGE = 100;
/** Authors read at once; each host also caps its own requests (HostLimiter). */
const AUTHOR_CONCURRENCY = 16;
/** A repo whose record keys run far from their dates could page forever: stop somewhere. */
const MAX_PAGES_PER_COLLECTION = 500;
const RETRY_BASE_MS = 30_000;
const RETRY_MAX_MS = 30 * 60_000;

export interface BackfillInput {
  store: FeedStore;
  account: { did: string; handle: string; pdsUrl: string };
  identity: FeedIdentity;
  reader: RepoReader;
  windowDays: number;
  /** Read only these authors (a retry of the unreachable ones); the follow list is not re-read. */
  only?: string[];
  /** First retry delay for an unreachable author; doubled on each failure (default 30 s, at most 30 min). */
  retryBaseMs?: number;
  now?: () => Date;
}

export interface BackfillSummary {
  authors: number;
  done: number;
  unreachable: number;
  stored: number;
  removed: number;
  malformed: number;
}

export const retryDelayMs = (failures: number, baseMs = RETRY_BASE_MS): number => Math.min(RETRY_MAX_MS, baseMs * 2 ** Math.max(0, failures));

export async function runBackfill(input: BackfillInput, ctx: JobContext): Promise<BackfillSummary> {
  const { store, account } = input;
  const now = input.now ?? (() => new Date());
  const cutoffMs = now().getTime() - input.windowDays * 24 * 60 * 60_000;
  const summary: BackfillSummary = { authors: 0, done: 0, unreachable: 0, stored: 0, removed: 0, malformed: 0 };

  let authors: string[];
  if (input.only) {
    authors = input.only;
  } else {
    ctx.progress(0.02, `Reading who @${account.handle} follows`);
    const followed = await readFollows(input, ctx, summary);
    const dropped = store.setAuthors([{ did: account.did, followed: false }, ...followed.map((did) => ({ did, followed: true }))]);
    if (dropped.length) ctx.log(`No longer followed, removed from the feed: ${dropped.length} account(s)`);
    authors = [account.did, ...followed];
    ctx.log(`@${account.handle} follows ${followed.length} account(s); reading their posts and reposts of the last ${input.windowDays} day(s)`);
  }
  summary.authors = authors.length;

  const failuresBefore = new Map(store.authors().map((a) => [a.did, a.failures]));
  const subjects: ParsedRepost['subject'][] = [];
  let next = 0;
  let finished = 0;
  const worker = async () => {
    while (next < authors.length) {
      throwIfCancelled(ctx.signal);
      const did = authors[next++]!;
      store.markCatchingUp(did);
      try {
        const result = await readAuthor(input, did, cutoffMs, now, ctx);
        summary.stored += result.stored;
        summary.removed += result.removed;
        summary.malformed += result.malformed;
        subjects.push(...result.subjects);
        summary.done++;
      } catch (err) {
        if (ctx.signal.aborted) throw err;
        const known = err instanceof RepoReadError || err instanceof HearthError;
        const reason = known ? err.message : 'Hearth could not read it';
        // Not a refusal or a network failure: a bug in Hearth. Keep what it was for the log.
        if (!known) ctx.log(`internal error while reading ${did}: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`, 'error');
        const retryAt = new Date(now().getTime() + retryDelayMs(failuresBefore.get(did) ?? 0, input.retryBaseMs)).toISOString();
        store.markUnreachable(did, reason, retryAt);
        summary.unreachable++;
        ctx.log(`Could not read ${store.actor(did)?.handle ?? did}: ${reason}; Hearth tries again later`, 'warn');
      }
      finished++;
      ctx.progress(0.05 + 0.85 * (finished / authors.length), `Read ${finished} of ${authors.length} accounts`);
    }
  };
  await Promise.all(Array.from({ length: Math.min(AUTHOR_CONCURRENCY, authors.length) }, worker));

  ctx.progress(0.92, 'Reading reposted posts');
  await readRepostSubjects(input, subjects, now, ctx);

  store.setMeta('lastRefreshAt', now().toISOString());
  ctx.log(
    `Stored ${summary.stored} new or changed record(s), removed ${summary.removed} deleted one(s); ${summary.done} account(s) read, ${summary.unreachable} unreachable, ${summary.malformed} malformed record(s) skipped`,
  );
  return summary;
}

async function readFollows(input: BackfillInput, ctx: JobContext, summary: BackfillSummary): Promise<string[]> {
  const { reader, account, store } = input;
  const followed = new Set<string>();
  let cursor: string | undefined;
  for (let page = 0; page < MAX_PAGES_PER_COLLECTION; page++) {
    throwIfCancelled(ctx.signal);
    let reply;
    try {
      reply = await reader.listRecords(account.pdsUrl, account.did, FOLLOW, { limit: PAGE, signal: ctx.signal, ...(cursor && { cursor }) });
    } catch (err) {
      if (err instanceof RepoReadError) {
        throw new HearthError('NETWORK', `Hearth could not read whom @${account.handle} follows: ${err.message}.`, 'Check that the account’s server is up, then refresh again.');
      }
      throw err;
    }
    for (const record of reply.records) {
      const parsed = FollowRecord.safeParse(record.value);
      if (!parsed.success) {
        store.addMalformed(record.uri, 'not a follow record');
        summary.malformed++;
      } else if (parsed.data.subject !== account.did) {
        followed.add(parsed.data.subject);
      }
    }
    cursor = reply.records.length > 0 ? reply.cursor : undefined;
    if (!cursor) break;
  }
  return [...followed];
}

interface AuthorResult {
  stored: number;
  removed: number;
  malformed: number;
  subjects: ParsedRepost['subject'][];
}

async function readAuthor(input: BackfillInput, did: string, cutoffMs: number, now: () => Date, ctx: JobContext): Promise<AuthorResult> {
  const { store, identity, reader } = input;
  const who = await identity.resolveDid(did).catch((err: unknown) => {
    throw new RepoReadError(`its identity could not be read (${err instanceof Error ? err.message : String(err)})`, true);
  });
  store.putActor(did, who.handle, who.pdsUrl);
  const result: AuthorResult = { stored: 0, removed: 0, malformed: 0, subjects: [] };
  const seen = new Set<string>();
  for (const collection of [POST, REPOST]) {
    let cursor: string | undefined;
    for (let page = 0; page < MAX_PAGES_PER_COLLECTION; page++) {
      throwIfCancelled(ctx.signal);
      const reply = await reader.listRecords(who.pdsUrl, did, collection, { limit: PAGE, signal: ctx.signal, ...(cursor && { cursor }) });
      // Unfollowed while this page was on its way (from Hearth, say): nothing of it may stay behind.
      if (!store.hasAuthor(did)) return result;
      const seenAt = now();
      let inWindow = 0;
      store.transaction(() => {
        for (const record of reply.records) {
          // A record under another DID or collection in this listing is not what was asked for.
          if (!isRecordOf(record.uri, did, collection)) continue;
          const parsed = collection === POST ? parsePost(record) : parseRepost(record);
          if (!parsed.ok) {
            store.addMalformed(record.uri, parsed.reason);
            result.malformed++;
            continue;
          }
          if (Date.parse(parsed.value.createdAt) < cutoffMs) continue;
          inWindow++;
          seen.add(record.uri);
          const changed = parsed.value.kind === 'post' ? store.putPost(parsed.value, seenAt, true) : store.putRepost(parsed.value, seenAt);
          if (changed !== 'unchanged') result.stored++;
          if (parsed.value.kind === 'repost') result.subjects.push(parsed.value.subject);
        }
      });
      cursor = reply.records.length > 0 ? reply.cursor : undefined;
      // Records come newest key first; a page with nothing in the window means the rest is older.
      if (!cursor || inWindow === 0) break;
    }
  }
  // Both collections were read to the window's edge: what the store has there and the repo does not was deleted.
  result.removed = store.transaction(() => store.removeUnseen(did, cutoffMs, seen));
  store.markDone(did, who.handle, who.pdsUrl);
  return result;
}

/** The posts people reposted, read from their authors' repos when the store does not have them yet. */
async function readRepostSubjects(input: BackfillInput, subjects: ParsedRepost['subject'][], now: () => Date, ctx: JobContext): Promise<void> {
  const { store, identity, reader } = input;
  const missing = [...new Map(subjects.map((s) => [s.uri, s])).values()].filter((s) => !store.hasPost(s.uri));
  let next = 0;
  const worker = async () => {
    while (next < missing.length) {
      throwIfCancelled(ctx.signal);
      const subject = missing[next++]!;
      const [authorDid = '', collection = '', rkey = ''] = subject.uri.slice('at://'.length).split('/');
      if (collection !== POST) continue;
      try {
        const who = await identity.resolveDid(authorDid);
        const record = await reader.getRecord(who.pdsUrl, authorDid, collection, rkey, ctx.signal);
        if (record.uri !== subject.uri) continue;
        const parsed = parsePost(record);
        if (!parsed.ok) {
          store.addMalformed(record.uri, parsed.reason);
          continue;
        }
        store.putActor(authorDid, who.handle, who.pdsUrl);
        store.putPost(parsed.value, now(), false);
      } catch (err) {
        if (ctx.signal.aborted) throw err;
        ctx.log(`A reposted post could not be read (${subject.uri}): ${err instanceof Error ? err.message : String(err)}`, 'warn');
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(AUTHOR_CONCURRENCY, missing.length) }, worker));
}
