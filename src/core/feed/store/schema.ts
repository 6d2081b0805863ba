import type { DatabaseSync } from 'node:sqlite';

/**
 * The feed store's schema, one migration per version (PRAGMA user_version). Migrations only ever
 * get appended: a store written by an older Hearth is brought up to date on open; one written by a
 * newer Hearth is refused rather than guessed at.
 *
 * - posts: every post Hearth knows (followed authors' posts, and posts someone reposted), stored
 *   in URI order (WITHOUT ROWID) so a feed row finds its post in one lookup.
 * - feed: the rows of a feed, one per record that put them there (the post's own URI, or the
 *   repost record's URI, unique), stored in feed order: the primary key is (sort_at, uri), sort_at
 *   integer milliseconds, so a page of 50 is one contiguous range of the table at any depth.
 * - authors: the accounts read for the feed, with their backfill state.
 * - malformed: records that did not parse, by URI, so a second refresh does not count them twice.
 * - meta: small settings (window days, last refresh).
 */
export const MIGRATIONS: string[] = [
  `
  CREATE TABLE posts (
    uri TEXT PRIMARY KEY,
    cid TEXT NOT NULL,
    author_did TEXT NOT NULL,
    text TEXT NOT NULL,
    created_at TEXT NOT NULL,
    created_ms INTEGER NOT NULL,
    indexed_at TEXT NOT NULL,
    sort_at INTEGER NOT NULL,
    reply_parent TEXT,
    reply_root TEXT,
    embeds TEXT NOT NULL
  ) STRICT, WITHOUT ROWID;

  CREATE TABLE feed (
    sort_at INTEGER NOT NULL,
    uri TEXT NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('post', 'repost')),
    cid TEXT NOT NULL,
    actor_did TEXT NOT NULL,
    post_uri TEXT NOT NULL,
    created_at TEXT NOT NULL,
    created_ms INTEGER NOT NULL,
    indexed_at TEXT NOT NULL,
    PRIMARY KEY (sort_at DESC, uri DESC)
  ) STRICT, WITHOUT ROWID;
  CREATE UNIQUE INDEX feed_uri ON feed (uri);
  CREATE INDEX feed_actor ON feed (actor_did, created_ms);
  CREATE INDEX feed_post ON feed (post_uri);

  CREATE TABLE authors (
    did TEXT PRIMARY KEY,
    handle TEXT NOT NULL,
    pds_url TEXT,
    followed INTEGER NOT NULL,
    state TEXT NOT NULL CHECK (state IN ('catching-up', 'done', 'unreachable')),
    reason TEXT,
    failures INTEGER NOT NULL DEFAULT 0,
    retry_at TEXT,
    done_at TEXT
  ) STRICT;

  CREATE TABLE actors (
    did TEXT PRIMARY KEY,
    handle TEXT NOT NULL,
    pds_url TEXT
  ) STRICT;

  CREATE TABLE malformed (
    uri TEXT PRIMARY KEY,
    reason TEXT NOT NULL,
    seen_at TEXT NOT NULL
  ) STRICT;

  CREATE TABLE meta (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
  ) STRICT;
  `,
  // 2: rich-text facets of a post (JSON; 'null' when the record's facets are unsound). Posts
  // stored before have none recorded; the next refresh that sees a new CID fills them in.
  `
  ALTER TABLE posts ADD COLUMN facets TEXT NOT NULL DEFAULT '[]';
  `,
  // 3: the signed-in account's own likes, reposts and follows written from Hearth, by subject (a
  // post URI, or the followed DID), with the record's URI so it can be undone.
  `
  CREATE TABLE viewer_records (
    collection TEXT NOT NULL CHECK (collection IN ('like', 'repost', 'follow')),
    subject TEXT NOT NULL,
    uri TEXT NOT NULL,
    PRIMARY KEY (collection, subject)
  ) STRICT, WITHOUT ROWID;
  `,
  // Live updates: where each live source (a PDS's firehose, Jetstream) left off. A cursor is
  // written in the same transaction as the events before it, so it never points past the store.
  `
  CREATE TABLE live_cursors (
    source TEXT PRIMARY KEY,
    cursor INTEGER NOT NULL,
    updated_at TEXT NOT NULL
  ) STRICT;
  `,
];

export const SCHEMA_VERSION = MIGRATIONS.length;

export function migrate(db: DatabaseSync, file: string): void {
  const { user_version: current } = db.prepare('PRAGMA user_version').get() as { user_version: number };
  if (current > SCHEMA_VERSION) {
    throw new Error(`The feed store ${file} was written by a newer Hearth (schema ${current}; this one knows ${SCHEMA_VERSION}).`);
  }
  for (let version = current; version < SCHEMA_VERSION; version++) {
    db.exec('BEGIN IMMEDIATE');
    try {
      db.exec(MIGRATIONS[version]!);
      db.exec(`PRAGMA user_version = ${version + 1}`);
      db.exec('COMMIT');
    } catch (err) {
      db.exec('ROLLBACK');
      throw err;
    }
  }
}
