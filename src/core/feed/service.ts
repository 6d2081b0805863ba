/**
 * The feed browser's core: signed-in accounts (sessions.ts), one store per account under
 * <dataDir>/feed/accounts/, backfill jobs with retries for unreachable authors, and the "This
 * server" view of servers Hearth manages (a store per server under <dataDir>/feed/servers/).
 */
import { mkdirSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { FeedAccount, FeedStatus, PostView, ProfileHeader, ThreadView } from '../../shared/contract/feed.ts';
import { HearthError } from '../../shared/errors.ts';
import { serverAccess } from '../accounts/index.ts';
import type { JobManager } from '../jobs/index.ts';
import type { Services } from '../services.ts';
import { FeedActions } from './actions.ts';
import { DEFAULT_WINDOW_DAYS, runBackfill } from './backfill.ts';
import type { FeedIdentity } from './identity.ts';
import { RepoReader } from './repo-reader.ts';
import { syncServerPosts } from './server-view.ts';
import { FeedSessions } from './sessions.ts';
import { LiveFeeds, type LiveOptions } from './live/live-feeds.ts';
import type { FeedStore } from './store/feed-store.ts';
import { readPage } from './views.ts';

export const PUBLIC_PLC_URL = 'https://plc.directory';

export interface FeedServiceOptions {
  dataDir: string;
  services: Pick<Services, 'secrets' | 'servers' | 'sandbox' | 'hosts'>;
  jobs: JobManager;
  /** The public PLC directory (asked after the PLCs of servers Hearth manages). */
  publicPlcUrl?: string;
  /** First retry delay for unreachable authors (default 30 s, doubling). */
  retryBaseMs?: number;
  /** Live updates options (live/live-feeds.ts): tests shorten the firehose reconnect backoff. */
  live?: LiveOptions;
}

/** A file name for a DID: DIDs hold ':' and '%', which some file systems refuse. */
const fileSafe = (did: string) => did.replace(/[^a-zA-Z0-9._-]/g, '_');

export class FeedService {
  readonly #dir: string;
  readonly #services: FeedServiceOptions['services'];
  readonly #jobs: JobManager;
  readonly #retryBaseMs: number | undefined;
  readonly #identity: () => Promise<FeedIdentity>;
  readonly #reader: RepoReader;
  readonly #stores = new Map<string, FeedStore>();
  /** The running backfill of each account: its job id and a promise that settles when it ends. */
  readonly #refreshing = new Map<string, { id: string; settled: Promise<unknown>; retry: boolean }>();
  readonly #retryTimers = new Map<string, NodeJS.Timeout>();
  readonly #serverSyncs = new Map<string, Promise<void>>();
  #sessions!: FeedSessions;
  /** Writes as a signed-in account: post, like, repost, follow, delete (actions.ts). */
  readonly actions = new FeedActions({
    account: (did) => this.#sessions.get(did),
    agent: (did) => this.#sessions.agent(did),
    store: (did) => this.#store(did),
    identity: () => this.#identity(),
    reader: () => this.#reader,
    backfillAuthor: (did, author) => this.#backfillAuthor(did, author),
  });
  #closed = false;
  /** Live updates of each signed-in account (live/): started after its first backfill, stopped on sign-out and close. */
  readonly #live: LiveFeeds;

  private constructor(options: FeedServiceOptions) {
    this.#dir = join(options.dataDir, 'feed');
    this.#services = options.services;
    this.#jobs = options.jobs;
    this.#retryBaseMs = options.retryBaseMs;
    const publicPlc = options.publicPlcUrl ?? PUBLIC_PLC_URL;
    // @atproto/identity and node:sqlite load on first use, so Hearth starts as fast without them.
    let identity: Promise<FeedIdentity> | undefined;
    this.#identity = () =>
      (identity ??= import('./identity.ts').then(
        ({ FeedIdentity }) =>
          new FeedIdentity({
            plcUrls: () => [...new Set([...this.#managed().map((m) => m.plcUrl), publicPlc])],
            managedPdsUrls: () => [...new Set(this.#managed().map((m) => m.pdsUrl))],
          }),
      ));
    this.#reader = new RepoReader({ fetchFor: (pdsUrl) => this.#fetchFor(pdsUrl) });
    this.#live = new LiveFeeds({
      account: (did) => this.#sessions.get(did),
      store: (did) => this.#store(did),
      identity: () => this.#identity(),
      reader: this.#reader,
      fetchFor: (url) => this.#fetchFor(url),
      windowDays: (store) => this.#windowDays(store),
      catchUp: (did, dids, reason) => this.#catchUp(did, dids, reason),
      idle: (did) => this.#idle(did),
      ...options.live,
    });
  }

  static async open(options: FeedServiceOptions): Promise<FeedService> {
    const service = new FeedService(options);
    service.#sessions = await FeedSessions.open(service.#dir, options.services.secrets, service.#identity);
    // Authors left unreachable when Hearth last closed are tried again (at once if their time has come).
    for (const account of service.#sessions.list()) void service.#scheduleRetry(account.did);
    // Accounts already signed in and read once go live at start (each source resumes from its cursor).
    for (const account of service.#sessions.list()) void service.#live.startIfRead(account.did);
    return service;
  }

  async signIn(identifier: string, password: string): Promise<FeedAccount> {
    const account = await this.#sessions.signIn(identifier, password);
    (await this.#store(account.did)).putActor(account.did, account.handle, account.pdsUrl);
    return account;
  }

  accounts(): FeedAccount[] {
    return this.#sessions.list();
  }

  async signOut(did: string, deleteData: boolean): Promise<void> {
    this.#sessions.get(did);
    clearTimeout(this.#retryTimers.get(did));
    this.#retryTimers.delete(did);
    await this.#sessions.signOut(did);
    await this.#live.stop(did);
    // A backfill still running stops before its store is closed (and perhaps removed) under it.
    const running = this.#refreshing.get(did);
    if (running) {
      this.#jobs.cancel(running.id);
      await running.settled;
    }
    this.#stores.get(did)?.close();
    this.#stores.delete(did);
    if (deleteData) await rm(this.#accountDir(did), { recursive: true, force: true });
  }

  async following(did: string, limit: number, cursor?: string): Promise<{ posts: PostView[]; cursor: string | null }> {
    this.#sessions.get(did);
    return readPage(await this.#store(did), limit, cursor);
  }

  async status(did: string): Promise<FeedStatus> {
    this.#sessions.get(did);
    const store = await this.#store(did);
    const authors = store.authors();
    return {
      did,
      accounts: authors.length,
      done: authors.filter((a) => a.state === 'done').length,
      catchingUp: authors.filter((a) => a.state === 'catching-up').length,
      unreachable: authors
        .filter((a) => a.state === 'unreachable')
        .map((a) => ({ did: a.did, handle: store.actor(a.did)?.handle ?? a.handle, reason: a.reason ?? 'unknown', retryAt: a.retryAt })),
      malformedSkipped: store.malformedCount(),
      windowDays: this.#windowDays(store),
      lastRefreshAt: store.getMeta('lastRefreshAt'),
      refreshJobId: this.#refreshing.get(did)?.id ?? null,
      storedPosts: store.feedCount(),
      live: this.#live.counts(did),
    };
  }

  /**
   * Starts a backfill of the account's whole feed, or hands back the one already running. A
   * background retry of unreachable authors gives way: it is cancelled and the full refresh,
   * which reads them too, starts instead.
   */
  async refresh(did: string, windowDays?: number): Promise<{ jobId: string }> {
    this.#sessions.get(did);
    const store = await this.#store(did);
    if (windowDays) store.setMeta('windowDays', String(windowDays));
    const identity = await this.#identity();
    // Checked and started with no await between them, again after each wait: a live catch-up or
    // a retry may start its job while this one waits, and must not make the user's refresh fail.
    for (;;) {
      const running = this.#refreshing.get(did);
      if (running && !running.retry && !windowDays) return { jobId: running.id };
      if (!running) return { jobId: this.#startBackfill(did, store, identity) };
      this.#jobs.cancel(running.id);
      await running.settled;
    }
  }

  #startBackfill(did: string, store: FeedStore, identity: FeedIdentity, only?: string[], title?: string): string {
    const account = this.#sessions.get(did);
    const { id, result } = this.#jobs.start({
      kind: 'feed.refresh',
      target: `@${account.handle}`,
      title: title ?? (only ? `Retry unreachable accounts in the feed of @${account.handle}` : `Refresh the feed of @${account.handle}`),
      locks: [{ id: `feed:${did}`, name: `the feed of @${account.handle}` }],
      run: (ctx) =>
        runBackfill(
          { store, account, identity, reader: this.#reader, windowDays: this.#windowDays(store), ...(this.#retryBaseMs && { retryBaseMs: this.#retryBaseMs }), ...(only && { only }) },
          ctx,
        ),
    });
    const settled = result
      .catch(() => undefined)
      .finally(() => {
        if (this.#refreshing.get(did)?.id === id) this.#refreshing.delete(did);
        void this.#scheduleRetry(did);
        // The first backfill makes the account live; a later one may have changed whom it follows.
        void this.#live.afterBackfill(did);
      });
    this.#refreshing.set(did, { id, settled, retry: Boolean(only) });
    return id;
  }

  /** A profile read from the actor's own PDS (profile.ts); the header comes with the first page. */
  async profile(did: string, actor: string, limit: number, cursor?: string): Promise<{ profile: ProfileHeader | null; posts: PostView[]; cursor: string | null }> {
    const viewer = this.#sessions.get(did);
    const { readProfile } = await import('./profile.ts');
    return readProfile({ identity: await this.#identity(), reader: this.#reader, viewer, actor, limit, ...(cursor && { cursor }), signal: AbortSignal.timeout(2 * 60_000) });
  }

  /** A post with its parents and the replies Hearth can find (thread.ts). */
  async thread(did: string, uri: string): Promise<ThreadView> {
    const viewer = this.#sessions.get(did);
    const { readThread } = await import('./thread.ts');
    return readThread({ identity: await this.#identity(), reader: this.#reader, store: await this.#store(did), viewer, uri, signal: AbortSignal.timeout(2 * 60_000) });
  }

  /**
   * Reads one newly followed account into the feed. A backfill already running read the follows
   * before this one was written, so this waits for it and then reads just the new account.
   */
  async #backfillAuthor(did: string, author: string): Promise<string> {
    const store = await this.#store(did);
    const identity = await this.#identity();
    // As in refresh: no await between the check and the start, so another read cannot slip in.
    for (let running = this.#refreshing.get(did); running; running = this.#refreshing.get(did)) {
      if (running.retry) this.#jobs.cancel(running.id);
      await running.settled;
    }
    return this.#startBackfill(did, store, identity, [author]);
  }

  /** Every post on a server Hearth manages; the first page re-reads the server's repos. */
  async server(serverId: string, limit: number, cursor?: string): Promise<{ posts: PostView[]; cursor: string | null }> {
    const access = serverAccess(this.#services, serverId);
    const store = await this.#serverStore(serverId);
    if (!cursor) {
      const identity = await this.#identity();
      // Two windows asking at once share one read of the server.
      let sync = this.#serverSyncs.get(serverId);
      if (!sync) {
        sync = syncServerPosts(store, { name: access.name, pdsUrl: access.pdsUrl }, this.#reader, identity, AbortSignal.timeout(5 * 60_000)).finally(() => this.#serverSyncs.delete(serverId));
        this.#serverSyncs.set(serverId, sync);
      }
      await sync;
    }
    return readPage(store, limit, cursor);
  }

  /** Stops (or starts again) the live updates of a signed-in account; its sources keep their cursors. */
  stopLive(did: string): Promise<void> {
    return this.#live.stop(did);
  }

  startLive(did: string): Promise<void> {
    this.#sessions.get(did);
    return this.#live.start(did);
  }

  /**
   * Reads some accounts of a feed again (a gap in live updates, a new follow) as a backfill job of
   * just those accounts, after any backfill already running; resolves when it has ended.
   */
  async #catchUp(did: string, dids: string[], reason: string): Promise<void> {
    const store = await this.#store(did);
    const identity = await this.#identity();
    for (;;) {
      if (this.#closed || !this.#sessions.list().some((a) => a.did === did)) return;
      const running = this.#refreshing.get(did);
      if (running) {
        await running.settled;
        continue;
      }
      const account = this.#sessions.get(did);
      let id: string;
      try {
        id = this.#startBackfill(did, store, identity, dids, `Catch up the feed of @${account.handle} (${reason})`);
      } catch (err) {
        // Another job took the feed's lock in the same moment: wait for it and try again.
        if (err instanceof HearthError && this.#refreshing.has(did)) continue;
        throw err;
      }
      await this.#refreshing.get(did)?.settled;
      // Cancelled to make way for another read of the feed (a new follow's): the gap is still
      // open, so again after it. Cancelled with no other read (Hearth closing): done.
      const { state } = await this.#jobs.get(id);
      if (state !== 'cancelled' || !this.#refreshing.has(did)) return;
    }
  }

  /** Resolves when no backfill of the account runs (live writes wait for it). */
  async #idle(did: string): Promise<void> {
    for (let running = this.#refreshing.get(did); running; running = this.#refreshing.get(did)) await running.settled;
  }

  close(): void {
    this.#closed = true;
    void this.#live.stopAll();
    for (const timer of this.#retryTimers.values()) clearTimeout(timer);
    this.#retryTimers.clear();
    for (const store of this.#stores.values()) store.close();
    this.#stores.clear();
  }

  /** Unreachable authors are read again on their own after a backoff, while the rest of the feed stays as it is. */
  async #scheduleRetry(did: string): Promise<void> {
    if (this.#closed || !this.#sessions.list().some((a) => a.did === did)) return;
    clearTimeout(this.#retryTimers.get(did));
    this.#retryTimers.delete(did);
    const store = await this.#store(did);
    const identity = await this.#identity();
    const due = store
      .authors()
      .filter((a) => a.state === 'unreachable' && a.retryAt)
      .map((a) => ({ did: a.did, at: Date.parse(a.retryAt!) }));
    if (!due.length) return;
    const first = Math.min(...due.map((d) => d.at));
    const timer = setTimeout(() => {
      this.#retryTimers.delete(did);
      if (this.#closed || this.#refreshing.has(did)) return;
      const now = Date.now();
      const only = due.filter((d) => d.at <= now + 1000).map((d) => d.did);
      try {
        this.#startBackfill(did, store, identity, only.length ? only : due.map((d) => d.did));
      } catch {
        // Signed out meanwhile, or Hearth is closing: nothing to retry for.
      }
    }, Math.max(0, first - Date.now()));
    timer.unref();
    this.#retryTimers.set(did, timer);
  }

  #windowDays(store: FeedStore): number {
    const kept = Number(store.getMeta('windowDays'));
    return Number.isInteger(kept) && kept > 0 ? kept : DEFAULT_WINDOW_DAYS;
  }

  #accountDir(did: string): string {
    return join(this.#dir, 'accounts', fileSafe(did));
  }

  #store(did: string): Promise<FeedStore> {
    return this.#openStore(did, () => {
      const dir = this.#accountDir(did);
      mkdirSync(dir, { recursive: true, mode: 0o700 });
      return join(dir, 'feed.sqlite');
    });
  }

  #serverStore(serverId: string): Promise<FeedStore> {
    return this.#openStore(`server:${serverId}`, () => {
      mkdirSync(join(this.#dir, 'servers'), { recursive: true, mode: 0o700 });
      return join(this.#dir, 'servers', `${serverId}.sqlite`);
    });
  }

  async #openStore(key: string, file: () => string): Promise<FeedStore> {
    const open = this.#stores.get(key);
    if (open) return open;
    const { FeedStore } = await import('./store/feed-store.ts');
    // Checked again after the await: two calls at once open one store, never two writers.
    const raced = this.#stores.get(key);
    if (raced) return raced;
    if (this.#closed) throw new HearthError('UNAVAILABLE', 'Hearth is closing.', '');
    const store = FeedStore.open(file());
    this.#stores.set(key, store);
    return store;
  }

  /** The servers Hearth manages that can be reached now (the sandbox only while it runs). */
  #managed(): { serverId: string; pdsUrl: string; plcUrl: string }[] {
    const out: { serverId: string; pdsUrl: string; plcUrl: string }[] = [];
    for (const server of this.#services.servers.list()) {
      try {
        const access = serverAccess(this.#services, server.id);
        out.push({ serverId: server.id, pdsUrl: access.pdsUrl, plcUrl: access.plcUrl });
      } catch {
        // A sandbox that is not running has nothing to ask.
      }
    }
    return out;
  }

  /** A server Hearth reaches over SSH may sit behind its own resolver and internal CA: reach it the same way. */
  async #fetchFor(pdsUrl: string): Promise<typeof globalThis.fetch> {
    const origin = new URL(pdsUrl).origin;
    const server = this.#services.servers.list().find((s) => s.ssh && safeOrigin(s.url) === origin);
    return server ? this.#services.hosts.fetchFor(server.id) : globalThis.fetch;
  }
}

const safeOrigin = (url: string) => {
  try {
    return new URL(url).origin;
  } catch {
    return null;
  }
};
