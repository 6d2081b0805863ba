import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDoStandin, STANDIN_SIZES, type DoStandin } from '../../../../test/support/do-standin.ts';
import { HearthError } from '../../../shared/errors.ts';
import { Redactor } from '../../log/redact.ts';
import { apiBase, DigitalOceanClient, rateLimitWait } from './client.ts';

// DigitalOcean is unreachable from here: the client runs against a local stand-in that answers
// like the documented API v2 (test/support/do-standin.ts).

const TOKEN = 'dop_v1_0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef';
let standin: DoStandin;
const client = (extra: Partial<ConstructorParameters<typeof DigitalOceanClient>[0]> = {}) =>
  new DigitalOceanClient({ token: TOKEN, baseUrl: standin.url, retryBaseMs: 10, ...extra });

beforeAll(async () => {
  standin = await startDoStandin({ tokens: [TOKEN], domains: ['example.com', 'other.net'] });
});
afterAll(() => standin.close());

async function caught(promise: Promise<unknown>): Promise<HearthError> {
  try {
    await promise;
  } catch (err) {
    if (err instanceof HearthError) return err;
    throw err;
  }
  throw new Error('expected a HearthError');
}

describe('DigitalOcean REST client against the stand-in API', () => {
  it('checks a token: shows the account email and droplet limit', async () => {
    const account = await client().account();
    expect(account.email).toBe('sam@example.com');
    expect(account.droplet_limit).toBe(10);
  });

  it('says plainly when the token is wrong, and never repeats the token', async () => {
    const wrong = 'dop_v1_wrongwrongwrongwrongwrong';
    const err = await caught(new DigitalOceanClient({ token: wrong, baseUrl: standin.url }).account());
    expect(err.code).toBe('AUTH');
    expect(err.message).toBe('DigitalOcean did not accept this token.');
    expect(err.hint).toMatch(/read and write scope/);
    expect(`${err.message} ${err.hint}`).not.toContain(wrong);
  });

  it('explains a 403 (read-only token)', async () => {
    standin.fail('/v2/account/keys', 403);
    const err = await caught(client().registerSshKey('Hearth', 'ssh-ed25519 AAAAC3Nza hearth'));
    expect(err.code).toBe('AUTH');
    expect(err.hint).toMatch(/read-only token cannot create/);
  });

  it('waits for ratelimit-reset after a 429, then succeeds', async () => {
    const resetAt = Math.ceil(Date.now() / 1000) + 1;
    standin.fail('/v2/account', 429, { headers: { 'ratelimit-reset': String(resetAt) } });
    const started = Date.now();
    const account = await client().account();
    expect(account.email).toBe('sam@example.com');
    // It waited until the announced reset, not a fixed guess.
    expect(Date.now()).toBeGreaterThanOrEqual(resetAt * 1000 - 50);
    expect(Date.now() - started).toBeLessThan(5_000);
  });

  it('gives up with a clear message when the rate limit resets too far away', async () => {
    standin.fail('/v2/account', 429, { headers: { 'ratelimit-reset': String(Math.ceil(Date.now() / 1000) + 3600) } });
    const started = Date.now();
    const err = await caught(client({ maxRateLimitWaitMs: 2_000 }).account());
    expect(Date.now() - started).toBeLessThan(1_000);
    expect(err.code).toBe('UNAVAILABLE');
    expect(err.message).toMatch(/limiting how many requests/);
    expect(err.hint).toMatch(/Wait 60 minute/);
  });

  it('retries a 5xx and then succeeds', async () => {
    standin.fail('/v2/regions', 503, { times: 2 });
    const before = standin.requests.length;
    const regions = await client().regions();
    expect(regions.map((r) => r.slug)).toContain('nyc3');
    expect(standin.requests.slice(before).filter((r) => r.path.startsWith('/v2/regions'))).toHaveLength(3);
  });

  it('stops retrying 5xx after a bounded number of attempts', async () => {
    standin.fail('/v2/regions', 500, { times: 10 });
    const before = standin.requests.length;
    const err = await caught(client({ maxRetries: 2 }).regions());
    expect(err.code).toBe('UNAVAILABLE');
    expect(err.message).toMatch(/server error \(500\) several times/);
    expect(standin.requests.length - before).toBe(3);
    standin.fail('/v2/regions', 500, { times: 0 });
    // Drain the remaining injected failures so later tests start clean.
    for (let i = 0; i < 7; i++) await client({ maxRetries: 0 }).regions().catch(() => undefined);
  });

  it('follows links.pages.next until every page is read', async () => {
    standin.pageSize = 2;
    try {
      const before = standin.requests.length;
      const sizes = await client().sizes();
      expect(sizes.map((s) => s.slug)).toEqual(STANDIN_SIZES.map((s) => s.slug));
      expect(sizes.find((s) => s.slug === 's-1vcpu-2gb')?.price_monthly).toBe(12);
      const pages = standin.requests.slice(before).map((r) => r.path);
      expect(pages).toEqual(['/v2/sizes?per_page=200', '/v2/sizes?per_page=200&page=2', '/v2/sizes?per_page=200&page=3']);
    } finally {
      standin.pageSize = 200;
    }
  });

  it('lists distribution images including Ubuntu 24.04', async () => {
    const images = await client().images();
    expect(images.map((i) => i.slug)).toContain('ubuntu-24-04-x64');
  });

  it("registers Hearth's public key once", async () => {
    const pub = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHearthTestKey hearth@desktop';
    const first = await client().registerSshKey('Hearth', pub);
    const second = await client().registerSshKey('Hearth', `${pub.split(' ').slice(0, 2).join(' ')} other-comment`);
    expect(second.id).toBe(first.id);
    expect(standin.state.sshKeys).toHaveLength(1);
  });

  it('finds the DO DNS zone serving a hostname', async () => {
    expect(await client().zoneFor('pds.example.com')).toBe('example.com');
    expect(await client().zoneFor('example.com')).toBe('example.com');
    expect(await client().zoneFor('pds.elsewhere.org')).toBeNull();
  });

  it('creates a full-access Spaces key, then a bucket-scoped readwrite key, and deletes one', async () => {
    const admin = await client().createSpacesKey('hearth-admin', [{ bucket: '', permission: 'fullaccess' }]);
    expect(admin.secret_key.length).toBeGreaterThan(20);
    const scoped = await client().createSpacesKey('hearth-pds', [{ bucket: 'hearth-pds-blobs', permission: 'readwrite' }]);
    expect(scoped.grants).toEqual([{ bucket: 'hearth-pds-blobs', permission: 'readwrite' }]);
    const listed = await client().spacesKeys();
    expect(listed.map((k) => k.access_key).sort()).toEqual([admin.access_key, scoped.access_key].sort());
    // Listing never carries secret halves.
    expect(JSON.stringify(listed)).not.toContain(admin.secret_key);
    await client().deleteSpacesKey(admin.access_key);
    expect((await client().spacesKeys()).map((k) => k.access_key)).toEqual([scoped.access_key]);
  });

  it('rejects a reply that does not match the documented shape', async () => {
    const fakeFetch: typeof fetch = async () => new Response(JSON.stringify({ account: { email: 3 } }), { status: 200 });
    const err = await caught(client({ fetch: fakeFetch }).account());
    expect(err.code).toBe('INTERNAL');
    expect(err.message).toMatch(/form Hearth does not understand/);
  });

  it('gives an offline-aware error when DigitalOcean cannot be reached', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((resolve) => closed.close(resolve));
    const err = await caught(new DigitalOceanClient({ token: TOKEN, baseUrl: `http://127.0.0.1:${port}`, maxRetries: 1, retryBaseMs: 5 }).account());
    expect(err.code).toBe('NETWORK');
    expect(err.message).toMatch(/could not reach DigitalOcean \(connection refused\)/);
  });

  it('registers the token with the redactor and never follows a paging link off the API origin', async () => {
    const redactor = new Redactor();
    const seen: string[] = [];
    const fakeFetch: typeof fetch = async (input) => {
      seen.push(String(input));
      return seen.length === 1
        ? new Response(JSON.stringify({ domains: [{ name: 'a.com' }], links: { pages: { next: 'https://evil.example/v2/domains?page=2' } } }))
        : new Response(JSON.stringify({ domains: [{ name: 'b.com' }], links: {} }));
    };
    const domains = await client({ redactor, fetch: fakeFetch, baseUrl: 'https://api.example.test' }).domains();
    expect(domains.map((d) => d.name)).toEqual(['a.com', 'b.com']);
    expect(seen[1]).toBe('https://api.example.test/v2/domains?page=2');
    expect(redactor.redact(`token ${TOKEN}`)).toBe('token [redacted]');
  });

  it('computes the wait from ratelimit-reset', () => {
    const h = (headers: Record<string, string>) => new Headers(headers);
    expect(rateLimitWait(h({ 'ratelimit-reset': '1000' }), 999_000)).toBe(1_000);
    expect(rateLimitWait(h({}), 0)).toBe(1_000);
    expect(rateLimitWait(h({ 'ratelimit-reset': '1' }), 5_000_000)).toBe(250);
    expect(rateLimitWait(h({ 'ratelimit-reset': '1000', 'ratelimit-remaining': '0' }), 999_000)).toBe(1_000);
  });

  it('prefers Retry-After (seconds or a date), and waits out the minute when the hourly quota is not used up', () => {
    const h = (headers: Record<string, string>) => new Headers(headers);
    const now = 1_700_000_000_000;
    const hourAway = String(now / 1000 + 3600);
    expect(rateLimitWait(h({ 'retry-after': '7', 'ratelimit-reset': hourAway, 'ratelimit-remaining': '4000' }), now)).toBe(7_000);
    expect(rateLimitWait(h({ 'retry-after': new Date(now + 3_000).toUTCString() }), now)).toBe(3_000);
    expect(rateLimitWait(h({ 'ratelimit-reset': hourAway, 'ratelimit-remaining': '4000' }), now)).toBe(60_000);
    expect(rateLimitWait(h({ 'ratelimit-reset': hourAway, 'ratelimit-remaining': '0' }), now)).toBe(3_600_000);
  });
});

