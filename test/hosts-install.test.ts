/**
 * Connect a bare server, check it, install a PDS behind Caddy, and use it — against a real test
 * server (Debian 12 root + sshd), a real PLC, the real keychain (run inside scripts/with-keyring.sh)
 * and Hearth's real core. Hostnames resolve through HEARTH_RESOLVE (no /etc/hosts edits).
 */
import { execFile } from 'node:child_process';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { AtpAgent } from '@atproto/api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { HearthApp } from '../src/core/app.ts';
import { serverFetch } from '../src/core/hosts/https-probe.ts';
import { PDS_VERSION } from '../src/core/hosts/install.ts';
import { systemResolver } from '../src/core/hosts/resolve.ts';
import { shellQuote } from '../src/core/hosts/ssh/shell-quote.ts';
import type { KeyringSecretStore } from '../src/core/secrets/index.ts';
import { PDS_SECRET_NAMES, secretAccount } from '../src/core/secrets/secret-store.ts';
import { startTestApp } from './support/app.ts';
import { contractCalls } from './support/calls.ts';
import { freePort, startPlc } from './support/plc.ts';
import { startSmtpSink } from './support/smtp-sink.ts';
import { startTestServer, testServerUnavailable, type TestServer } from './support/test-server.ts';

const unavailable = testServerUnavailable();
const run = promisify(execFile);
// Installed first, then upgraded for real to the version a new install gets.
const OLD_VERSION = '0.5.34';
const HOSTNAME = 'pds.hearth.test';
const ELSEWHERE = 'elsewhere.hearth.test';
// The PDS hostname (and every handle under it) points at the test server on loopback; ELSEWHERE
// points at an address that is not the server.
process.env.HEARTH_RESOLVE = `${HOSTNAME}=127.0.0.1,*.${HOSTNAME}=127.0.0.1,${ELSEWHERE}=192.0.2.7,*.${ELSEWHERE}=192.0.2.7`;

