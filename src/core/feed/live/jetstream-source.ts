/**
 * Jetstream (github.com/bluesky-social/jetstream) as a live source, for accounts on large hosts
 * (see source.ts for when): one subscription carries just the wanted accounts (`wantedDids`,
 * changed in place with an `options_update` message when follows change) and collections, as
 * JSON. Its cursor is a time in microseconds (time_us); on reconnect Jetstream replays from it.
 * Jetstream serves records without their repo proofs, so these are not verified the way the
 * firehose's commits are: that is the price of not carrying a whole large host.
 *
 * Jetstream keeps a limited history (about a day on Bluesky's instances) and says nothing when a
 * cursor is older: a cursor older than `retentionMs` is treated as a gap, and the accounts are
 * read again.
 */
import WebSocket from 'ws';
import { z } from 'zod';
import { LIVE_COLLECTIONS } from './firehose-source.ts';
import type { LiveSource, LiveSourceHandlers, LiveSourceState } from './source.ts';

export interface JetstreamSourceOptions {
  /** wss://jetstream2.us-east.bsky.network (no path). */
  url: string;
  handlers: LiveSourceHandlers;
  /** How much history the instance keeps (default 24 h). */
  retentionMs?: number;
  maxReconnectSeconds?: number;
  gapAfterMs?: number;
}

/** DIDs put in the URL; the rest follow at once in an options_update (URLs have limits). */
const DIDS_IN_URL = 100;

const JetstreamMessage = z.object({
  did: z.string().max(2048),
  time_us: z.number().int().nonnegative(),
  kind: z.string().max(32),
  commit: z
    .object({
      operation: z.enum(['create', 'update', 'delete']),
      collection: z.string().max(317),
      rkey: z.string().max(512),
      cid: z.string().max(200).optional(),
      record: z.unknown().optional(),
    })
    .optional(),
});

export class JetstreamSource implements LiveSource {
  readonly key: string;
  readonly #opts: JetstreamSourceOptions;
  #wanted: string[] = [];
  #ws: WebSocket | null = null;
  #cursor: number | null = null;
  #state: LiveSourceState = 'stopped';
  #reason: string | null = null;
  #stopped = false;
  #started = false;
  #fresh = false;
  #failures = 0;
  #downSince: number | null = null;
  #timer: NodeJS.Timeout | null = null;
  /** Messages are stored one after another, in the order they came. */
  #chain: Promise<void> = Promise.resolve();

  constructor(opts: JetstreamSourceOptions) {
    this.#opts = opts;
    this.key = `jetstream:${opts.url}`;
  }

