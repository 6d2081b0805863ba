/**
 * The hand-over as one job (cloud.handOver), the way the wizard runs it: connect and pin the
 * droplet's host key, wait while only DNS is missing (saying so in the job's progress and log),
 * refuse a second operation on the server meanwhile, stop at once on cancel, stop with the failing
 * checks named when the droplet itself is not ready, and, run again, finish with a healthy PDS.
 *
 * Real: Hearth's core, the keychain (run inside scripts/with-keyring.sh), a PLC, and the "droplet":
 * a test server (Debian 12 root + sshd on loopback, test/support/test-server.ts) reached over real
 * SSH. Replaced because unreachable here: DigitalOcean's API (the local stand-in), the Pulumi engine
 * (SimulatedAutomation, whose reserved IP is the test server's address) and DNS: the resolver is
 * injected at the composition root so the records can "propagate" while the job waits.
 */
import { randomBytes } from 'node:crypto';
import { createServer, type Server as NetServer } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { HearthApp } from '../src/core/app.ts';
import { systemResolver } from '../src/core/hosts/resolve.ts';
import type { CallOutput } from '../src/shared/contract/index.ts';
import { startTestApp } from './support/app.ts';
import { contractCalls } from './support/calls.ts';
import { startDoStandin, type DoStandin } from './support/do-standin.ts';
import { freePort, startPlc } from './support/plc.ts';
import { SimulatedAutomation } from './support/simulated-automation.ts';
import { startTestServer, testServerUnavailable, type TestServer } from './support/test-server.ts';

const unavailable = testServerUnavailable();
const TOKEN = `dop_v1_${randomBytes(32).toString('hex')}`;
const HOSTNAME = 'pds.handover-job.test';
const SERVER_ID = 'do-handover-job';
const NAME = 'hand-over';

describe.skipIf(unavailable)('the hand-over job: connect, wait for DNS, install (test server as the droplet)', () => {
  let droplet: TestServer;
  let plc: { url: string; close(): Promise<void> };
  let standin: DoStandin;
  let app: HearthApp;
  let ports: { httpsPort: number; httpPort: number; pdsPort: number; caddyAdminPort: number };
  // The names still point at an old address until the test "creates the records".
  let records = `${HOSTNAME}=192.0.2.7,*.${HOSTNAME}=192.0.2.7`;
  const { call, settled, failure } = contractCalls(() => app);
  const steps = new Map<string, string[]>();
  const server = async () => (await call('servers.list', {})).find((s) => s.id === SERVER_ID);
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
    [droplet, plc, standin] = await Promise.all([startTestServer(), startPlc(), startDoStandin({ tokens: [TOKEN], domains: [] })]);
    ({ app } = await startTestApp({
      cloud: {
        automation: new SimulatedAutomation({ address: droplet.host }),
        simulated: true,
        apiUrl: standin.url,
        publicIpUrl: `${standin.url}/standin/ip`,
        dropletSshPort: () => droplet.port,
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

    await call('cloud.checkToken', { token: TOKEN });
    const preview = await settled((await call('cloud.preview', { serverId: SERVER_ID, name: NAME, region: 'ams3', size: 's-1vcpu-2gb', hostname: HOSTNAME, dnsMode: 'manual', sshFrom: '203.0.113.7' })).jobId, 30_000);
    expect(preview.state, JSON.stringify(preview.error)).toBe('succeeded');
    // What DigitalOcean does on first boot with the droplet's ssh_keys.
    const key = standin.state.sshKeys.find((k) => k.name === `Hearth ${NAME}`)!;
    expect((await droplet.exec(`umask 077 && mkdir -p /root/.ssh && printf '%s\\n' '${key.public_key}' > /root/.ssh/authorized_keys`)).code).toBe(0);
    const apply = await settled((await call('cloud.apply', { serverId: SERVER_ID })).jobId, 30_000);
    expect(apply.state, JSON.stringify(apply.error)).toBe('succeeded');
    expect((await server())?.ssh?.hostKey).toBeNull();
  }, 180_000);
  afterAll(async () => {
    await app?.close();
    await Promise.all([droplet?.stop(), plc?.close(), standin?.close()]);
  });

  it('keeps trying while the droplet is still booting, pins its host key, then waits while only DNS is missing', async () => {
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
    expect((await server())?.ssh?.hostKey).toBe(droplet.hostKeyFingerprint);
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
    const cancelled = await settled(jobId, 5_000);
    expect(cancelled.state).toBe('cancelled');
    expect(Date.now() - cancelledAt).toBeLessThan(3_000);
    expect((await server())?.install).toBeUndefined();
    expect((await droplet.exec('test -e /pds/pds.env')).code).not.toBe(0);
  }, 120_000);

  it('stops with the failing check named when the droplet itself is not ready (a port in use)', async () => {
    const busy: NetServer = createServer();
    const port = await freePort();
    await new Promise<void>((resolve) => busy.listen(port, '127.0.0.1', resolve));
    try {
      const job = await settled(await handOver({ httpPort: port }), 60_000);
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

  it('run again after the cancel: waits for the records, installs as soon as both names point at the droplet, and the PDS is healthy', async () => {
    const jobId = await handOver();
    await statusWhen(jobId, (s) => s?.phase === 'waiting-dns');
    // The user creates the records; the job notices on its next check (every 15 s).
    records = `${HOSTNAME}=${droplet.host},*.${HOSTNAME}=${droplet.host}`;
    await statusWhen(jobId, (s) => s?.phase === 'install', 30_000);
    const job = await settled(jobId, 900_000);
    expect(job.state, JSON.stringify(job.error)).toBe('succeeded');
    expect((await call('cloud.handOverStatus', { jobId }))?.phase).toBe('done');

    const seen = steps.get(jobId) ?? [];
    const waitedAt = seen.indexOf(`Waiting for both names to point at ${droplet.host}…`);
    expect(waitedAt).toBeGreaterThan(-1);
    expect(seen.indexOf('Installing the PDS')).toBeGreaterThan(waitedAt);
    const log = await logOf(jobId);
    expect(log).toContain(`The droplet presented its pinned host key ${droplet.hostKeyFingerprint}.`);
    expect(log).toContain('Preflight passed: the droplet is ready for the install.');
    expect(log).toContain(`The PDS is installed on ${NAME}.`);

    expect(await server()).toMatchObject({ install: { runtime: 'native', hostname: HOSTNAME, httpsPort: ports.httpsPort } });
    const health = await call('servers.health', { serverId: SERVER_ID });
    expect(health.status, health.message).toBe('healthy');
  }, 960_000);
});
