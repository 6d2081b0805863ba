/**
 * Live updates of one signed-in account's feed: a live source per PDS host that holds followed
 * accounts (or the account itself), events of those accounts into the store, and the gaps closed
 * by reading the host's accounts again with the backfill's own per-account code (a catch-up job).
 * While any backfill of the account runs, live writes wait, so a listing read before an event
 * cannot undo it (a delete brought back, a new post removed as "unseen").
 *
 * A follow or unfollow by the account itself (its follow records on its own host's source)
 * changes the author set live: a new account is read back to the window (its older posts too), a
 * dropped one leaves the feed, and host subscriptions open and close to match.
 */
import { FOLLOW, POST } from '../backfill.ts';
import type { FeedIdentity } from '../identity.ts';
import { FollowRecord, parsePost } from '../records.ts';
import type { RepoReader } from '../repo-reader.ts';
import type { FeedStore } from '../store/feed-store.ts';
import { ingest } from './ingest.ts';
import type { LiveSource, LiveSourceHandlers, LiveSourceState } from './source.ts';

export interface LiveCounts {
  /** Followed accounts (and the signed-in one) whose host subscription is connected and caught up. */
  live: number;
  catchingUp: number;
  unreachable: number;
}

export interface LiveFeedDeps {
  account: { did: string; handle: string; pdsUrl: string };
  store: FeedStore;
  identity: FeedIdentity;
  reader: RepoReader;
  windowDays(): number;
  /** Reads these accounts again back to the window (a backfill job); resolves when it has ended. */
  catchUp(dids: string[], reason: string): Promise<void>;
  /** Resolves when no backfill of the account runs. */
  idle(): Promise<void>;
  /**
   * Which source serves a host: its own firehose (the host itself) or a shared one such as
   * Jetstream for large hosts (see source.ts); accounts of hosts with one route share a source.
   */
  routeOf(host: string): string;
  /** A live source for a route. */
  sourceFor(route: string, handlers: LiveSourceHandlers): LiveSource;
  log(message: string, level?: 'info' | 'warn' | 'error'): void;
}

interface Host {
  source: LiveSource;
  dids: Set<string>;
  state: LiveSourceState;
  /** A catch-up of this host's accounts is queued or running. */
  catchingUp: boolean;
  /** Another gap was reported while a catch-up ran: one more round after it. */
  again: boolean;
}

const originOf = (url: string): string | null => {
  try {
    return new URL(url).origin;
  } catch {
    return null;
  }
};

export class LiveFeed {
  readonly #deps: LiveFeedDeps;
  readonly #hosts = new Map<string, Host>();
  /** DIDs whose events are stored: followed accounts and the signed-in one. */
  #wanted = new Set<string>();
  /** Authors whose host could not be found (identity unreadable). */
  #homeless = new Set<string>();
  #stopped = false;
  readonly #stopSignal: Promise<void>;
  #stopNow!: () => void;
  #follows: Promise<void> = Promise.resolve();
  #hostsSync: Promise<void> = Promise.resolve();

  constructor(deps: LiveFeedDeps) {
    this.#deps = deps;
    this.#stopSignal = new Promise((resolve) => (this.#stopNow = resolve));
  }

  /** Opens a subscription for each host of the feed's authors, each from its stored cursor. */
  start(): Promise<void> {
    return this.syncAuthors();
  }

