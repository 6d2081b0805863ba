/**
 * Is the server's event sequence past a number a relay has seen? The PDS answers a
 * com.atproto.sync.subscribeRepos with a cursor beyond its own latest seq with an error frame
 * `FutureCursor` and closes; at or below it, it replays or waits quietly. So one short
 * subscription tells, for any PDS, without reading its database.
 *
 * Raw `ws`, not @atproto/sync's Firehose: that one reconnects by itself and cannot be given the
 * server's resolver and internal CA. The frame check follows the event-stream spec: two DAG-CBOR
 * values, a header `{op: -1}` for an error (bytes a1 62 'o' 'p' 20) then `{error, message}`.
 */
import WebSocket from 'ws';
import { lookupFrom, type ResolveAddresses } from '../hosts/resolve.ts';
import type { SequenceProbe } from './findings.ts';

const ERROR_HEADER = Buffer.from([0xa1, 0x62, 0x6f, 0x70, 0x20]);
/** A PDS at the cursor sends nothing: this long of quiet after opening means "not in the future". */
const QUIET_MS = 1_500;

export interface ProbeReach {
  resolve?: ResolveAddresses;
  /** The server's internal CA (Caddy internal TLS), trusted for this connection only. */
  ca?: string | null;
}

export function probeSequence(pdsUrl: string, cursor: number, reach: ProbeReach = {}, timeoutMs = 10_000): Promise<SequenceProbe> {
  const url = new URL('/xrpc/com.atproto.sync.subscribeRepos', pdsUrl.replace(/^http/, 'ws'));
  url.searchParams.set('cursor', String(cursor));
  return new Promise((resolve) => {
    const socket = new WebSocket(url, {
      handshakeTimeout: timeoutMs,
      ...(reach.resolve && { lookup: lookupFrom(reach.resolve) as never }),
      ...(reach.ca && { ca: reach.ca }),
    });
    let quiet: NodeJS.Timeout | undefined;
    const done = (answer: SequenceProbe) => {
      clearTimeout(quiet);
      clearTimeout(deadline);
      socket.removeAllListeners();
      socket.on('error', () => {});
      socket.terminate();
      resolve(answer);
    };
    const deadline = setTimeout(() => done('unknown'), timeoutMs);
    socket.on('open', () => {
      quiet = setTimeout(() => done('ahead'), QUIET_MS);
    });
    socket.on('message', (data: Buffer) => {
      const frame = Buffer.isBuffer(data) ? data : Buffer.from(data as ArrayBuffer);
      if (frame.subarray(0, ERROR_HEADER.length).equals(ERROR_HEADER)) {
        done(frame.includes('FutureCursor') ? 'behind' : 'unknown');
        return;
      }
      // An event (or an #info such as OutdatedCursor): the server has numbers past the cursor.
      done('ahead');
    });
    socket.on('error', () => done('unknown'));
    socket.on('close', () => done('unknown'));
  });
}
