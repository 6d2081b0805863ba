/**
 * Connecting with a password, once: Hearth logs in with it to add its own key, then uses only the
 * key. Real test server (password login switched on for this test), real keychain.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { HearthApp } from '../src/core/app.ts';
import type { KeyringSecretStore } from '../src/core/secrets/index.ts';
import { startTestApp } from './support/app.ts';
import { contractCalls } from './support/calls.ts';
import { startTestServer, testServerUnavailable, type TestServer } from './support/test-server.ts';

const PASSWORD = 'correct-horse-battery-staple-42';

describe.skipIf(testServerUnavailable())('connect a server with a password used once', () => {
  let server: TestServer;
  let app: HearthApp;
  let dataDir: string;
  let secrets: KeyringSecretStore;
  const { call, failure } = contractCalls(() => app);

  beforeAll(async () => {
    server = await startTestServer();
    ({ app, dataDir, secrets } = await startTestApp());
    // Like a fresh VPS from a provider: root has a password and password login is on.
    await server.exec(
      `echo 'root:${PASSWORD}' | chpasswd && printf 'PermitRootLogin yes\\nPasswordAuthentication yes\\n' > /etc/ssh/sshd_config.d/05-password.conf && : > /root/.ssh/authorized_keys && systemctl restart ssh >/dev/null 2>&1`,
    );
    for (let i = 0; i < 100 && !(await server.exec('ss -ltn')).stdout.includes(`:${server.port}`); i++) await new Promise((r) => setTimeout(r, 100));
  });
  afterAll(async () => {
    await app?.close();
    await server?.stop();
  });

  it('refuses a wrong password with a message about the password, and adds nothing', async () => {
    const key = await call('hosts.createKey', { name: 'Password VPS' });
    const wrong = await failure('hosts.connect', { serverId: key.serverId, host: server.host, port: server.port, username: 'root', password: 'not-it' });
    expect(wrong.code).toBe('AUTH');
    expect(wrong.message).toMatch(/refused the password/);
    expect((await server.exec('cat /root/.ssh/authorized_keys')).stdout).toBe('');
  });

  it('adds its key with the password, then logs in with the key; the password is stored nowhere', async () => {
    const key = await call('hosts.createKey', { name: 'Password VPS' });
    const connected = await call('hosts.connect', { serverId: key.serverId, host: server.host, port: server.port, username: 'root', password: PASSWORD });
    expect(connected.hostKeyFingerprint).toBe(server.hostKeyFingerprint);
    const authorized = (await server.exec('cat /root/.ssh/authorized_keys')).stdout;
    expect(authorized.trim()).toBe(key.publicKey);

    // Connecting again (key only) works and does not add the key twice.
    await call('hosts.connect', { serverId: key.serverId, host: server.host, port: server.port, username: 'root', password: PASSWORD });
    expect((await server.exec('grep -c hearth@ /root/.ssh/authorized_keys')).stdout.trim()).toBe('1');
    await call('hosts.connect', { serverId: key.serverId, host: server.host, port: server.port, username: 'root' });

    expect(await readFile(join(dataDir, 'config.json'), 'utf8')).not.toContain(PASSWORD);
    for (const account of await secrets.list('')) expect(await secrets.get(account)).not.toBe(PASSWORD);
    expect(await secrets.list(`${key.serverId}/`)).toEqual([`${key.serverId}/ssh-key`]);
  });
});
