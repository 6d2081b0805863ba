/**
 * A PDS's own firehose (com.atproto.sync.subscribeRepos) as a live source, read with
 * @atproto/sync's Firehose: commits are verified against each account's signing key (never read
 * unauthenticated), only post, repost and follow records are kept (filterCollections), and a
 * commit of an account nobody here follows is dropped before it is verified.
 *
 * What Firehose does not surface is read from the raw messages (see #watchRaw): every sequence
 * number (so the cursor moves on over events of others), the #info OutdatedCursor message, and a
 * jump in sequence numbers after a reconnect; both mean events were lost and the accounts on the
 * host are read again. Firehose has no "connected" callback either: after each dial the host's
 * health endpoint is asked, and any message received also counts as connected.
 */
import type { IdResolver } from '@atproto/identity';
import { Firehose, type Event } from '@atproto/sync';
import type { LiveSource, LiveSourceHandlers, LiveSourceState } from './source.ts';

export const LIVE_COLLECTIONS = ['app.bsky.feed.post', 'app.bsky.feed.repost', 'app.bsky.graph.follow'];

export interface FirehoseSourceOptions {
  /** The PDS's origin, http(s)://host[:port]. */
  host: string;
  /** The account's signing key (did:key); forceRefresh after a signature did not verify (key rotated). */
  signingKey(did: string, forceRefresh: boolean): Promise<string>;
  handlers: LiveSourceHandlers;
  /** For the health probe (a server reached over SSH may need Hearth's own resolver). */
  fetch?: typeof globalThis.fetch;
  /** Longest wait between reconnects (default 30 s). */
  maxReconnectSeconds?: number;
  /** Down longer than this, the host's accounts are read again on reconnect (default 10 min). */
  gapAfterMs?: number;
}

interface RawMessage {
  $type?: string;
  seq?: number;
  repo?: string;
  did?: string;
  name?: string;
  message?: string;
}

const INFO = 'com.atproto.sync.subscribeRepos#info';
const COMMIT = 'com.atproto.sync.subscribeRepos#commit';
const SYNC = 'com.atproto.sync.subscribeRepos#sync';

export class FirehoseSource implements LiveSource {
  readonly key: string;
  readonly #opts: FirehoseSourceOptions;
  #firehose: Firehose | null = null;
  /** Every event before this + 1 has been handled (stored, or not wanted). */
  #cursor: number | null = null;
  #state: LiveSourceState = 'stopped';
  #reason: string | null = null;
  /** The cursor the current connection was opened with, until its first message. */
  #dialCursor: number | null | undefined;
  #dials = 0;
  #downSince: number | null = null;
  /** Started without a cursor: the events between the last read and now are unknown. */
  #fresh = false;
  #stopped = false;
  readonly #stop = new AbortController();

  constructor(opts: FirehoseSourceOptions) {
    this.#opts = opts;
    this.key = `firehose:${opts.host}`;
  }

