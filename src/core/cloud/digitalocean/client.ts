import type { z } from 'zod';
import { describeIssues, HearthError } from '../../../shared/errors.ts';
import { abortError } from '../../jobs/job-context.ts';
import type { Redactor } from '../../log/redact.ts';
import {
  DoErrorBody,
  replies,
  type DoAccount,
  type DoDomain,
  type DoImage,
  type DoNewSpacesKey,
  type DoRegion,
  type DoSize,
  type DoSpacesKey,
  type DoSshKey,
  type SpacesGrant,
} from './schemas.ts';

export const DO_API_URL = 'https://api.digitalocean.com';


export const TOKEN_HINT =
  'Create a personal access token with read and write scope in the DigitalOcean control panel (API → Tokens), then paste it here.';

export interface DoClientOptions {
  token: string;
  baseUrl?: string;
  signal?: AbortSignal;
  /** Every token the client sees is registered, so no error or log line can carry it. */
  redactor?: Redactor;
  /** Retries after a 5xx or a dropped connection, each after a growing pause. */
  maxRetries?: number;
  /** The longest Hearth waits for a rate limit to reset before giving up with a clear error. */
  maxRateLimitWaitMs?: number;
  retryBaseMs?: number;
  fetch?: typeof fetch;
}

/**
 * A small typed client for the parts of the DigitalOcean API the setup wizard needs. Every reply
 * is validated; 429 waits for `ratelimit-reset` (bounded), 5xx and network failures are retried a
 * bounded number of times, lists follow `links.pages.next`.
 */
export class DigitalOceanClient {
  readonly #token: string;
  readonly #base: string;
  readonly #signal: AbortSignal | undefined;
  readonly #maxRetries: number;
  readonly #maxWaitMs: number;
  readonly #retryBaseMs: number;
  readonly #fetch: typeof fetch;