  /** The accounts to receive; sent as options_update on an open connection. */
  setWanted(dids: string[]): void {
    this.#wanted = [...dids].sort();
    if (this.#ws?.readyState === WebSocket.OPEN) this.#sendOptions();
  }

  start(cursor: number | null): void {
    if (this.#started) throw new Error(`${this.key} is already started`);
    this.#started = true;
    this.#cursor = cursor;
    this.#fresh = cursor === null;
    if (cursor !== null && Date.now() * 1000 - cursor > (this.#opts.retentionMs ?? 24 * 60 * 60_000) * 1000) {
      this.#opts.handlers.onGap('the cursor is older than Jetstream keeps');
    }
    this.#connect();
  }

  cursor(): number | null {
    return this.#cursor;
  }

  state(): { state: LiveSourceState; reason: string | null } {
    return { state: this.#state, reason: this.#reason };
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    if (this.#timer) clearTimeout(this.#timer);
    this.#setState('stopped', null);
    const ws = this.#ws;
    this.#ws = null;
    if (ws && ws.readyState !== WebSocket.CLOSED) {
      await new Promise<void>((resolve) => {
        ws.once('close', () => resolve());
        ws.terminate();
      });
    }
    await this.#chain;
  }

  #connect(): void {
    if (this.#stopped) return;
    this.#setState('connecting', this.#reason);
    const url = new URL('/subscribe', this.#opts.url);
    for (const collection of LIVE_COLLECTIONS) url.searchParams.append('wantedCollections', collection);
    for (const did of this.#wanted.slice(0, DIDS_IN_URL)) url.searchParams.append('wantedDids', did);
    if (this.#cursor !== null) url.searchParams.set('cursor', String(this.#cursor));
    const ws = new WebSocket(url);
    this.#ws = ws;
    ws.on('open', () => {
      if (this.#wanted.length > DIDS_IN_URL) this.#sendOptions();
      this.#failures = 0;
      this.#setState('live', null);
      const down = this.#downSince;
      this.#downSince = null;
      if (this.#fresh) {
        this.#fresh = false;
        this.#opts.handlers.onGap('first connection: posts written since the last read');
      } else if (down !== null && Date.now() - down > (this.#opts.gapAfterMs ?? 10 * 60_000)) {
        this.#opts.handlers.onGap(`Jetstream was unreachable for ${Math.round((Date.now() - down) / 1000)} s`);
      }
    });
    ws.on('message', (data: Buffer) => {
      this.#chain = this.#chain.then(() => this.#handle(data.toString('utf8'))).catch((err: unknown) => {
        this.#opts.handlers.log(`A Jetstream event could not be stored: ${err instanceof Error ? err.message : String(err)}`, 'error');
        this.#opts.handlers.onGap('an event could not be stored');
      });
    });
    ws.on('error', (err) => {
      this.#reason = `Jetstream did not answer (${err.message})`;
    });
    ws.on('close', () => {
      if (this.#stopped || this.#ws !== ws) return;
      this.#downSince ??= Date.now();
      this.#failures++;
      this.#setState(this.#failures > 1 ? 'unreachable' : 'connecting', this.#reason ?? 'the connection closed');
      const delay = Math.min((this.#opts.maxReconnectSeconds ?? 30) * 1000, 250 * 2 ** Math.min(this.#failures, 10));
      this.#timer = setTimeout(() => this.#connect(), delay);
      this.#timer.unref();
    });
  }

  #sendOptions(): void {
    this.#ws?.send(JSON.stringify({ type: 'options_update', payload: { wantedCollections: LIVE_COLLECTIONS, wantedDids: this.#wanted, maxMessageSizeBytes: 0 } }));
  }

  async #handle(text: string): Promise<void> {
    if (this.#stopped) return;
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      this.#opts.handlers.log('Skipped a Jetstream message that is not JSON', 'warn');
      return;
    }
    const parsed = JetstreamMessage.safeParse(json);
    if (!parsed.success) {
      this.#opts.handlers.log('Skipped a Jetstream message of an unknown shape', 'warn');
      return;
    }
    const msg = parsed.data;
    // Resuming at time_us replays this event once more: harmless, the store upserts by URI.
    const cursor = msg.time_us;
    const commit = msg.commit;
    if (msg.kind !== 'commit' || !commit || !LIVE_COLLECTIONS.includes(commit.collection) || !this.#opts.handlers.wants(msg.did)) {
      this.#advance(cursor);
      this.#opts.handlers.onProgress(cursor);
      return;
    }
    const base = { did: msg.did, collection: commit.collection, rkey: commit.rkey, uri: `at://${msg.did}/${commit.collection}/${commit.rkey}` };
    if (commit.operation === 'delete') await this.#opts.handlers.onEvent({ kind: 'delete', ...base }, cursor);
    else if (commit.cid) await this.#opts.handlers.onEvent({ kind: 'put', ...base, cid: commit.cid, record: commit.record }, cursor);
    this.#advance(cursor);
  }

  #advance(cursor: number): void {
    if (this.#cursor === null || cursor > this.#cursor) this.#cursor = cursor;
  }

  #setState(state: LiveSourceState, reason: string | null): void {
    if (this.#stopped && state !== 'stopped') return;
    if (state === this.#state && reason === this.#reason) return;
    this.#state = state;
    this.#reason = reason;
    this.#opts.handlers.onState(state, reason);
  }
}
