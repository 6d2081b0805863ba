/**
 * Writes as a signed-in feed account (issue 12 item 7), each through the account's own PDS with
 * @atproto/api. The record key is chosen here (a TID), so the record's URI is known before the
 * write: the local store takes the change first (the Following feed shows a new post or repost at
 * once, and likes, reposts and follows are remembered so the window shows them done), and the
 * store is put back as it was when the PDS refuses or does not answer. Unfollow is the exception:
 * it removes the account's rows only once the PDS has deleted the follow, since putting them back
 * would mean reading them all again.
 */
import type { AtpAgent, XRPCError as XRPCErrorClass } from '@atproto/api';
import type { z } from 'zod';
import type { FeedAccount, PostView } from '../../shared/contract/feed.ts';
import type { NewPostInput, ViewerState } from '../../shared/contract/feed-actions.ts';
import { HearthError } from '../../shared/errors.ts';
import { FOLLOW, POST, REPOST } from './backfill.ts';
import type { FeedIdentity } from './identity.ts';
import { buildEmbed, checkImages, detectFacets, nextTid, PENDING_CID, readTarget, splitRecordUri, type StrongRef } from './post-compose.ts';
import { parsePost, type ParsedPost } from './records.ts';
import type { RepoReader } from './repo-reader.ts';
import type { FeedStore, ViewerCollection } from './store/feed-store.ts';
import { toPostView } from './views.ts';

export const LIKE = 'app.bsky.feed.like';
/** How far back the account's own records are listed to find one made outside Hearth (100 each). */
const MAX_LIST_PAGES = 50;

export interface FeedActionsDeps {
  account(did: string): FeedAccount;
  agent(did: string): Promise<AtpAgent>;
  store(did: string): Promise<FeedStore>;
  identity(): Promise<FeedIdentity>;
  reader(): RepoReader;
  /** Reads a newly followed account's posts in the window into the feed (a backfill job); its job id. */
  backfillAuthor(did: string, author: string): Promise<string>;
}

type Collection = typeof POST | typeof LIKE | typeof REPOST | typeof FOLLOW;

export class FeedActions {
  readonly #deps: FeedActionsDeps;

  constructor(deps: FeedActionsDeps) {
    this.#deps = deps;
  }

