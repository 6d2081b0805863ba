/**
 * The Profile view, read straight from the account's own PDS (no AppView, so it works for
 * accounts nobody indexed): the header from app.bsky.actor.profile/self, post and follow counts
 * from paging listRecords, whether the signed-in account follows it (from the viewer's own
 * repo), and its author feed: posts and reposts merged newest first by record key, paged by a
 * cursor that holds where each of the two listings stands.
 */
import { z } from 'zod';
import type { BlobRef, PostView, ProfileHeader } from '../../shared/contract/feed.ts';
import { HearthError } from '../../shared/errors.ts';
import { FOLLOW, POST, REPOST } from './backfill.ts';
import type { FeedIdentity, ResolvedIdentity } from './identity.ts';
import { BlobJson, FollowRecord, isRecordOf, parsePost, parseRepost, type RecordEntry } from './records.ts';
import { mapBounded, postViewOf, readPost, short, splitUri } from './remote-post.ts';
import { RepoReadError, type RepoReader } from './repo-reader.ts';

const PROFILE = 'app.bsky.actor.profile';
const PAGE = 100;
/**
 * Counting stops here (20,000 records per collection), so opening the profile of a very busy
 * account stays a matter of seconds: past it the number is shown as "at least".
 */
const MAX_COUNT_PAGES = 200;
/** Reposted posts read at once for one page of the author feed. */
const SUBJECT_CONCURRENCY = 8;
export const FOLLOWERS_NOTE = 'Followers are not known without an AppView: who follows an account is written in the followers’ repos, not its own, and Hearth reads no index of every repo.';

/** The lexicon's profile record, loosely: untrusted text capped at sizes no client writes. */
const ProfileRecord = z.object({
  displayName: z.string().max(10_000).optional().catch(undefined),
  description: z.string().max(100_000).optional().catch(undefined),
  avatar: BlobJson.optional().catch(undefined),
  banner: BlobJson.optional().catch(undefined),
});

/** Where each listing of the author feed stands: the record key to read below, or done. */
const AuthorCursor = z.object({
  post: z.string().max(512).nullable(),
  repost: z.string().max(512).nullable(),
  postDone: z.boolean(),
  repostDone: z.boolean(),
});
type AuthorCursor = z.infer<typeof AuthorCursor>;

export const encodeAuthorCursor = (c: AuthorCursor): string => Buffer.from(JSON.stringify(c), 'utf8').toString('base64url');

export function decodeAuthorCursor(text: string): AuthorCursor {
  try {
    return AuthorCursor.parse(JSON.parse(Buffer.from(text, 'base64url').toString('utf8')));
  } catch {
    throw new HearthError('VALIDATION', 'That profile position is not one Hearth handed out.', 'Open the profile again from the top.');
  }
}

export interface ProfileInput {
  identity: FeedIdentity;
  reader: RepoReader;
  viewer: { did: string; pdsUrl: string };
  actor: string;
  limit: number;
  cursor?: string;
  signal?: AbortSignal;
}

export async function readProfile(input: ProfileInput): Promise<{ profile: ProfileHeader | null; posts: PostView[]; cursor: string | null }> {
  const who = await input.identity.resolveIdentifier(input.actor);
  const cursor = input.cursor ? decodeAuthorCursor(input.cursor) : { post: null, repost: null, postDone: false, repostDone: false };
  const [profile, page] = await Promise.all([input.cursor ? Promise.resolve(null) : readHeader(input, who), readAuthorPage(input, who, cursor)]);
  return { profile, ...page };
}

async function readHeader(input: ProfileInput, who: ResolvedIdentity): Promise<ProfileHeader> {
  const { reader, signal } = input;
  const blob = (b: { cid: string; mimeType: string } | undefined): BlobRef | null => (b ? { pdsUrl: who.pdsUrl, did: who.did, cid: b.cid, mimeType: b.mimeType } : null);
  const none: z.infer<typeof ProfileRecord> = {};
  const record = reader.getRecord(who.pdsUrl, who.did, PROFILE, 'self', signal).then(
    (r) => {
      const parsed = ProfileRecord.safeParse(r.value);
      return parsed.success && isRecordOf(r.uri, who.did, PROFILE) ? parsed.data : none;
    },
    (err: unknown) => {
      // No profile record is an account that never set one: its header is just the handle.
      if (err instanceof RepoReadError && !err.unreachable && /record is gone|RecordNotFound/.test(err.message)) return none;
      throw wrap(err, who);
    },
  );
  const [profile, posts, follows, viewerFollow] = await Promise.all([
    record,
    countRecords(reader, who, POST, signal),
    countRecords(reader, who, FOLLOW, signal),
    who.did === input.viewer.did ? Promise.resolve(null) : findFollow(reader, input.viewer, who.did, signal),
  ]);
  return {
    did: who.did,
    handle: who.handle,
    pdsUrl: who.pdsUrl,
    displayName: profile.displayName?.trim() ? profile.displayName : null,
    description: profile.description?.trim() ? profile.description : null,
    avatar: blob(profile.avatar),
    banner: blob(profile.banner),
    counts: { posts: posts.count, follows: follows.count, complete: posts.complete && follows.complete },
    followers: null,
    followersNote: FOLLOWERS_NOTE,
    viewerFollows: viewerFollow !== null,
    viewerFollowUri: viewerFollow,
    isViewer: who.did === input.viewer.did,
  };
}

