import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const repoRoot = fileURLToPath(new URL('../../', import.meta.url));

export interface RunningHearth {
  openUrl: string;
  origin: string;
  dataDir: string;
  keychainService: string;
  output: () => string;
  process: ChildProcess;
  stop(): Promise<number | null>;
}

/**
 * Starts `npm run web`'s host (a real process, real keychain, real sandbox) through the tests'
 * entry point, on a throwaway data dir and keychain service.
 */
export async function startHearthWeb(
  options: {
    /** Extra environment, e.g. a D-Bus address that leads nowhere (no keychain). */
    env?: NodeJS.ProcessEnv;
    /** Runs on the empty data dir before Hearth starts, e.g. to leave a damaged config.json. */
    prepare?: (dataDir: string) => Promise<void>;
  } = {},
): Promise<RunningHearth> {
  const dataDir = await mkdtemp(join(tmpdir(), 'hearth-e2e-home-'));
  await options.prepare?.(dataDir);
  const keychainService = `hearth-e2e-${randomUUID()}`;
  // The test entry: the product's web host with the test world's stand-ins (web-test-main.ts).
  const child = spawn(process.execPath, [join(repoRoot, 'e2e/support/web-test-main.ts')], {
    cwd: repoRoot,
    env: { ...process.env, HEARTH_HOME: dataDir, HEARTH_KEYCHAIN_SERVICE: keychainService, ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (d) => (output += d));
  child.stderr.on('data', (d) => (output += d));
  const openUrl = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`Hearth did not start:\n${output}`)), 30_000);
    child.stdout.on('data', () => {
      const match = /Open (http:\/\/\S+)/.exec(output);
      if (match?.[1]) {
        clearTimeout(timer);
        resolve(match[1]);
      }
    });
    child.once('exit', (code) => reject(new Error(`Hearth exited (${code}):\n${output}`)));
  });
  return {
    openUrl,
    origin: new URL(openUrl).origin,
    dataDir,
    keychainService,
    output: () => output,
    process: child,
    stop: () =>
      new Promise((resolve) => {
        if (child.exitCode !== null) return resolve(child.exitCode);
        child.once('exit', (code) => resolve(code));
        child.kill('SIGTERM');
      }),
  };
}
