/**
 * A live event into the store, by the same rules as the backfill (records.ts parses it, the
 * store upserts by URI, deletes honoured, reposts kept with who reposted), in one transaction
 * with the source's cursor. A record that does not parse is counted and skipped; nothing stops.
 */
import { FOLLOW, POST, REPOST } from '../backfill.ts';
import { FollowRecord, parsePost, parseRepost, type ParsedRepost } from '../records.ts';
import type { FeedStore } from '../store/feed-store.ts';
import type { LiveEvent } from './source.ts';

export interface IngestResult {
  /** A post someone reposted that the store does not hold yet: to be read from its author's repo. */
  missingSubject: ParsedRepost['subject'] | null;
  /** The signed-in account followed (subject) or unfollowed (the record's key only: a delete names no subject). */
  follow: { op: 'put'; rkey: string; subject: string } | { op: 'delete'; rkey: string } | null;
}

export function ingest(store: FeedStore, event: LiveEvent, opts: { source: string; cursor: number; accountDid: string; cutoffMs: number; now: Date }): IngestResult {
  const result: IngestResult = { missingSubject: null, follow: null };
  store.transaction(() => {
    if (event.kind === 'delete') {
      if (event.collection === POST || event.collection === REPOST) store.removeRecord(event.uri);
      else if (event.collection === FOLLOW && event.did === opts.accountDid) result.follow = { op: 'delete', rkey: event.rkey };
    } else if (event.kind === 'put') {
      if (event.collection === FOLLOW) {
        if (event.did === opts.accountDid) {
          const parsed = FollowRecord.safeParse(event.record);
          if (!parsed.success) store.addMalformed(event.uri, 'not a follow record');
          else result.follow = { op: 'put', rkey: event.rkey, subject: parsed.data.subject };
        }
      } else if (event.collection === POST || event.collection === REPOST) {
        const entry = { uri: event.uri, cid: event.cid, value: event.record };
        const parsed = event.collection === POST ? parsePost(entry) : parseRepost(entry);
        if (!parsed.ok) {
          store.addMalformed(event.uri, parsed.reason);
        } else if (Date.parse(parsed.value.createdAt) >= opts.cutoffMs) {
          // Dated before the window: the backfill would not keep it either.
          if (parsed.value.kind === 'post') {
            store.putPost(parsed.value, opts.now, true);
          } else {
            store.putRepost(parsed.value, opts.now);
            if (!store.hasPost(parsed.value.subject.uri)) result.missingSubject = parsed.value.subject;
          }
        }
      }
    }
    store.setLiveCursor(opts.source, opts.cursor);
  });
  return result;
}
