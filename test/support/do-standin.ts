import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A local stand-in for the parts of the DigitalOcean API v2 Hearth calls, answering as the API
 * documents (JSON bodies, `links.pages.next` paging, `{ id, message }` errors, 429 with
 * `ratelimit-reset`). DigitalOcean itself is unreachable from the test machines; this is what the
 * unit tests and the end-to-end run point the client at (HEARTH_DO_API_URL).
 *
 * Rate limits as DigitalOcean documents them (API reference, "Rate Limit"; release note
 * docs.digitalocean.com/notes/2023/api-rate-limit): 5,000 requests an hour and 250 a minute per
 * token. Every reply carries `ratelimit-limit`, `ratelimit-remaining` (of the hourly quota) and
 * `ratelimit-reset` (Unix time when the oldest request of the hour expires). A 429 for the
 * per-minute burst limit carries `Retry-After` (seconds) since August 2023, while `ratelimit-reset`
 * still names the hourly window; the hourly limit's 429 has `ratelimit-remaining: 0` and no
 * `Retry-After`. See `limit()`.
 */
export interface DoStandin {
  url: string;
  /** Requests seen, in order (method and path with query). */
  requests: { method: string; path: string; authorized: boolean }[];
  /**
   * The next `times` requests whose path starts with `pathPrefix` get this status (and headers).
   * `'reset'` drops the connection instead of answering. With `afterHandling`, the request is
   * carried out first and only its reply is lost: what a gateway timeout (502/504) or a dropped
   * connection does to a request that DigitalOcean did execute; a client cannot tell the two apart.
   */
  fail(pathPrefix: string, status: number | 'reset', options?: { times?: number; headers?: Record<string, string>; afterHandling?: boolean; method?: string }): void;
  /**
   * The next `times` requests under `pathPrefix` hit a rate limit, answered as DigitalOcean does:
   * 'minute' (the burst limit) with `Retry-After: retryAfterSeconds` and the hourly quota not used
   * up; 'hour' with `ratelimit-remaining: 0` and `ratelimit-reset` at `resetAt` (Unix seconds).
   */
  limit(pathPrefix: string, which: 'minute' | 'hour', options?: { times?: number; retryAfterSeconds?: number; resetAt?: number }): void;
  /** Forgets every failure and limit not yet used up. */
  clearFailures(): void;
  /** A token that expired or was revoked: DigitalOcean answers 401 `Unable to authenticate you` from now on. */
  expire(token: string): void;
  /** Pages hold at most this many items, whatever `per_page` asks (to exercise paging). */
  pageSize: number;
  state: {
    tokens: Set<string>;
    domains: string[];
    sshKeys: { id: number; fingerprint: string; public_key: string; name: string }[];
    spacesKeys: { name: string; access_key: string; secret_key: string; grants: { bucket: string; permission: string }[]; created_at: string }[];
    publicIp: string;
  };
  close(): Promise<void>;
}

export const STANDIN_REGIONS = [
  { slug: 'nyc3', name: 'New York 3' },
  { slug: 'ams3', name: 'Amsterdam 3' },
  { slug: 'fra1', name: 'Frankfurt 1' },
  { slug: 'sfo3', name: 'San Francisco 3' },
  { slug: 'sgp1', name: 'Singapore 1' },
];

export const STANDIN_SIZES = [
  { slug: 's-1vcpu-512mb-10gb', memory: 512, vcpus: 1, disk: 10, price_monthly: 4 },
  { slug: 's-1vcpu-1gb', memory: 1024, vcpus: 1, disk: 25, price_monthly: 6 },
  { slug: 's-1vcpu-2gb', memory: 2048, vcpus: 1, disk: 50, price_monthly: 12 },
  { slug: 's-2vcpu-2gb', memory: 2048, vcpus: 2, disk: 60, price_monthly: 18 },
  { slug: 's-2vcpu-4gb', memory: 4096, vcpus: 2, disk: 80, price_monthly: 24 },
  { slug: 's-4vcpu-8gb', memory: 8192, vcpus: 4, disk: 160, price_monthly: 48 },
];

const IMAGES = [
  { id: 1001, name: '24.04 (LTS) x64', distribution: 'Ubuntu', slug: 'ubuntu-24-04-x64' },
  { id: 1002, name: '22.04 (LTS) x64', distribution: 'Ubuntu', slug: 'ubuntu-22-04-x64' },
  { id: 1003, name: '12 x64', distribution: 'Debian', slug: 'debian-12-x64' },
];