  async post(input: z.output<typeof NewPostInput>): Promise<PostView> {
    const account = this.#deps.account(input.did);
    const images = checkImages(input.images);
    const [store, identity, agent] = await Promise.all([this.#deps.store(input.did), this.#deps.identity(), this.#deps.agent(input.did)]);
    const reads = { store, identity, reader: this.#deps.reader() };
    const parent = input.reply ? await readTarget(input.reply.parentUri, reads, false) : null;
    const quote = input.quote ? await readTarget(input.quote.uri, reads, true) : null;
    const { text, facets } = await detectFacets(input.text, identity);
    const embed = await this.#write(account, 'upload the images', () => buildEmbed(agent, images, quote?.ref ?? null));
    const record: Record<string, unknown> = {
      $type: POST,
      text,
      createdAt: new Date().toISOString(),
      ...(facets.length && { facets }),
      ...(parent && { reply: { root: parent.root, parent: parent.ref } }),
      ...(embed && { embed }),
    };
    const rkey = nextTid();
    const uri = `at://${account.did}/${POST}/${rkey}`;
    // The record as JSON (blob refs as { $link }), the form the feed's parser reads.
    const parsed = parsePost({ uri, cid: PENDING_CID, value: JSON.parse(JSON.stringify(record)) as unknown });
    if (!parsed.ok) throw new HearthError('INTERNAL', `Hearth built a post it cannot read back (${parsed.reason}).`, 'Nothing was posted. Please report this.');
    const seenAt = new Date();
    store.putActor(account.did, account.handle, account.pdsUrl);
    store.putPost(parsed.value, seenAt, true);
    const { cid } = await this.#undoOnFailure(
      account,
      'post',
      () => this.#create(agent, account.did, POST, rkey, record),
      () => store.removeFeedEntry(uri, true),
    );
    const written: ParsedPost = { ...parsed.value, cid };
    store.putPost(written, seenAt, true);
    // The quoted post, kept for the quote to show (only once the write went through: a failure leaves the store as it was).
    if (quote?.parsed && !store.hasPost(quote.ref.uri)) await this.#putAuthorPost(store, identity, quote.parsed, seenAt);
    return toPostView({
      feedUri: uri,
      kind: 'post',
      actorDid: account.did,
      actorHandle: account.handle,
      repostCreatedAt: written.createdAt,
      sortAt: Math.min(Date.parse(written.createdAt), seenAt.getTime()),
      uri,
      cid,
      authorDid: account.did,
      authorHandle: account.handle,
      authorPds: account.pdsUrl,
      text: written.text,
      facets: written.facets,
      createdAt: written.createdAt,
      indexedAt: seenAt.toISOString(),
      replyParent: written.reply?.parentUri ?? null,
      replyRoot: written.reply?.rootUri ?? null,
      embeds: written.embeds,
    });
  }

  async like(did: string, uri: string): Promise<{ uri: string }> {
    return this.#remember(did, 'like', LIKE, uri);
  }

  async unlike(did: string, uri: string): Promise<void> {
    await this.#forget(did, 'like', LIKE, uri);
  }

  async repost(did: string, uri: string): Promise<{ uri: string }> {
    return this.#remember(did, 'repost', REPOST, uri);
  }

  async unrepost(did: string, uri: string): Promise<void> {
    await this.#forget(did, 'repost', REPOST, uri);
  }

  /** subject: a DID, or a handle resolved here. */
  async follow(did: string, subjectOrHandle: string): Promise<{ uri: string; jobId: string | null }> {
    const account = this.#deps.account(did);
    const [store, identity, agent] = await Promise.all([this.#deps.store(did), this.#deps.identity(), this.#deps.agent(did)]);
    const subject = subjectOrHandle.startsWith('did:') ? subjectOrHandle : (await identity.resolveIdentifier(subjectOrHandle)).did;
    if (subject === did) throw new HearthError('VALIDATION', 'An account cannot follow itself.', 'Pick another account to follow.');
    const known = store.viewerRecord('follow', subject);
    if (known) return { uri: known, jobId: null };
    const who = await identity.resolveDid(subject).catch((err: unknown) => {
      if (err instanceof HearthError) throw new HearthError(err.code, `Hearth could not find the account to follow: ${err.message}`, err.hint);
      throw err;
    });
    const rkey = nextTid();
    const uri = `at://${did}/${FOLLOW}/${rkey}`;
    const wasAuthor = store.authors().some((a) => a.did === subject);
    store.putActor(subject, who.handle, who.pdsUrl);
    store.putViewerRecord('follow', subject, uri);
    store.addFollowed(subject, who.handle);
    await this.#undoOnFailure(
      account,
      `follow @${who.handle}`,
      () => this.#create(agent, did, FOLLOW, rkey, { $type: FOLLOW, subject, createdAt: new Date().toISOString() }),
      () => {
        store.removeViewerRecord('follow', subject);
        if (!wasAuthor) store.dropAuthor(subject);
      },
    );
    // The new account's older posts: read now, in the background, as a job the status line shows.
    const jobId = await this.#deps.backfillAuthor(did, subject).catch(() => null);
    return { uri, jobId };
  }

  async unfollow(did: string, subjectOrHandle: string): Promise<void> {
    const account = this.#deps.account(did);
    const [store, agent, identity] = await Promise.all([this.#deps.store(did), this.#deps.agent(did), this.#deps.identity()]);
    const subject = subjectOrHandle.startsWith('did:') ? subjectOrHandle : (await identity.resolveIdentifier(subjectOrHandle)).did;
    const known = store.viewerRecord('follow', subject);
    // Every follow record of that account goes (a second client may have written one too).
    const uris = new Set(known ? [known] : []);
    for (const r of await this.#ownRecords(account, agent, FOLLOW, (v) => (v as { subject?: unknown }).subject === subject)) uris.add(r);
    const handle = store.actor(subject)?.handle ?? subject;
    await this.#write(account, `unfollow @${handle}`, async () => {
      for (const uri of uris) await this.#delete(agent, did, uri);
    });
    store.transaction(() => {
      store.removeViewerRecord('follow', subject);
      store.dropAuthor(subject);
    });
  }

  async deletePost(did: string, uri: string): Promise<void> {
    const account = this.#deps.account(did);
    const { did: author, collection } = splitRecordUri(uri);
    if (collection !== POST) throw new HearthError('VALIDATION', 'That is not the address of a post.', 'Reload the feed and try again.');
    const store = await this.#deps.store(did);
    if (author !== did) {
      const handle = store.actor(author)?.handle;
      throw new HearthError('VALIDATION', `Only your own posts can be deleted: that post is by ${handle ? `@${handle}` : author}, not @${account.handle}.`, 'Nothing was deleted.');
    }
    const agent = await this.#deps.agent(did);
    const kept = store.storedPost(uri);
    const inFeed = store.feedEntry(uri) !== null;
    store.removeFeedEntry(uri, true);
    await this.#undoOnFailure(
      account,
      'delete the post',
      () => this.#delete(agent, did, uri),
      () => {
        if (kept) store.putPost(kept.post, new Date(kept.indexedAt), inFeed);
      },
    );
  }

  async viewer(did: string, uris: string[]): Promise<ViewerState> {
    this.#deps.account(did);
    const store = await this.#deps.store(did);
    const wanted = new Set(uris);
    const pick = (rows: { subject: string; uri: string }[]) => Object.fromEntries(rows.filter((r) => wanted.has(r.subject)).map((r) => [r.subject, r.uri]));
    const following = new Set(store.authors().filter((a) => a.followed).map((a) => a.did));
    for (const r of store.viewerRecords('follow')) following.add(r.subject);
    return {
      likes: pick(store.viewerRecords('like')),
      reposts: { ...pick(store.repostsBy(did)), ...pick(store.viewerRecords('repost')) },
      following: [...following],
    };
  }

  /** A like or repost: remembered (and a repost put in the feed) first, undone if the PDS refuses. */
  async #remember(did: string, kind: ViewerCollection, collection: typeof LIKE | typeof REPOST, subjectUri: string): Promise<{ uri: string }> {
    const account = this.#deps.account(did);
    const [store, identity, agent] = await Promise.all([this.#deps.store(did), this.#deps.identity(), this.#deps.agent(did)]);
    const done = store.viewerRecord(kind, subjectUri) ?? (kind === 'repost' ? store.repostsBy(did).find((r) => r.subject === subjectUri)?.uri : undefined);
    if (done) return { uri: done };
    const target = await readTarget(subjectUri, { store, identity, reader: this.#deps.reader() }, true);
    const rkey = nextTid();
    const uri = `at://${did}/${collection}/${rkey}`;
    const createdAt = new Date().toISOString();
    const seenAt = new Date();
    const hadPost = store.hasPost(subjectUri);
    store.transaction(() => {
      store.putViewerRecord(kind, subjectUri, uri);
      if (kind === 'repost') store.putRepost({ kind: 'repost', uri, cid: PENDING_CID, actorDid: did, subject: target.ref, createdAt }, seenAt);
    });
    const what = kind === 'like' ? 'like the post' : 'repost the post';
    const { cid } = await this.#undoOnFailure(
      account,
      what,
      () => this.#create(agent, did, collection, rkey, { $type: collection, subject: target.ref, createdAt }),
      () => {
        store.removeViewerRecord(kind, subjectUri);
        if (kind === 'repost') store.removeFeedEntry(uri, false);
      },
    );
    if (kind === 'repost') {
      store.putRepost({ kind: 'repost', uri, cid, actorDid: did, subject: target.ref, createdAt }, seenAt);
      // A post the store did not have (read from its author's repo): kept now, so the repost row shows it.
      if (!hadPost && target.parsed) await this.#putAuthorPost(store, identity, target.parsed, seenAt);
    }
    return { uri };
  }

  /** Unlike or undo a repost: forgotten first, put back if the PDS refuses. */
  async #forget(did: string, kind: ViewerCollection, collection: typeof LIKE | typeof REPOST, subjectUri: string): Promise<void> {
    const account = this.#deps.account(did);
    const [store, agent] = await Promise.all([this.#deps.store(did), this.#deps.agent(did)]);
    const uris = new Set<string>();
    const known = store.viewerRecord(kind, subjectUri);
    if (known) uris.add(known);
    if (kind === 'repost') for (const r of store.repostsBy(did)) if (r.subject === subjectUri) uris.add(r.uri);
    // Made elsewhere (the Bluesky app): found in the account's own repo.
    if (!uris.size) for (const u of await this.#ownRecords(account, agent, collection, (v) => (v as { subject?: { uri?: unknown } }).subject?.uri === subjectUri)) uris.add(u);
    if (!uris.size) return;
    const entries = [...uris].map((u) => store.feedEntry(u)).filter((e) => e !== null);
    const post = store.storedPost(subjectUri);
    store.transaction(() => {
      store.removeViewerRecord(kind, subjectUri);
      for (const e of entries) store.removeFeedEntry(e.uri, false);
    });
    await this.#undoOnFailure(
      account,
      kind === 'like' ? 'unlike the post' : 'undo the repost',
      async () => {
        for (const u of uris) await this.#delete(agent, did, u);
      },
      () =>
        store.transaction(() => {
          if (known) store.putViewerRecord(kind, subjectUri, known);
          if (post) store.putPost(post.post, new Date(post.indexedAt), store.feedEntry(subjectUri) !== null);
          for (const e of entries) store.putFeedEntry(e);
        }),
    );
  }

  /** A post someone else wrote, kept so a repost or quote of it has something to show. */
  async #putAuthorPost(store: FeedStore, identity: FeedIdentity, post: ParsedPost, seenAt: Date): Promise<void> {
    const who = await identity.resolveDid(post.authorDid).catch(() => null);
    if (who) store.putActor(post.authorDid, who.handle, who.pdsUrl);
    store.putPost(post, seenAt, false);
  }

  async #create(agent: AtpAgent, repo: string, collection: Collection, rkey: string, record: Record<string, unknown>): Promise<StrongRef> {
    const { data } = await agent.com.atproto.repo.createRecord({ repo, collection, rkey, record });
    return { uri: data.uri, cid: data.cid };
  }

  async #delete(agent: AtpAgent, repo: string, uri: string): Promise<void> {
    const { collection, rkey } = splitRecordUri(uri);
    await agent.com.atproto.repo.deleteRecord({ repo, collection, rkey });
  }

  /** The URIs of the account's own records of a collection that match. */
  async #ownRecords(account: FeedAccount, agent: AtpAgent, collection: Collection, match: (value: unknown) => boolean): Promise<string[]> {
    return this.#write(account, 'read its own records', async () => {
      const out: string[] = [];
      let cursor: string | undefined;
      for (let page = 0; page < MAX_LIST_PAGES; page++) {
        const { data } = await agent.com.atproto.repo.listRecords({ repo: account.did, collection, limit: 100, ...(cursor && { cursor }) });
        for (const r of data.records) if (r.value && match(r.value)) out.push(r.uri);
        cursor = data.records.length ? data.cursor : undefined;
        if (!cursor) break;
      }
      return out;
    });
  }