describe.skipIf(unavailable)('connect a server over SSH and install a PDS', () => {
  let server: TestServer;
  let plc: { url: string; close(): Promise<void> };
  let app: HearthApp;
  let dataDir: string;
  let secrets: KeyringSecretStore;
  let serverId: string;
  let ports: { httpsPort: number; httpPort: number; pdsPort: number; caddyAdminPort: number };

  const { call, failure, settled } = contractCalls(() => app);
  // Installs on a busy 2-core machine take minutes: wait as long as they may.
  const finished = (jobId: string) => settled(jobId, 600_000);
  const installInput = () => ({ serverId, hostname: HOSTNAME, tlsMode: 'internal', plcUrl: plc.url, pdsVersion: OLD_VERSION, ...ports });
  const presentedKey = async () =>
    (await run('sh', ['-c', `ssh-keyscan -t ed25519 -p ${server.port} 127.0.0.1 2>/dev/null | ssh-keygen -lf -`]).catch(() => ({ stdout: '' }))).stdout;
  // The PDS runs as its own user; nothing else does.
  const pdsProcesses = async () => Number((await server.exec('pgrep -c -u pds || true')).stdout.trim());

  beforeAll(async () => {
    [server, plc] = await Promise.all([startTestServer(), startPlc()]);
    ({ app, dataDir, secrets } = await startTestApp());
    ports = { httpsPort: await freePort(), httpPort: await freePort(), pdsPort: await freePort(), caddyAdminPort: await freePort() };
  });
  afterAll(async () => {
    await app?.close();
    await Promise.all([server?.stop(), plc?.close()]);
  });

  it('connects with the key Hearth made, after the user ran the one line it showed', async () => {
    const key = await call('hosts.createKey', { name: 'My VPS' });
    expect(key.publicKey).toMatch(/^ssh-ed25519 AAAA\S+ hearth@/);
    expect(key.installCommand).toContain(key.publicKey);
    serverId = key.serverId;
    // The user pastes the line into their provider's web console.
    expect((await server.exec(key.installCommand)).code).toBe(0);

    const connected = await call('hosts.connect', { serverId, name: 'My VPS', host: server.host, port: server.port, username: 'root' });
    expect(connected.hostKeyFingerprint).toBe(server.hostKeyFingerprint);
    const saved = (await call('servers.list', {})).find((s) => s.id === serverId);
    expect(saved?.ssh).toMatchObject({ host: server.host, port: server.port, username: 'root', hostKey: server.hostKeyFingerprint, publicKey: key.publicKey });
    // The private half is in the keychain only.
    const privateKey = await secrets.get(secretAccount(serverId, 'ssh-key'));
    expect(privateKey).toContain('OPENSSH PRIVATE KEY');
    expect(await readFile(join(dataDir, 'config.json'), 'utf8')).not.toContain('PRIVATE KEY');
  });

  it('says exactly what is wrong with a bad port, an unreachable host or a key the server does not know', async () => {
    const wrongPort = await failure('hosts.connect', { serverId, host: server.host, port: await freePort(), username: 'root' });
    expect(wrongPort).toMatchObject({ code: 'NETWORK', message: expect.stringMatching(/Nothing is listening/) });
    expect(wrongPort.hint).toMatch(/port/);

    const nowhere = await failure('hosts.connect', { serverId, host: 'no-such-server.invalid', port: 22, username: 'root' });
    expect(nowhere).toMatchObject({ code: 'NETWORK', message: expect.stringMatching(/does not resolve/) });

    const stranger = await call('hosts.createKey', { name: 'Not installed' });
    const refused = await failure('hosts.connect', { serverId: stranger.serverId, host: server.host, port: server.port, username: 'root' });
    expect(refused.code).toBe('AUTH');
    expect(refused.hint).toMatch(/authorized_keys/);
    expect((await call('servers.list', {})).some((s) => s.id === stranger.serverId)).toBe(false);
  });

  it('preflight names each problem with a fix: DNS pointing elsewhere, an unsupported OS; install then touches nothing', async () => {
    const good = await call('hosts.preflight', { serverId, hostname: HOSTNAME, httpsPort: ports.httpsPort, httpPort: ports.httpPort });
    expect(good.checks.map((c) => [c.id, c.status])).toEqual(
      expect.arrayContaining([
        ['os', 'pass'],
        ['arch', 'pass'],
        ['ports', 'pass'],
        ['privileges', 'pass'],
        ['dns', 'pass'],
      ]),
    );
    expect(good.ok).toBe(true);

    const dns = (await call('hosts.preflight', { serverId, hostname: ELSEWHERE, httpsPort: ports.httpsPort, httpPort: ports.httpPort })).checks.find((c) => c.id === 'dns');
    expect(dns?.status).toBe('fail');
    expect(dns?.detail).toContain(`${ELSEWHERE} → 192.0.2.7`);
    expect(dns?.fix).toMatch(/A records pointing to 127\.0\.0\.1/);
    const badDns = await finished((await call('hosts.install', { ...installInput(), hostname: ELSEWHERE })).jobId);
    expect(badDns.state).toBe('failed');
    expect(badDns.error?.code).toBe('VALIDATION');

    await server.exec('cp /etc/os-release /root/os-release.real && sed -i "s/^VERSION_ID=.*/VERSION_ID=\\"10\\"/; s/^PRETTY_NAME=.*/PRETTY_NAME=\\"Debian GNU\\/Linux 10 (buster)\\"/" /etc/os-release');
    const os = (await call('hosts.preflight', { serverId, hostname: HOSTNAME })).checks.find((c) => c.id === 'os');
    expect(os).toMatchObject({ status: 'fail', detail: expect.stringContaining('Debian GNU/Linux 10') });
    expect(os?.fix).toMatch(/Ubuntu 22\.04, Ubuntu 24\.04 or Debian 12/);
    const badOs = await finished((await call('hosts.install', installInput())).jobId);
    expect(badOs.error?.code).toBe('VALIDATION');
    await server.exec('mv /root/os-release.real /etc/os-release');

    // Nothing was installed by the refused attempts.
    expect((await server.exec('ls /opt/hearth /pds 2>&1; dpkg -s caddy >/dev/null 2>&1 && echo caddy-installed')).stdout).not.toMatch(/pds-install|caddy-installed/);
    expect(await secrets.get(secretAccount(serverId, 'jwt-secret'))).toBeNull();
  }, 900_000);

  it('installs a PDS: connection cut mid-install, re-run completes with one PDS and one set of secrets', async () => {
    const first = await call('hosts.install', installInput());
    // Cut every SSH connection while the PDS itself is being installed (the longest step).
    await expect
      .poll(async () => (await call('jobs.get', { id: first.jobId })).log.some((l) => /^Step \d+\/\d+: Install the PDS/.test(l.message)), { timeout: 300_000, interval: 500 })
      .toBe(true);
    await server.exec("pkill -f '[s]shd: root@notty'");
    const cut = await finished(first.jobId);
    expect(cut.state).toBe('failed');
    expect(cut.error?.code).toBe('NETWORK');

    const again = await finished((await call('hosts.install', installInput())).jobId);
    expect(again.error).toBeNull();
    expect(again.state).toBe('succeeded');
    // Each step is in the log with its time.
    const stepLines = again.log.filter((l) => /^Step \d+\/\d+ done in \d+\.\d s: /.test(l.message)).map((l) => l.message);
    for (const step of ['Check the server', 'Install system packages', 'Install Node 22', 'Install the PDS', 'Write the settings', 'Start the PDS and Caddy', 'Check HTTPS']) {
      expect(stepLines.some((m) => m.includes(step))).toBe(true);
    }
    expect(await pdsProcesses()).toBe(1);

    // One set of secrets: the keychain's are exactly the ones in pds.env.
    const env = (await server.exec('cat /pds/pds.env')).stdout;
    for (const [name, variable] of [
      ['jwt-secret', 'PDS_JWT_SECRET'],
      ['admin-password', 'PDS_ADMIN_PASSWORD'],
      ['plc-rotation-key', 'PDS_PLC_ROTATION_KEY_K256_PRIVATE_KEY_HEX'],
    ] as const) {
      const value = await secrets.get(secretAccount(serverId, name));
      expect(value).toBeTruthy();
      expect(env.match(new RegExp(`^${variable}=(.*)$`, 'gm'))).toEqual([`${variable}=${value}`]);
    }
    expect((await server.exec('stat -c "%a %U %G" /pds/pds.env')).stdout.trim()).toBe('600 root root');
  }, 900_000);

  it('answers https://<hostname>:<port>/xrpc/_health through Caddy with its internal CA; an account can sign up and post', async () => {
    const saved = (await call('servers.list', {})).find((s) => s.id === serverId);
    expect(saved?.url).toBe(`https://${HOSTNAME}:${ports.httpsPort}`);
    expect(saved?.install).toMatchObject({ runtime: 'native', hostname: HOSTNAME, tlsMode: 'internal' });
    const ca = await readFile(join(dataDir, 'hosts', serverId, 'caddy-root.crt'), 'utf8');
    const fetch = serverFetch({ resolve: systemResolver(process.env.HEARTH_RESOLVE), ca });
    const health = await fetch(`${saved?.url}/xrpc/_health`);
    expect(await health.json()).toMatchObject({ version: OLD_VERSION });
    // Without that CA, the certificate is not trusted: the CA is trusted for this server only.
    await expect(serverFetch({ resolve: systemResolver(process.env.HEARTH_RESOLVE) })(`${saved?.url}/xrpc/_health`)).rejects.toThrow();

    // Sign-up needs an invite (the PDS default); the admin password comes from the keychain.
    const adminPassword = await secrets.get(secretAccount(serverId, 'admin-password'));
    const invite = await fetch(`${saved?.url}/xrpc/com.atproto.server.createInviteCode`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Basic ${Buffer.from(`admin:${adminPassword}`).toString('base64')}` },
      body: JSON.stringify({ useCount: 1 }),
    });
    const { code } = (await invite.json()) as { code: string };
    const agent = new AtpAgent({ service: saved?.url ?? '', fetch });
    await agent.createAccount({ handle: `alice.${HOSTNAME}`, email: 'alice@example.com', password: 'alice-password-1', inviteCode: code });
    const post = await agent.post({ text: 'Hello from a PDS Hearth installed' });
    expect(post.uri).toMatch(/^at:\/\/did:plc:/);
    const records = await agent.com.atproto.repo.listRecords({ repo: agent.session?.did ?? '', collection: 'app.bsky.feed.post' });
    expect(records.data.records.map((r) => (r.value as { text: string }).text)).toContain('Hello from a PDS Hearth installed');
    // The handle's own certificate comes on demand (Caddy asks the PDS's /tls-check first).
    expect((await fetch(`https://alice.${HOSTNAME}:${ports.httpsPort}/xrpc/_health`)).status).toBe(200);
  }, 900_000);

  it('a second install run changes nothing and succeeds', async () => {
    const before = await server.exec('stat -c %Y /pds/pds.env /etc/caddy/Caddyfile /etc/systemd/system/pds.service; pgrep -u pds');
    const job = await finished((await call('hosts.install', installInput())).jobId);
    expect(job.state).toBe('succeeded');
    expect(job.log.map((l) => l.message)).toEqual(expect.arrayContaining(['Settings already up to date.', `PDS ${OLD_VERSION} already installed.`, 'pds already running with this configuration.']));
    expect((await server.exec('stat -c %Y /pds/pds.env /etc/caddy/Caddyfile /etc/systemd/system/pds.service; pgrep -u pds')).stdout).toBe(before.stdout);
  }, 900_000);

  it('sets up outgoing mail and sends a test email from the server; the mail password stays in the keychain', async () => {
    const sink = await startSmtpSink();
    try {
      // A legitimate password full of what a shell would run: it must reach the mail server as
      // typed, and nothing of it may run as root on the server (pds.env was once sourced by sh).
      const password = 'pa$(touch /tmp/pwned-mail)ss;`touch /tmp/pwned-tick`\'"&x|y>z';
      const smtpUrl = `smtp://pds-mailer:${password}@127.0.0.1:${sink.port}`;
      const job = await finished((await call('hosts.install', { ...installInput(), smtpUrl, emailFrom: 'pds@hearth.test' })).jobId);
      expect(job.state).toBe('succeeded');
      const env = (await server.exec('cat /pds/pds.env')).stdout;
      const line = env.split('\n').find((l) => l.startsWith('PDS_EMAIL_SMTP_URL='));
      // Written percent-encoded: one value for systemd, docker compose and a shell alike.
      expect(line).toMatch(/^PDS_EMAIL_SMTP_URL=smtp:\/\/pds-mailer:[A-Za-z0-9._%-]+@127\.0\.0\.1:\d+$/);
      expect(env).toContain('PDS_EMAIL_FROM_ADDRESS=pds@hearth.test');
      expect(await secrets.get(secretAccount(serverId, 'smtp-url'))).toBe(smtpUrl);
      expect(JSON.stringify(job)).not.toContain('pa$(touch');
      // pdsadmin sources pds.env as root: even that runs nothing.
      await server.exec('set -a; . /pds/pds.env; set +a');
      // The PDS itself got the address as written (systemd's EnvironmentFile), and it decodes to the password.
      // Every live PDS process (the init here reaps the one it replaced a moment later, and a
      // zombie's environ reads empty), polled until the restarted one is there.
      const liveEnvironments = async () =>
        (await server.exec(`for p in $(pgrep -u pds node); do case "$(ps -o stat= -p "$p")" in Z*) ;; *) tr '\\0' '\\n' < /proc/$p/environ 2>/dev/null;; esac; echo; done`)).stdout.split('\n');
      await expect.poll(liveEnvironments, { timeout: 30_000 }).toContain(line);
      expect(decodeURIComponent(new URL(line?.slice('PDS_EMAIL_SMTP_URL='.length) ?? '').password)).toBe(password);

      const sent = await call('hosts.testEmail', { serverId, to: 'me@example.com' });
      expect(sent.response).toMatch(/250/);
      expect(sink.received).toHaveLength(1);
      expect(sink.received[0]?.to).toEqual(['<me@example.com>']);
      expect(sink.received[0]?.data).toContain('Subject: Test message from your PDS');
      expect(sink.received[0]?.auth).toEqual({ user: 'pds-mailer', password });
      expect((await server.exec('ls /tmp/pwned-mail /tmp/pwned-tick 2>&1; true')).stdout).not.toMatch(/^\/tmp\/pwned/m);
    } finally {
      await sink.close();
    }
    // A mail server that is not there: a specific error with the port advice.
    const unreachable = await failure('hosts.testEmail', { serverId, to: 'me@example.com' });
    expect(unreachable.code).toBe('NETWORK');
    expect(unreachable.hint).toMatch(/465.*587.*2525/);
  }, 900_000);

  it('refuses settings that would not stay one value on the server, in words naming the field; the server is untouched', async () => {
    const files = 'stat -c %Y /pds/pds.env /etc/caddy/Caddyfile; ls /tmp | grep pwned; true';
    const before = (await server.exec(files)).stdout;
    const hostile: [string, Record<string, unknown>][] = [
      ['hostname', { hostname: 'pds$(touch /tmp/pwned-host).hearth.test' }],
      ['email', { tlsMode: 'acme', email: 'me{$HOME}@example.com' }],
      ['emailFrom', { emailFrom: 'pds`touch /tmp/pwned-from`@hearth.test' }],
      ['plcUrl', { plcUrl: 'https://plc.example.com/$(touch /tmp/pwned-plc)' }],
      ['pdsVersion', { pdsVersion: '0.5.35;touch /tmp/pwned-version' }],
      ['smtpUrl', { smtpUrl: 'smtp://u:p@127.0.0.1:25\nPDS_ADMIN_PASSWORD=x' }],
    ];
    for (const [field, values] of hostile) {
      const refused = await failure('hosts.install', { ...installInput(), ...values });
      expect(refused.code, field).toBe('VALIDATION');
      expect(refused.message, field).toContain(field);
    }
    expect((await failure('hosts.testEmail', { serverId, to: "me'$(touch /tmp/pwned-to)@example.com" })).code).toBe('VALIDATION');
    expect((await server.exec(files)).stdout).toBe(before);
  });

  it('shows host health: CPU, memory, disk, services, certificate and response time', async () => {
    const health = await call('hosts.health', { serverId });
    expect(health.services).toEqual([
      { name: 'pds', active: true },
      { name: 'caddy', active: true },
    ]);
    for (const value of [health.cpuPercent, health.memoryPercent, health.diskPercent]) expect(value).toBeGreaterThanOrEqual(0);
    expect(health.version).toBe(OLD_VERSION);
    expect(health.responseMs).toBeGreaterThan(0);
    expect(Date.parse(health.certificateExpiresAt ?? '')).toBeGreaterThan(Date.now());
  });

  it('keeps every generated secret out of the data dir and the job logs', async () => {
    const values = await Promise.all(PDS_SECRET_NAMES.map((name) => secrets.get(secretAccount(serverId, name))));
    const files = await readdir(dataDir, { recursive: true, withFileTypes: true });
    for (const file of files.filter((f) => f.isFile())) {
      const text = await readFile(join(file.parentPath, file.name), 'utf8');
      for (const value of values) expect(text.includes(value ?? '<none>')).toBe(false);
    }
    for (const job of await call('jobs.list', {})) {
      const detail = JSON.stringify(await call('jobs.get', { id: job.id }));
      for (const value of values) expect(detail.includes(value ?? '<none>')).toBe(false);
    }
  });

  it('a failing upgrade rolls back by itself: the old version answers and the data is unchanged', async () => {
    expect(await call('hosts.versions', { serverId })).toMatchObject({ installed: OLD_VERSION, latest: expect.stringMatching(/^\d+\.\d+\.\d+/) });
    const saved = (await call('servers.list', {})).find((s) => s.id === serverId);
    const ca = await readFile(join(dataDir, 'hosts', serverId, 'caddy-root.crt'), 'utf8');
    const agent = new AtpAgent({ service: saved?.url ?? '', fetch: serverFetch({ resolve: systemResolver(process.env.HEARTH_RESOLVE), ca }) });
    await agent.login({ identifier: `alice.${HOSTNAME}`, password: 'alice-password-1' });
    const postsBefore = await agent.com.atproto.repo.listRecords({ repo: agent.session?.did ?? '', collection: 'app.bsky.feed.post' });

    // A "new version" that installs but cannot start (its entry point throws), like a release
    // whose migration fails on this server.
    await server.exec(
      `mkdir -p /opt/hearth/pds-9.9.9 && cp -a /opt/hearth/pds-${OLD_VERSION}/node_modules /opt/hearth/pds-${OLD_VERSION}/package.json /opt/hearth/pds-9.9.9/ && echo 'throw new Error("migration failed")' > /opt/hearth/pds-9.9.9/index.mjs && touch /opt/hearth/pds-9.9.9/.hearth-complete`,
    );
    const job = await finished((await call('hosts.upgrade', { serverId, version: '9.9.9' })).jobId);
    expect(job.state).toBe('failed');
    expect(job.error?.message).toContain(`went back to ${OLD_VERSION} with the data exactly as before`);
    const messages = job.log.map((l) => l.message);
    for (const step of ['Stop the PDS', 'Snapshot the databases', 'Switch to 9.9.9', 'Start the PDS']) expect(messages.some((m) => m.includes(step))).toBe(true);
    expect(messages).toContain(`Rolled back: the PDS runs ${OLD_VERSION} again.`);

    expect(await call('hosts.versions', { serverId })).toMatchObject({ installed: OLD_VERSION, latest: expect.stringMatching(/^\d+\.\d+\.\d+/) });
    expect((await call('hosts.health', { serverId })).version).toBe(OLD_VERSION);
    const postsAfter = await agent.com.atproto.repo.listRecords({ repo: agent.session?.did ?? '', collection: 'app.bsky.feed.post' });
    expect(postsAfter.data.records).toEqual(postsBefore.data.records);
    expect(await pdsProcesses()).toBe(1);
  }, 900_000);

  it('upgrades to a newer version: same data, same accounts, the new version answers over HTTPS', async () => {
    const saved = (await call('servers.list', {})).find((s) => s.id === serverId);
    const ca = await readFile(join(dataDir, 'hosts', serverId, 'caddy-root.crt'), 'utf8');
    const agent = new AtpAgent({ service: saved?.url ?? '', fetch: serverFetch({ resolve: systemResolver(process.env.HEARTH_RESOLVE), ca }) });
    await agent.login({ identifier: `alice.${HOSTNAME}`, password: 'alice-password-1' });
    const postsBefore = await agent.com.atproto.repo.listRecords({ repo: agent.session?.did ?? '', collection: 'app.bsky.feed.post' });
    // As an older Hearth left it: no rate limits, no invite setting (sign-ups open).
    await server.exec("sed -i '/^PDS_RATE_LIMITS_ENABLED=/d; /^PDS_INVITE_REQUIRED=/d; /^# Sign-ups need/d' /pds/pds.env");
    const envBefore = (await server.exec('cat /pds/pds.env')).stdout;

    const job = await finished((await call('hosts.upgrade', { serverId, version: PDS_VERSION })).jobId);
    expect(job.error).toBeNull();
    expect(job.state).toBe('succeeded');
    expect(job.log.map((l) => l.message)).toContain('Added to pds.env: PDS_RATE_LIMITS_ENABLED=true.');
    const envAfter = (await server.exec('cat /pds/pds.env')).stdout;
    // Every line that was there is there unchanged (secrets included); the operator's open sign-ups stay open.
    expect(envAfter.startsWith(envBefore)).toBe(true);
    expect(envAfter.split('\n')).toContain('PDS_RATE_LIMITS_ENABLED=true');
    expect(envAfter).not.toContain('PDS_INVITE_REQUIRED');
    expect((await server.exec('stat -c %a /pds/pds.env')).stdout.trim()).toBe('600');
    expect(await call('hosts.versions', { serverId })).toMatchObject({ installed: PDS_VERSION });
    expect((await call('hosts.health', { serverId })).version).toBe(PDS_VERSION);
    expect((await call('servers.list', {})).find((s) => s.id === serverId)?.install?.pdsVersion).toBe(PDS_VERSION);

    await agent.login({ identifier: `alice.${HOSTNAME}`, password: 'alice-password-1' });
    const postsAfter = await agent.com.atproto.repo.listRecords({ repo: agent.session?.did ?? '', collection: 'app.bsky.feed.post' });
    expect(postsAfter.data.records).toEqual(postsBefore.data.records);
    await agent.post({ text: 'Still here after the upgrade' });
    expect(await pdsProcesses()).toBe(1);
  }, 900_000);

  it('limits wrong-password logins as an official install does (PDS_RATE_LIMITS_ENABLED, kept through the upgrade); what pdsadmin runs lists accounts and makes an invite', async () => {
    const saved = (await call('servers.list', {})).find((s) => s.id === serverId);
    const ca = await readFile(join(dataDir, 'hosts', serverId, 'caddy-root.crt'), 'utf8');
    const fetch = serverFetch({ resolve: systemResolver(process.env.HEARTH_RESOLVE), ca });
    // The PDS counts createSession per identifier and address (30 in 5 minutes): a name of its own
    // keeps this from locking out the accounts the other tests log in with.
    const statuses: number[] = [];
    for (let attempt = 0; attempt < 40 && !statuses.includes(429); attempt++) {
      const res = await fetch(`${saved?.url}/xrpc/com.atproto.server.createSession`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ identifier: `guesser.${HOSTNAME}`, password: `wrong-${attempt}` }),
      });
      statuses.push(res.status);
      await res.text();
    }
    expect(statuses.at(-1)).toBe(429);
    expect(statuses.slice(0, -1).every((status) => status === 401)).toBe(true);

    // The official pdsadmin cannot run here: it downloads its scripts from GitHub at every run, and
    // this machine reaches no GitHub (nor may their code be committed). So this runs what its
    // `account list` and `create-invite-code` do, in their way: bash sources pds.env as root with
    // nounset, curl calls the admin API as admin:$PDS_ADMIN_PASSWORD at https://$PDS_HOSTNAME
    // (pdsadmin expects port 443: --connect-to points that at this server's HTTPS port), jq
    // reads the replies and column lays the list out.
    const asPdsadmin = (script: string) =>
      server.exec(
        `bash -c ${shellQuote(`set -o errexit -o nounset -o pipefail; source /pds/pds.env; CURL="curl --fail --silent --show-error --cacert /tmp/hearth-ca.crt --connect-to \${PDS_HOSTNAME}:443:127.0.0.1:${ports.httpsPort}"; ${script}`)}`,
      );
    await server.exec(`cp "$(ls /var/lib/caddy/.local/share/caddy/pki/authorities/local/root.crt 2>/dev/null || ls /root/.local/share/caddy/pki/authorities/local/root.crt)" /tmp/hearth-ca.crt`);
    const list = await asPdsadmin(
      'for did in $($CURL "https://${PDS_HOSTNAME}/xrpc/com.atproto.sync.listRepos?limit=100" | jq --raw-output ".repos[].did"); do $CURL --user "admin:${PDS_ADMIN_PASSWORD}" "https://${PDS_HOSTNAME}/xrpc/com.atproto.admin.getAccountInfo?did=${did}" | jq --raw-output "[.handle, .email, .did] | @tsv"; done | column --table',
    );
    expect(list.stderr).toBe('');
    expect(list.code).toBe(0);
    expect(list.stdout).toMatch(new RegExp(`alice\\.${HOSTNAME.replace(/\./g, '\\.')}\\s+alice@example\\.com\\s+did:plc:`));
    const invite = await asPdsadmin(
      `$CURL --request POST --header "Content-Type: application/json" --user "admin:\${PDS_ADMIN_PASSWORD}" --data '{"useCount": 1}' "https://\${PDS_HOSTNAME}/xrpc/com.atproto.server.createInviteCode" | jq --raw-output .code`,
    );
    expect(invite.code).toBe(0);
    expect(invite.stdout.trim()).toMatch(/^[a-z0-9-]+-[a-z0-9]{5}-[a-z0-9]{5}$/);
  }, 120_000);

  it('refuses every operation once the host key changed, until the user trusts the new one', async () => {
    await server.exec("pkill -f '[s]shd: root@notty'; rm -f /etc/ssh/ssh_host_ed25519_key* && ssh-keygen -q -t ed25519 -N '' -f /etc/ssh/ssh_host_ed25519_key && systemctl restart ssh >/dev/null 2>&1");
    const fresh = (await server.exec('ssh-keygen -lf /etc/ssh/ssh_host_ed25519_key.pub')).stdout.split(' ')[1] ?? '';
    // Until the old listener is gone, a connection may still get the old key: wait for the new one.
    await expect.poll(async () => (await presentedKey()).includes(fresh), { timeout: 30_000 }).toBe(true);

    for (const [name, input] of [
      ['hosts.health', { serverId }],
      ['hosts.preflight', { serverId, hostname: HOSTNAME }],
    ] as const) {
      const error = await failure(name, input);
      expect(error.code).toBe('HOST_KEY_MISMATCH');
      expect(error.message).toContain(fresh);
      expect(error.hint).toMatch(/Trust the new key/);
    }
    const install = await finished((await call('hosts.install', installInput())).jobId);
    expect(install.error?.code).toBe('HOST_KEY_MISMATCH');
    // Trusting a different key than the one presented does not help.
    expect((await failure('hosts.retrust', { serverId, fingerprint: server.hostKeyFingerprint })).code).toBe('HOST_KEY_MISMATCH');

    await call('hosts.retrust', { serverId, fingerprint: fresh });
    expect((await call('servers.list', {})).find((s) => s.id === serverId)?.ssh?.hostKey).toBe(fresh);
    expect((await call('hosts.health', { serverId })).services.every((s) => s.active)).toBe(true);
  }, 900_000);

  it('forgets a server but keeps its keys in the keychain unless asked', async () => {
    await call('hosts.forget', { serverId, deleteSecrets: false });
    expect((await call('servers.list', {})).some((s) => s.id === serverId)).toBe(false);
    expect(await secrets.get(secretAccount(serverId, 'plc-rotation-key'))).toBeTruthy();
  });
});
