/**
 * One feed's local store: a SQLite file in the data folder. node:sqlite is built into Node 22 and
 * into Electron's Node, so there is no native module to build or ship (better-sqlite3 would need a
 * build per Electron ABI). The API is synchronous: every write runs to completion on the one
 * thread that owns the store, so the store has exactly one writer by construction. WAL lets a
 * page be read while a backfill writes.
 *
 * Rules (issue 12): upsert by URI (a duplicate changes nothing), deletes honoured, order by
 * createdAt guarded against future clocks (sortAt = min(createdAt, first seen)), reposts with who
 * reposted, replies with their parent.
 */
import { DatabaseSync, type StatementSync } from 'node:sqlite';
import type { ParsedEmbeds, ParsedFacet, ParsedPost, ParsedRepost } from '../records.ts';
import { migrate } from './schema.ts';

export type AuthorState = 'catching-up' | 'done' | 'unreachable';

export interface AuthorRow {
  did: string;
  handle: string;
  pdsUrl: string | null;
  followed: boolean;
  state: AuthorState;
  reason: string | null;
  failures: number;
  retryAt: string | null;
}

/** One feed row joined with its post and the actors' handles, as the views need it. */
export interface FeedRow {
  feedUri: string;
  kind: 'post' | 'repost';
  actorDid: string;
  actorHandle: string | null;
  repostCreatedAt: string;
  sortAt: number;
  uri: string;
  cid: string;
  authorDid: string;
  authorHandle: string | null;
  authorPds: string | null;
  text: string;
  facets: ParsedFacet[] | null;
  createdAt: string;
  indexedAt: string;
  replyParent: string | null;
  replyRoot: string | null;
  embeds: ParsedEmbeds;
}

export interface PageCursor {
  sortAt: number;
  uri: string;
}

export type UpsertResult = 'inserted' | 'updated' | 'unchanged';

/** Records of the signed-in account remembered by subject (a post URI, or a DID for follows). */
export type ViewerCollection = 'like' | 'repost' | 'follow';

export interface FeedEntry {
  uri: string;
  kind: 'post' | 'repost';
  cid: string;
  actorDid: string;
  postUri: string;
  createdAt: string;
  indexedAt: string;
}

const ms = (iso: string): number => Date.parse(iso);

export class FeedStore {
  readonly file: string;
  readonly #db: DatabaseSync;
  readonly #stmt: Record<string, StatementSync>;

