import { request } from 'node:https';
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
