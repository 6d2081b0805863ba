import type { AddressInfo } from 'node:net';
import { IdResolver } from '@atproto/identity';
import { Firehose } from '@atproto/sync';
import { WebSocketServer, type WebSocket } from 'ws';
import { toJson } from '../../src/core/feed/live/firehose-source.ts';

/**
 * A stand-in for Jetstream (Bluesky's JSON re-framing of the firehose), which cannot be reached
 * from here: it reads the real firehoses of local PDSes with @atproto/sync and serves them the
 * way Jetstream does: GET /subscribe with wantedCollections, wantedDids and cursor (time_us), one
 * JSON message per record change ({ did, time_us, kind: 'commit', commit: { operation,
 * collection, rkey, record, cid } }), replay from a cursor, and `options_update` messages that
 * change the wanted DIDs of an open connection. Every event ever seen is kept (time_us strictly
 * increasing), so any cursor can be replayed.
 */
export interface JetstreamStandin {
  url: string;
  /** The wantedDids of every connection when it opened, and of every options_update, in order. */
  readonly wanted: { via: 'url' | 'options_update'; dids: string[] }[];
  connections(): number;
  stop(): Promise<void>;
}

interface Stored {
  time_us: number;
  did: string;
  collection: string;
  json: string;
}

interface Client {
  ws: WebSocket;
  dids: Set<string> | null;
  collections: Set<string> | null;
}

export async function startJetstreamStandin(options: { pdsUrls: string[]; plcUrl: string }): Promise<JetstreamStandin> {
  const events: Stored[] = [];
  const clients = new Set<Client>();
  const wanted: JetstreamStandin['wanted'] = [];
  let lastUs = 0;
  const matches = (c: Client, e: Stored) => (!c.dids || c.dids.has(e.did)) && (!c.collections || c.collections.has(e.collection));

  const firehoses = options.pdsUrls.map((pdsUrl) => {
    let seq = 0;
    return new Firehose({
        service: pdsUrl.replace(/^http/, 'ws'),
        idResolver: new IdResolver({ plcUrl: options.plcUrl }),
        // Jetstream checks commits upstream and sends none of the proofs; the stand-in does the same.
        unauthenticatedCommits: true,
        excludeIdentity: true,
        excludeAccount: true,
        excludeSync: true,
        subscriptionReconnectDelay: 200,
        maxReconnectSeconds: 1,
        getCursor: () => seq,
        handleEvent: (evt) => {
          seq = Math.max(seq, evt.seq);
          if (evt.event !== 'create' && evt.event !== 'update' && evt.event !== 'delete') return;
          lastUs = Math.max(lastUs + 1, Date.now() * 1000);
          const commit =
            evt.event === 'delete'
              ? { rev: evt.rev, operation: 'delete', collection: evt.collection, rkey: evt.rkey }
              : { rev: evt.rev, operation: evt.event, collection: evt.collection, rkey: evt.rkey, record: toJson(evt.record), cid: evt.cid.toString() };
          const stored = { time_us: lastUs, did: evt.did, collection: evt.collection, json: JSON.stringify({ did: evt.did, time_us: lastUs, kind: 'commit', commit }) };
          events.push(stored);
          for (const client of clients) if (matches(client, stored)) client.ws.send(stored.json);
        },
        onError: () => undefined,
      });
  });
  for (const firehose of firehoses) void firehose.start();

  const server = new WebSocketServer({ host: '127.0.0.1', port: 0 });
  await new Promise<void>((resolve) => server.once('listening', () => resolve()));
  server.on('connection', (ws, req) => {
    const query = new URL(req.url ?? '/', 'http://standin').searchParams;
    const dids = query.getAll('wantedDids');
    const collections = query.getAll('wantedCollections');
    const client: Client = { ws, dids: dids.length ? new Set(dids) : null, collections: collections.length ? new Set(collections) : null };
    wanted.push({ via: 'url', dids: [...dids].sort() });
    const cursor = Number(query.get('cursor') ?? NaN);
    // Replay and going live happen in one turn: no event falls between them.
    if (Number.isFinite(cursor)) for (const e of events) if (e.time_us >= cursor && matches(client, e)) ws.send(e.json);
    clients.add(client);
    ws.on('message', (data: Buffer) => {
      const msg = JSON.parse(data.toString('utf8')) as { type?: string; payload?: { wantedDids?: string[]; wantedCollections?: string[] } };
      if (msg.type !== 'options_update' || !msg.payload) return;
      client.dids = msg.payload.wantedDids?.length ? new Set(msg.payload.wantedDids) : null;
      if (msg.payload.wantedCollections) client.collections = msg.payload.wantedCollections.length ? new Set(msg.payload.wantedCollections) : null;
      wanted.push({ via: 'options_update', dids: [...(msg.payload.wantedDids ?? [])].sort() });
    });
    ws.on('close', () => clients.delete(client));
  });

  return {
    url: `ws://127.0.0.1:${(server.address() as AddressInfo).port}`,
    wanted,
    connections: () => clients.size,
    async stop() {
      for (const client of clients) client.ws.terminate();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await Promise.all(firehoses.map((f) => f.destroy()));
    },
  };
}
