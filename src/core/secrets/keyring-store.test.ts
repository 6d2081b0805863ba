import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { HearthError } from '../../shared/errors.ts';
import { Redactor } from '../log/redact.ts';
import { KeyringSecretStore } from './keyring-store.ts';
import { shareSecret } from './secret-store.ts';

const run = promisify(execFile);

// These run against the real Secret Service: `npm test` runs inside a private D-Bus session with an
// unlocked gnome-keyring (see .ci/run and README).
describe('KeyringSecretStore against the system keychain', () => {
  const service = `hearth-test-${randomUUID()}`;

  it('stores, reads, lists and deletes a secret', async () => {
    const store = new KeyringSecretStore({ service });
    await store.set('srv-1/jwt-secret', 'first-value-123');
    await store.set('srv-1/admin-password', 'second-value-456');
    await store.set('srv-2/jwt-secret', 'third-value-789');

    expect(await store.get('srv-1/jwt-secret')).toBe('first-value-123');
    expect(await store.list('srv-1/')).toEqual(['srv-1/admin-password', 'srv-1/jwt-secret']);

    await store.set('srv-1/jwt-secret', 'replaced-value-000');
    expect(await store.get('srv-1/jwt-secret')).toBe('replaced-value-000');

    expect(await store.delete('srv-1/jwt-secret')).toBe(true);
    expect(await store.delete('srv-1/jwt-secret')).toBe(false);
    expect(await store.get('srv-1/jwt-secret')).toBeNull();
    expect(await store.list()).toEqual(['srv-1/admin-password', 'srv-2/jwt-secret']);
  });

  it('is really in the Secret Service: secret-tool sees the entry', async () => {
    const store = new KeyringSecretStore({ service });
    await store.set('srv-3/plc-rotation-key', 'visible-to-secret-tool');
    const { stdout } = await run('secret-tool', ['lookup', 'service', service, 'username', 'srv-3/plc-rotation-key']);
    expect(stdout).toBe('visible-to-secret-tool');
  });

  it('keeps the index consistent under concurrent writes', async () => {
    const store = new KeyringSecretStore({ service });
    await Promise.all(Array.from({ length: 10 }, (_, i) => store.set(`many/${i}`, `value-number-${i}`)));
    expect(await store.list('many/')).toHaveLength(10);
  });

  it('shares a secret with another server without ever overwriting a different one', async () => {
    const store = new KeyringSecretStore({ service });
    await store.set('old/plc-rotation-key', 'the-key-every-did-depends-on');
    expect(await shareSecret(store, 'plc-rotation-key', 'old', 'new')).toBe('copied');
    expect(await store.get('new/plc-rotation-key')).toBe('the-key-every-did-depends-on');
    expect(await shareSecret(store, 'plc-rotation-key', 'old', 'new')).toBe('kept');
    await store.set('other/plc-rotation-key', 'another-servers-own-key');
    expect(await shareSecret(store, 'plc-rotation-key', 'old', 'other')).toBe('different');
    expect(await store.get('other/plc-rotation-key')).toBe('another-servers-own-key');
    expect(await shareSecret(store, 'jwt-secret', 'old', 'new')).toBe('missing');
    expect(await store.get('new/jwt-secret')).toBeNull();
  });

  it('registers secrets it reads so they are redacted from text', async () => {
    const redactor = new Redactor();
    const store = new KeyringSecretStore({ service, redactor });
    await new KeyringSecretStore({ service }).set('srv-4/admin-password', 'hunter2-very-secret');
    await store.get('srv-4/admin-password');
    expect(redactor.redact('login with hunter2-very-secret failed')).toBe('login with [redacted] failed');
  });
});

describe('KeyringSecretStore without a keychain', () => {
  it('refuses with NO_KEYCHAIN in plain words, never falling back to plaintext', async () => {
    // A child process with no D-Bus session: no Secret Service can be reached.
    const script = `
      import { KeyringSecretStore } from ${JSON.stringify(new URL('./keyring-store.ts', import.meta.url).pathname)};
      const store = new KeyringSecretStore({ service: 'hearth-test-nokeychain' });
      const probe = await store.probe();
      let code = null, message = null;
      try { await store.set('x/y', 'value-that-must-not-land'); } catch (e) { code = e.code; message = e.message; }
      console.log(JSON.stringify({ probe, code, message }));
    `;
    const env = { ...process.env, DBUS_SESSION_BUS_ADDRESS: 'unix:path=/nonexistent/bus' };
    const { stdout } = await run(process.execPath, ['--input-type=module', '-e', script], { env });
    const out = JSON.parse(stdout.trim().split('\n').pop()!);
    expect(out.probe.available).toBe(false);
    expect(out.probe.message).toMatch(/keychain/i);
    expect(out.code).toBe('NO_KEYCHAIN');
    expect(out.message).toMatch(/no system keychain is reachable/);
  });

  it('rejects an empty secret', async () => {
    const store = new KeyringSecretStore({ service: 'hearth-test-empty' });
    await expect(store.set('a/b', '')).rejects.toBeInstanceOf(HearthError);
  });
});
