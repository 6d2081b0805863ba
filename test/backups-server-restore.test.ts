/**
 * The whole story on a real server, through Hearth's contract: a Debian test server connected over
 * SSH with a PDS Hearth installed (systemd unit, Caddy, internal CA), a real PLC, the S3 fixture, real
 * restic. Accounts and posts, backup, more writes, restore through `backups.restore` (safety
 * snapshot, `systemctl stop/start pds`, checks over HTTPS) → every repo's head as in the snapshot,
 * old passwords log in, the later account is gone.
 *
 * Then the disaster: the first server is destroyed, and `backups.recover` puts its PDS from the
 * latest snapshot onto a second, empty test server with the same hostname and secrets. Every
 * repo's head and blob is as in the snapshot, old passwords and sessions from before the backup
 * work there, and every DID resolves to the new server (`backups.moveStatus`).
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
import { watchFirehose, type FirehoseWatcher } from './support/firehose.ts';
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
  // A consumer on the PDS's firehose, as a relay is one (the PDS's own port: same network here).
  let firehose: FirehoseWatcher | undefined;
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
  let replacement: TestServer | undefined;
  afterAll(async () => {
    await firehose?.close();
    await app?.close();
    await Promise.all([server?.stop(), replacement?.stop(), plc?.close(), s3?.close()]);
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
    firehose = watchFirehose(`http://127.0.0.1:${ports.pdsPort}`, { plcUrl: plc.url });
    fetch = serverFetch({ resolve: systemResolver(process.env.HEARTH_RESOLVE), ca: await readFile(join(dataDir, 'hosts', serverId, 'caddy-root.crt'), 'utf8') });
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
    const setup = await finished((await call('backups.configure', { serverId, endpoint: s3.endpoint, region: s3.region, bucket: 'hearth-backups', prefix: serverId, pathStyle: true, accessKeyId: s3.accessKeyId, secretAccessKey: s3.secretAccessKey })).jobId);
    expect(setup.error).toBeNull();
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
    expect((await server.exec('stat -c %U /pds/sequencer.sqlite')).stdout.trim()).toBe('pds');
    // The sequencer came back from the snapshot, behind what the consumer saw; its next event
    // still comes after every one it had.
    const seen = firehose!.highest();
    const writer = new AtpAgent({ service: url, fetch });
    await writer.login({ identifier: users[0]!.handle, password: users[0]!.password });
    await writer.post({ text: 'after the restore' });
    expect(await firehose!.nextAbove(seen)).toBeGreaterThan(seen);
  }, 900_000);

  it('recovers onto a second, empty server after the first is gone: same heads and blobs, old passwords and sessions work, DIDs resolve there', async () => {
    const first = users[0]!;
    const agent = new AtpAgent({ service: url, fetch });
    await agent.login({ identifier: first.handle, password: first.password });
    // A session issued before the backup, and a picture: both must survive the move.
    const session = agent.session!;
    const png = Buffer.concat([Buffer.from('89504e470d0a1a0a', 'hex'), Buffer.from(randomUUID().repeat(200))]);
    const blob = (await agent.uploadBlob(png, { encoding: 'image/png' })).data.blob;
    await agent.post({ text: 'with a picture', embed: { $type: 'app.bsky.embed.images', images: [{ image: blob, alt: 'kept' }] } });
    const backup = await finished((await call('backups.backupNow', { serverId })).jobId);
    expect(backup.error).toBeNull();
    const atBackup = await heads();
    // Written after the last backup: lost with the old server, but relays saw its sequence number.
    const lastSeen = firehose!.highest();
    await agent.post({ text: 'after the last backup' });
    const relayCursor = await firehose!.nextAbove(lastSeen);

    // The disaster: the old server is gone for good.
    await firehose!.close();
    firehose = undefined;
    await server.stop();

    replacement = await startTestServer();
    const key = await call('hosts.createKey', { name: 'New VPS' });
    expect((await replacement.exec(key.installCommand)).code).toBe(0);
    await call('hosts.connect', { serverId: key.serverId, name: 'New VPS', host: replacement.host, port: replacement.port, username: 'root' });
    const ports = { httpsPort: await freePort(), httpPort: await freePort(), pdsPort: await freePort(), caddyAdminPort: await freePort() };
    const recover = await finished((await call('backups.recover', { serverId: key.serverId, fromServerId: serverId, tlsMode: 'internal', ...ports })).jobId);
    expect(recover.error).toBeNull();
    expect(recover.state).toBe('succeeded');
    // The relay follows the hostname to the new server with the cursor it had: what is written
    // there now must come after everything the old server sent, the post lost with it included.
    firehose = watchFirehose(`http://127.0.0.1:${ports.pdsPort}`, { plcUrl: plc.url, cursor: relayCursor });

    const moved = (await call('servers.list', {})).find((s) => s.id === key.serverId)!;
    expect(moved.install?.hostname).toBe(HOSTNAME);
    expect(moved.recoveredFrom?.serverId).toBe(serverId);
    url = moved.url;
    fetch = serverFetch({ resolve: systemResolver(process.env.HEARTH_RESOLVE), ca: await readFile(join(dataDir, 'hosts', key.serverId, 'caddy-root.crt'), 'utf8') });

    expect(await heads()).toEqual(atBackup);
    const image = await fetch(`${url}/xrpc/com.atproto.sync.getBlob?did=${first.did}&cid=${blob.ref.toString()}`);
    expect(image.status).toBe(200);
    expect(Buffer.from(await image.arrayBuffer()).equals(png)).toBe(true);
    for (const u of users) {
      const again = new AtpAgent({ service: url, fetch });
      await again.login({ identifier: u.handle, password: u.password });
      expect(again.session?.did).toBe(u.did);
    }
    const poster = new AtpAgent({ service: url, fetch });
    await poster.login({ identifier: first.handle, password: first.password });
    await poster.post({ text: 'on the new server' });
    expect(await firehose.nextAbove(relayCursor)).toBeGreaterThan(relayCursor);
    const resumed = await fetch(`${url}/xrpc/com.atproto.server.getSession`, { headers: { authorization: `Bearer ${session.accessJwt}` } });
    expect(resumed.status).toBe(200);
    expect(((await resumed.json()) as { did: string }).did).toBe(first.did);

    const status = await call('backups.moveStatus', { serverId: key.serverId });
    expect(status.reaches).toBe('this');
    expect(status.dids.map((d) => d.did).sort()).toEqual(users.map((u) => u.did).sort());
    expect(status.dids.every((d) => d.ok && d.endpoint === `https://${HOSTNAME}`)).toBe(true);
    expect(status.done).toBe(true);
    // The new server backs up into the same store from now on.
    const next = await finished((await call('backups.backupNow', { serverId: key.serverId })).jobId);
    expect(next.error).toBeNull();
  }, 1_500_000);
});
