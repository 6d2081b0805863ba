import { randomBytes, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebSocketServer, type WebSocket } from 'ws';
import type { WireMessage } from '../shared/api.ts';
import { contentSecurityPolicy } from '../shared/csp.ts';
import type { HearthApp } from '../core/app.ts';
import { readStatic } from './static-files.ts';

export interface WebHostOptions {
  /** May still be starting: the host listens at once and holds calls until core is ready. */
  app: HearthApp | Promise<HearthApp>;
  /** The built renderer (out/renderer). */
  rendererDir: string;
  /** 0 picks a free port. */
  port?: number;
  /** Fixed token for tests; normally a random one per launch. */
  token?: string;
}

export interface WebHost {
  url: string;
  /** The URL to open: it carries the per-launch token once, then a cookie takes over. */
  openUrl: string;
  port: number;
  close(): Promise<void>;
}

const COOKIE = 'hearth_session';
const MAX_MESSAGE_BYTES = 1024 * 1024;

/**
 * Serves the renderer and the contract over a WebSocket on 127.0.0.1, so the same UI runs in a
 * browser. Only someone who has the per-launch token (printed to the terminal) gets in: the token
 * is traded for an HttpOnly, SameSite=Strict cookie; the Host header must name loopback (DNS
 * rebinding) and a WebSocket's Origin must be this very host (cross-site pages).
 */
export async function startWebHost(options: WebHostOptions): Promise<WebHost> {
  const token = options.token ?? randomBytes(32).toString('base64url');
  const sockets = new Set<WebSocket>();
  let port = 0;

  const allowedHosts = () => [`127.0.0.1:${port}`, `localhost:${port}`];
  const allowedOrigins = () => allowedHosts().map((h) => `http://${h}`);
  const tokenMatches = (candidate: string | undefined | null) => {
    if (!candidate) return false;
    const a = Buffer.from(candidate);
    const b = Buffer.from(token);
    return a.length === b.length && timingSafeEqual(a, b);
  };
  const cookieToken = (req: IncomingMessage) =>
    (req.headers.cookie ?? '')
      .split(';')
      .map((part) => part.trim().split('='))
      .find(([name]) => name === COOKIE)?.[1];

  const csp = () => contentSecurityPolicy({ connectSrc: allowedHosts().map((h) => `ws://${h}`), header: true });

  const refuse = (res: ServerResponse, status: number, message: string) => {
    res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-store' });
    res.end(message);
  };

  const server = createServer(async (req, res) => {
    try {
      if (!allowedHosts().includes(req.headers.host ?? '')) {
        return refuse(res, 403, 'Hearth answers only on its loopback address.');
      }
      if (req.method !== 'GET' && req.method !== 'HEAD') return refuse(res, 405, 'Method not allowed.');
      const url = new URL(req.url ?? '/', `http://${req.headers.host}`);

      const offered = url.searchParams.get('token');
      if (offered !== null) {
        if (!tokenMatches(offered)) return refuse(res, 401, 'This link is not valid (wrong token). Open the link Hearth printed when it started.');
        url.searchParams.delete('token');
        res.writeHead(303, {
          'set-cookie': `${COOKIE}=${token}; HttpOnly; SameSite=Strict; Path=/`,
          location: url.pathname + url.search,
          'cache-control': 'no-store',
        });
        return res.end();
      }
      if (!tokenMatches(cookieToken(req))) {
        return refuse(res, 401, 'Hearth needs the link it printed when it started (it carries a one-time token).');
      }

      const file = (await readStatic(options.rendererDir, url.pathname)) ?? (await readStatic(options.rendererDir, '/'));
      if (!file) return refuse(res, 500, 'The Hearth window files are missing: run `npm run build`.');
      res.writeHead(200, {
        'content-type': file.type,
        'content-security-policy': csp(),
        'x-content-type-options': 'nosniff',
        'referrer-policy': 'no-referrer',
        'cache-control': 'no-store',
      });
      res.end(req.method === 'HEAD' ? undefined : file.body);
    } catch {
      if (!res.headersSent) refuse(res, 500, 'Hearth could not answer this request.');
    }
  });

  const wss = new WebSocketServer({ noServer: true, maxPayload: MAX_MESSAGE_BYTES });
  server.on('upgrade', (req, socket, head) => {
    const url = new URL(req.url ?? '/', 'http://x');
    const ok =
      url.pathname === '/rpc' &&
      allowedHosts().includes(req.headers.host ?? '') &&
      allowedOrigins().includes(req.headers.origin ?? '') &&
      tokenMatches(cookieToken(req));
    if (!ok) {
      socket.end('HTTP/1.1 403 Forbidden\r\nConnection: close\r\n\r\n');
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => {
      sockets.add(ws);
      ws.on('close', () => sockets.delete(ws));
      ws.on('message', (data) => void answer(ws, data.toString()));
    });
  });

  const send = (ws: WebSocket, message: WireMessage) => {
    if (ws.readyState === ws.OPEN) ws.send(JSON.stringify(message));
  };

  async function answer(ws: WebSocket, text: string) {
    let request: { id?: unknown; call?: unknown; input?: unknown };
    try {
      request = JSON.parse(text);
    } catch {
      return ws.close(1003, 'Hearth expects JSON messages.');
    }
    if (typeof request?.id !== 'number') return ws.close(1003, 'Hearth expects a request id.');
    // dispatch never throws; only a core that failed to start can land in the catch.
    const envelope = await app
      .then((ready) => ready.dispatch(request.call, request.input))
      .catch(() => ({
        ok: false as const,
        error: { code: 'UNAVAILABLE' as const, message: 'Hearth could not start.', hint: 'See the terminal where Hearth runs.' },
      }));
    send(ws, { type: 'reply', id: request.id, envelope });
  }

  const app = Promise.resolve(options.app);
  const unsubscribe = app.then((ready) =>
    ready.subscribe((event, payload) => {
      for (const ws of sockets) send(ws, { type: 'event', event, payload });
    }),
  );

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => resolve());
  });
  port = (server.address() as AddressInfo).port;
  const url = `http://127.0.0.1:${port}/`;

  return {
    url,
    openUrl: `${url}?token=${token}`,
    port,
    async close() {
      (await unsubscribe)();
      for (const ws of sockets) ws.terminate();
      wss.close();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
