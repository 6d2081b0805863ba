/**
 * "Are my posts reaching the network?" against the sandbox: network.status asks a relay and an
 * AppView about the server and each account, and compares what they hold with the server itself
 * (its revisions, and its own firehose for the sequence); accounts.requestCrawl reaches the relay.
 *
 * Real: Hearth's core, the keychain (scripts/with-keyring.sh), the sandbox's PDS and PLC, whose
 * firehose answers the sequence probe. Replaced because unreachable here: the relay and the
 * AppView — a relay cannot be run here and bsky.network cannot crawl a loopback PDS — by a stand-in
 * (test/support/relay-standin.ts) answering the lexicons' real shapes and errors, with the host
 * and account states the test gives it (throttled, banned, a lagging revision, a seq past the
 * server's).
 */
import { createServer } from 'node:net';
import { AtpAgent } from '@atproto/api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { NetworkFinding } from '../src/shared/contract/network.ts';
import { HearthError } from '../src/shared/errors.ts';
import { startRelayStandin, type RelayStandin } from './support/relay-standin.ts';
import { startSandboxApp, type SandboxApp } from './support/sandbox-app.ts';

describe('network status of the sandbox against a relay and an AppView stand-in', () => {
  let sandbox: SandboxApp;
  let relay: RelayStandin;
  let hostname: string;
  const people: { did: string; handle: string; agent: AtpAgent }[] = [];
  const status = (relays = [relay.url]) => sandbox.call('network.status', { serverId: 'sandbox', relays, appView: relay.url });
  const only = (findings: NetworkFinding[], check: NetworkFinding['check'], did: string | null = null) => {
    const found = findings.filter((f) => f.check === check && f.did === did);
    expect(found, `${check} ${did ?? ''}`).toHaveLength(1);
    return found[0]!;
  };

  beforeAll(async () => {
    [sandbox, relay] = await Promise.all([startSandboxApp(), startRelayStandin()]);
    hostname = new URL(sandbox.pdsUrl).hostname;
    const { availableUserDomains } = await sandbox.call('accounts.serverInfo', { serverId: 'sandbox' });
    for (const name of ['ada', 'bo']) {
      const created = await sandbox.call('accounts.create', { serverId: 'sandbox', handle: `${name}${Date.now() % 100000}${availableUserDomains[0]}`, email: `${name}@example.com`, password: `pw-${name}-long-enough` });
      const agent = new AtpAgent({ service: sandbox.pdsUrl });
      await agent.login({ identifier: created.did, password: `pw-${name}-long-enough` });
      people.push({ did: created.did, handle: created.handle, agent });
    }
  }, 180_000);
  afterAll(async () => {
    await Promise.all([sandbox?.stop(), relay?.close()]);
  });

  it('refuses bad input in words and asks no relay for the private sandbox by default', async () => {
    await expect(sandbox.call('network.status', { serverId: 'sandbox' })).rejects.toMatchObject({ code: 'VALIDATION', message: expect.stringMatching(/ lists no relays to ask\.$/) });
    await expect(sandbox.call('network.status', { serverId: 'sandbox', relays: ['ftp://relay.example'] })).rejects.toMatchObject({ code: 'VALIDATION' });
    await expect(sandbox.call('network.status', { serverId: 'sandbox', relays: [relay.url], appView: 'javascript:alert(1)' })).rejects.toMatchObject({ code: 'VALIDATION' });
    expect(relay.crawlRequests).toEqual([]);
  });

  it('a relay that never crawled the server: named as the cause, with Request crawl as the fix; the AppView does not show the accounts', async () => {
    const result = await status();
    expect(result).toMatchObject({ hostname, relays: [relay.url], accountsChecked: 2, accountsTotal: 2 });
    const host = only(result.findings, 'relay-host');
    expect(host).toMatchObject({ status: 'fail', title: `${new URL(relay.url).host} does not know this server` });
    expect(host.fix).toMatch(/^Press Request crawl/);
    for (const p of people) {
      expect(only(result.findings, 'relay-repo', p.did)).toMatchObject({ status: 'warn', handle: p.handle, title: `${new URL(relay.url).host} has not seen @${p.handle}` });
      expect(only(result.findings, 'appview-profile', p.did)).toMatchObject({ status: 'warn', title: `@${p.handle} is not on ${new URL(relay.url).host}` });
      expect(only(result.findings, 'appview-post', p.did)).toMatchObject({ status: 'ok', title: `@${p.handle} has not posted yet` });
    }
  });

  it('Request crawl reaches the relay with the server’s hostname', async () => {
    const { results } = await sandbox.call('accounts.requestCrawl', { serverId: 'sandbox', relays: [relay.url] });
    expect(results).toEqual([{ relay: relay.url, ok: true, message: 'The relay accepted the request.' }]);
    expect(relay.crawlRequests).toEqual([hostname]);
  });

  it('compares each account’s revision with the server and finds the newest post missing from the AppView', async () => {
    const [ada, bo] = people as [(typeof people)[0], (typeof people)[0]];
    const before = (await ada.agent.com.atproto.sync.getLatestCommit({ did: ada.did })).data.rev;
    const adaPost = await ada.agent.post({ text: 'hello from ada' });
    const boPost = await bo.agent.post({ text: 'hello from bo' });
    const boRev = (await bo.agent.com.atproto.sync.getLatestCommit({ did: bo.did })).data.rev;
    relay.hosts.set(hostname, { status: 'active', seq: 1, accountCount: 2 });
    // The relay's copy of ada is one commit behind; bo's is current.
    relay.repos.set(ada.did, { active: true, rev: before });
    relay.repos.set(bo.did, { active: true, rev: boRev });
    relay.profiles.set(ada.did, ada.handle);
    relay.profiles.set(bo.did, 'handle.invalid');
    relay.posts.add(boPost.uri);

    const { findings } = await status();
    expect(only(findings, 'relay-host')).toMatchObject({ status: 'ok', detail: `The relay is subscribed to ${hostname} (2 accounts, last event #1).`, fix: null });
    expect(only(findings, 'relay-seq')).toMatchObject({ status: 'ok', title: `Event numbers are ahead of ${new URL(relay.url).host}` });
    const lag = only(findings, 'relay-repo', ada.did);
    expect(lag).toMatchObject({ status: 'warn', title: `${new URL(relay.url).host} is behind on @${ada.handle}` });
    expect(lag.detail).toContain(before);
    expect(only(findings, 'relay-repo', bo.did)).toMatchObject({ status: 'ok', detail: `Revision ${boRev}, as on the server.` });
    expect(only(findings, 'appview-profile', ada.did)).toMatchObject({ status: 'ok' });
    const invalid = only(findings, 'appview-profile', bo.did);
    expect(invalid).toMatchObject({ status: 'fail', title: `${new URL(relay.url).host} cannot confirm the handle @${bo.handle}` });
    expect(invalid.fix).toContain(`${bo.handle} resolves to ${bo.did}`);
    const missing = only(findings, 'appview-post', ada.did);
    expect(missing).toMatchObject({ status: 'warn', title: `The newest post of @${ada.handle} is not on ${new URL(relay.url).host}` });
    expect(missing.detail).toContain(adaPost.uri);
    expect(only(findings, 'appview-post', bo.did)).toMatchObject({ status: 'ok', detail: boPost.uri });
  });

  it('finds a relay desync: the relay saw an event number the server has not reached (its firehose says FutureCursor)', async () => {
    relay.hosts.set(hostname, { status: 'active', seq: 10_000_000 });
    const seq = only((await status()).findings, 'relay-seq');
    expect(seq).toMatchObject({ status: 'fail', title: `This server's event numbers are behind what ${new URL(relay.url).host} has seen` });
    expect(seq.detail).toContain('#10000000');
    expect(seq.fix).toContain('past #10000000');
  });

  it('says what a throttled or banned host and a taken-down account mean', async () => {
    relay.hosts.set(hostname, { status: 'throttled' });
    relay.repos.set(people[0]!.did, { active: false, status: 'takendown' });
    const throttled = await status();
    expect(only(throttled.findings, 'relay-host')).toMatchObject({ status: 'warn', title: `${new URL(relay.url).host} is limiting this server` });
    expect(throttled.findings.filter((f) => f.check === 'relay-seq')).toEqual([]);
    expect(only(throttled.findings, 'relay-repo', people[0]!.did)).toMatchObject({ status: 'fail', title: `${new URL(relay.url).host} marks @${people[0]!.handle} as takendown` });
    relay.hosts.set(hostname, { status: 'banned' });
    const banned = only((await status()).findings, 'relay-host');
    expect(banned).toMatchObject({ status: 'fail', title: `${new URL(relay.url).host} has banned this server` });
  });

  it('a relay that does not answer is "unknown" while the other relay and the AppView still answer', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const deadUrl = `http://127.0.0.1:${(closed.address() as { port: number }).port}`;
    await new Promise((resolve) => closed.close(resolve));
    relay.hosts.set(hostname, { status: 'active', seq: 1 });
    const result = await status([deadUrl, relay.url]);
    const dead = result.findings.filter((f) => f.source === deadUrl);
    expect(dead).toEqual([expect.objectContaining({ check: 'relay-host', status: 'unknown', detail: 'It could not be reached.' })]);
    expect(result.findings.find((f) => f.source === relay.url && f.check === 'relay-host')?.status).toBe('ok');
    expect(result.findings.filter((f) => f.check === 'appview-profile')).toHaveLength(2);
  });

  it('the server itself stopped: a clear error, not a page of unknowns', async () => {
    await sandbox.call('sandbox.stop', {});
    const err = await status().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(HearthError);
    expect(err).toMatchObject({ code: 'UNAVAILABLE', message: 'The sandbox is not running.' });
  });
});
