/**
 * The Thread view, read from the authors' own repos: the post and each parent up to the root
 * with getRecord (a parent that is gone takes its place as "deleted or cannot be read"), and the
 * replies Hearth can find. A repo lists what its owner wrote, never what others wrote in reply,
 * and only an index of every repo (an AppView) knows all replies; so the replies come from what
 * Hearth knows: the posts in the viewer's store, and the recent posts in the repos of the
 * thread's participants, the viewer and the accounts the viewer follows (a bounded number). The
 * view says where it looked.
 */
import type { PostView, ThreadItem, ThreadView } from '../../shared/contract/feed.ts';
import { FOLLOW, POST } from './backfill.ts';
import type { FeedIdentity } from './identity.ts';
import { FollowRecord, isRecordOf, parsePost } from './records.ts';
import { mapBounded, MISSING_POST, postViewOf, readPost, type RemoteReads } from './remote-post.ts';
import type { RepoReader } from './repo-reader.ts';
import type { FeedStore } from './store/feed-store.ts';
import { toPostView } from './views.ts';

/** Parents followed at most this far up (a reply chain longer than this is a loop or an attack). */
const MAX_PARENTS = 100;
/** Repos read for replies per thread, participants first. */
export const MAX_REPLY_REPOS = 60;
/** Pages of recent posts read per repo (100 each): replies older than that are not looked for. */
const PAGES_PER_REPO = 3;
const REPO_CONCURRENCY = 8;
/** The viewer's follows read for a thread: 1,000 follows is the most a feed is built for. */
const FOLLOW_PAGES = 20;

export interface ThreadInput {
  identity: FeedIdentity;
  reader: RepoReader;
  store: FeedStore;
  viewer: { did: string; handle: string; pdsUrl: string };
  uri: string;
  signal?: AbortSignal;
}

export async function readThread(input: ThreadInput): Promise<ThreadView> {
  const reads: RemoteReads = { identity: input.identity, reader: input.reader, ...(input.signal && { signal: input.signal }) };
  const seenAt = new Date();
  const focused = await readPost(input.uri, reads);
  if (!focused.ok) {
    return { parents: [], post: missing(input.uri, focused.reason), replies: [], repliesFrom: 'No replies are looked for: the post itself cannot be read.' };
  }
  const post = postViewOf(focused.post, focused.author, seenAt);
  const rootUri = focused.post.reply?.rootUri ?? focused.post.uri;

  // Parents, from the post upward; a missing one ends the walk, and the root (named by every reply) is read on its own.
  const up: ThreadItem[] = [];
  const seen = new Set([post.uri]);
  let next = focused.post.reply?.parentUri ?? null;
  while (next && !seen.has(next) && up.length < MAX_PARENTS) {
    seen.add(next);
    const parent = await readPost(next, reads);
    if (!parent.ok) {
      up.push(missing(next, parent.reason));
      break;
    }
    up.push({ uri: next, post: postViewOf(parent.post, parent.author, seenAt), missing: null });
    next = parent.post.reply?.parentUri ?? null;
  }
  if (rootUri !== post.uri && !seen.has(rootUri)) {
    const root = await readPost(rootUri, reads);
    up.push(root.ok ? { uri: rootUri, post: postViewOf(root.post, root.author, seenAt), missing: null } : missing(rootUri, root.reason));
  }
  const parents = up.reverse();

  const found = new Map<string, PostView>();
  for (const row of input.store.threadPosts(rootUri)) found.set(row.uri, toPostView(row));
  const participants = new Set([...parents.flatMap((p) => (p.post ? [p.post.author.did] : [])), post.author.did, ...[...found.values()].map((p) => p.author.did)]);
  const followed = await followedBy(input);
  const oldest = Date.parse(parents[0]?.post?.createdAt ?? post.createdAt);

  // Two rounds: the participants known now (with the viewer and followed accounts), then anyone new whose reply turned up.
  const read = new Set<string>();
  let unreadable = 0;
  const readRepos = async (dids: string[]) => {
    const todo = [...new Set(dids)].filter((d) => !read.has(d)).slice(0, MAX_REPLY_REPOS - read.size);
    for (const did of todo) read.add(did);
    const results = await mapBounded(todo, REPO_CONCURRENCY, (did) => repliesInRepo(input.identity, input.reader, did, rootUri, oldest, seenAt, input.signal));
    for (const replies of results) {
      if (!replies) unreadable++;
      for (const reply of replies ?? []) found.set(reply.uri, reply);
    }
  };
  await readRepos([...participants, input.viewer.did, ...followed]);
  await readRepos([...found.values()].map((p) => p.author.did));
  const notRead = new Set([...participants, input.viewer.did, ...followed, ...[...found.values()].map((p) => p.author.did)].filter((d) => !read.has(d))).size;

  return { parents, post: { uri: post.uri, post, missing: null }, replies: replyTree(post.uri, [...found.values()]), repliesFrom: describeSources(input.viewer.handle, read.size, unreadable, notRead) };
}

