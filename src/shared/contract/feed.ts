import { z } from 'zod';
import { Did } from './accounts.ts';
import { call } from './define.ts';
import { ServerId } from './servers.ts';

/**
 * The feed browser: sign in as any atproto account (handle or DID and a password; tokens stay in
 * core and the keychain), read a chronological feed of everyone it follows from a local store
 * filled by backfill from the authors' own PDSes, and read every post on a server Hearth manages.
 *
 * Everything in a post is untrusted text from the network: the renderer shows it as text only,
 * never as markup. Blob URL pieces are data; the renderer builds the getBlob URL itself and only
 * over http/https.
 */

/** An account as the feed shows it; the handle comes from the DID document ("handle.invalid" when it has none). */
export const FeedActor = z.object({ did: z.string(), handle: z.string() });
export type FeedActor = z.infer<typeof FeedActor>;

/** Where an image's bytes are: GET `${pdsUrl}/xrpc/com.atproto.sync.getBlob?did=${did}&cid=${cid}`. */
export const BlobRef = z.object({ pdsUrl: z.string(), did: z.string(), cid: z.string(), mimeType: z.string() });
export type BlobRef = z.infer<typeof BlobRef>;

export const FeedImage = z.object({ alt: z.string(), blob: BlobRef, aspectRatio: z.object({ width: z.number(), height: z.number() }).nullable() });
export type FeedImage = z.infer<typeof FeedImage>;

export const FeedLinkCard = z.object({ uri: z.string(), title: z.string(), description: z.string(), thumb: BlobRef.nullable() });
export type FeedLinkCard = z.infer<typeof FeedLinkCard>;

/** What a post carries besides its text; each part is null/empty when absent. */
export const FeedEmbeds = z.object({
  images: z.array(FeedImage),
  external: FeedLinkCard.nullable(),
  /** A quoted post (app.bsky.embed.record or recordWithMedia), by reference: one level deep. */
  quote: z.object({ uri: z.string(), cid: z.string() }).nullable(),
});
export type FeedEmbeds = z.infer<typeof FeedEmbeds>;

/**
 * A rich-text facet as the record has it (app.bsky.richtext.facet): byte offsets into the UTF-8
 * text and what the range is. Core passes on only the three known features
 * (app.bsky.richtext.facet#link with uri, #mention with did, #tag with tag); the type says
 * "$type and its one field" loosely so a future feature type is not a breaking change.
 */
export const FeedFacet = z.object({
  index: z.object({ byteStart: z.number().int().min(0), byteEnd: z.number().int().min(0) }),
  features: z.array(z.object({ $type: z.string(), uri: z.string().optional(), did: z.string().optional(), tag: z.string().optional() })).min(1),
});
export type FeedFacet = z.infer<typeof FeedFacet>;

export const PostView = z.object({
  /** at:// URI of the post. A post and a repost of it share this: key list rows by `repostBy?.uri ?? uri`. */
  uri: z.string(),
  cid: z.string(),
  author: FeedActor,
  text: z.string(),
  /**
   * The text's facets, for @atproto/api RichText: [] when there are none; null when the record's
   * facets are unsound (not the lexicon's shape, offsets out of the text's bytes or splitting a
   * character, overlapping): then the text is shown as plain text only. Core always sends it
   * (optional only so older fixtures stay valid).
   */
  facets: z.array(FeedFacet).nullable().optional(),
  /** As the record says (the author's clock). */
  createdAt: z.string(),
  /** When Hearth first saw it. */
  indexedAt: z.string(),
  /** Where the feed places it: min(createdAt, indexedAt), so a clock in the future cannot pin a post on top. */
  sortAt: z.string(),
  reply: z.object({ parentUri: z.string(), rootUri: z.string() }).nullable(),
  /** Set when this row is a repost: who reposted, when, and the repost record's own URI. */
  repostBy: z.object({ uri: z.string(), actor: FeedActor, at: z.string() }).nullable(),
  embeds: FeedEmbeds,
});
export type PostView = z.infer<typeof PostView>;

export const FeedAccount = z.object({ did: z.string(), handle: z.string(), pdsUrl: z.string(), signedInAt: z.string() });
export type FeedAccount = z.infer<typeof FeedAccount>;

export const UnreachableAccount = z.object({
  did: z.string(),
  handle: z.string(),
  /** In plain words: "its server did not answer (connection refused)". */
  reason: z.string(),
  /** When Hearth tries again on its own (backoff), or null when it will not. */
  retryAt: z.string().nullable(),
});
export type UnreachableAccount = z.infer<typeof UnreachableAccount>;

export const FeedStatus = z.object({
  did: z.string(),
  /** Accounts read for the feed: every followed account plus the signed-in one. */
  accounts: z.number(),
  done: z.number(),
  catchingUp: z.number(),
  unreachable: z.array(UnreachableAccount),
  /** Records that did not parse as a post or repost: skipped, never stored. */
  malformedSkipped: z.number(),
  /** Backfill window in days. */
  windowDays: z.number(),
  lastRefreshAt: z.string().nullable(),
  /** The running backfill job, if any. */
  refreshJobId: z.string().nullable(),
  /** Rows in the local feed (posts and reposts). */
  storedPosts: z.number(),
  /**
   * Live updates: accounts (followed ones and the signed-in one) whose host subscription is
   * connected (live), connecting or being read again after a gap (catchingUp), or whose host
   * cannot be reached (unreachable). All 0 before the first backfill.
   */
  live: z.object({ live: z.number(), catchingUp: z.number(), unreachable: z.number() }).optional(),
});
export type FeedStatus = z.infer<typeof FeedStatus>;

