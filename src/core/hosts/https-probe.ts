import { request as httpRequest } from 'node:http';
import { request, request as httpsRequest } from 'node:https';
import type { Duplex } from 'node:stream';
import type { TLSSocket } from 'node:tls';
import { lookupFrom, type ResolveAddresses } from './resolve.ts';

export interface HttpsProbe {
  status: number;
  body: string;
  responseMs: number;
  /** When the server's certificate stops being valid. */
  certificateExpiresAt: string | null;
}

/**
 * One HTTPS GET the way a user's browser would make it (SNI = the hostname), but resolving the
 * name with Hearth's resolver and, for a server on Caddy's internal CA, trusting that CA only
 * for this request.
 */
export function httpsGet(
  url: string,
  options: { resolve: ResolveAddresses; ca?: string; signal?: AbortSignal; timeoutMs?: number },
): Promise<HttpsProbe> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const req = request(
      url,
      {
        method: 'GET',
        lookup: lookupFrom(options.resolve) as never,
        ...(options.ca && { ca: options.ca }),
        ...(options.signal && { signal: options.signal }),
        timeout: options.timeoutMs ?? 10_000,
        agent: false,
      },
      (res) => {
        const cert = (res.socket as TLSSocket).getPeerCertificate?.();
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => body.length < 1 << 20 && (body += chunk));
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            body,
            responseMs: Math.round(performance.now() - started),
            certificateExpiresAt: cert?.valid_to ? new Date(cert.valid_to).toISOString() : null,
          }),
        );
      },
    );
    req.on('timeout', () => req.destroy(new Error('timed out')));
    req.on('error', reject);
    req.end();
  });
}

/** Opens the connection for one plain-HTTP request some other way (an SSH tunnel). */
export type ConnectThrough = (signal?: AbortSignal) => Promise<Duplex>;

function viaTunnel(connect: ConnectThrough) {
  return ((_options: unknown, done: (err: Error | null, socket?: Duplex) => void) => {
    connect().then(
      (socket) => done(null, socket),
      (err: unknown) => done(err instanceof Error ? err : new Error(String(err))),
    );
    return undefined;
  }) as never;
}

/**
 * A fetch that reaches a server's PDS on its own loopback port through SSH, whatever DNS says:
 * for checking a new server before the hostname points at it.
 */
export function tunnelFetch(session: { forward(host: string, port: number, signal?: AbortSignal): Promise<Duplex> }, port: number): { fetch: typeof fetch; url: string } {
  return {
    url: `http://127.0.0.1:${port}`,
    fetch: serverFetch({ resolve: async () => ['127.0.0.1'], connect: (signal) => session.forward('127.0.0.1', port, signal) }),
  };
}

/**
 * A WhatWG fetch for one server: names resolved by Hearth's resolver and, for a server on
 * Caddy's internal CA, that CA trusted for these requests only. Hand it to @atproto/api
 * (`new AtpAgent({ service, fetch })`) to manage such a server.
 */
export function serverFetch(options: { resolve: ResolveAddresses; ca?: string | null; connect?: ConnectThrough }): typeof fetch {
  return async (input, init) => {
    const request = new Request(input, init);
    const body = request.body ? Buffer.from(await request.arrayBuffer()) : undefined;
    return new Promise<Response>((resolve, reject) => {
      const req = request.url.startsWith('https:')
        ? httpsRequest(request.url, {
            method: request.method,
            headers: Object.fromEntries(request.headers),
            lookup: lookupFrom(options.resolve) as never,
            ...(options.ca && { ca: options.ca }),
            signal: request.signal,
            agent: false,
          })
        : httpRequest(request.url, {
            method: request.method,
            headers: Object.fromEntries(request.headers),
            lookup: lookupFrom(options.resolve) as never,
            signal: request.signal,
            ...(options.connect && { createConnection: viaTunnel(options.connect) }),
          });
      req.on('response', (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => {
          const headers = new Headers();
          for (const [name, value] of Object.entries(res.headers)) {
            if (Array.isArray(value)) for (const v of value) headers.append(name, v);
            else if (value !== undefined) headers.set(name, value);
          }
          const status = res.statusCode ?? 500;
          resolve(new Response(status === 204 || status === 304 ? null : Buffer.concat(chunks), { status, headers }));
        });
        res.on('error', reject);
      });
      req.on('error', reject);
      req.end(body);
    });
  };
}