  async #undoOnFailure<T>(account: FeedAccount, what: string, write: () => Promise<T>, undo: () => void): Promise<T> {
    try {
      return await this.#write(account, what, write);
    } catch (err) {
      undo();
      throw err;
    }
  }

  /** A write to the PDS, its failure said in words with what to do next. */
  async #write<T>(account: FeedAccount, what: string, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      const { XRPCError } = await import('@atproto/api');
      throw writeError(err, account.handle, what, XRPCError);
    }
  }
}

export function writeError(err: unknown, handle: string, what: string, XRPCError: typeof XRPCErrorClass): HearthError {
  if (err instanceof HearthError) return err;
  if (err instanceof XRPCError) {
    const said = (err.message || err.error || '').slice(0, 200);
    if (err.error === 'AccountDeactivated') {
      return new HearthError('AUTH', `Could not ${what}: @${handle} is deactivated on its server, which takes no writes from it.`, 'Activate the account again, then try again. Nothing was changed.');
    }
    if (err.error === 'AccountTakedown') return new HearthError('AUTH', `Could not ${what}: @${handle} is taken down on its server.`, 'Ask the server’s operator. Nothing was changed.');
    if (err.status === 401 || ['ExpiredToken', 'InvalidToken', 'AuthenticationRequired'].includes(err.error)) {
      return new HearthError('AUTH', `Could not ${what}: the session of @${handle} has ended.`, 'Sign in again on the Feed screen, then try again. Nothing was changed.');
    }
    if (err.status === 429) return new HearthError('UNAVAILABLE', `Could not ${what}: the server of @${handle} asks to slow down.`, 'Wait a minute, then try again. Nothing was changed.');
    if (err.status >= 400 && err.status < 500) {
      return new HearthError('VALIDATION', `Could not ${what}: the server of @${handle} refused it (${said || err.error}).`, 'Nothing was changed. Check what you wrote and try again.');
    }
    if (err.status >= 500) return new HearthError('NETWORK', `Could not ${what}: the server of @${handle} failed (${said || err.error}).`, 'Nothing was changed. Try again later.');
  }
  const cause = err instanceof Error ? err.message : String(err);
  return new HearthError('NETWORK', `Could not ${what}: the server of @${handle} did not answer (${cause.slice(0, 200)}).`, 'Nothing was changed. Check that the server is up, then try again.');
}