/**
 * A profile header read from the account's own repo (app.bsky.actor.profile/self) and counted
 * from its listRecords. Followers cannot be counted from a repo: only an index of every repo
 * (an AppView) knows who follows someone, so Hearth says so instead of guessing.
 */
export const ProfileHeader = z.object({
  did: z.string(),
  handle: z.string(),
  pdsUrl: z.string(),
  /** Untrusted text from the record; null when the account has no profile record or no such field. */
  displayName: z.string().nullable(),
  description: z.string().nullable(),
  avatar: BlobRef.nullable(),
  banner: BlobRef.nullable(),
  counts: z.object({
    posts: z.number(),
    follows: z.number(),
    /** false: the count stopped at Hearth's bound (a very big repo); the number is a lower bound. */
    complete: z.boolean(),
  }),
  /** Always null today: why is in followersNote. */
  followers: z.number().nullable(),
  followersNote: z.string(),
  /** Whether the signed-in account follows this one (read from its own repo), and the follow record. */
  viewerFollows: z.boolean(),
  viewerFollowUri: z.string().nullable(),
  isViewer: z.boolean(),
});
export type ProfileHeader = z.infer<typeof ProfileHeader>;

/** A post of a thread, or the place of one that is gone (deleted, its server down, not a post). */
export const ThreadItem = z.object({
  uri: z.string(),
  post: PostView.nullable(),
  /** Set when post is null: "This post was deleted or cannot be read" and why. */
  missing: z.string().nullable(),
});
export type ThreadItem = z.infer<typeof ThreadItem>;

export const ThreadView = z.object({
  /** Root first, the focused post's parent last. */
  parents: z.array(ThreadItem),
  post: ThreadItem,
  /** Replies under the focused post in reading order (each after its parent), depth 1 = direct reply. */
  replies: z.array(z.object({ post: PostView, depth: z.number().int().min(1) })),
  /** Where the replies were looked for, in words: a repo has no list of replies to it. */
  repliesFrom: z.string(),
});
export type ThreadView = z.infer<typeof ThreadView>;

/** Opaque keyset cursor handed back by a page; pass it to get the next (older) page. */
const FeedCursor = z.string().max(1200);
const PostPage = z.object({ posts: z.array(PostView), cursor: FeedCursor.nullable() });

export const feedCalls = {
  /** Password sign-in (account password or app password) on the account's own PDS. */
  'feed.signIn': call(
    z.object({ identifier: z.string().trim().min(1, 'Enter a handle or DID.').max(2100), password: z.string().min(1, 'Enter the password.').max(256) }).strict(),
    FeedAccount,
  ),
  'feed.accounts': call(z.object({}).strict(), z.array(FeedAccount)),
  /** Removes the tokens from the keychain; deleteData also removes the account's local feed store. */
  'feed.signOut': call(z.object({ did: Did, deleteData: z.boolean() }).strict(), z.object({ ok: z.literal(true) })),
  /** One page (newest first) of the Following feed from the local store. */
  'feed.following': call(z.object({ did: Did, cursor: FeedCursor.optional(), limit: z.number().int().min(1).max(50).default(50) }).strict(), PostPage),
  /** Every post of every account on a server Hearth manages, read from the repos, newest first. */
  'feed.server': call(z.object({ serverId: ServerId, cursor: FeedCursor.optional(), limit: z.number().int().min(1).max(50).default(50) }).strict(), PostPage),
  'feed.status': call(z.object({ did: Did }).strict(), FeedStatus),
  /**
   * A profile as the account's own PDS has it (no AppView): the header (on the first page only,
   * no cursor) and its posts and reposts, newest first by record key, `limit` per page.
   */
  'feed.profile': call(
    z.object({ did: Did, actor: z.string().trim().min(1).max(2100), cursor: FeedCursor.optional(), limit: z.number().int().min(1).max(50).default(50) }).strict(),
    z.object({ profile: ProfileHeader.nullable(), posts: z.array(PostView), cursor: FeedCursor.nullable() }),
  ),
  /** A post with its parents (read from their authors' repos) and the replies Hearth can find. */
  'feed.thread': call(z.object({ did: Did, uri: z.string().max(8192).regex(/^at:\/\/[^/\s]+\/app\.bsky\.feed\.post\/[^/\s]+$/, 'That is not a post address (at://…/app.bsky.feed.post/…).') }).strict(), ThreadView),
  /**
   * Starts a backfill job (follows, then posts and reposts back to the window), or answers the
   * one already running for the account. windowDays (kept for the account; default 7) sets how
   * far back it reads.
   */
  'feed.refresh': call(z.object({ did: Did, windowDays: z.number().int().min(1).max(365).optional() }).strict(), z.object({ jobId: z.string() })),
};
