import { randomUUID } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createApp, type AppOptions, type HearthApp } from '../../src/core/app.ts';
import { Redactor } from '../../src/core/log/redact.ts';
import { KeyringSecretStore } from '../../src/core/secrets/index.ts';
import type { CallInput, CallName, CallOutput, Server } from '../../src/shared/contract/index.ts';
import { HearthError } from '../../src/shared/errors.ts';
import { HOST_SCRIPTS_DIR } from './host-files.ts';

/** Calls one contract call through the app's dispatcher; a failure throws the HearthError it carried. */
export type Caller = <C extends CallName>(name: C, input: CallInput<C>) => Promise<CallOutput<C>>;

export function callerFor(app: HearthApp): Caller {
  return async (name, input) => {
    const reply = await app.dispatch(name, input);
    if (!reply.ok) throw HearthError.from(reply.error);
    return reply.result as never;
  };
}

export interface SandboxApp {
  app: HearthApp;
  call: Caller;
  dataDir: string;
  keychainService: string;
  secrets: KeyringSecretStore;
  pdsUrl: string;
  plcUrl: string;
  stop(): Promise<void>;
}

/**
 * A real Hearth core (temp data dir, throwaway keychain service) with its sandbox started the way
 * the UI starts it: a real PLC and a real PDS as child processes. Run inside scripts/with-keyring.sh.
 */
export async function startSandboxApp(options: Pick<AppOptions, 'backupCheckIntervalMs'> = {}): Promise<SandboxApp> {
  const dataDir = await mkdtemp(join(tmpdir(), 'hearth-home-'));
  const keychainService = `hearth-test-${randomUUID()}`;
  const app = await createApp({ dataDir, host: 'web', hostFilesDir: HOST_SCRIPTS_DIR, resolveOverrides: process.env.HEARTH_RESOLVE, version: '0.0.0-test', keychainService, ...options });
  const call = callerFor(app);
  const secrets = new KeyringSecretStore({ service: keychainService, redactor: new Redactor() });
  const { jobId } = await call('sandbox.start', {});
  const deadline = Date.now() + 120_000;
  for (;;) {
    const job = await call('jobs.get', { id: jobId });
    if (job.state === 'succeeded') break;
    if (job.state !== 'running') throw new Error(`The sandbox did not start: ${job.error?.message ?? job.state}`);
    if (Date.now() > deadline) throw new Error('The sandbox did not start in time.');
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  const status = await call('sandbox.status', {});
  return {
    app,
    call,
    dataDir,
    keychainService,
    secrets,
    pdsUrl: status.pdsUrl!,
    plcUrl: status.plcUrl!,
    async stop() {
      await app.close();
      for (const name of await secrets.list()) await secrets.delete(name);
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

/**
 * A second Hearth core that knows the given servers (as if connected over SSH) and holds the
 * given keychain entries: how the generic, non-sandbox path is tested.
 */
export async function startAppWithServers(
  servers: Server[],
  entries: Record<string, string>,
): Promise<{ app: HearthApp; call: Caller; stop(): Promise<void> }> {
  const dataDir = await mkdtemp(join(tmpdir(), 'hearth-home-'));
  const keychainService = `hearth-test-${randomUUID()}`;
  await writeFile(join(dataDir, 'config.json'), JSON.stringify({ version: 1, servers, settings: {} }), { mode: 0o600 });
  const secrets = new KeyringSecretStore({ service: keychainService });
  for (const [name, value] of Object.entries(entries)) await secrets.set(name, value);
  const app = await createApp({ dataDir, host: 'web', hostFilesDir: HOST_SCRIPTS_DIR, resolveOverrides: process.env.HEARTH_RESOLVE, version: '0.0.0-test', keychainService });
  return {
    app,
    call: callerFor(app),
    async stop() {
      await app.close();
      for (const name of await secrets.list()) await secrets.delete(name);
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}
