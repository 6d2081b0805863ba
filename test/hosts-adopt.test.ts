/**
 * Adopting a server set up with the official installer (docker compose under /pds). Docker cannot
 * run in the test server, so detection and settings import are tested on a /pds tree laid out as
 * installer.sh leaves it; the live check against a real compose install runs only when
 * HEARTH_LIVE_OFFICIAL_SSH ("root@host:port") is set.
 */
import { randomBytes } from 'node:crypto';
import { copyFile, mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { HearthApp } from '../src/core/app.ts';
import type { KeyringSecretStore } from '../src/core/secrets/index.ts';
import { secretAccount } from '../src/core/secrets/secret-store.ts';
import { startTestApp } from './support/app.ts';
import { contractCalls } from './support/calls.ts';
import { startTestServer, testServerUnavailable, type TestServer } from './support/test-server.ts';

const FIXTURE = join(import.meta.dirname, 'fixtures', 'official-install');

describe.skipIf(testServerUnavailable())('adopt a server installed with the official installer', () => {
  let server: TestServer;
  let app: HearthApp;
  let secrets: KeyringSecretStore;
  let serverId: string;
  const official = {
    jwt: randomBytes(16).toString('hex'),
    admin: randomBytes(16).toString('hex'),
    rotation: randomBytes(32).toString('hex'),
  };

  const { call, failure } = contractCalls(() => app);

  beforeAll(async () => {
    server = await startTestServer();
    ({ app, secrets } = await startTestApp());
    // The tree installer.sh leaves behind (pds.env exactly in its variable order).
    const env = [
      'PDS_HOSTNAME=pds.example.com',
      `PDS_JWT_SECRET=${official.jwt}`,
      `PDS_ADMIN_PASSWORD=${official.admin}`,
      `PDS_PLC_ROTATION_KEY_K256_PRIVATE_KEY_HEX=${official.rotation}`,
      'PDS_DATA_DIRECTORY=/pds',
      'PDS_BLOBSTORE_DISK_LOCATION=/pds/blocks',
      'PDS_BLOB_UPLOAD_LIMIT=104857600',
      'PDS_DID_PLC_URL=https://plc.directory',
      'PDS_BSKY_APP_VIEW_URL=https://api.bsky.app',
      'PDS_BSKY_APP_VIEW_DID=did:web:api.bsky.app',
      'PDS_REPORT_SERVICE_URL=https://mod.bsky.app',
      'PDS_REPORT_SERVICE_DID=did:plc:ar7c4by46qjdydhdevvrndac',
      'PDS_CRAWLERS=https://bsky.network',
      'LOG_ENABLED=true',
      '',
    ].join('\n');
    // Written straight into the server's filesystem, as root would have.
    const pds = join(server.root, 'pds');
    await mkdir(join(pds, 'blocks'), { recursive: true });
    await mkdir(join(pds, 'caddy', 'data'), { recursive: true });
    await mkdir(join(pds, 'caddy', 'etc', 'caddy'), { recursive: true });
    await writeFile(join(pds, 'pds.env'), env, { mode: 0o600 });
    await copyFile(join(FIXTURE, 'compose.yaml'), join(pds, 'compose.yaml'));
    await copyFile(join(FIXTURE, 'Caddyfile'), join(pds, 'caddy', 'etc', 'caddy', 'Caddyfile'));
    await server.exec("sqlite3 /pds/account.sqlite 'create table t(x)'");
    const key = await call('hosts.createKey', { name: 'Official droplet' });
    serverId = key.serverId;
    await server.exec(key.installCommand);
    await call('hosts.connect', { serverId, host: server.host, port: server.port, username: 'root' });
  });
  afterAll(async () => {
    await app?.close();
    await server?.stop();
  });

  it('detects the official install and shows its settings without its secrets', async () => {
    const found = await call('hosts.detect', { serverId });
    expect(found).toMatchObject({ kind: 'official', hostname: 'pds.example.com', secretsOnServer: ['jwt-secret', 'admin-password', 'plc-rotation-key'] });
    expect(found.settings).toMatchObject({ PDS_DATA_DIRECTORY: '/pds', PDS_DID_PLC_URL: 'https://plc.directory', PDS_CRAWLERS: 'https://bsky.network' });
    // An install from before the official installer wrote rate limits: named, not changed.
    expect(found.missingSettings).toEqual(['PDS_RATE_LIMITS_ENABLED=true']);
    expect((await server.exec('cat /pds/pds.env')).stdout).not.toContain('PDS_RATE_LIMITS_ENABLED');
    const shown = JSON.stringify(found);
    for (const value of Object.values(official)) expect(shown).not.toContain(value);
  });

  it('adopts without taking secrets unless the user agrees, then imports them into the keychain', async () => {
    const declined = await call('hosts.adopt', { serverId, importSecrets: false });
    expect(declined).toEqual({ hostname: 'pds.example.com', imported: [] });
    expect(await secrets.get(secretAccount(serverId, 'plc-rotation-key'))).toBeNull();
    const server1 = (await call('servers.list', {})).find((s) => s.id === serverId);
    expect(server1).toMatchObject({ url: 'https://pds.example.com', install: { runtime: 'official', hostname: 'pds.example.com' } });

    const agreed = await call('hosts.adopt', { serverId, importSecrets: true });
    expect(agreed.imported).toEqual(['jwt-secret', 'admin-password', 'plc-rotation-key']);
    expect(await secrets.get(secretAccount(serverId, 'jwt-secret'))).toBe(official.jwt);
    expect(await secrets.get(secretAccount(serverId, 'admin-password'))).toBe(official.admin);
    expect(await secrets.get(secretAccount(serverId, 'plc-rotation-key'))).toBe(official.rotation);
    // The server's files are untouched.
    expect((await server.exec('cat /pds/pds.env')).stdout).toContain(`PDS_JWT_SECRET=${official.jwt}`);
  });

  it('manages the adopted install through its own runtime (docker compose), and says so when Docker is missing', async () => {
    // No Docker in the test server: the command is the official runtime's, and the error says what is wrong.
    const missing = await failure('hosts.runtime', { serverId, action: 'status' });
    expect(missing).toMatchObject({ code: 'UNAVAILABLE', message: expect.stringMatching(/Docker is not installed/) });
    // A stand-in docker on the server shows the command Hearth runs.
    await server.exec('printf \'#!/bin/sh\\necho "docker $*"\\n\' > /usr/local/bin/docker && chmod +x /usr/local/bin/docker');
    expect((await call('hosts.runtime', { serverId, action: 'restart' })).output).toBe('docker compose -f /pds/compose.yaml restart');
    expect((await call('hosts.runtime', { serverId, action: 'logs' })).output).toBe('docker logs --tail 200 pds');
    await server.exec('rm /usr/local/bin/docker');
  });

  it('refuses to overwrite a keychain secret that disagrees with the server', async () => {
    await secrets.set(secretAccount(serverId, 'jwt-secret'), 'a-different-jwt-secret');
    const conflict = await failure('hosts.adopt', { serverId, importSecrets: true });
    expect(conflict.code).toBe('CONFLICT');
    expect(conflict.message).not.toContain(official.jwt);
    expect(await secrets.get(secretAccount(serverId, 'jwt-secret'))).toBe('a-different-jwt-secret');
  });

  it.skipIf(!process.env.HEARTH_LIVE_OFFICIAL_SSH)('live: a real official install is adopted and shown healthy', async () => {
    // HEARTH_LIVE_OFFICIAL_SSH=root@host:port — a real server where the official installer ran and
    // Hearth's key is authorized.
    const match = /^([^@]+)@([^:]+):(\d+)$/.exec(process.env.HEARTH_LIVE_OFFICIAL_SSH ?? '');
    if (!match) throw new Error('HEARTH_LIVE_OFFICIAL_SSH must look like root@host:22');
    const key = await call('hosts.createKey', { name: 'Live official' });
    console.log(`Authorize this key on the live server: ${key.publicKey}`);
    await call('hosts.connect', { serverId: key.serverId, host: match[2], port: Number(match[3]), username: match[1] });
    expect((await call('hosts.detect', { serverId: key.serverId })).kind).toBe('official');
    await call('hosts.adopt', { serverId: key.serverId, importSecrets: false });
    const health = await call('hosts.health', { serverId: key.serverId });
    expect(health.services.every((s) => s.active)).toBe(true);
    expect(health.version).toBeTruthy();
  });
});
