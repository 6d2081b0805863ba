/**
 * The live feeds of all signed-in accounts (one LiveFeed each), for FeedService: started after an
 * account's first backfill and at Hearth start for accounts read before, stopped on sign-out and
 * close. Each account has its own sources and cursors (in its own store), so signing one out
 * touches no other.
 */
import type { FeedIdentity } from '../identity.ts';
import type { RepoReader } from '../repo-reader.ts';
import type { FeedStore } from '../store/feed-store.ts';
import { FirehoseSource } from './firehose-source.ts';
import { JetstreamSource } from './jetstream-source.ts';
import { LiveFeed, type LiveCounts } from './live-feed.ts';

/** How live updates run; tests shorten the timings and point Jetstream at a stand-in. */
export interface LiveOptions {
  /** false: feeds change only by backfill (refresh); default true. */
  enabled?: boolean;
  maxReconnectSeconds?: number;
  /** Down longer than this, a host's accounts are read again on reconnect (default 10 min). */
  gapAfterMs?: number;
  /**
   * Jetstream for accounts on large hosts (source.ts says why): its URL, and which PDS hosts
   * (origins) it serves instead of their own firehose. Default: Bluesky's Jetstream for the
   * *.bsky.network hosts.
   */
  jetstream?: { url: string; hosts: (origin: string) => boolean; retentionMs?: number };
}

const BLUESKY_JETSTREAM: NonNullable<LiveOptions['jetstream']> = {
  url: 'wss://jetstream2.us-east.bsky.network',
  hosts: (origin: string) => /(^|\.)bsky\.network$/.test(new URL(origin).hostname),
};
const JETSTREAM_ROUTE = 'jetstream';

export interface LiveFeedsOptions extends LiveOptions {
  account(did: string): { did: string; handle: string; pdsUrl: string };
  store(did: string): Promise<FeedStore>;
  identity(): Promise<FeedIdentity>;
  reader: RepoReader;
  fetchFor(url: string): Promise<typeof globalThis.fetch>;
  windowDays(store: FeedStore): number;
  catchUp(did: string, dids: string[], reason: string): Promise<void>;
  idle(did: string): Promise<void>;
}

/** Recent lines of what live updates did, per account, for a look when something seems off. */
const LOG_LINES = 200;

export class LiveFeeds {
  readonly #opts: LiveFeedsOptions;
  readonly #feeds = new Map<string, Promise<LiveFeed | null>>();
  /** The same feeds once made, for the status line's synchronous counts. */
  readonly #ready = new Map<string, LiveFeed>();
  readonly #logs = new Map<string, { at: string; level: string; message: string }[]>();
  #closed = false;

  constructor(opts: LiveFeedsOptions) {
    this.#opts = opts;
  }

  /** At Hearth start: an account whose feed was read before goes live. */
  async startIfRead(did: string): Promise<void> {
    const store = await this.#opts.store(did).catch(() => null);
    if (store?.getMeta('lastRefreshAt')) await this.start(did);
  }

  /** After a backfill ended: the first one starts live updates; a later one may have changed the author set. */
  async afterBackfill(did: string): Promise<void> {
    const running = await this.#feeds.get(did);
    if (running) await running.syncAuthors();
    else await this.startIfRead(did);
  }

  async start(did: string): Promise<void> {
    if (this.#closed || this.#opts.enabled === false || this.#feeds.has(did)) return;
    const opening = this.#open(did);
    this.#feeds.set(did, opening);
    await opening;
  }

  async #open(did: string): Promise<LiveFeed | null> {
    try {
      const account = this.#opts.account(did);
      const store = await this.#opts.store(did);
      const identity = await this.#opts.identity();
      const jetstream = this.#opts.jetstream ?? BLUESKY_JETSTREAM;
      const log = (message: string, level: 'info' | 'warn' | 'error' = 'info') => {
        const lines = this.#logs.get(did) ?? [];
        lines.push({ at: new Date().toISOString(), level, message });
        if (lines.length > LOG_LINES) lines.splice(0, lines.length - LOG_LINES);
        this.#logs.set(did, lines);
      };
      const feed = new LiveFeed({
        account,
        store,
        identity,
        reader: this.#opts.reader,
        windowDays: () => this.#opts.windowDays(store),
        catchUp: (dids, reason) => this.#opts.catchUp(did, dids, reason),
        idle: () => this.#opts.idle(did),
        log,
        routeOf: (host) => (jetstream.hosts(host) ? JETSTREAM_ROUTE : host),
        sourceFor: (host, handlers) =>
          host === JETSTREAM_ROUTE
            ? new JetstreamSource({
                url: jetstream.url,
                handlers,
                ...(jetstream.retentionMs && { retentionMs: jetstream.retentionMs }),
                ...(this.#opts.maxReconnectSeconds && { maxReconnectSeconds: this.#opts.maxReconnectSeconds }),
                ...(this.#opts.gapAfterMs !== undefined && { gapAfterMs: this.#opts.gapAfterMs }),
              })
            : new FirehoseSource({
            host,
            handlers,
            signingKey: (author, force) => identity.signingKey(author, force),
            fetch: ((input: string | URL | Request, init?: RequestInit) => this.#opts.fetchFor(host).then((f) => f(input, init))) as typeof globalThis.fetch,
            ...(this.#opts.maxReconnectSeconds && { maxReconnectSeconds: this.#opts.maxReconnectSeconds }),
            ...(this.#opts.gapAfterMs !== undefined && { gapAfterMs: this.#opts.gapAfterMs }),
          }),
      });
      if (this.#closed || this.#feeds.get(did) === undefined) return null;
      this.#ready.set(did, feed);
      await feed.start();
      return feed;
    } catch {
      // Signed out or closing meanwhile: nothing to go live for.
      this.#feeds.delete(did);
      return null;
    }
  }

  counts(did: string): LiveCounts {
    return this.#ready.get(did)?.counts() ?? { live: 0, catchingUp: 0, unreachable: 0 };
  }

  /** What live updates of the account did lately (newest last). */
  log(did: string): { at: string; level: string; message: string }[] {
    return [...(this.#logs.get(did) ?? [])];
  }

  async stop(did: string): Promise<void> {
    const feed = this.#feeds.get(did);
    this.#feeds.delete(did);
    this.#ready.delete(did);
    await (await feed)?.stop();
  }

  async stopAll(): Promise<void> {
    this.#closed = true;
    await Promise.all([...this.#feeds.keys()].map((did) => this.stop(did)));
  }
}