  constructor(options: DoClientOptions) {
    this.#token = options.token.trim();
    options.redactor?.register(this.#token);
    this.#base = apiBase(options.baseUrl ?? DO_API_URL);
    this.#signal = options.signal;
    this.#maxRetries = options.maxRetries ?? 3;
    this.#maxWaitMs = options.maxRateLimitWaitMs ?? 60_000;
    this.#retryBaseMs = options.retryBaseMs ?? 500;
    this.#fetch = options.fetch ?? fetch;
  }

  async account(): Promise<DoAccount> {
    return (await this.#request('GET', '/v2/account', replies.account)).account;
  }

  regions(): Promise<DoRegion[]> {
    return this.#list('/v2/regions', replies.regions, (r) => r.regions);
  }

  sizes(): Promise<DoSize[]> {
    return this.#list('/v2/sizes', replies.sizes, (r) => r.sizes);
  }

  images(type: 'distribution' | 'application' = 'distribution'): Promise<DoImage[]> {
    return this.#list(`/v2/images?type=${type}`, replies.images, (r) => r.images);
  }

  sshKeys(): Promise<DoSshKey[]> {
    return this.#list('/v2/account/keys', replies.sshKeys, (r) => r.ssh_keys);
  }

  /** Registers Hearth's public key once; an account that already has it gets the existing entry. */
  async registerSshKey(name: string, publicKey: string): Promise<DoSshKey> {
    const wanted = keyBody(publicKey);
    const existing = (await this.sshKeys()).find((k) => keyBody(k.public_key) === wanted);
    if (existing) return existing;
    const created = await this.#request('POST', '/v2/account/keys', replies.sshKey, { name, public_key: publicKey.trim() });
    return created.ssh_key;
  }

  async deleteSshKey(idOrFingerprint: number | string): Promise<void> {
    await this.#request('DELETE', `/v2/account/keys/${encodeURIComponent(String(idOrFingerprint))}`, null);
  }

  domains(): Promise<DoDomain[]> {
    return this.#list('/v2/domains', replies.domains, (r) => r.domains);
  }

  /**
   * The DO DNS zone that serves a hostname, if any: `pds.example.com` is served by a zone named
   * `pds.example.com` or `example.com`.
   */
  async zoneFor(hostname: string): Promise<string | null> {
    const names = new Set((await this.domains()).map((d) => d.name.toLowerCase()));
    const labels = hostname.toLowerCase().replace(/\.$/, '').split('.');
    for (let i = 0; i < labels.length - 1; i++) {
      const candidate = labels.slice(i).join('.');
      if (names.has(candidate)) return candidate;
    }
    return null;
  }

  spacesKeys(): Promise<DoSpacesKey[]> {
    return this.#list('/v2/spaces/keys', replies.spacesKeys, (r) => r.keys);
  }

  /** The reply is the only time DigitalOcean shows the secret half: the caller keeps it in the keychain. */
  async createSpacesKey(name: string, grants: SpacesGrant[]): Promise<DoNewSpacesKey> {
    const { key } = await this.#request('POST', '/v2/spaces/keys', replies.spacesKey, { name, grants });
    return key;
  }

  async deleteSpacesKey(accessKey: string): Promise<void> {
    await this.#request('DELETE', `/v2/spaces/keys/${encodeURIComponent(accessKey)}`, null);
  }

  async #list<R, T>(path: string, schema: z.ZodType<R & { links?: { pages?: { next?: string } } }>, items: (reply: R) => T[]): Promise<T[]> {
    const all: T[] = [];
    let next: string | undefined = `${path}${path.includes('?') ? '&' : '?'}per_page=200`;
    // A bounded walk: a server that keeps pointing at a next page cannot keep Hearth looping.
    for (let page = 0; next && page < 50; page++) {
      const reply: R & { links?: { pages?: { next?: string } } } = await this.#request('GET', next, schema);
      all.push(...items(reply));
      next = reply.links?.pages?.next;
    }
    return all;
  }

  #request<T>(method: string, pathOrUrl: string, schema: z.ZodType<T>, body?: unknown): Promise<T>;
  #request(method: string, pathOrUrl: string, schema: null, body?: unknown): Promise<null>;
  async #request<T>(method: string, pathOrUrl: string, schema: z.ZodType<T> | null, body?: unknown): Promise<T | null> {
    const url = this.#url(pathOrUrl);
    let failures = 0;
    let rateWaits = 0;
    for (;;) {
      if (this.#signal?.aborted) throw abortError();
      let res: Response;
      try {
        res = await this.#fetch(url, {
          method,
          headers: {
            authorization: `Bearer ${this.#token}`,
            accept: 'application/json',
            ...(body !== undefined && { 'content-type': 'application/json' }),
          },
          ...(body !== undefined && { body: JSON.stringify(body) }),
          ...(this.#signal && { signal: this.#signal }),
        });
      } catch (err) {
        if (this.#signal?.aborted) throw abortError();
        if (++failures > this.#maxRetries) {
          throw new HearthError(
            'NETWORK',
            `Hearth could not reach DigitalOcean (${networkReason(err)}).`,
            'Check this computer’s internet connection, then try again.',
          );
        }
        await this.#sleep(this.#retryBaseMs * 2 ** (failures - 1));
        continue;
      }

      if (res.status === 429) {
        const waitMs = rateLimitWait(res.headers.get('ratelimit-reset'), Date.now());
        await res.body?.cancel();
        if (waitMs > this.#maxWaitMs || ++rateWaits > this.#maxRetries) {
          throw new HearthError(
            'UNAVAILABLE',
            'DigitalOcean is limiting how many requests this token may make right now.',
            `Wait ${Math.max(1, Math.round(waitMs / 60_000))} minute(s) and try again; other tools using the same token count against the same limit.`,
          );
        }
        await this.#sleep(waitMs);
        continue;
      }
      if (res.status >= 500) {
        await res.body?.cancel();
        if (++failures > this.#maxRetries) {
          throw new HearthError(
            'UNAVAILABLE',
            `DigitalOcean answered with a server error (${res.status}) several times.`,
            'DigitalOcean may be having trouble (see status.digitalocean.com). Try again in a few minutes.',
          );
        }
        await this.#sleep(this.#retryBaseMs * 2 ** (failures - 1));
        continue;
      }
      if (!res.ok) throw await this.#errorFor(res);
      if (schema === null) {
        await res.body?.cancel();
        return null;
      }
      let json: unknown;
      try {
        json = await res.json();
      } catch {
        throw badReply(`${method} ${pathOf(url)}`, 'not JSON');
      }
      const parsed = schema.safeParse(json);
      if (!parsed.success) throw badReply(`${method} ${pathOf(url)}`, describeIssues(parsed.error));
      return parsed.data;
    }
  }

  async #errorFor(res: Response): Promise<HearthError> {
    let said = '';
    try {
      const body = DoErrorBody.safeParse(await res.json());
      if (body.success && body.data.message) said = body.data.message.slice(0, 300);
    } catch {
      // No JSON body: the status says enough.
    }
    if (res.status === 401) return new HearthError('AUTH', 'DigitalOcean did not accept this token.', TOKEN_HINT);
    if (res.status === 403) {
      return new HearthError(
        'AUTH',
        'This DigitalOcean token is not allowed to do that.',
        'Hearth needs a token with read and write scope (a read-only token cannot create a server). Create one and paste it again.',
      );
    }
    if (res.status === 404) return new HearthError('NOT_FOUND', `DigitalOcean does not know this item${said ? `: ${said}` : '.'}`, '');
    return new HearthError(
      res.status === 422 || res.status === 400 ? 'VALIDATION' : 'INTERNAL',
      `DigitalOcean refused the request (${res.status})${said ? `: ${said}` : '.'}`,
      'Check the values in the wizard and try again.',
    );
  }

