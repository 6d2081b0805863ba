/**
 * Public repo reads from any PDS (listRecords, getRecord, listRepos) with plain
 * fetch: no session needed, every reply checked with zod before use, and at most a few requests
 * in flight per host, so a feed of 1,000 follows on one big PDS does not hammer it.
 */
import type { z } from 'zod';
import { GetRecordReply, ListRecordsReply, ListReposReply } from './records.ts';

const REQUEST_TIMEOUT_MS = 15_000;
export const DEFAULT_PER_HOST = 4;

/** Why a repo could not be read, in words for the status line. */
export class RepoReadError extends Error {
  /** true: the server itself did not answer (down, refused, timed out); false: it answered no. */
  readonly unreachable: boolean;
  constructor(message: string, unreachable: boolean) {
    super(message);
    this.name = 'RepoReadError';
    this.unreachable = unreachable;
  }
}

/** A counting semaphore per host (URL origin). */
export class HostLimiter {
  readonly #perHost: number;
  readonly #hosts = new Map<string, { active: number; waiting: (() => void)[] }>();

  constructor(perHost = DEFAULT_PER_HOST) {
    this.#perHost = perHost;
  }

  async run<T>(url: string, fn: () => Promise<T>): Promise<T> {
    const key = new URL(url).origin;
    let host = this.#hosts.get(key);
    if (!host) this.#hosts.set(key, (host = { active: 0, waiting: [] }));
    if (host.active >= this.#perHost) await new Promise<void>((resolve) => host.waiting.push(resolve));
    host.active++;
    try {
      return await fn();
    } finally {
      host.active--;
      host.waiting.shift()?.();
    }
  }
}

export type FetchFor = (pdsUrl: string) => Promise<typeof globalThis.fetch>;

export class RepoReader {
  readonly #fetchFor: FetchFor;
  readonly #limiter: HostLimiter;

  constructor(options: { fetchFor?: FetchFor; limiter?: HostLimiter } = {}) {
    this.#fetchFor = options.fetchFor ?? (async () => globalThis.fetch);
    this.#limiter = options.limiter ?? new HostLimiter();
  }

  listRecords(pdsUrl: string, repo: string, collection: string, opts: { cursor?: string; limit?: number; signal?: AbortSignal }) {
    const params = new URLSearchParams({ repo, collection, limit: String(opts.limit ?? 100) });
    if (opts.cursor) params.set('cursor', opts.cursor);
    return this.#get(pdsUrl, 'com.atproto.repo.listRecords', params, ListRecordsReply, opts.signal);
  }

  getRecord(pdsUrl: string, repo: string, collection: string, rkey: string, signal?: AbortSignal) {
    return this.#get(pdsUrl, 'com.atproto.repo.getRecord', new URLSearchParams({ repo, collection, rkey }), GetRecordReply, signal);
  }

  listRepos(pdsUrl: string, cursor: string | undefined, signal?: AbortSignal) {
    const params = new URLSearchParams({ limit: '1000' });
    if (cursor) params.set('cursor', cursor);
    return this.#get(pdsUrl, 'com.atproto.sync.listRepos', params, ListReposReply, signal);
  }

  async #get<S extends z.ZodType>(pdsUrl: string, method: string, params: URLSearchParams, schema: S, signal?: AbortSignal): Promise<z.output<S>> {
    const fetchImpl = await this.#fetchFor(pdsUrl);
    const url = `${pdsUrl}/xrpc/${method}?${params}`;
    const timeout = AbortSignal.timeout(REQUEST_TIMEOUT_MS);
    return this.#limiter.run(pdsUrl, async () => {
      let res: Response;
      try {
        res = await fetchImpl(url, { signal: signal ? AbortSignal.any([signal, timeout]) : timeout, headers: { accept: 'application/json' } });
      } catch (err) {
        if (signal?.aborted) throw err;
        throw new RepoReadError(`its server did not answer (${networkReason(err)})`, true);
      }
      let body: unknown;
      try {
        body = await res.json();
      } catch {
        body = null;
      }
      if (!res.ok) {
        const said = (body as { error?: unknown; message?: unknown } | null) ?? {};
        const error = typeof said.error === 'string' ? said.error : '';
        if (res.status >= 500) throw new RepoReadError(`its server failed (HTTP ${res.status})`, true);
        throw new RepoReadError(refusal(error, res.status, typeof said.message === 'string' ? said.message : ''), false);
      }
      const parsed = schema.safeParse(body);
      if (!parsed.success) throw new RepoReadError('its server sent a reply Hearth cannot read', false);
      return parsed.data;
    });
  }
}

function refusal(error: string, status: number, message: string): string {
  // The PDS answers a deactivated repo like a missing one ("Could not find repo").
  if (error === 'InvalidRequest' && /could not find repo/i.test(message)) error = 'RepoNotFound';
  switch (error) {
    case 'RepoNotFound':
      return 'its server does not have this account now (deactivated, moved or deleted)';
    case 'RepoDeactivated':
      return 'the account is deactivated';
    case 'RepoTakendown':
      return 'the account is taken down on its server';
    case 'RepoSuspended':
      return 'the account is suspended on its server';
    case 'RecordNotFound':
      return 'the record is gone';
    default:
      return `its server refused (HTTP ${status}${error ? ` ${error}` : ''}${message ? `: ${message.slice(0, 120)}` : ''})`;
  }
}

function networkReason(err: unknown): string {
  const cause = (err as { cause?: { code?: string } } | null)?.cause;
  if (cause?.code === 'ECONNREFUSED') return 'connection refused';
  if (cause?.code === 'ENOTFOUND') return 'its name does not resolve';
  if (cause?.code === 'ECONNRESET') return 'connection reset';
  if (err instanceof Error && (err.name === 'TimeoutError' || err.name === 'AbortError')) return 'timed out';
  return cause?.code ? cause.code : 'network error';
}
