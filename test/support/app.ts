import { randomUUID } from 'node:crypto';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createApp, type AppOptions, type HearthApp } from '../../src/core/app.ts';
import { Redactor } from '../../src/core/log/redact.ts';
import { KeyringSecretStore } from '../../src/core/secrets/index.ts';
import { HOST_SCRIPTS_DIR } from './host-files.ts';

/**
 * A real Hearth core on a throwaway data dir, with secrets in the real keychain under a service
 * name of its own so runs never see each other's entries.
 */
export async function startTestApp(options: Pick<AppOptions, 'cloud' | 'resolve'> = {}): Promise<{ app: HearthApp; dataDir: string; secrets: KeyringSecretStore }> {
  const dataDir = await mkdtemp(join(tmpdir(), 'hearth-home-'));
  const keychainService = `hearth-test-${randomUUID()}`;
  const app = await createApp({ dataDir, host: 'web', hostFilesDir: HOST_SCRIPTS_DIR, resolveOverrides: process.env.HEARTH_RESOLVE, version: '0.0.0-test', keychainService, ...options });
  // A second handle on the same keychain entries, for tests that check what was stored.
  const secrets = new KeyringSecretStore({ service: keychainService, redactor: new Redactor() });
  return { app, dataDir, secrets };
}
