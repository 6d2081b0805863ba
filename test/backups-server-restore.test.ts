/**
 * The whole story on a real server, through Hearth's contract: a Debian test server connected over
 * SSH with a PDS Hearth installed (systemd unit, Caddy, internal CA), a real PLC, the S3 fixture, real
 * restic. Accounts and posts, backup, more writes, restore through `backups.restore` (safety
 * snapshot, `systemctl stop/start pds`, checks over HTTPS) → every repo's head as in the snapshot,
 * old passwords log in, the later account is gone.
 */
import { randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { AtpAgent } from '@atproto/api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { HearthApp } from '../src/core/app.ts';
import { serverFetch } from '../src/core/hosts/https-probe.ts';
import { systemResolver } from '../src/core/hosts/resolve.ts';
import type { KeyringSecretStore } from '../src/core/secrets/index.ts';
import { secretAccount } from '../src/core/secrets/secret-store.ts';
import { startTestApp } from './support/app.ts';
import { contractCalls } from './support/calls.ts';
import { freePort, startPlc } from './support/plc.ts';
import { startS3Server, type S3Fixture } from './support/s3-server.ts';
import { startTestServer, testServerUnavailable, type TestServer } from './support/test-server.ts';

const unavailable = testServerUnavailable();
const HOSTNAME = 'backup.hearth.test';
process.env.HEARTH_RESOLVE = [process.env.HEARTH_RESOLVE, `${HOSTNAME}=127.0.0.1`, `*.${HOSTNAME}=127.0.0.1`].filter(Boolean).join(',');

describe.skipIf(unavailable)('backup and restore of a PDS Hearth installed on a server over SSH', () => {
  let server: TestServer;
  let plc: { url: string; close(): Promise<void> };
  let s3: S3Fixture;
  let app: HearthApp;
  let dataDir: string;
  let secrets: KeyringSecretStore;
  let serverId: string;
  let url: string;
  let fetch: typeof globalThis.fetch;
  const users: { handle: string; password: string; did: string }[] = [];
  const { call, settled } = contractCalls(() => app);
  // Installs on a busy 2-core machine take minutes: wait as long as they may.
  const finished = (jobId: string) => settled(jobId, 900_000);
  const heads = async () => {
    const out: Record<string, { cid: string; rev: string }> = {};
    for (const u of users) {
      const res = await fetch(`${url}/xrpc/com.atproto.sync.getLatestCommit?did=${u.did}`);
      out[u.did] = (await res.json()) as { cid: string; rev: string };
    }
    return out;
  };

  beforeAll(async () => {
    [server, plc, s3] = await Promise.all([startTestServer(), startPlc(), startS3Server()]);
    ({ app, dataDir, secrets } = await startTestApp());
  }, 600_000);
  afterAll(async () => {
    await app?.close();
    await Promise.all([server?.stop(), plc?.close(), s3?.close()]);
  });

  it('installs a PDS on the server and fills it', async () => {
    const key = await call('hosts.createKey', { name: 'Backup VPS' });
    serverId = key.serverId;
    expect((await server.exec(key.installCommand)).code).toBe(0);
    await call('hosts.connect', { serverId, name: 'Backup VPS', host: server.host, port: server.port, username: 'root' });
    const ports = { httpsPort: await freePort(), httpPort: await freePort(), pdsPort: await freePort(), caddyAdminPort: await freePort() };
    const install = await finished((await call('hosts.install', { serverId, hostname: HOSTNAME, tlsMode: 'internal', plcUrl: plc.url, ...ports })).jobId);
    expect(install.error).toBeNull();
    url = (await call('servers.list', {})).find((s) => s.id === serverId)!.url;
    fetch = serverFetch({ resolve: systemResolver(), ca: await readFile(join(dataDir, 'hosts', serverId, 'caddy-root.crt'), 'utf8') });
    const admin = `Basic ${Buffer.from(`admin:${await secrets.get(secretAccount(serverId, 'admin-password'))}`).toString('base64')}`;
    for (let i = 0; i < 3; i++) {
      const invite = await fetch(`${url}/xrpc/com.atproto.server.createInviteCode`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: admin },
        body: JSON.stringify({ useCount: 1 }),
      });
      const { code } = (await invite.json()) as { code: string };
      const agent = new AtpAgent({ service: url, fetch });
      const handle = `u${i}-${randomUUID().slice(0, 4)}.${HOSTNAME}`;
      const password = `pw-${randomUUID()}`;
      const res = await agent.createAccount({ handle, email: `${i}@example.com`, password, inviteCode: code });
      users.push({ handle, password, did: res.data.did });
      await agent.post({ text: `before ${i}` });
    }
  }, 1_200_000);

  it('backs up through the contract, then restores an older snapshot: heads as in the snapshot, old passwords log in', async () => {
    await call('backups.configure', { serverId, endpoint: s3.endpoint, region: s3.region, bucket: 'hearth-backups', prefix: serverId, pathStyle: true, accessKeyId: s3.accessKeyId, secretAccessKey: s3.secretAccessKey });
    const backup = await finished((await call('backups.backupNow', { serverId })).jobId);
    expect(backup.error).toBeNull();
    const snapshot = (await call('backups.snapshots', { serverId }))[0]!;
    expect(snapshot.accounts).toBe(3);
    const atBackup = await heads();

    for (const u of users) {
      const agent = new AtpAgent({ service: url, fetch });
      await agent.login({ identifier: u.handle, password: u.password });
      await agent.post({ text: 'after the backup' });
    }
    expect(await heads()).not.toEqual(atBackup);

    const plan = await call('backups.restorePlan', { serverId, snapshotId: snapshot.id });
    expect(plan.repos.filter((r) => r.change === 'reverted')).toHaveLength(3);
    const restore = await finished((await call('backups.restore', { serverId, snapshotId: snapshot.id, confirmName: 'Backup VPS' })).jobId);
    expect(restore.error).toBeNull();
    expect(restore.state).toBe('succeeded');
    expect(await heads()).toEqual(atBackup);
    for (const u of users) {
      const agent = new AtpAgent({ service: url, fetch });
      await agent.login({ identifier: u.handle, password: u.password });
      expect(agent.session?.did).toBe(u.did);
    }
    // The restored files belong to the PDS's own user again.
    expect((await server.exec('stat -c %U /pds/account.sqlite')).stdout.trim()).toBe('pds');
  }, 900_000);
});
