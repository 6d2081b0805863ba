/**
 * The DigitalOcean wizard's hand-over: the droplet the stack creates is handed to the SSH installer
 * (connect with the key registered at DigitalOcean, host key pinned on first use, preflight with the
 * DNS check against the reserved IP, then the hand-over job that installs) and ends with a healthy
 * PDS. On the way the hand-over job, run the way the wizard runs it, keeps trying while the droplet
 * is still booting, waits while only DNS is missing (saying so in its progress and log), refuses a
 * second operation on the server meanwhile, stops at once on cancel, stops with the failing checks
 * named when the droplet itself is not ready, and, run again, installs as soon as the records are in.
 * (One file, one droplet and one install: a second install of its own cost the suite two minutes.)
 *
 * Real: Hearth's core, the keychain (run inside scripts/with-keyring.sh), a PLC, and the "droplet":
 * a test server (Debian 12 root + sshd on loopback, test/support/test-server.ts) reached over real
 * SSH. Replaced because unreachable here: DigitalOcean's API (the local stand-in), the Pulumi
 * engine (SimulatedAutomation), whose reserved IP is the test server's address, and DNS: the
 * resolver is injected at the composition root so the records can "propagate" while the job
 * waits; the test-only
 * `dropletSshPort` option points the droplet's SSH at the test server's port. What DigitalOcean does
 * with the registered key (cloud-init writes it to root's authorized_keys) the test does by hand.
 *
 * Then "Replace the droplet": a second test server is the next droplet generation (the test-only
 * `dropletSshPort` maps each generation to its test server's sshd). Backups go to the S3 fixture.
 * The replacement must keep everything written up to the moment it starts (the old PDS is stopped
 * for a last backup), every DID and password, and leave only the new droplet in the stack.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { createServer, type Server as NetServer } from 'node:net';
import { join } from 'node:path';
import { AtpAgent } from '@atproto/api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { HearthApp } from '../src/core/app.ts';
import { SimulatedAutomation } from './support/simulated-automation.ts';
import { serverFetch } from '../src/core/hosts/https-probe.ts';
import { systemResolver } from '../src/core/hosts/resolve.ts';
import type { KeyringSecretStore } from '../src/core/secrets/index.ts';
import type { CallOutput } from '../src/shared/contract/index.ts';
import { startTestApp } from './support/app.ts';
import { contractCalls } from './support/calls.ts';
import { startDoStandin, type DoStandin } from './support/do-standin.ts';
import { freePort, startPlc } from './support/plc.ts';
import { startS3Server, type S3Fixture } from './support/s3-server.ts';
import { startTestServer, testServerUnavailable, type TestServer } from './support/test-server.ts';

const unavailable = testServerUnavailable();
const TOKEN = `dop_v1_${randomBytes(32).toString('hex')}`;
const HOSTNAME = 'pds.handover.test';
const ELSEWHERE = 'late.handover.test';
const SERVER_ID = 'do-handover';
const NAME = 'handover';
// The records the wizard shows, not made yet: both names still point at an old address until the
// test "creates the records" (the hostname and its wildcard at the reserved IP, the test server on
// loopback). ELSEWHERE's records never move.
const OLD_RECORDS = `${HOSTNAME}=192.0.2.7,*.${HOSTNAME}=192.0.2.7,${ELSEWHERE}=192.0.2.7,*.${ELSEWHERE}=192.0.2.7`;
let records = OLD_RECORDS;

describe.skipIf(unavailable)('DigitalOcean wizard hand-over to the SSH install (test server as the droplet)', () => {
  let droplet: TestServer;
  let nextDroplet: TestServer;
  let s3: S3Fixture;
  let dataDir: string;
  let automation: SimulatedAutomation;
  let plc: { url: string; close(): Promise<void> };
  let standin: DoStandin;
  let app: HearthApp;
  let secrets: KeyringSecretStore;
  let ports: { httpsPort: number; httpPort: number; pdsPort: number; caddyAdminPort: number };
  const { call, settled: settle, failure } = contractCalls(() => app);
  const server = async () => (await call('servers.list', {})).find((s) => s.id === SERVER_ID);
  const steps = new Map<string, string[]>();
  const handOver = async (extra: Partial<typeof ports> = {}) => (await call('cloud.handOver', { serverId: SERVER_ID, tlsMode: 'internal', plcUrl: plc.url, ...ports, ...extra })).jobId;
  const statusWhen = async (jobId: string, ok: (s: CallOutput<'cloud.handOverStatus'>) => boolean, timeout = 60_000) => {
    let last: CallOutput<'cloud.handOverStatus'> = null;
    await expect
      .poll(
        async () => {
          last = await call('cloud.handOverStatus', { jobId });
          return ok(last);
        },
        { timeout, interval: 200 },
      )
      .toBe(true);
    return last!;
  };
  const logOf = async (jobId: string) => (await call('jobs.get', { id: jobId })).log.map((l) => l.message);

  beforeAll(async () => {
    [droplet, nextDroplet, plc, standin, s3] = await Promise.all([startTestServer(), startTestServer(), startPlc(), startDoStandin({ tokens: [TOKEN], domains: [] }), startS3Server()]);
    automation = new SimulatedAutomation({ address: droplet.host });
    ({ app, secrets, dataDir } = await startTestApp({
      cloud: {
        automation,
        simulated: true,
        apiUrl: standin.url,
        publicIpUrl: `${standin.url}/standin/ip`,
        // Generation 0 is the first droplet, generation 1 its replacement.
        dropletSshPort: (generation) => (generation === 0 ? droplet.port : nextDroplet.port),
      },
      resolve: (name) => systemResolver(records)(name),
    }));
    app.subscribe((event, payload) => {
      if (event !== 'jobs.updated') return;
      const job = payload as CallOutput<'jobs.get'>;
      const seen = steps.get(job.id) ?? [];
      if (seen.at(-1) !== job.step) steps.set(job.id, [...seen, job.step]);
    });
    ports = { httpsPort: await freePort(), httpPort: await freePort(), pdsPort: await freePort(), caddyAdminPort: await freePort() };
  }, 180_000);
  afterAll(async () => {
    await app?.close();
    await Promise.all([droplet?.stop(), nextDroplet?.stop(), plc?.close(), standin?.close(), s3?.close()]);
  });

  it('creates the droplet with one key, the one the installer uses, and records how to reach it over SSH', async () => {
    await call('cloud.checkToken', { token: TOKEN });
    const preview = await settle((await call('cloud.preview', { serverId: SERVER_ID, name: NAME, region: 'ams3', size: 's-1vcpu-2gb', hostname: HOSTNAME, dnsMode: 'manual', sshFrom: '203.0.113.7' })).jobId, 30_000);
    expect(preview.state, JSON.stringify(preview.error)).toBe('succeeded');
    // One key per server, under the installer's name; the public half registered at DigitalOcean.
    expect(await secrets.get(`${SERVER_ID}/ssh-key`)).toMatch(/BEGIN OPENSSH PRIVATE KEY/);
    expect(await secrets.get(`${SERVER_ID}/ssh-private-key`)).toBeNull();
    const registered = standin.state.sshKeys.find((k) => k.name === 'Hearth handover');
    expect(registered).toBeDefined();
    // What DigitalOcean does on first boot with the droplet's ssh_keys.
    const authorize = await droplet.exec(`umask 077 && mkdir -p /root/.ssh && printf '%s\\n' '${registered!.public_key}' > /root/.ssh/authorized_keys`);
    expect(authorize.code).toBe(0);

    const apply = await settle((await call('cloud.apply', { serverId: SERVER_ID })).jobId, 30_000);
    expect(apply.state, JSON.stringify(apply.error)).toBe('succeeded');
    expect(await server()).toMatchObject({
      kind: 'digitalocean',
      url: `https://${HOSTNAME}`,
      ssh: { host: droplet.host, port: droplet.port, username: 'root', hostKey: null, publicKey: registered!.public_key },
    });
    expect(await call('cloud.outputs', { serverId: SERVER_ID })).toMatchObject({ ip: droplet.host, dnsManual: true });
  });

  it('keeps trying while the droplet is still booting, pins its host key on first use, then waits while only DNS is missing', async () => {
    // A droplet whose sshd is not up yet: the job says so and tries again every 10 s.
    expect((await droplet.exec('systemctl stop ssh >/dev/null 2>&1')).code).toBe(0);
    const jobId = await handOver();
    const booting = await statusWhen(jobId, (s) => s?.unreachable != null);
    expect(booting).toMatchObject({ phase: 'connect', hostKeyFingerprint: null });
    expect(booting.unreachable).toMatch(/Nothing is listening for SSH/);
    expect((await call('jobs.get', { id: jobId })).step).toBe('Waiting for the droplet to boot (attempt 1)');
    expect((await logOf(jobId)).some((l) => l.startsWith('Attempt 1: the droplet does not answer over SSH yet'))).toBe(true);
    expect((await droplet.exec('systemctl start ssh >/dev/null 2>&1')).code).toBe(0);

    const waiting = await statusWhen(jobId, (s) => s?.phase === 'waiting-dns', 30_000);
    expect(waiting.unreachable).toBeNull();
    expect(waiting.hostKeyFingerprint).toBe(droplet.hostKeyFingerprint);
    expect(waiting.hostKeyFingerprint).toMatch(/^SHA256:[A-Za-z0-9+/]{43}$/);
    expect(await server()).toMatchObject({ kind: 'digitalocean', name: NAME, ssh: { hostKey: droplet.hostKeyFingerprint } });
    // What the wizard's records table explains: what the names resolve to now, and the fix.
    const dns = waiting.preflight?.checks.find((c) => c.id === 'dns');
    expect(dns).toMatchObject({ status: 'fail' });
    expect(dns?.detail).toContain(`${HOSTNAME} → 192.0.2.7`);
    expect(dns?.fix).toContain(droplet.host);
    expect(waiting.preflight?.checks.filter((c) => c.status === 'fail').map((c) => c.id)).toEqual(['dns']);

    const job = await call('jobs.get', { id: jobId });
    expect(job).toMatchObject({ state: 'running', step: `Waiting for both names to point at ${droplet.host}…` });
    const log = await logOf(jobId);
    expect(log).toContain(`Pinned the droplet's host key on this first connection: ${droplet.hostKeyFingerprint}.`);
    expect(log.some((l) => l.startsWith(`Waiting for both names to point at ${droplet.host}: ${HOSTNAME} → 192.0.2.7`))).toBe(true);

    // One operation per server: a second hand-over, or an install beside it, is refused naming the running job.
    const again = await failure('cloud.handOver', { serverId: SERVER_ID });
    expect(again.code).toBe('CONFLICT');
    expect(again.message).toBe(`Another operation is running on ${NAME}: “Set up the PDS on the droplet of ${NAME}”.`);
    const install = await failure('hosts.install', { serverId: SERVER_ID, hostname: HOSTNAME });
    expect(install).toMatchObject({ code: 'CONFLICT', message: again.message });

    // Cancelling ends the wait at once; nothing was installed.
    const cancelledAt = Date.now();
    expect(await call('jobs.cancel', { id: jobId })).toEqual({ cancelled: true });
    const cancelled = await settle(jobId, 5_000);
    expect(cancelled.state).toBe('cancelled');
    expect(Date.now() - cancelledAt).toBeLessThan(3_000);
    expect((await server())?.install).toBeUndefined();
    expect((await droplet.exec('test -e /pds/pds.env')).code).not.toBe(0);
  }, 120_000);

  it('connects over real SSH with that key, finds the pinned host key, and a re-apply keeps it', async () => {
    const ssh = (await server())!.ssh!;
    const connected = await call('hosts.connect', { serverId: SERVER_ID, host: ssh.host, port: ssh.port, username: ssh.username });
    expect(connected.hostKeyFingerprint).toBe(droplet.hostKeyFingerprint);
    expect((await server())?.ssh?.hostKey).toBe(droplet.hostKeyFingerprint);
    // A re-apply with the same address keeps the pinned key.
    const again = await settle((await call('cloud.apply', { serverId: SERVER_ID })).jobId, 30_000);
    expect(again.state).toBe('succeeded');
    expect((await server())?.ssh?.hostKey).toBe(droplet.hostKeyFingerprint);
  });

  it('stops the hand-over with the failing check named when the droplet itself is not ready (a port in use)', async () => {
    const busy: NetServer = createServer();
    const port = await freePort();
    await new Promise<void>((resolve) => busy.listen(port, '127.0.0.1', resolve));
    try {
      const job = await settle(await handOver({ httpPort: port }), 60_000);
      expect(job.state).toBe('failed');
      expect(job.error?.code).toBe('VALIDATION');
      expect(job.error?.message).toMatch(new RegExp(`^The droplet is not ready for the install: Ports ${port} and ${ports.httpsPort} \\(Port ${port} is in use`));
      expect(job.error?.hint).toContain('Stop the program using them');
      const status = await call('cloud.handOverStatus', { jobId: job.id });
      expect(status?.preflight?.checks.find((c) => c.id === 'ports')?.status).toBe('fail');
    } finally {
      await new Promise((resolve) => busy.close(resolve));
    }
  }, 90_000);

  it('preflight checks DNS against the reserved IP: records not there yet are named with the fix', async () => {
    const late = await call('hosts.preflight', { serverId: SERVER_ID, hostname: ELSEWHERE, httpsPort: ports.httpsPort, httpPort: ports.httpPort });
    const dns = late.checks.find((c) => c.id === 'dns');
    expect(late.ok).toBe(false);
    expect(dns?.status).toBe('fail');
    expect(dns?.detail).toContain('192.0.2.7');
    expect(dns?.fix).toContain(droplet.host);
  });

  it('run again after the cancel: waits for the records, installs as soon as both names point at the droplet, and it answers healthy over HTTPS', async () => {
    const started = Date.now();
    const jobId = await handOver();
    await statusWhen(jobId, (s) => s?.phase === 'waiting-dns');
    // The user creates the records; the job notices on its next check (every 15 s).
    records = `${HOSTNAME}=${droplet.host},*.${HOSTNAME}=${droplet.host},${ELSEWHERE}=192.0.2.7,*.${ELSEWHERE}=192.0.2.7`;
    await statusWhen(jobId, (s) => s?.phase === 'install', 30_000);
    const job = await settle(jobId, 900_000);
    expect(job.state, JSON.stringify(job.error)).toBe('succeeded');
    console.log(`hand-over install took ${Math.round((Date.now() - started) / 1000)} s`);
    // Records in place pass the preflight; the key pinned on first use is the one the job found.
    const status = await call('cloud.handOverStatus', { jobId });
    expect(status).toMatchObject({ phase: 'done', hostKeyFingerprint: droplet.hostKeyFingerprint, preflight: { ok: true } });
    expect(status?.preflight?.checks.filter((c) => c.status === 'fail')).toEqual([]);

    const seen = steps.get(jobId) ?? [];
    const waitedAt = seen.indexOf(`Waiting for both names to point at ${droplet.host}…`);
    expect(waitedAt).toBeGreaterThan(-1);
    expect(seen.indexOf('Installing the PDS')).toBeGreaterThan(waitedAt);
    const log = await logOf(jobId);
    expect(log).toContain(`The droplet presented its pinned host key ${droplet.hostKeyFingerprint}.`);
    expect(log).toContain('Preflight passed: the droplet is ready for the install.');
    expect(log).toContain(`The PDS is installed on ${NAME}.`);

    expect(await server()).toMatchObject({ kind: 'digitalocean', install: { runtime: 'native', hostname: HOSTNAME, httpsPort: ports.httpsPort } });
    const health = await call('servers.health', { serverId: SERVER_ID });
    expect(health.status, health.message).toBe('healthy');
  }, 960_000);

  const users: { handle: string; password: string; did: string }[] = [];
  const pds = async () => {
    const saved = (await server())!;
    return { url: saved.url, fetch: serverFetch({ resolve: systemResolver(records), ca: await readFile(join(dataDir, 'hosts', SERVER_ID, 'caddy-root.crt'), 'utf8') }) };
  };
  const heads = async () => {
    const { url, fetch } = await pds();
    const out: Record<string, unknown> = {};
    for (const u of users) out[u.did] = await (await fetch(`${url}/xrpc/com.atproto.sync.getLatestCommit?did=${u.did}`)).json();
    return out;
  };

  it('warns before destroying a droplet whose PDS has no backup, and not once a fresh backup exists', async () => {
    expect((await call('cloud.destroyCheck', { serverId: SERVER_ID })).backupWarning).toMatch(/has no backups set up: destroying it deletes every account/);
    const { url, fetch } = await pds();
    for (let i = 0; i < 2; i++) {
      const password = `pw-${randomUUID()}`;
      const created = await call('accounts.create', { serverId: SERVER_ID, handle: `r${i}-${randomUUID().slice(0, 4)}.${HOSTNAME}`, email: `r${i}@example.com`, password });
      const agent = new AtpAgent({ service: url, fetch });
      await agent.login({ identifier: created.did, password });
      await agent.post({ text: `on the first droplet ${i}` });
      users.push({ handle: created.handle, password, did: created.did });
    }
    const setup = await settle((await call('backups.configure', { serverId: SERVER_ID, endpoint: s3.endpoint, region: s3.region, bucket: 'hearth-backups', prefix: 'handover', pathStyle: true, accessKeyId: s3.accessKeyId, secretAccessKey: s3.secretAccessKey })).jobId);
    expect(setup.state, JSON.stringify(setup.error)).toBe('succeeded');
    expect((await call('cloud.destroyCheck', { serverId: SERVER_ID })).backupWarning).toMatch(/never been backed up/);
    const backup = await settle((await call('backups.backupNow', { serverId: SERVER_ID })).jobId);
    expect(backup.state, JSON.stringify(backup.error)).toBe('succeeded');
    expect((await call('cloud.destroyCheck', { serverId: SERVER_ID })).backupWarning).toBeNull();
  }, 300_000);

  it('replaces the droplet: everything written until then, every DID and password kept; the IP moves; the old droplet goes', async () => {
    // Written after the last backup: the replacement's own last backup must carry it over.
    const { url, fetch } = await pds();
    const agent = new AtpAgent({ service: url, fetch });
    await agent.login({ identifier: users[0]!.handle, password: users[0]!.password });
    await agent.post({ text: 'after the last scheduled backup' });
    const before = await heads();

    await expect(call('cloud.replace', { serverId: SERVER_ID, confirmName: 'handvoer' })).rejects.toMatchObject({ code: 'VALIDATION' });
    // What DigitalOcean does on the new droplet's first boot with the registered key.
    const registered = standin.state.sshKeys.find((k) => k.name === 'Hearth handover')!;
    expect((await nextDroplet.exec(`umask 077 && mkdir -p /root/.ssh && printf '%s\\n' '${registered.public_key}' > /root/.ssh/authorized_keys`)).code).toBe(0);
    const nextPorts = { httpsPort: await freePort(), httpPort: await freePort(), pdsPort: await freePort(), caddyAdminPort: await freePort() };
    const replace = await settle((await call('cloud.replace', { serverId: SERVER_ID, confirmName: 'handover', ...nextPorts })).jobId, 1_500_000);
    expect(replace.state, JSON.stringify(replace.error)).toBe('succeeded');

    // The server is now the new droplet, reached through the reserved IP, its new host key pinned.
    const saved = (await server())!;
    expect(saved.ssh).toMatchObject({ host: droplet.host, port: nextDroplet.port, hostKey: nextDroplet.hostKeyFingerprint });
    expect(saved.url).toBe(`https://${HOSTNAME}:${nextPorts.httpsPort}`);
    expect((await call('servers.list', {})).map((s) => s.id)).toEqual([SERVER_ID]);
    expect(await secrets.list(`${SERVER_ID}-next/`)).toEqual([]);
    expect((await call('servers.health', { serverId: SERVER_ID })).status).toBe('healthy');

    expect(await heads()).toEqual(before);
    for (const u of users) {
      const again = new AtpAgent({ service: (await pds()).url, fetch: (await pds()).fetch });
      await again.login({ identifier: u.handle, password: u.password });
      expect(again.session?.did).toBe(u.did);
    }
    const moved = await call('backups.moveStatus', { serverId: SERVER_ID });
    expect(moved.done, moved.message).toBe(true);
    expect(moved.dids.map((d) => d.did).sort()).toEqual(users.map((u) => u.did).sort());

    // Only the new droplet is left in the stack; the old one's PDS was stopped before its last backup.
    const droplets = (automation.deployed.get(SERVER_ID) ?? []).filter((r) => r.type.endsWith(':Droplet')).map((r) => r.urn.split('::').pop());
    expect(droplets).toEqual(['handover-droplet-1']);
    expect((await droplet.exec('systemctl is-active pds')).stdout.trim()).not.toBe('active');
    // Backups carry on from the new droplet.
    const next = await settle((await call('backups.backupNow', { serverId: SERVER_ID })).jobId);
    expect(next.state, JSON.stringify(next.error)).toBe('succeeded');
  }, 1_800_000);
});
