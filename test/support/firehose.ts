import { IdResolver } from '@atproto/identity';
import { Firehose } from '@atproto/sync';

export interface FirehoseWatcher {
  /** Every sequence number received, in order of arrival. */
  readonly seqs: number[];
  /** The highest sequence number received so far (0 before any). */
  highest(): number;
  /** Errors the subscription reported (a cursor in the future, a dropped connection…). */
  readonly errors: string[];
  /** Waits until an event with a sequence number above `seq` arrives; returns it. */
  nextAbove(seq: number, timeoutMs?: number): Promise<number>;
  close(): Promise<void>;
}

/**
 * A real firehose consumer (@atproto/sync) on a PDS's com.atproto.sync.subscribeRepos, as a
 * relay is one: it keeps its cursor (the highest sequence number it saw) and resumes from it on
 * every reconnect, e.g. after the PDS restarted. Commits are read unauthenticated: these tests
 * are about sequence numbers, not signatures.
 */
export function watchFirehose(pdsUrl: string, options: { plcUrl: string; cursor?: number }): FirehoseWatcher {
  const seqs: number[] = [];
  const errors: string[] = [];
  // A relay that followed the hostname to a new server comes with the cursor it had there.
  let highest = options.cursor ?? 0;
  const waiters = new Set<() => void>();
  const firehose = new Firehose({
    service: pdsUrl.replace(/^http/, 'ws'),
    idResolver: new IdResolver({ plcUrl: options.plcUrl }),
    unauthenticatedCommits: true,
    unauthenticatedHandles: true,
    subscriptionReconnectDelay: 200,
    maxReconnectSeconds: 1,
    getCursor: () => (highest > 0 ? highest : undefined),
    handleEvent: (evt) => {
      seqs.push(evt.seq);
      highest = Math.max(highest, evt.seq);
      for (const wake of waiters) wake();
    },
    onError: (err) => errors.push(err.message),
  });
  void firehose.start();
  return {
    seqs,
    errors,
    highest: () => highest,
    nextAbove: (seq, timeoutMs = 20_000) =>
      new Promise<number>((resolve, reject) => {
        const check = () => {
          const found = seqs.find((s) => s > seq);
          if (found === undefined) return;
          clearTimeout(timer);
          waiters.delete(check);
          resolve(found);
        };
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(new Error(`no firehose event above ${seq} within ${timeoutMs} ms (highest ${highest}; errors: ${errors.slice(-3).join('; ') || 'none'})`));
        }, timeoutMs);
        waiters.add(check);
        check();
      }),
    close: () => firehose.destroy(),
  };
}
