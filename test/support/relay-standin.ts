import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A local stand-in for a relay (com.atproto.sync.getHostStatus, getRepoStatus, requestCrawl) and an
 * AppView (app.bsky.actor.getProfile, app.bsky.feed.getPosts). A real relay (indigo's) or AppView
 * cannot be run here, and bsky.network cannot crawl a loopback PDS; this answers with the
 * lexicons' real output shapes and XRPC errors (`400 {error: "HostNotFound" | "RepoNotFound"}`,
 * `400 {error: "InvalidRequest", message: "Profile not found"}` as the AppView does), holding
 * whatever state the test gives it: an active, idle, offline, throttled or banned host with its
 * last seq, accounts with their revisions, profiles and indexed posts.
 */
export interface HostState {
  status: 'active' | 'idle' | 'offline' | 'throttled' | 'banned';
  seq?: number;
  accountCount?: number;
}
export interface RepoState {
  active: boolean;
  status?: string;
  rev?: string;
}

export interface RelayStandin {
  url: string;
  hosts: Map<string, HostState>;
  repos: Map<string, RepoState>;
  /** AppView: DID → handle it shows. */
  profiles: Map<string, string>;
  /** AppView: post URIs it has indexed. */
  posts: Set<string>;
  /** Hostnames asked to crawl, in order. */
  crawlRequests: string[];
  close(): Promise<void>;
}

const send = (res: ServerResponse, status: number, body: unknown) => {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
};
const xrpcError = (res: ServerResponse, error: string, message: string) => send(res, 400, { error, message });

export async function startRelayStandin(): Promise<RelayStandin> {
  const state: Omit<RelayStandin, 'url' | 'close'> = { hosts: new Map(), repos: new Map(), profiles: new Map(), posts: new Set(), crawlRequests: [] };

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? '/', 'http://standin');
    const q = url.searchParams;
    switch (url.pathname) {
      case '/xrpc/com.atproto.sync.getHostStatus': {
        const hostname = q.get('hostname') ?? '';
        const host = state.hosts.get(hostname);
        if (!host) return xrpcError(res, 'HostNotFound', `host not found: ${hostname}`);
        return send(res, 200, { hostname, ...host });
      }
      case '/xrpc/com.atproto.sync.getRepoStatus': {
        const did = q.get('did') ?? '';
        const repo = state.repos.get(did);
        if (!repo) return xrpcError(res, 'RepoNotFound', `repo not found: ${did}`);
        return send(res, 200, { did, ...repo });
      }
      case '/xrpc/com.atproto.sync.requestCrawl': {
        const chunks: Buffer[] = [];
        for await (const chunk of req) chunks.push(chunk as Buffer);
        const { hostname } = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { hostname: string };
        state.crawlRequests.push(hostname);
        return send(res, 200, {});
      }
      case '/xrpc/app.bsky.actor.getProfile': {
        const did = q.get('actor') ?? '';
        const shown = state.profiles.get(did);
        if (!shown) return xrpcError(res, 'InvalidRequest', 'Profile not found');
        return send(res, 200, { did, handle: shown, followersCount: 0, followsCount: 0, postsCount: 0 });
      }
      case '/xrpc/app.bsky.feed.getPosts': {
        const uris = q.getAll('uris').filter((u) => state.posts.has(u));
        return send(res, 200, {
          posts: uris.map((uri) => {
            const did = uri.split('/')[2]!;
            return {
              uri,
              cid: 'bafyreidfayvfuwqa7qlnopdjiqrxzs6blmoeu4rujcjtnci5beludirz2a',
              author: { did, handle: state.profiles.get(did) ?? 'handle.invalid' },
              record: { $type: 'app.bsky.feed.post', text: '', createdAt: new Date().toISOString() },
              indexedAt: new Date().toISOString(),
            };
          }),
        });
      }
      default:
        return xrpcError(res, 'MethodNotImplemented', `Method Not Implemented: ${url.pathname}`);
    }
  };

  const server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => send(res, 500, { error: 'InternalServerError', message: String(err) }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    ...state,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