describe('where the token may go', () => {
  it('sends it only over HTTPS, or plain HTTP to this computer; anything else is refused before a request', async () => {
    let reached = 0;
    const spy: typeof fetch = async () => {
      reached++;
      return new Response('{}');
    };
    for (const url of ['http://api.digitalocean.com', 'http://10.0.0.5:8080/v2', 'ftp://example.com', 'not a url', 'https://user:pw@api.example.com', 'https://api.example.com/?x=1']) {
      expect(() => new DigitalOceanClient({ token: TOKEN, baseUrl: url, fetch: spy }), url).toThrow(HearthError);
    }
    expect(reached).toBe(0);
    expect(() => apiBase('http://evil.example')).toThrow(/only over HTTPS, not to http:\/\/evil\.example/);
    expect(apiBase('https://api.digitalocean.com/')).toBe('https://api.digitalocean.com');
    expect(apiBase('http://127.0.0.1:5555/')).toBe('http://127.0.0.1:5555');
  });
});

// What DigitalOcean really does at each point (the stand-in answers the same way):
// - Rate limits (API reference "Rate Limit", docs.digitalocean.com/reference/api/; release note
//   docs.digitalocean.com/notes/2023/api-rate-limit): 250 requests a minute and 5,000 an hour per
//   token. The burst (per-minute) 429 carries `Retry-After` in seconds, while `ratelimit-reset`
//   names the hourly window, up to an hour away. A 429 is refused before anything is done.
// - A reply can be lost after DigitalOcean acted: a gateway 502/504 or a dropped connection. For
//   POST /v2/spaces/keys the reply is the only place the secret half is ever shown (API reference,
//   "Create a New Spaces Access Key"): a key made then is a key nobody can use, and with full
//   access it can read and delete every bucket on the account.
describe('retries: only what cannot happen twice is sent twice', () => {
  let api: DoStandin;
  const doClient = (extra: Partial<ConstructorParameters<typeof DigitalOceanClient>[0]> = {}) =>
    new DigitalOceanClient({ token: TOKEN, baseUrl: api.url, retryBaseMs: 10, ...extra });
  const posts = (prefix: string) => api.requests.filter((r) => r.method === 'POST' && r.path.startsWith(prefix)).length;

  beforeAll(async () => {
    api = await startDoStandin({ tokens: [TOKEN] });
  });
  afterAll(() => api.close());

  it('a lost reply to "create Spaces key" leaves no key on the account without its secret', async () => {
    api.fail('/v2/spaces/keys', 502, { afterHandling: true, method: 'POST' });
    const key = await doClient().createSpacesKey('hearth-alpha-admin', [{ bucket: '', permission: 'fullaccess' }]);
    // The key Hearth holds is the only one on the account: the one made behind the lost reply is gone.
    expect(api.state.spacesKeys.map((k) => k.access_key)).toEqual([key.access_key]);
    expect(api.state.spacesKeys[0]!.secret_key).toBe(key.secret_key);
    expect(posts('/v2/spaces/keys')).toBe(2);
    expect(api.requests.filter((r) => r.method === 'DELETE').length).toBe(1);
    await doClient().deleteSpacesKey(key.access_key);
  });

  it('after a dropped connection too; and a key of the same name made earlier is left alone', async () => {
    const earlier = await doClient().createSpacesKey('hearth-beta-admin', [{ bucket: '', permission: 'fullaccess' }]);
    api.fail('/v2/spaces/keys', 'reset', { afterHandling: true, method: 'POST' });
    const key = await doClient().createSpacesKey('hearth-beta-admin', [{ bucket: '', permission: 'fullaccess' }]);
    expect(api.state.spacesKeys.map((k) => k.access_key).sort()).toEqual([earlier.access_key, key.access_key].sort());
    for (const k of [earlier, key]) await doClient().deleteSpacesKey(k.access_key);
  });

  it('gives up with a clear error, and still no orphan, when DigitalOcean keeps failing', async () => {
    api.fail('/v2/spaces/keys', 504, { afterHandling: true, method: 'POST', times: 10 });
    const before = posts('/v2/spaces/keys');
    const err = await caught(doClient({ maxRetries: 1 }).createSpacesKey('hearth-gamma-admin', [{ bucket: '', permission: 'fullaccess' }]));
    expect(err.code).toBe('UNAVAILABLE');
    expect(err.message).toMatch(/did not answer while Hearth was creating the Spaces key hearth-gamma-admin \(server error 504\)/);
    expect(posts('/v2/spaces/keys') - before).toBe(2);
    expect(api.state.spacesKeys).toEqual([]);
    api.clearFailures();
  });

  it('a lost reply to "register SSH key" finds the key it made instead of sending the POST again', async () => {
    api.fail('/v2/account/keys', 502, { afterHandling: true, method: 'POST' });
    const before = posts('/v2/account/keys');
    const key = await doClient().registerSshKey('Hearth alpha', 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAILostReply hearth@alpha');
    expect(posts('/v2/account/keys') - before).toBe(1);
    expect(api.state.sshKeys.map((k) => k.id)).toEqual([key.id]);
  });

  it('sends a POST refused with 429 again after the wait (nothing was done)', async () => {
    api.limit('/v2/spaces/keys', 'minute', { retryAfterSeconds: 1 });
    const key = await doClient().createSpacesKey('hearth-delta-admin', [{ bucket: '', permission: 'fullaccess' }]);
    expect(api.state.spacesKeys.map((k) => k.access_key)).toEqual([key.access_key]);
    await doClient().deleteSpacesKey(key.access_key);
  });

  it('retries a DELETE whose reply was lost, and takes the 404 that follows as done', async () => {
    const key = await doClient().createSpacesKey('hearth-epsilon-admin', [{ bucket: '', permission: 'fullaccess' }]);
    api.fail(`/v2/spaces/keys/${key.access_key}`, 503, { afterHandling: true });
    await doClient().deleteSpacesKey(key.access_key);
    expect(api.state.spacesKeys).toEqual([]);
    expect(api.requests.filter((r) => r.method === 'DELETE' && r.path.endsWith(key.access_key))).toHaveLength(2);
    // A first-time 404 is still an error: that key never existed.
    expect((await caught(doClient().deleteSpacesKey(key.access_key))).code).toBe('NOT_FOUND');
  });

  it('honours Retry-After for the per-minute limit even though ratelimit-reset is an hour away', async () => {
    api.limit('/v2/account', 'minute', { retryAfterSeconds: 1 });
    const started = Date.now();
    const account = await doClient({ maxRateLimitWaitMs: 60_000 }).account();
    expect(account.email).toBe('sam@example.com');
    expect(Date.now() - started).toBeGreaterThanOrEqual(950);
    expect(Date.now() - started).toBeLessThan(5_000);
  });

  it('still gives up at once on the hourly limit when its reset is far away', async () => {
    api.limit('/v2/account', 'hour', { resetAt: Math.ceil(Date.now() / 1000) + 1800 });
    const started = Date.now();
    const err = await caught(doClient({ maxRateLimitWaitMs: 60_000 }).account());
    expect(Date.now() - started).toBeLessThan(1_000);
    expect(err.code).toBe('UNAVAILABLE');
    expect(err.hint).toMatch(/Wait 30 minute/);
  });
});
