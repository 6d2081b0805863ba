import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { afterEach, describe, expect, it } from 'vitest';
import { parseFacets, type ParsedPost, type ParsedRepost } from '../records.ts';
import { readPage } from '../views.ts';
import { FeedStore } from './feed-store.ts';
import { MIGRATIONS, SCHEMA_VERSION } from './schema.ts';

const dirs: string[] = [];
const open = () => {
  const dir = mkdtempSync(join(tmpdir(), 'hearth-feed-store-'));
  dirs.push(dir);
  return FeedStore.open(join(dir, 'feed.sqlite'));
};
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

const A = 'did:plc:aaaaaaaaaaaaaaaaaaaaaaaa';
const B = 'did:plc:bbbbbbbbbbbbbbbbbbbbbbbb';
const post = (did: string, rkey: string, createdAt: string, cid = `bafyrei${rkey}cid0000`): ParsedPost => ({
  kind: 'post',
  uri: `at://${did}/app.bsky.feed.post/${rkey}`,
  cid,
  authorDid: did,
  text: `text of ${rkey}`,
  facets: [],
  createdAt,
  reply: null,
  embeds: { images: [], external: null, quote: null },
});
const repost = (did: string, rkey: string, subject: ParsedPost, createdAt: string): ParsedRepost => ({
  kind: 'repost',
  uri: `at://${did}/app.bsky.feed.repost/${rkey}`,
  cid: `bafyrei${rkey}rp00000`,
  actorDid: did,
  subject: { uri: subject.uri, cid: subject.cid },
  createdAt,
});
const seen = new Date('2026-06-01T12:00:00.000Z');

describe('the feed store', () => {
  it('upserts by URI: the same record twice is one row; a new CID updates it but keeps when it was first seen', () => {
    const store = open();
    const p = post(A, '1', '2026-06-01T10:00:00.000Z');
    expect(store.putPost(p, seen, true)).toBe('inserted');
    expect(store.putPost(p, new Date('2026-06-01T13:00:00.000Z'), true)).toBe('unchanged');
    expect(store.feedCount()).toBe(1);
    const edited = { ...p, cid: 'bafyrei1editedcid', text: 'edited' };
    expect(store.putPost(edited, new Date('2026-06-01T14:00:00.000Z'), true)).toBe('updated');
    const [row] = readPage(store, 50).posts;
    expect(row).toMatchObject({ cid: 'bafyrei1editedcid', text: 'edited', indexedAt: seen.toISOString(), sortAt: '2026-06-01T10:00:00.000Z' });
  });

  it('places a post from the future at the time it was first seen, and keeps it there', () => {
    const store = open();
    store.putPost(post(A, 'future', '2027-01-01T00:00:00.000Z'), seen, true);
    store.putPost(post(A, 'later', '2026-06-01T12:30:00.000Z'), new Date('2026-06-01T12:31:00.000Z'), true);
    store.putPost(post(A, 'future', '2027-01-01T00:00:00.000Z'), new Date('2026-06-02T00:00:00.000Z'), true);
    const page = readPage(store, 50).posts;
    expect(page.map((p) => p.uri.split('/').pop())).toEqual(['later', 'future']);
    expect(page[1]).toMatchObject({ createdAt: '2027-01-01T00:00:00.000Z', sortAt: seen.toISOString() });
  });

  it('pages by keyset without skipping or repeating rows that share a time', () => {
    const store = open();
    for (let i = 0; i < 23; i++) store.putPost(post(i % 2 ? A : B, `k${String(i).padStart(2, '0')}`, '2026-06-01T10:00:00.000Z'), seen, true);
    const all = readPage(store, 50).posts.map((p) => p.uri);
    const paged: string[] = [];
    let cursor: string | undefined;
    do {
      const page = readPage(store, 5, cursor);
      paged.push(...page.posts.map((p) => p.uri));
      cursor = page.cursor ?? undefined;
    } while (cursor);
    expect(paged).toEqual(all);
    expect(new Set(paged).size).toBe(23);
  });

  it('removes what a complete read no longer saw, within the window only; a reposted post stays while shown', () => {
    const store = open();
    const kept = post(A, 'kept', '2026-06-01T10:00:00.000Z');
    const gone = post(A, 'gone', '2026-06-01T10:01:00.000Z');
    const old = post(A, 'old', '2026-05-01T10:00:00.000Z');
    for (const p of [kept, gone, old]) store.putPost(p, seen, true);
    store.putRepost(repost(B, 'r1', kept, '2026-06-01T11:00:00.000Z'), seen);
    const since = Date.parse('2026-05-25T00:00:00.000Z');
    expect(store.removeUnseen(A, since, new Set([kept.uri]))).toBe(1);
    expect(readPage(store, 50).posts.map((p) => p.repostBy?.uri ?? p.uri)).toEqual([`at://${B}/app.bsky.feed.repost/r1`, kept.uri, old.uri]);
    // B unfollowed: its repost goes, A's post it pointed at stays as A's own.
    store.removeActor(B);
    expect(readPage(store, 50).posts.map((p) => p.uri)).toEqual([kept.uri, old.uri]);
    // A deleted the reposted post: a repost of it shows nothing.
    store.putRepost(repost(B, 'r2', kept, '2026-06-01T11:00:00.000Z'), seen);
    store.removeUnseen(A, since, new Set());
    expect(readPage(store, 50).posts.map((p) => p.uri)).toEqual([old.uri]);
  });

  it('brings a store written by the first schema up to date, keeping its posts', () => {
    const dir = mkdtempSync(join(tmpdir(), 'hearth-feed-store-'));
    dirs.push(dir);
    const file = join(dir, 'feed.sqlite');
    const v1 = new DatabaseSync(file);
    v1.exec(MIGRATIONS[0]!);
    v1.exec('PRAGMA user_version = 1');
    v1.prepare(`INSERT INTO posts (uri, cid, author_did, text, created_at, created_ms, indexed_at, sort_at, reply_parent, reply_root, embeds)
                VALUES (?, 'bafyreioldcid0000', ?, 'from before', '2026-06-01T10:00:00.000Z', ?, '2026-06-01T10:00:00.000Z', ?, NULL, NULL, ?)`)
      .run(`at://${A}/app.bsky.feed.post/old`, A, Date.parse('2026-06-01T10:00:00.000Z'), Date.parse('2026-06-01T10:00:00.000Z'), JSON.stringify({ images: [], external: null, quote: null }));
    v1.prepare(`INSERT INTO feed (uri, kind, cid, actor_did, post_uri, created_at, created_ms, indexed_at, sort_at) VALUES (?, 'post', 'bafyreioldcid0000', ?, ?, '2026-06-01T10:00:00.000Z', ?, '2026-06-01T10:00:00.000Z', ?)`)
      .run(`at://${A}/app.bsky.feed.post/old`, A, `at://${A}/app.bsky.feed.post/old`, Date.parse('2026-06-01T10:00:00.000Z'), Date.parse('2026-06-01T10:00:00.000Z'));
    v1.close();
    const store = FeedStore.open(file);
    expect(readPage(store, 50).posts).toMatchObject([{ text: 'from before', facets: [] }]);
    store.close();
    const db = new DatabaseSync(file);
    expect(db.prepare('PRAGMA user_version').get()).toEqual({ user_version: SCHEMA_VERSION });
    db.close();
  });

  it('is versioned: a new file gets the current schema, a file from a newer Hearth is refused', () => {
    const store = open();
    const file = store.file;
    store.close();
    const db = new DatabaseSync(file);
    expect(db.prepare('PRAGMA user_version').get()).toEqual({ user_version: SCHEMA_VERSION });
    expect(db.prepare('PRAGMA journal_mode').get()).toEqual({ journal_mode: 'wal' });
    db.exec(`PRAGMA user_version = ${SCHEMA_VERSION + 1}`);
    db.close();
    expect(() => FeedStore.open(file)).toThrow(/newer Hearth/);
  });
});

