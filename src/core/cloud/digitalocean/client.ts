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
  /** Retries after a 5xx or a dropped connection (GET, DELETE), each after a growing pause. */
  maxRetries?: number;
  /** The longest Hearth waits for a rate limit to reset before giving up with a clear error. */
  maxRateLimitWaitMs?: number;
  retryBaseMs?: number;
  fetch?: typeof fetch;
}

/**
 * A small typed client for the parts of the DigitalOcean API the setup wizard needs. Every reply
 * is validated; 429 waits for `Retry-After` or `ratelimit-reset` (bounded); GET and DELETE are
 * retried a bounded number of times after a 5xx or a network failure, a POST only when it surely
 * did nothing (see OutcomeUnknown); lists follow `links.pages.next`.
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

  /**
   * Registers Hearth's public key once; an account that already has it gets the existing entry.
   * When the reply to the POST is lost, the list says whether it was made: the key is the same
   * either way, so it is looked up (and only if absent, sent once more).
   */
  async registerSshKey(name: string, publicKey: string): Promise<DoSshKey> {
    const wanted = keyBody(publicKey);
    const find = async () => (await this.sshKeys()).find((k) => keyBody(k.public_key) === wanted);
    const existing = await find();
    if (existing) return existing;
    for (let attempt = 0; ; attempt++) {
      try {
        return (await this.#request('POST', '/v2/account/keys', replies.sshKey, { name, public_key: publicKey.trim() })).ssh_key;
      } catch (err) {
        if (!(err instanceof OutcomeUnknown)) throw err;
        const made = await find();
        if (made) return made;
        if (attempt >= this.#maxRetries) throw err.toHearthError('Hearth’s SSH key');
      }
    }
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

  /**
   * The reply is the only time DigitalOcean shows the secret half: the caller keeps it in the
   * keychain. So when that reply is lost, a key DigitalOcean did make is useless and dangerous (a
   * full-access key nobody holds the secret of): the keys listed before the POST tell which one
   * is new, it is deleted, and only then is the key asked for again.
   */
  async createSpacesKey(name: string, grants: SpacesGrant[]): Promise<DoNewSpacesKey> {
    const before = new Set((await this.spacesKeys()).map((k) => k.access_key));
    for (let attempt = 0; ; attempt++) {
      try {
        return (await this.#request('POST', '/v2/spaces/keys', replies.spacesKey, { name, grants })).key;
      } catch (err) {
        if (!(err instanceof OutcomeUnknown)) throw err;
        const orphans = (await this.spacesKeys()).filter((k) => k.name === name && !before.has(k.access_key));
        for (const orphan of orphans) {
          await this.deleteSpacesKey(orphan.access_key).catch((cause: unknown) => {
            throw new HearthError(
              'UNAVAILABLE',
              `DigitalOcean made the Spaces key ${name} but its reply was lost, and Hearth could not delete it (${cause instanceof Error ? cause.message : String(cause)}).`,
              `Delete the Spaces key ${name} (${orphan.access_key}) under Spaces Object Storage → Access Keys in the DigitalOcean control panel: nobody holds its secret. Then try again.`,
            );
          });
        }
        if (attempt >= this.#maxRetries) throw err.toHearthError(`the Spaces key ${name}`);
      }
    }
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
    // GET and DELETE mean the same thing when sent twice (RFC 9110 §9.2.2); a POST makes something
    // each time, so it is sent again only when DigitalOcean certainly did not act on it.
    const idempotent = method === 'GET' || method === 'DELETE';
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
        // A connection that was never made carried no request; one that broke later may have.
        if (!idempotent && !neverSent(err)) throw new OutcomeUnknown(`${method} ${pathOf(url)}`, networkReason(err));
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

      // A 429 is refused before anything is done, so even a POST may be sent again after the wait.
      if (res.status === 429) {
        const waitMs = rateLimitWait(res.headers, Date.now());
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
        // A 502/504 comes from a gateway that may have passed the request on: the POST may be done.
        if (!idempotent) throw new OutcomeUnknown(`${method} ${pathOf(url)}`, `server error ${res.status}`);
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
      // A DELETE sent again after a lost reply finds the item already gone: that is what was asked.
      if (res.status === 404 && method === 'DELETE' && failures > 0) {
        await res.body?.cancel();
        return null;
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

/**
 * How long to wait after a 429. DigitalOcean has two limits (API reference, "Rate Limit"): 250
 * requests a minute, whose 429 says `Retry-After` (seconds, since 2023), and 5,000 an hour, whose
 * `ratelimit-reset` is the Unix time (seconds) the oldest request of the hour expires. The
 * hourly reset is on every reply, so it is the wait only when the hourly quota is used up
 * (`ratelimit-remaining: 0`); a burst 429 without `Retry-After` waits out the minute. At least a
 * short pause.
 */
export function rateLimitWait(headers: Headers, nowMs: number): number {
  const retryAfter = headers.get('retry-after');
  if (retryAfter) {
    const seconds = Number(retryAfter);
    const at = Number.isFinite(seconds) ? nowMs + seconds * 1000 : Date.parse(retryAfter);
    if (Number.isFinite(at)) return Math.max(250, at - nowMs);
  }
  const remaining = headers.get('ratelimit-remaining');
  const reset = Number(headers.get('ratelimit-reset'));
  const resetMs = headers.get('ratelimit-reset') && Number.isFinite(reset) ? Math.max(250, reset * 1000 - nowMs) : null;
  if (remaining !== null && Number(remaining) > 0) return Math.min(resetMs ?? 60_000, 60_000);
  return resetMs ?? 1_000;
}

/** Connection failures that happen before a request is sent: trying again cannot do anything twice. */
function neverSent(err: unknown): boolean {
  const code = (err as { cause?: { code?: string } }).cause?.code;
  return ['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'ENETUNREACH', 'EHOSTUNREACH', 'UND_ERR_CONNECT_TIMEOUT'].includes(code ?? '');
}

/**
 * A POST whose reply never arrived (a dropped connection, a gateway's 5xx): DigitalOcean may or
 * may not have done it. The caller finds out from the account before anything is sent again.
 */
class OutcomeUnknown extends Error {
  readonly what: string;
  readonly reason: string;

  constructor(what: string, reason: string) {
    super(`${what}: ${reason}`);
    this.what = what;
    this.reason = reason;
  }

  toHearthError(thing: string): HearthError {
    return new HearthError(
      'UNAVAILABLE',
      `DigitalOcean did not answer while Hearth was creating ${thing} (${this.reason}).`,
      'Nothing was left half-made on the account. DigitalOcean may be having trouble (see status.digitalocean.com): try again in a few minutes.',
    );
  }
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