  private constructor(file: string) {
    this.file = file;
    this.#db = new DatabaseSync(file);
    // synchronous=NORMAL in WAL mode: a power cut can lose the last commits but never corrupts,
    // and a backfill re-reads what was lost. mmap and a larger cache keep deep pages fast.
    this.#db.exec('PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; PRAGMA busy_timeout = 5000; PRAGMA cache_size = -16384; PRAGMA mmap_size = 2147418112;');
    migrate(this.#db, file);
    const p = (sql: string) => this.#db.prepare(sql);
    this.#stmt = {
      postCid: p('SELECT cid, indexed_at FROM posts WHERE uri = ?'),
      insertPost: p(`INSERT INTO posts (uri, cid, author_did, text, created_at, created_ms, indexed_at, sort_at, reply_parent, reply_root, embeds, facets)
                     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`),
      updatePost: p(`UPDATE posts SET cid = ?, text = ?, created_at = ?, created_ms = ?, sort_at = ?, reply_parent = ?, reply_root = ?, embeds = ?, facets = ? WHERE uri = ?`),
      feedCid: p('SELECT cid, indexed_at FROM feed WHERE uri = ?'),
      // No UPSERT: the row's place (its primary key) moves when an edit changes its date.
      insertFeed: p('INSERT INTO feed (uri, kind, cid, actor_did, post_uri, created_at, created_ms, indexed_at, sort_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)'),
      updateFeed: p('UPDATE feed SET cid = ?, post_uri = ?, created_at = ?, created_ms = ?, sort_at = ? WHERE uri = ?'),
      feedInWindow: p('SELECT uri, kind, post_uri FROM feed WHERE actor_did = ? AND created_ms >= ?'),
      deleteFeed: p('DELETE FROM feed WHERE uri = ?'),
      deletePost: p('DELETE FROM posts WHERE uri = ?'),
      postReferenced: p('SELECT 1 FROM feed WHERE post_uri = ? LIMIT 1'),
      hasPost: p('SELECT 1 FROM posts WHERE uri = ?'),
      page: p(`${PAGE_SELECT} ORDER BY f.sort_at DESC, f.uri DESC LIMIT ?`),
      pageAfter: p(`${PAGE_SELECT} WHERE (f.sort_at, f.uri) < (?, ?) ORDER BY f.sort_at DESC, f.uri DESC LIMIT ?`),
      upsertActor: p(`INSERT INTO actors (did, handle, pds_url) VALUES (?, ?, ?)
                      ON CONFLICT (did) DO UPDATE SET handle = excluded.handle, pds_url = COALESCE(excluded.pds_url, actors.pds_url)`),
      actor: p('SELECT did, handle, pds_url FROM actors WHERE did = ?'),
      authors: p('SELECT did, handle, pds_url, followed, state, reason, failures, retry_at FROM authors ORDER BY did'),
      upsertAuthor: p(`INSERT INTO authors (did, handle, pds_url, followed, state) VALUES (?, ?, NULL, ?, 'catching-up')
                       ON CONFLICT (did) DO UPDATE SET followed = excluded.followed`),
      deleteAuthor: p('DELETE FROM authors WHERE did = ?'),
      feedOfActor: p('SELECT uri, post_uri FROM feed WHERE actor_did = ?'),
      markCatchingUp: p("UPDATE authors SET state = 'catching-up' WHERE did = ?"),
      markDone: p("UPDATE authors SET state = 'done', handle = ?, pds_url = ?, reason = NULL, failures = 0, retry_at = NULL, done_at = ? WHERE did = ?"),
      markUnreachable: p("UPDATE authors SET state = 'unreachable', reason = ?, failures = failures + 1, retry_at = ? WHERE did = ?"),
      addMalformed: p('INSERT INTO malformed (uri, reason, seen_at) VALUES (?, ?, ?) ON CONFLICT (uri) DO UPDATE SET reason = excluded.reason'),
      clearMalformed: p('DELETE FROM malformed WHERE uri = ?'),
      malformedCount: p('SELECT COUNT(*) AS n FROM malformed'),
      feedCount: p('SELECT COUNT(*) AS n FROM feed'),
      getMeta: p('SELECT value FROM meta WHERE key = ?'),
      setMeta: p('INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value'),
      liveCursor: p('SELECT cursor FROM live_cursors WHERE source = ?'),
      setLiveCursor: p('INSERT INTO live_cursors (source, cursor, updated_at) VALUES (?, ?, ?) ON CONFLICT (source) DO UPDATE SET cursor = excluded.cursor, updated_at = excluded.updated_at'),
      clearLiveCursor: p('DELETE FROM live_cursors WHERE source = ?'),
      feedPostOf: p('SELECT post_uri FROM feed WHERE uri = ?'),
    };
  }

  static open(file: string): FeedStore {
    return new FeedStore(file);
  }

  /** Folds the write-ahead log into the database file (after a big write, before measuring its size). */
  checkpoint(): void {
    this.#db.exec('PRAGMA wal_checkpoint(TRUNCATE)');
  }