  /** The author set may have changed (a refresh re-read the follows): open and close hosts to match. */
  syncAuthors(): Promise<void> {
    this.#hostsSync = this.#hostsSync.then(() => this.#syncHosts()).catch((err: unknown) => this.#deps.log(`Live updates could not follow the account list: ${String(err)}`, 'error'));
    return this.#hostsSync;
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    this.#stopNow();
    const hosts = [...this.#hosts.values()];
    this.#hosts.clear();
    await Promise.all(hosts.map((h) => h.source.stop()));
  }

  counts(): LiveCounts {
    const counts: LiveCounts = { live: 0, catchingUp: 0, unreachable: this.#homeless.size };
    for (const host of this.#hosts.values()) {
      const n = host.dids.size;
      if (host.state === 'unreachable') counts.unreachable += n;
      else if (host.state === 'live' && !host.catchingUp) counts.live += n;
      else counts.catchingUp += n;
    }
    return counts;
  }

  async #syncHosts(): Promise<void> {
    if (this.#stopped) return;
    const { store, identity } = this.#deps;
    const authors = store.authors();
    this.#wanted = new Set(authors.map((a) => a.did));
    const byHost = new Map<string, Set<string>>();
    const homeless = new Set<string>();
    for (const author of authors) {
      let pdsUrl = author.pdsUrl ?? store.actor(author.did)?.pdsUrl ?? null;
      if (!pdsUrl) pdsUrl = await identity.resolveDid(author.did).then((w) => w.pdsUrl, () => null);
      const host = pdsUrl ? originOf(pdsUrl) : null;
      if (!host) {
        homeless.add(author.did);
        continue;
      }
      const route = this.#deps.routeOf(host);
      if (!byHost.has(route)) byHost.set(route, new Set());
      byHost.get(route)!.add(author.did);
    }
    if (this.#stopped) return;
    this.#homeless = homeless;
    for (const [host, entry] of this.#hosts) {
      if (byHost.has(host)) continue;
      // Nobody followed is there any more: its cursor goes too, so a later follow starts fresh.
      this.#hosts.delete(host);
      await entry.source.stop();
      store.clearLiveCursor(entry.source.key);
      this.#deps.log(`Live updates from ${host} stopped: no followed account is there any more`);
    }
    for (const [host, dids] of byHost) {
      const known = this.#hosts.get(host);
      if (known) {
        const changed = [...dids].sort().join() !== [...known.dids].sort().join();
        known.dids = dids;
        if (changed) known.source.setWanted?.([...dids]);
        continue;
      }
      const entry: Host = { source: null as unknown as LiveSource, dids, state: 'connecting', catchingUp: false, again: false };
      entry.source = this.#deps.sourceFor(host, this.#handlers(host, entry));
      this.#hosts.set(host, entry);
      const cursor = store.liveCursor(entry.source.key);
      entry.source.setWanted?.([...dids]);
      entry.source.start(cursor);
      this.#deps.log(`Live updates from ${host} for ${dids.size} account(s), ${cursor === null ? 'from its latest event' : `resuming after event ${cursor}`}`);
    }
  }

  #handlers(host: string, entry: Host): LiveSourceHandlers {
    const key = () => entry.source.key;
    return {
      wants: (did) => this.#wanted.has(did),
      onEvent: async (event, cursor) => {
        await this.#idle();
        if (this.#stopped) return;
        const { store, account } = this.#deps;
        if (!this.#wanted.has(event.did)) {
          store.setLiveCursor(key(), cursor);
          return;
        }
        if (event.kind === 'resync') {
          store.setLiveCursor(key(), cursor);
          void this.#catchUpDids([event.did], 'its repo was reset on its server');
          return;
        }
        const cutoffMs = Date.now() - this.#deps.windowDays() * 24 * 60 * 60_000;
        const result = ingest(store, event, { source: key(), cursor, accountDid: account.did, cutoffMs, now: new Date() });
        if (result.missingSubject) void this.#readSubject(result.missingSubject.uri);
        if (result.follow) this.#followChanged(result.follow);
      },
      onProgress: (cursor) => {
        // Cheap enough per message for a small host; a big host would use Jetstream (source.ts).
        if (!this.#stopped && this.#deps.store.liveCursor(key()) !== cursor) this.#deps.store.setLiveCursor(key(), cursor);
      },
      onGap: (reason) => void this.#catchUpHost(host, entry, reason),
      onState: (state, reason) => {
        entry.state = state;
        if (state === 'unreachable') this.#deps.log(`Live updates from ${host} paused: ${reason ?? 'unreachable'}; Hearth keeps trying`, 'warn');
      },
      log: (message, level) => this.#deps.log(message, level),
    };
  }

  /** Resolves when no backfill runs, or at once when live updates stop. */
  #idle(): Promise<void> {
    return Promise.race([this.#deps.idle(), this.#stopSignal]);
  }

  async #catchUpHost(host: string, entry: Host, reason: string): Promise<void> {
    if (entry.catchingUp) {
      entry.again = true;
      return;
    }
    entry.catchingUp = true;
    try {
      do {
        entry.again = false;
        if (this.#stopped || this.#hosts.get(host) !== entry) return;
        this.#deps.log(`Reading the accounts on ${host} again: ${reason}`);
        await this.#deps.catchUp([...entry.dids], `${host}: ${reason}`);
      } while (entry.again);
    } catch (err) {
      this.#deps.log(`Could not catch up with ${host}: ${err instanceof Error ? err.message : String(err)}`, 'warn');
    } finally {
      entry.catchingUp = false;
    }
  }

  async #catchUpDids(dids: string[], reason: string): Promise<void> {
    try {
      await this.#deps.catchUp(dids, reason);
    } catch (err) {
      this.#deps.log(`Could not read ${dids.join(', ')} again: ${err instanceof Error ? err.message : String(err)}`, 'warn');
    }
  }

  /**
   * The account followed or unfollowed someone. Changes are applied in the order the events came,
   * by the follow record's key (a delete names only the key): a listing of the follows is read
   * once, to learn the keys, and again only for a key Hearth does not know. Re-listing on every
   * event would race with Hearth's own follow/unfollow and could bring back someone just dropped.
   */
  #followChanged(change: { op: 'put'; rkey: string; subject: string } | { op: 'delete'; rkey: string }): void {
    this.#follows = this.#follows.then(() => this.#applyFollow(change)).catch((err: unknown) => this.#deps.log(`Could not follow the change of follows: ${err instanceof Error ? err.message : String(err)}`, 'warn'));
  }

  /** Follow record key → followed DID, once listed. */
  #followKeys: Map<string, string> | null = null;

  async #applyFollow(change: { op: 'put'; rkey: string; subject: string } | { op: 'delete'; rkey: string }): Promise<void> {
    if (this.#stopped) return;
    const { account } = this.#deps;
    if (!this.#followKeys || (change.op === 'delete' && !this.#followKeys.has(change.rkey))) {
      await this.#reloadFollows();
      return;
    }
    const keys = this.#followKeys;
    if (change.op === 'put') keys.set(change.rkey, change.subject);
    else keys.delete(change.rkey);
    const followed = new Set([...keys.values()].filter((did) => did !== account.did));
    await this.#setFollowed(followed);
  }

  /** The follow list read from the account's repo, and the feed's authors made to match it. */
  async #reloadFollows(): Promise<void> {
    // After any backfill: the listing is then as fresh as it can be when the store is updated.
    await this.#idle();
    if (this.#stopped) return;
    const { reader, account } = this.#deps;
    const keys = new Map<string, string>();
    let cursor: string | undefined;
    for (let page = 0; page < 500; page++) {
      const reply = await reader.listRecords(account.pdsUrl, account.did, FOLLOW, { limit: 100, ...(cursor && { cursor }) });
      for (const record of reply.records) {
        const parsed = FollowRecord.safeParse(record.value);
        if (parsed.success) keys.set(record.uri.split('/').pop()!, parsed.data.subject);
      }
      cursor = reply.records.length > 0 ? reply.cursor : undefined;
      if (!cursor) break;
    }
    if (this.#stopped) return;
    this.#followKeys = keys;
    await this.#setFollowed(new Set([...keys.values()].filter((did) => did !== account.did)));
  }

  async #setFollowed(followed: Set<string>): Promise<void> {
    const { store, account } = this.#deps;
    await this.#idle();
    if (this.#stopped) return;
    const before = new Set(store.authors().map((a) => a.did));
    const dropped = store.transaction(() => store.setAuthors([{ did: account.did, followed: false }, ...[...followed].map((did) => ({ did, followed: true }))]));
    const added = [...followed].filter((did) => !before.has(did));
    if (dropped.length) this.#deps.log(`No longer followed, removed from the feed: ${dropped.length} account(s)`);
    this.#wanted = new Set(store.authors().map((a) => a.did));
    if (added.length) {
      this.#deps.log(`Newly followed: ${added.length} account(s); reading their posts of the last ${this.#deps.windowDays()} day(s)`);
      await this.#catchUpDids(added, 'newly followed');
    }
    await this.syncAuthors();
  }

  /** A reposted post the store does not have: read from its author's repo, as the backfill does. */
  async #readSubject(uri: string): Promise<void> {
    const [authorDid = '', collection = '', rkey = ''] = uri.slice('at://'.length).split('/');
    if (collection !== POST) return;
    try {
      const who = await this.#deps.identity.resolveDid(authorDid);
      const record = await this.#deps.reader.getRecord(who.pdsUrl, authorDid, collection, rkey, AbortSignal.timeout(15_000));
      if (this.#stopped || record.uri !== uri) return;
      const parsed = parsePost(record);
      if (!parsed.ok) {
        this.#deps.store.addMalformed(record.uri, parsed.reason);
        return;
      }
      this.#deps.store.transaction(() => {
        this.#deps.store.putActor(authorDid, who.handle, who.pdsUrl);
        this.#deps.store.putPost(parsed.value, new Date(), false);
      });
    } catch (err) {
      if (!this.#stopped) this.#deps.log(`A reposted post could not be read (${uri}): ${err instanceof Error ? err.message : String(err)}`, 'warn');
    }
  }
}
