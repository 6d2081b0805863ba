/**
 * One interface for every live source of a feed (issue 12 item 4): a source is started from a
 * cursor, delivers events one at a time (the next one only after the store has the last), says
 * where it is (its cursor and its connection), and says when it lost events so the feed can read
 * the accounts again.
 *
 * Which source is used when:
 * - A PDS's own firehose (com.atproto.sync.subscribeRepos, firehose-source.ts) for followed
 *   accounts on self-hosted and small hosts: one subscription per host carries everyone on it,
 *   commits are verified against each account's signing key, and it works when no relay or
 *   Jetstream has indexed the server (the self-hoster's case).
 * - Jetstream with `wantedDids` (and `options_update` when follows change) for accounts on large
 *   hosts such as the *.host.bsky.network mushrooms: a firehose per mushroom would carry every
 *   account on it (hundreds of thousands) to keep a handful. Not built yet: every host gets its
 *   firehose today (see the report of issue 12).
 */

/** A record change of a watched account, as the source saw it. `record` is JSON (CIDs as {$link}). */
export type LiveEvent =
  | { kind: 'put'; did: string; collection: string; rkey: string; uri: string; cid: string; record: unknown }
  | { kind: 'delete'; did: string; collection: string; rkey: string; uri: string }
  /** The account's repo was reset (#sync): its records are read again. */
  | { kind: 'resync'; did: string };

export type LiveSourceState = 'connecting' | 'live' | 'unreachable' | 'stopped';

export interface LiveSourceHandlers {
  /** Whether events of this DID are wanted (checked before a commit is verified). */
  wants(did: string): boolean;
  /**
   * Stores the event and `cursor` with it (same transaction). The source waits for it before the
   * next event, so a cursor stored is never ahead of the events stored.
   */
  onEvent(event: LiveEvent, cursor: number): Promise<void>;
  /** No event of this stretch was wanted: the cursor may move on alone. */
  onProgress(cursor: number): void;
  /** Events may have been missed (cursor too old, host down for long, first start): read the accounts again. */
  onGap(reason: string): void;
  onState(state: LiveSourceState, reason: string | null): void;
  log(message: string, level?: 'info' | 'warn' | 'error'): void;
}

export interface LiveSource {
  /** Names the source and its cursor in the store, e.g. "firehose:https://pds.example.com". */
  readonly key: string;
  /** null: no cursor yet; the source starts at the live tail and reports a gap once connected. */
  start(cursor: number | null): void;
  cursor(): number | null;
  /** Sources that filter by account on their side (Jetstream's wantedDids) are told whom to send. */
  setWanted?(dids: string[]): void;
  state(): { state: LiveSourceState; reason: string | null };
  stop(): Promise<void>;
}