  close(): void {
    if (this.#db.isOpen) this.#db.close();
  }

  /** Runs fn in one transaction: a page of records lands whole or not at all. */
  transaction<T>(fn: () => T): T {
    this.#db.exec('BEGIN IMMEDIATE');
    try {
      const result = fn();
      this.#db.exec('COMMIT');
      return result;
    } catch (err) {
      this.#db.exec('ROLLBACK');
      throw err;
    }
  }

  /**
   * Stores a post (and, with inFeed, its feed row). The same URI and CID again changes nothing; a
   * new CID (the record was edited) updates the content but keeps when Hearth first saw it.
   */
  putPost(post: ParsedPost, seenAt: Date, inFeed: boolean): UpsertResult {
    const createdMs = ms(post.createdAt);
    const existing = this.#stmt.postCid!.get(post.uri) as { cid: string; indexed_at: string } | undefined;
    const indexedAt = existing?.indexed_at ?? seenAt.toISOString();
    const sortAt = Math.min(createdMs, ms(indexedAt));
    const embeds = JSON.stringify(post.embeds);
    const facets = JSON.stringify(post.facets);
    let result: UpsertResult = 'unchanged';
    if (!existing) {
      this.#stmt.insertPost!.run(post.uri, post.cid, post.authorDid, post.text, post.createdAt, createdMs, indexedAt, sortAt, post.reply?.parentUri ?? null, post.reply?.rootUri ?? null, embeds, facets);
      result = 'inserted';
    } else if (existing.cid !== post.cid) {
      this.#stmt.updatePost!.run(post.cid, post.text, post.createdAt, createdMs, sortAt, post.reply?.parentUri ?? null, post.reply?.rootUri ?? null, embeds, facets, post.uri);
      result = 'updated';
    }
    if (inFeed) {
      const feedResult = this.#putFeed(post.uri, 'post', post.cid, post.authorDid, post.uri, post.createdAt, indexedAt);
      if (result === 'unchanged') result = feedResult;
    }
    this.#stmt.clearMalformed!.run(post.uri);
    return result;
  }

  putRepost(repost: ParsedRepost, seenAt: Date): UpsertResult {
    this.#stmt.clearMalformed!.run(repost.uri);
    return this.#putFeed(repost.uri, 'repost', repost.cid, repost.actorDid, repost.subject.uri, repost.createdAt, seenAt.toISOString());
  }

  /** A feed row keeps the time it was first seen; its place is min(createdAt, that time). */
  #putFeed(uri: string, kind: 'post' | 'repost', cid: string, actor: string, postUri: string, createdAt: string, seenAt: string): UpsertResult {
    const existing = this.#stmt.feedCid!.get(uri) as { cid: string; indexed_at: string } | undefined;
    if (existing?.cid === cid) return 'unchanged';
    const indexedAt = existing?.indexed_at ?? seenAt;
    const sortAt = Math.min(ms(createdAt), ms(indexedAt));
    if (existing) {
      this.#stmt.updateFeed!.run(cid, postUri, createdAt, ms(createdAt), sortAt, uri);
      return 'updated';
    }
    this.#stmt.insertFeed!.run(uri, kind, cid, actor, postUri, createdAt, ms(createdAt), indexedAt, sortAt);
    return 'inserted';
  }

  hasPost(uri: string): boolean {
    return this.#stmt.hasPost!.get(uri) !== undefined;
  }

  /**
   * After a complete read of an actor's records back to `sinceMs`: every feed row of that actor in
   * the window that the read did not see was deleted at the source, so it goes here too.
   */
  removeUnseen(actorDid: string, sinceMs: number, seen: Set<string>): number {
    let removed = 0;
    for (const row of this.#stmt.feedInWindow!.all(actorDid, sinceMs) as { uri: string; kind: string; post_uri: string }[]) {
      if (seen.has(row.uri)) continue;
      this.#removeFeedRow(row.uri, row.post_uri, true);
      removed++;
    }
    return removed;
  }