export async function startDoStandin(options: { tokens?: string[]; domains?: string[]; pageSize?: number } = {}): Promise<DoStandin> {
  const failures: { prefix: string; status: number | 'reset'; times: number; headers: Record<string, string>; afterHandling: boolean; method: string | undefined }[] = [];
  const standin: DoStandin = {
    url: '',
    requests: [],
    pageSize: options.pageSize ?? 200,
    fail(prefix, status, opts = {}) {
      failures.push({ prefix, status, times: opts.times ?? 1, headers: opts.headers ?? {}, afterHandling: opts.afterHandling ?? false, method: opts.method });
    },
    limit(prefix, which, opts = {}) {
      const hourReset = String(Math.ceil(Date.now() / 1000) + 3600);
      const headers: Record<string, string> =
        which === 'minute'
          ? { 'retry-after': String(opts.retryAfterSeconds ?? 1), 'ratelimit-remaining': '4750', 'ratelimit-reset': String(opts.resetAt ?? hourReset) }
          : { 'ratelimit-remaining': '0', 'ratelimit-reset': String(opts.resetAt ?? hourReset) };
      failures.push({ prefix, status: 429, times: opts.times ?? 1, headers, afterHandling: false, method: undefined });
    },
    clearFailures() {
      failures.length = 0;
    },
    expire(token) {
      standin.state.tokens.delete(token);
    },
    state: {
      tokens: new Set(options.tokens ?? []),
      domains: options.domains ?? [],
      sshKeys: [],
      spacesKeys: [],
      publicIp: '203.0.113.7',
    },
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
  let nextId = 500;

  const send = (res: ServerResponse, status: number, body?: unknown, headers: Record<string, string> = {}) => {
    res.writeHead(status, { 'content-type': 'application/json', ...headers });
    res.end(body === undefined ? undefined : JSON.stringify(body));
  };
  const error = (res: ServerResponse, status: number, id: string, message: string, headers: Record<string, string> = {}) =>
    send(res, status, { id, message, request_id: randomBytes(8).toString('hex') }, headers);

  const page = <T>(req: IncomingMessage, url: URL, key: string, items: T[]) => {
    const perPage = Math.min(Number(url.searchParams.get('per_page') ?? 20), standin.pageSize);
    const pageNo = Number(url.searchParams.get('page') ?? 1);
    const slice = items.slice((pageNo - 1) * perPage, pageNo * perPage);
    const links: { pages?: { next?: string; last?: string } } = {};
    if (pageNo * perPage < items.length) {
      const next = new URL(url.toString());
      next.searchParams.set('page', String(pageNo + 1));
      links.pages = { next: `${standin.url}${next.pathname}${next.search}` };
    }
    return { [key]: slice, links, meta: { total: items.length } };
  };

  const readBody = async (req: IncomingMessage): Promise<Record<string, unknown>> => {
    let raw = '';
    for await (const chunk of req) raw += chunk;
    try {
      return JSON.parse(raw || '{}') as Record<string, unknown>;
    } catch {
      return {};
    }
  };

  const server = createServer(async (req, res) => {
    const url = new URL(req.url ?? '/', 'http://standin');
    const path = url.pathname;
    const token = /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1];
    const authorized = token !== undefined && standin.state.tokens.has(token);
    standin.requests.push({ method: req.method ?? 'GET', path: `${path}${url.search}`, authorized });

    // Not DigitalOcean: what a "what is my address" service answers, for the firewall's SSH rule.
    if (path === '/standin/ip') return send(res, 200, { ip: standin.state.publicIp });

    const failure = failures.find((f) => path.startsWith(f.prefix) && f.times > 0 && (!f.method || f.method === req.method));
    const answerFailure = () => {
      if (!failure) return;
      if (failure.status === 'reset') return void req.socket.destroy();
      if (failure.status === 429) return error(res, 429, 'too_many_requests', 'API Rate limit exceeded.', { 'ratelimit-limit': '5000', 'ratelimit-remaining': '0', ...failure.headers });
      return error(res, failure.status, failure.status >= 500 ? 'server_error' : 'error', 'Server was unable to give you a response.', failure.headers);
    };
    if (failure) {
      failure.times--;
      if (!failure.afterHandling) return answerFailure();
      // Carried out, then the reply is lost on the way back.
      const lost = { writeHead: () => lost, end: () => lost } as unknown as ServerResponse;
      await handle(req, lost, url, authorized);
      return answerFailure();
    }
    return handle(req, res, url, authorized);
  });

  const handle = async (req: IncomingMessage, res: ServerResponse, url: URL, authorized: boolean): Promise<void> => {
    const path = url.pathname;
    // DigitalOcean's reply to a missing, wrong, expired or revoked token (API reference, "Authentication").
    if (!authorized) return error(res, 401, 'Unauthorized', 'Unable to authenticate you');

    const s = standin.state;
    if (req.method === 'GET' && path === '/v2/account') {
      return send(res, 200, {
        account: { droplet_limit: 10, floating_ip_limit: 3, email: 'sam@example.com', uuid: 'b6fc48dbf6d9906cace5f3d8b1a7a9d2', email_verified: true, status: 'active', status_message: '' },
      });
    }
    if (req.method === 'GET' && path === '/v2/regions') {
      const regions = STANDIN_REGIONS.map((r) => ({ ...r, available: true, features: ['backups', 'ipv6', 'monitoring'], sizes: STANDIN_SIZES.map((z) => z.slug) }));
      return send(res, 200, page(req, url, 'regions', regions));
    }
    if (req.method === 'GET' && path === '/v2/sizes') {
      const sizes = STANDIN_SIZES.map((z) => ({
        ...z,
        transfer: 1,
        price_hourly: Math.round((z.price_monthly / 672) * 100000) / 100000,
        regions: STANDIN_REGIONS.map((r) => r.slug),
        available: true,
        description: 'Basic',
      }));
      return send(res, 200, page(req, url, 'sizes', sizes));
    }
    if (req.method === 'GET' && path === '/v2/images') {
      return send(res, 200, page(req, url, 'images', IMAGES.map((i) => ({ ...i, public: true, regions: STANDIN_REGIONS.map((r) => r.slug) }))));
    }
    if (path === '/v2/account/keys') {
      if (req.method === 'GET') return send(res, 200, page(req, url, 'ssh_keys', s.sshKeys));
      if (req.method === 'POST') {
        const body = await readBody(req);
        if (typeof body.public_key !== 'string' || typeof body.name !== 'string') return error(res, 422, 'unprocessable_entity', 'Key invalid, key should be of the form: type key [comment]');
        const key = { id: nextId++, fingerprint: randomBytes(16).toString('hex').replace(/(..)(?!$)/g, '$1:'), public_key: body.public_key, name: body.name };
        s.sshKeys.push(key);
        return send(res, 201, { ssh_key: key });
      }
    }
    if (req.method === 'GET' && path === '/v2/domains') {
      return send(res, 200, page(req, url, 'domains', s.domains.map((name) => ({ name, ttl: 1800, zone_file: '' }))));
    }
    if (path === '/v2/spaces/keys') {
      if (req.method === 'GET') return send(res, 200, page(req, url, 'keys', s.spacesKeys.map(({ secret_key: _secret, ...k }) => k)));
      if (req.method === 'POST') {
        const body = await readBody(req);
        const grants = Array.isArray(body.grants) ? (body.grants as { bucket: string; permission: string }[]) : [];
        const key = { name: String(body.name ?? ''), access_key: `DO${randomBytes(9).toString('hex').toUpperCase()}`, secret_key: randomBytes(30).toString('base64url'), grants, created_at: new Date().toISOString() };
        s.spacesKeys.push(key);
        return send(res, 201, { key });
      }
    }
    const keyMatch = /^\/v2\/spaces\/keys\/([^/]+)$/.exec(path);
    if (keyMatch && req.method === 'DELETE') {
      const index = s.spacesKeys.findIndex((k) => k.access_key === decodeURIComponent(keyMatch[1]!));
      if (index === -1) return error(res, 404, 'not_found', 'The resource you were accessing could not be found.');
      s.spacesKeys.splice(index, 1);
      res.writeHead(204).end();
      return;
    }
    return error(res, 404, 'not_found', 'The resource you were accessing could not be found.');
  };

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  standin.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return standin;
}