/**
 * Whom the viewer follows, from its own repo (so a thread opened before the first refresh has
 * them too), with the store's list from the last refresh when the repo cannot be read.
 */
async function followedBy(input: ThreadInput): Promise<string[]> {
  const stored = input.store
    .authors()
    .filter((a) => a.followed)
    .map((a) => a.did);
  const out = new Set<string>();
  let cursor: string | undefined;
  try {
    for (let page = 0; page < FOLLOW_PAGES; page++) {
      const reply = await input.reader.listRecords(input.viewer.pdsUrl, input.viewer.did, FOLLOW, { limit: 100, ...(cursor && { cursor }), ...(input.signal && { signal: input.signal }) });
      for (const record of reply.records) {
        const follow = FollowRecord.safeParse(record.value);
        if (follow.success && isRecordOf(record.uri, input.viewer.did, FOLLOW)) out.add(follow.data.subject);
      }
      cursor = reply.records.length > 0 ? reply.cursor : undefined;
      if (!cursor) break;
    }
  } catch (err) {
    if (input.signal?.aborted) throw err;
    return stored;
  }
  return [...out];
}

const missing = (uri: string, reason: string): ThreadItem => ({ uri, post: null, missing: `${MISSING_POST} (${reason}).` });

/** The replies in one thread among a repo's recent posts; null when the repo could not be read. */
async function repliesInRepo(identity: FeedIdentity, reader: RepoReader, did: string, rootUri: string, oldestMs: number, seenAt: Date, signal?: AbortSignal): Promise<PostView[] | null> {
  try {
    const who = await identity.resolveDid(did);
    const out: PostView[] = [];
    let cursor: string | undefined;
    for (let page = 0; page < PAGES_PER_REPO; page++) {
      const reply = await reader.listRecords(who.pdsUrl, did, POST, { limit: 100, ...(cursor && { cursor }), ...(signal && { signal }) });
      let newer = 0;
      for (const record of reply.records) {
        if (!isRecordOf(record.uri, did, POST)) continue;
        const parsed = parsePost(record);
        if (!parsed.ok) continue;
        if (Date.parse(parsed.value.createdAt) >= oldestMs) newer++;
        if (parsed.value.reply?.rootUri === rootUri) out.push(postViewOf(parsed.value, who, seenAt));
      }
      cursor = reply.records.length > 0 ? reply.cursor : undefined;
      // Newest first: a page written wholly before the thread began means the rest is older still.
      if (!cursor || newer === 0) break;
    }
    return out;
  } catch (err) {
    if (signal?.aborted) throw err;
    return null;
  }
}

/** The replies under `uri` in reading order: each reply after its parent, siblings oldest first. */
export function replyTree(uri: string, posts: PostView[]): { post: PostView; depth: number }[] {
  const children = new Map<string, PostView[]>();
  for (const p of posts) {
    if (!p.reply || p.uri === uri) continue;
    const list = children.get(p.reply.parentUri) ?? [];
    list.push(p);
    children.set(p.reply.parentUri, list);
  }
  const out: { post: PostView; depth: number }[] = [];
  const visited = new Set([uri]);
  const walk = (parent: string, depth: number) => {
    const list = (children.get(parent) ?? []).sort((a, b) => a.createdAt.localeCompare(b.createdAt) || a.uri.localeCompare(b.uri));
    for (const child of list) {
      if (visited.has(child.uri)) continue;
      visited.add(child.uri);
      out.push({ post: child, depth });
      walk(child.uri, depth + 1);
    }
  };
  walk(uri, 1);
  return out;
}

function describeSources(viewerHandle: string, repos: number, unreadable: number, notRead: number): string {
  const parts = [
    `Replies found in the posts Hearth has stored for @${viewerHandle} and in the recent posts of ${repos} account${repos === 1 ? '' : 's'} (this thread’s participants, @${viewerHandle} and the accounts it follows)`,
  ];
  if (unreadable) parts.push(`${unreadable} of them could not be read`);
  if (notRead) parts.push(`${notRead} more followed account${notRead === 1 ? ' was' : 's were'} not read (Hearth reads at most ${MAX_REPLY_REPOS})`);
  return `${parts.join('; ')}. Replies by other accounts are not shown: a repo does not list the replies to its posts, and only an AppView indexes them all.`;
}