  #url(pathOrUrl: string): string {
    if (!/^https?:\/\//.test(pathOrUrl)) return `${this.#base}${pathOrUrl}`;
    // Paging links are absolute: follow them only on the API's own origin, so a reply can never
    // send the token elsewhere.
    const next = new URL(pathOrUrl);
    const base = new URL(this.#base);
    if (next.origin !== base.origin) return `${this.#base}${next.pathname}${next.search}`;
    return next.toString();
  }

  #sleep(ms: number): Promise<void> {
    return new Promise((resolve, reject) => {
      if (this.#signal?.aborted) return reject(abortError());
      const onAbort = () => {
        clearTimeout(timer);
        reject(abortError());
      };
      const timer = setTimeout(() => {
        this.#signal?.removeEventListener('abort', onAbort);
        resolve();
      }, ms);
      this.#signal?.addEventListener('abort', onAbort, { once: true });
    });
  }
}

/** `ratelimit-reset` is the Unix time (seconds) when the window resets; at least a short pause. */
export function rateLimitWait(header: string | null, nowMs: number): number {
  const reset = Number(header);
  if (!header || !Number.isFinite(reset)) return 1_000;
  return Math.max(250, reset * 1000 - nowMs);
}

function keyBody(publicKey: string): string {
  return publicKey.trim().split(/\s+/).slice(0, 2).join(' ');
}

function pathOf(url: string): string {
  return new URL(url).pathname;
}

function badReply(what: string, detail: string): HearthError {
  return new HearthError(
    'INTERNAL',
    `DigitalOcean answered ${what} in a form Hearth does not understand (${detail}).`,
    'The API may have changed; check for a Hearth update.',
  );
}

function networkReason(err: unknown): string {
  const cause = (err as { cause?: { code?: string } }).cause;
  if (cause?.code === 'ENOTFOUND' || cause?.code === 'EAI_AGAIN') return 'the name api.digitalocean.com does not resolve: offline?';
  if (cause?.code === 'ECONNREFUSED') return 'connection refused';
  if (cause?.code) return cause.code;
  return 'no answer';
}

/**
 * The token goes with every request, so the API address must be HTTPS, or plain HTTP on this
 * computer only (a stand-in a test entry point injects). Anything else is refused before a
 * request is made.
 */
export function apiBase(url: string): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new HearthError('VALIDATION', 'The DigitalOcean API address is not a URL.', 'Leave it unset: Hearth uses https://api.digitalocean.com.');
  }
  const loopback = ['127.0.0.1', '[::1]', 'localhost'].includes(parsed.hostname);
  if (parsed.protocol !== 'https:' && !(parsed.protocol === 'http:' && loopback)) {
    throw new HearthError('VALIDATION', `Hearth sends the DigitalOcean token only over HTTPS, not to ${parsed.origin}.`, 'Use an https:// address (or leave it unset for https://api.digitalocean.com).');
  }
  if (parsed.username || parsed.password || parsed.search || parsed.hash) {
    throw new HearthError('VALIDATION', 'The DigitalOcean API address must not carry a user, a query or a fragment.', 'Use a plain https:// address.');
  }
  return parsed.href.replace(/\/+$/, '');
}