describe('rich-text facets', () => {
  const link = (byteStart: number, byteEnd: number, uri = 'https://example.com/') => ({ index: { byteStart, byteEnd }, features: [{ $type: 'app.bsky.richtext.facet#link', uri }] });

  it('keeps sound facets in order, with byte offsets (not characters), and only known features', () => {
    const text = 'héllo https://x.test #tag';
    const start = Buffer.byteLength('héllo ');
    const tagStart = Buffer.byteLength('héllo https://x.test ');
    expect(
      parseFacets(text, [
        { index: { byteStart: tagStart, byteEnd: tagStart + 4 }, features: [{ $type: 'app.bsky.richtext.facet#tag', tag: 'tag' }, { $type: 'com.example.future', x: 1 }] },
        link(start, start + 14, 'https://x.test'),
        { index: { byteStart: 0, byteEnd: 1 }, features: [{ $type: 'com.example.future' }] },
      ]),
    ).toEqual([link(start, start + 14, 'https://x.test'), { index: { byteStart: tagStart, byteEnd: tagStart + 4 }, features: [{ $type: 'app.bsky.richtext.facet#tag', tag: 'tag' }] }]);
    expect(parseFacets(text, undefined)).toEqual([]);
  });

  it('trusts none of them when one is unsound: out of the text, splitting a character, overlapping, or not facets at all', () => {
    expect(parseFacets('short', [link(2, 9_999)])).toBeNull();
    expect(parseFacets('é', [link(1, 2)])).toBeNull();
    expect(parseFacets('abcdef', [link(0, 4), link(2, 6)])).toBeNull();
    expect(parseFacets('abc', [link(2, 1)])).toBeNull();
    expect(parseFacets('abc', 'not a list')).toBeNull();
    expect(parseFacets('abc', [{ index: { byteStart: -1, byteEnd: 2 }, features: [] }])).toBeNull();
  });
});