/** Every record the repo lists in a collection (all pages, up to the bound). */
async function countRecords(reader: RepoReader, who: ResolvedIdentity, collection: string, signal?: AbortSignal): Promise<{ count: number; complete: boolean }> {
  let count = 0;
  let cursor: string | undefined;
  try {
    for (let page = 0; page < MAX_COUNT_PAGES; page++) {
      const reply = await reader.listRecords(who.pdsUrl, who.did, collection, { limit: PAGE, ...(cursor && { cursor }), ...(signal && { signal }) });
      count += reply.records.filter((r) => isRecordOf(r.uri, who.did, collection)).length;
      cursor = reply.records.length > 0 ? reply.cursor : undefined;
      if (!cursor) return { count, complete: true };
    }
  } catch (err) {
    throw wrap(err, who);
  }
  return { count, complete: false };
}

/** The viewer's follow record of `subject`, read from the viewer's own repo, or null. */
async function findFollow(reader: RepoReader, viewer: { did: string; pdsUrl: string }, subject: string, signal?: AbortSignal): Promise<string | null> {
  let cursor: string | undefined;
  try {
    for (let page = 0; page < MAX_COUNT_PAGES; page++) {
      const reply = await reader.listRecords(viewer.pdsUrl, viewer.did, FOLLOW, { limit: PAGE, ...(cursor && { cursor }), ...(signal && { signal }) });
      for (const r of reply.records) {
        const follow = FollowRecord.safeParse(r.value);
        if (follow.success && follow.data.subject === subject && isRecordOf(r.uri, viewer.did, FOLLOW)) return r.uri;
      }
      cursor = reply.records.length > 0 ? reply.cursor : undefined;
      if (!cursor) return null;
    }
  } catch {
    // The viewer's own server not answering leaves "follows" unknown: shown as not followed.
  }
  return null;
}

interface Listed {
  collection: typeof POST | typeof REPOST;
  rkey: string;
  record: RecordEntry;
}

/**
 * One page of the author feed. Both listings come newest record key first; the page is the
 * `limit` newest of the next `limit` of each, so merging two pages never skips or repeats a record.
 * Record keys are TIDs, the repo's own write clock, so this is the order the author wrote in.
 */
async function readAuthorPage(input: ProfileInput, who: ResolvedIdentity, at: AuthorCursor): Promise<{ posts: PostView[]; cursor: string | null }> {
  const { reader, limit, signal } = input;
  const list = async (collection: Listed['collection'], from: string | null, done: boolean) => {
    if (done) return { listed: [] as Listed[], more: false };
    const reply = await reader.listRecords(who.pdsUrl, who.did, collection, { limit, ...(from && { cursor: from }), ...(signal && { signal }) }).catch((err: unknown) => {
      throw wrap(err, who);
    });
    const listed = reply.records.flatMap((record): Listed[] => {
      const parts = splitUri(record.uri);
      return parts && isRecordOf(record.uri, who.did, collection) ? [{ collection, rkey: parts.rkey, record }] : [];
    });
    // A listing of nothing but records from elsewhere (a PDS misbehaving) is not paged further: the cursor could never move.
    return { listed, more: Boolean(reply.cursor) && listed.length > 0 };
  };
  const [posts, reposts] = await Promise.all([list(POST, at.post, at.postDone), list(REPOST, at.repost, at.repostDone)]);
  const merged = [...posts.listed, ...reposts.listed].sort((a, b) => (a.rkey < b.rkey ? 1 : a.rkey > b.rkey ? -1 : 0));
  const taken = merged.slice(0, limit);
  const lastOf = (collection: string) => taken.filter((t) => t.collection === collection).at(-1)?.rkey;
  const next: AuthorCursor = {
    post: lastOf(POST) ?? at.post,
    repost: lastOf(REPOST) ?? at.repost,
    // A listing is done when its server has no more and every record it gave went on a page.
    postDone: at.postDone || (!posts.more && taken.filter((t) => t.collection === POST).length === posts.listed.length),
    repostDone: at.repostDone || (!reposts.more && taken.filter((t) => t.collection === REPOST).length === reposts.listed.length),
  };

  const seenAt = new Date();
  const views = await mapBounded(taken, SUBJECT_CONCURRENCY, async (item): Promise<PostView | null> => {
    if (item.collection === POST) {
      const parsed = parsePost(item.record);
      return parsed.ok ? postViewOf(parsed.value, who, seenAt) : null;
    }
    const repost = parseRepost(item.record);
    if (!repost.ok) return null;
    // A reposted post whose record is gone is left out, as any client does.
    const subject = await readPost(repost.value.subject.uri, { identity: input.identity, reader, ...(signal && { signal }) });
    return subject.ok ? postViewOf(subject.post, subject.author, seenAt, { record: repost.value, actorHandle: who.handle }) : null;
  });
  return { posts: views.filter((v): v is PostView => v !== null), cursor: next.postDone && next.repostDone ? null : encodeAuthorCursor(next) };
}

function wrap(err: unknown, who: ResolvedIdentity): unknown {
  if (err instanceof RepoReadError) {
    return new HearthError('NETWORK', `Hearth could not read the repo of @${who.handle}: ${short(err)}.`, 'Its server may be down; try again later.');
  }
  return err;
}