  /** Drops every row an actor put in the feed (unfollowed). */
  removeActor(actorDid: string): void {
    for (const row of this.#stmt.feedOfActor!.all(actorDid) as { uri: string; post_uri: string }[]) this.#removeFeedRow(row.uri, row.post_uri, false);
  }

  /** deletedAtSource: the record is gone, so its post goes even if a repost still points at it. */
  #removeFeedRow(uri: string, postUri: string, deletedAtSource: boolean): void {
    this.#stmt.deleteFeed!.run(uri);
    if ((deletedAtSource && uri === postUri) || !this.#stmt.postReferenced!.get(postUri)) this.#stmt.deletePost!.run(postUri);
  }

  page(limit: number, after?: PageCursor): FeedRow[] {
    const rows = after ? this.#stmt.pageAfter!.all(after.sortAt, after.uri, limit) : this.#stmt.page!.all(limit);
    return (rows as unknown as RawPageRow[]).map(toFeedRow);
  }

  /**
   * The stored posts of one thread (their reply root is rootUri), for the Thread view. There is no
   * index on reply_root: this is a scan, run only when someone opens a thread, so the writes of
   * ingest do not pay for an index they never use.
   */
  threadPosts(rootUri: string, limit = 2000): FeedRow[] {
    const rows = this.#db.prepare(THREAD_SELECT).all(rootUri, limit);
    return (rows as unknown as RawPageRow[]).map(toFeedRow);
  }

  putActor(did: string, handle: string, pdsUrl: string | null): void {
    this.#stmt.upsertActor!.run(did, handle, pdsUrl);
  }

  actor(did: string): { did: string; handle: string; pdsUrl: string | null } | null {
    const row = this.#stmt.actor!.get(did) as { did: string; handle: string; pds_url: string | null } | undefined;
    return row ? { did: row.did, handle: row.handle, pdsUrl: row.pds_url } : null;
  }

  /** Makes the author set exactly `wanted` (followed accounts plus the signed-in one); returns the dropped DIDs. */
  setAuthors(wanted: { did: string; followed: boolean }[]): string[] {
    const keep = new Set(wanted.map((w) => w.did));
    const dropped = this.authors()
      .map((a) => a.did)
      .filter((did) => !keep.has(did));
    for (const did of dropped) {
      this.#stmt.deleteAuthor!.run(did);
      this.removeActor(did);
    }
    for (const w of wanted) this.#stmt.upsertAuthor!.run(w.did, this.actor(w.did)?.handle ?? w.did, w.followed ? 1 : 0);
    return dropped;
  }

  authors(): AuthorRow[] {
    return (this.#stmt.authors!.all() as { did: string; handle: string; pds_url: string | null; followed: number; state: AuthorState; reason: string | null; failures: number; retry_at: string | null }[]).map(
      (r) => ({ did: r.did, handle: r.handle, pdsUrl: r.pds_url, followed: r.followed === 1, state: r.state, reason: r.reason, failures: r.failures, retryAt: r.retry_at }),
    );
  }

  markCatchingUp(did: string): void {
    this.#stmt.markCatchingUp!.run(did);
  }

  markDone(did: string, handle: string, pdsUrl: string): void {
    this.#stmt.markDone!.run(handle, pdsUrl, new Date().toISOString(), did);
  }

  markUnreachable(did: string, reason: string, retryAt: string | null): void {
    this.#stmt.markUnreachable!.run(reason, retryAt, did);
  }

  addMalformed(uri: string, reason: string): void {
    this.#stmt.addMalformed!.run(uri, reason, new Date().toISOString());
  }

  malformedCount(): number {
    return (this.#stmt.malformedCount!.get() as { n: number }).n;
  }

  feedCount(): number {
    return (this.#stmt.feedCount!.get() as { n: number }).n;
  }

  getMeta(key: string): string | null {
    return (this.#stmt.getMeta!.get(key) as { value: string } | undefined)?.value ?? null;
  }

  setMeta(key: string, value: string): void {
    this.#stmt.setMeta!.run(key, value);
  }

  /** A record deleted at its source (a live delete): its feed row goes, and the post if it was one. */
  removeRecord(uri: string): boolean {
    const row = this.#stmt.feedPostOf!.get(uri) as { post_uri: string } | undefined;
    if (row) {
      this.#removeFeedRow(uri, row.post_uri, true);
      return true;
    }
    return Number(this.#stmt.deletePost!.run(uri).changes) > 0;
  }

  /** Where a live source left off (see live/), or null when it has not started yet. */
  liveCursor(source: string): number | null {
    return (this.#stmt.liveCursor!.get(source) as { cursor: number } | undefined)?.cursor ?? null;
  }

  setLiveCursor(source: string, cursor: number): void {
    this.#stmt.setLiveCursor!.run(source, cursor, new Date().toISOString());
  }

  clearLiveCursor(source: string): void {
    this.#stmt.clearLiveCursor!.run(source);
  }

  // The signed-in account's own writes (actions.ts): its likes, reposts and follows by subject,
  // and what a write needs to put back if the PDS refuses it.

  putViewerRecord(collection: ViewerCollection, subject: string, uri: string): void {
    this.#db.prepare('INSERT INTO viewer_records (collection, subject, uri) VALUES (?, ?, ?) ON CONFLICT (collection, subject) DO UPDATE SET uri = excluded.uri').run(collection, subject, uri);
  }

  removeViewerRecord(collection: ViewerCollection, subject: string): void {
    this.#db.prepare('DELETE FROM viewer_records WHERE collection = ? AND subject = ?').run(collection, subject);
  }

  viewerRecord(collection: ViewerCollection, subject: string): string | null {
    return (this.#db.prepare('SELECT uri FROM viewer_records WHERE collection = ? AND subject = ?').get(collection, subject) as { uri: string } | undefined)?.uri ?? null;
  }

  viewerRecords(collection: ViewerCollection): { subject: string; uri: string }[] {
    return this.#db.prepare('SELECT subject, uri FROM viewer_records WHERE collection = ?').all(collection) as { subject: string; uri: string }[];
  }

  /** A feed row as stored, to remove and, if the write fails, put back as it was. */
  feedEntry(uri: string): FeedEntry | null {
    const row = this.#db.prepare('SELECT uri, kind, cid, actor_did, post_uri, created_at, indexed_at FROM feed WHERE uri = ?').get(uri) as
      | { uri: string; kind: 'post' | 'repost'; cid: string; actor_did: string; post_uri: string; created_at: string; indexed_at: string }
      | undefined;
    return row ? { uri: row.uri, kind: row.kind, cid: row.cid, actorDid: row.actor_did, postUri: row.post_uri, createdAt: row.created_at, indexedAt: row.indexed_at } : null;
  }

  /** The reposts by an actor that are in the feed: post URI → repost URI. */
  repostsBy(actorDid: string): { subject: string; uri: string }[] {
    return this.#db.prepare("SELECT post_uri AS subject, uri FROM feed WHERE actor_did = ? AND kind = 'repost'").all(actorDid) as { subject: string; uri: string }[];
  }

  putFeedEntry(entry: FeedEntry): void {
    this.#putFeed(entry.uri, entry.kind, entry.cid, entry.actorDid, entry.postUri, entry.createdAt, entry.indexedAt);
  }

  /** Removes a record's feed row; deletedAtSource also drops its post when the row is the post itself. */
  removeFeedEntry(uri: string, deletedAtSource: boolean): void {
    const entry = this.feedEntry(uri);
    if (entry) this.#removeFeedRow(entry.uri, entry.postUri, deletedAtSource);
    else if (deletedAtSource) this.#stmt.deletePost!.run(uri);
  }

  /** A stored post as its record was parsed, and when Hearth first saw it. */
  storedPost(uri: string): { post: ParsedPost; indexedAt: string } | null {
    const row = this.#db.prepare('SELECT uri, cid, author_did, text, created_at, indexed_at, reply_parent, reply_root, embeds, facets FROM posts WHERE uri = ?').get(uri) as
      | { uri: string; cid: string; author_did: string; text: string; created_at: string; indexed_at: string; reply_parent: string | null; reply_root: string | null; embeds: string; facets: string }
      | undefined;
    if (!row) return null;
    return {
      indexedAt: row.indexed_at,
      post: {
        kind: 'post',
        uri: row.uri,
        cid: row.cid,
        authorDid: row.author_did,
        text: row.text,
        facets: JSON.parse(row.facets) as ParsedFacet[] | null,
        createdAt: row.created_at,
        reply: row.reply_parent && row.reply_root ? { parentUri: row.reply_parent, rootUri: row.reply_root } : null,
        embeds: JSON.parse(row.embeds) as ParsedEmbeds,
      },
    };
  }

  hasAuthor(did: string): boolean {
    return this.#db.prepare('SELECT 1 FROM authors WHERE did = ?').get(did) !== undefined;
  }

  /** One followed account more (its posts are read by a backfill of that account). */
  addFollowed(did: string, handle: string): void {
    this.#stmt.upsertAuthor!.run(did, this.actor(did)?.handle ?? handle, 1);
  }

  /** An account no longer followed: it and every row it put in the feed go. */
  dropAuthor(did: string): void {
    this.#stmt.deleteAuthor!.run(did);
    this.removeActor(did);
  }
}

const PAGE_SELECT = `
  SELECT f.uri AS feed_uri, f.kind, f.actor_did, ra.handle AS actor_handle, f.created_at AS repost_created_at, f.sort_at,
         p.uri, p.cid, p.author_did, aa.handle AS author_handle, aa.pds_url AS author_pds, p.text, p.created_at, p.indexed_at,
         p.reply_parent, p.reply_root, p.embeds, p.facets
  FROM feed f
  JOIN posts p ON p.uri = f.post_uri
  LEFT JOIN actors aa ON aa.did = p.author_did
  LEFT JOIN actors ra ON ra.did = f.actor_did`;

const THREAD_SELECT = `
  SELECT p.uri AS feed_uri, 'post' AS kind, p.author_did AS actor_did, aa.handle AS actor_handle, p.created_at AS repost_created_at, p.sort_at,
         p.uri, p.cid, p.author_did, aa.handle AS author_handle, aa.pds_url AS author_pds, p.text, p.created_at, p.indexed_at,
         p.reply_parent, p.reply_root, p.embeds, p.facets
  FROM posts p
  LEFT JOIN actors aa ON aa.did = p.author_did
  WHERE p.reply_root = ?
  LIMIT ?`;

interface RawPageRow {
  feed_uri: string;
  kind: 'post' | 'repost';
  actor_did: string;
  actor_handle: string | null;
  repost_created_at: string;
  sort_at: number;
  uri: string;
  cid: string;
  author_did: string;
  author_handle: string | null;
  author_pds: string | null;
  text: string;
  created_at: string;
  indexed_at: string;
  reply_parent: string | null;
  reply_root: string | null;
  embeds: string;
  facets: string;
}

const toFeedRow = (r: RawPageRow): FeedRow => ({
  feedUri: r.feed_uri,
  kind: r.kind,
  actorDid: r.actor_did,
  actorHandle: r.actor_handle,
  repostCreatedAt: r.repost_created_at,
  sortAt: r.sort_at,
  uri: r.uri,
  cid: r.cid,
  authorDid: r.author_did,
  authorHandle: r.author_handle,
  authorPds: r.author_pds,
  text: r.text,
  createdAt: r.created_at,
  indexedAt: r.indexed_at,
  replyParent: r.reply_parent,
  replyRoot: r.reply_root,
  embeds: JSON.parse(r.embeds) as ParsedEmbeds,
  facets: JSON.parse(r.facets) as ParsedFacet[] | null,
});