  start(cursor: number | null): void {
    if (this.#firehose) throw new Error(`${this.key} is already started`);
    this.#cursor = cursor;
    this.#fresh = cursor === null;
    const idResolver = {
      did: { resolveAtprotoKey: (did: string, forceRefresh = false) => this.#opts.signingKey(did, forceRefresh) },
    } as unknown as IdResolver;
    const firehose = new Firehose({
      service: this.#opts.host.replace(/^http/, 'ws'),
      idResolver,
      filterCollections: LIVE_COLLECTIONS,
      excludeIdentity: true,
      excludeAccount: true,
      subscriptionReconnectDelay: 1000,
      maxReconnectSeconds: this.#opts.maxReconnectSeconds ?? 30,
      getCursor: () => this.#dial(),
      handleEvent: (evt) => this.#handle(evt),
      onError: (err) => this.#onError(err),
    });
    this.#watchRaw(firehose);
    this.#firehose = firehose;
    this.#setState('connecting', null);
    void firehose.start();
  }

  cursor(): number | null {
    return this.#cursor;
  }

  state(): { state: LiveSourceState; reason: string | null } {
    return { state: this.#state, reason: this.#reason };
  }

  async stop(): Promise<void> {
    if (this.#stopped) return;
    this.#stopped = true;
    this.#stop.abort();
    this.#setState('stopped', null);
    await this.#firehose?.destroy();
  }

  /** Firehose parses each message in a private method; wrapping it is the one way to see every message. */
  #watchRaw(firehose: Firehose): void {
    const inner = firehose as unknown as { parseEvt?: (evt: RawMessage) => Promise<Event[]> };
    if (typeof inner.parseEvt !== 'function') throw new Error('@atproto/sync Firehose changed: parseEvt is gone; live updates need a look');
    const parse = inner.parseEvt.bind(firehose);
    inner.parseEvt = async (evt: RawMessage) => {
      if (this.#stopped) return [];
      this.#connected();
      if (evt.$type === INFO) {
        this.#opts.handlers.log(`${this.#opts.host} says ${evt.name ?? 'info'}: ${evt.message ?? ''}`, 'warn');
        if (evt.name === 'OutdatedCursor') this.#gap('the host no longer keeps events that old');
        return [];
      }
      const seq = typeof evt.seq === 'number' ? evt.seq : null;
      if (seq === null) return [];
      if (this.#dialCursor !== undefined) {
        // The first message after a reconnect should follow the cursor; a jump means events were skipped.
        if (this.#dialCursor !== null && seq > this.#dialCursor + 1) this.#gap(`events ${this.#dialCursor + 1}–${seq - 1} were not sent`);
        this.#dialCursor = undefined;
      }
      // Firehose handles messages one by one: everything before this one is stored by now.
      this.#advance(seq - 1);
      const did = evt.$type === COMMIT ? evt.repo : evt.$type === SYNC ? evt.did : undefined;
      if (!did || !this.#opts.handlers.wants(did)) {
        this.#opts.handlers.onProgress(seq);
        this.#advance(seq);
        return [];
      }
      return parse(evt);
    };
  }

  #advance(cursor: number): void {
    if (this.#cursor === null || cursor > this.#cursor) this.#cursor = cursor;
  }

  /** Called by Firehose before each (re)connect: the cursor to resume from. */
  #dial(): number | undefined {
    this.#dials++;
    const dial = this.#dials;
    if (dial > 1) {
      this.#downSince ??= Date.now();
      this.#setState('connecting', this.#reason);
    }
    this.#dialCursor = this.#cursor;
    // No "open" callback: if the host answers its health check soon after the dial, the dial worked.
    setTimeout(() => void this.#probe(dial), 300).unref();
    return this.#cursor ?? undefined;
  }

  async #probe(dial: number): Promise<void> {
    if (this.#stopped || dial !== this.#dials || this.#state === 'live') return;
    try {
      const res = await (this.#opts.fetch ?? globalThis.fetch)(`${this.#opts.host}/xrpc/_health`, { signal: AbortSignal.any([this.#stop.signal, AbortSignal.timeout(5000)]) });
      await res.body?.cancel();
      if (dial !== this.#dials) return;
      if (res.ok) this.#connected();
      else this.#setState('unreachable', `its server answered ${res.status}`);
    } catch (err) {
      if (this.#stopped || dial !== this.#dials) return;
      this.#setState('unreachable', `its server did not answer (${err instanceof Error ? err.message : String(err)})`);
    }
  }

  #connected(): void {
    if (this.#state === 'live' || this.#stopped) return;
    this.#setState('live', null);
    const down = this.#downSince;
    this.#downSince = null;
    if (this.#fresh) {
      this.#fresh = false;
      this.#gap('first connection: posts written since the last read');
    } else if (down !== null && Date.now() - down > (this.#opts.gapAfterMs ?? 10 * 60_000)) {
      this.#gap(`the host was unreachable for ${Math.round((Date.now() - down) / 1000)} s`);
    }
  }

  #gap(reason: string): void {
    if (!this.#stopped) this.#opts.handlers.onGap(reason);
  }

  async #handle(evt: Event): Promise<void> {
    if (this.#stopped) return;
    const { handlers } = this.#opts;
    if (evt.event === 'sync') {
      await handlers.onEvent({ kind: 'resync', did: evt.did }, evt.seq - 1);
      return;
    }
    if (evt.event === 'identity' || evt.event === 'account') return;
    const base = { did: evt.did, collection: evt.collection, rkey: evt.rkey, uri: evt.uri.toString() };
    // The cursor stored with an op is seq − 1: a commit may hold several ops, all sharing seq.
    if (evt.event === 'delete') await handlers.onEvent({ kind: 'delete', ...base }, evt.seq - 1);
    else await handlers.onEvent({ kind: 'put', ...base, cid: evt.cid.toString(), record: toJson(evt.record) }, evt.seq - 1);
  }

  #onError(err: Error): void {
    if (this.#stopped) return;
    const message = err.message;
    if (/FutureCursor|Cursor in the future/i.test(message)) {
      // The host's sequence went back (restored, or a new server under the old name): start over at its tail.
      this.#cursor = null;
      this.#fresh = true;
      this.#opts.handlers.log(`${this.#opts.host} has no events up to the stored cursor; starting at its latest event and reading its accounts again`, 'warn');
      return;
    }
    if (err.name === 'FirehoseHandlerError') {
      // An event could not be stored: the store will not have it, so read the accounts again.
      this.#opts.handlers.log(`An event from ${this.#opts.host} could not be stored: ${message}`, 'error');
      this.#gap('an event could not be stored');
      return;
    }
    if (err.name === 'FirehoseSubscriptionError') {
      this.#downSince ??= Date.now();
      this.#setState('unreachable', `its firehose failed (${message})`);
      return;
    }
    // A commit that does not verify or parse is skipped, and said.
    this.#opts.handlers.log(`Skipped a message from ${this.#opts.host}: ${message}`, 'warn');
  }

  #setState(state: LiveSourceState, reason: string | null): void {
    if (this.#stopped && state !== 'stopped') return;
    if (state === this.#state && reason === this.#reason) return;
    this.#state = state;
    this.#reason = reason;
    this.#opts.handlers.onState(state, reason);
  }
}

/** A record as @atproto/sync decodes it (CIDs and bytes as objects) → the JSON form listRecords returns. */
export function toJson(value: unknown): unknown {
  if (value instanceof Uint8Array) return { $bytes: Buffer.from(value).toString('base64').replace(/=+$/, '') };
  if (Array.isArray(value)) return value.map(toJson);
  if (value && typeof value === 'object') {
    if (isCid(value)) return { $link: value.toString() };
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, toJson(v)]));
  }
  return value;
}

const isCid = (value: object): boolean => 'multihash' in value && 'version' in value && 'code' in value;
