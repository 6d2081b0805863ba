import { spawn } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { mkdir, mkdtemp, readdir, rename, rm } from 'node:fs/promises';
import { arch, platform } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import { LocalWorkspace, PulumiCommand, type EngineEvent, type PulumiFn } from '@pulumi/pulumi/automation/index.js';
import { HearthError } from '../../shared/errors.ts';

/**
 * The slice of the Pulumi Automation API the stack runner uses. The real one drives the Pulumi
 * CLI; tests substitute a recording fake, because neither the CLI nor DigitalOcean can be reached
 * from the test machines.
 */
export interface AutomationApi {
  /** The CLI at `root` (pinned version), installed there first if missing. */
  ensureCli(options: { root: string; version: string; signal: AbortSignal; onProgress: (fraction: number, message: string) => void }): Promise<{ command: string }>;
  openStack(options: OpenStackOptions): Promise<StackHandle>;
}

export interface OpenStackOptions {
  /** The folder the pinned CLI was installed into (its binary is <cliRoot>/bin/pulumi). */
  cliRoot: string;
  projectName: string;
  stackName: string;
  program: PulumiFn;
  workDir: string;
  pulumiHome: string;
  backendUrl: string;
  /** Handed to every CLI process as environment; the passphrase goes only here, never into a file. */
  envVars: Record<string, string>;
}

export interface OperationOptions {
  onEvent: (event: EngineEvent) => void;
  signal: AbortSignal;
}

export interface StackHandle {
  installPlugin(name: string, version: string): Promise<void>;
  /** Secret values reach the CLI on stdin (not argv) and are stored encrypted by the passphrase. */
  setConfig(key: string, value: string, secret: boolean): Promise<void>;
  preview(options: OperationOptions): Promise<{ changeSummary: Record<string, number> }>;
  up(options: OperationOptions): Promise<{ outputs: Record<string, { value: unknown; secret: boolean }> }>;
  refresh(options: OperationOptions & { clearPendingCreates?: boolean }): Promise<{ changeSummary: Record<string, number> }>;
  destroy(options: OperationOptions): Promise<void>;
  /** The state's pending operations (left by an interrupted run). */
  pendingOperations(): Promise<{ type: string; urn: string; resourceType: string }[]>;
}

/** Where the CLI release archives live (what Pulumi's own install script downloads). */
export const CLI_RELEASES = 'https://get.pulumi.com/releases/sdk';

export function cliArchiveUrl(version: string, os = platform(), cpu = arch()): string {
  const osName = os === 'darwin' ? 'darwin' : os === 'win32' ? 'windows' : 'linux';
  const cpuName = cpu === 'arm64' ? 'arm64' : 'x64';
  return `${CLI_RELEASES}/pulumi-v${version}-${osName}-${cpuName}.${osName === 'windows' ? 'zip' : 'tar.gz'}`;
}

/** The real Automation API over a CLI installed into Hearth's data folder. */
export function realAutomation(options: { downloadTimeoutMs?: number; fetch?: typeof fetch } = {}): AutomationApi {
  return {
    async ensureCli({ root, version, signal, onProgress }) {
      // Only the pinned version counts as installed (a different one in the folder is replaced).
      const installed = async () => {
        const cli = await PulumiCommand.get({ root }).catch(() => null);
        return cli && String(cli.version) === version ? cli : null;
      };
      const existing = await installed();
      if (existing) return { command: existing.command };
      try {
        if (platform() === 'win32') {
          // Installs the CLI matching the SDK, which is the pinned version (a test keeps them equal).
          onProgress(0, `Installing the Pulumi engine ${version}`);
          await PulumiCommand.install({ root });
        } else {
          await downloadCli(cliArchiveUrl(version), root, signal, onProgress, options.downloadTimeoutMs ?? 10 * 60_000, options.fetch ?? fetch);
        }
      } catch (err) {
        if (signal.aborted) throw err;
        throw cliInstallError(err, version, root);
      }
      const cli = await installed();
      if (!cli) throw cliInstallError(new Error('the installed engine does not report the pinned version'), version, root);
      return { command: cli.command };
    },

    async openStack(o) {
      const pulumiCommand = await PulumiCommand.get({ root: o.cliRoot, skipVersionCheck: true });
      const stack = await LocalWorkspace.createOrSelectStack(
        { projectName: o.projectName, stackName: o.stackName, program: o.program },
        {
          workDir: o.workDir,
          pulumiHome: o.pulumiHome,
          pulumiCommand,
          secretsProvider: 'passphrase',
          envVars: { ...o.envVars, PULUMI_BACKEND_URL: o.backendUrl, PULUMI_SKIP_UPDATE_CHECK: 'true' },
          projectSettings: { name: o.projectName, runtime: 'nodejs', backend: { url: o.backendUrl } },
        },
      );
      const env = { ...process.env, ...stack.workspace.envVars, PULUMI_HOME: o.pulumiHome };
      return {
        installPlugin: (name, version) => stack.workspace.installPlugin(name, version),
        setConfig: async (key, value, secret) => {
          if (!secret) return stack.setConfig(key, { value, secret: false });
          await withStdin(pulumiCommand.command, ['config', 'set', key, '--secret', '--stack', o.stackName, '--non-interactive'], value, o.workDir, env);
        },
        preview: async (op) => ({ changeSummary: (await stack.preview({ onEvent: oncePerSequence(op.onEvent), signal: op.signal })).changeSummary as Record<string, number> }),
        up: async (op) => ({ outputs: (await stack.up({ onEvent: oncePerSequence(op.onEvent), signal: op.signal })).outputs }),
        refresh: async (op) => ({
          changeSummary: ((await stack.refresh({ onEvent: oncePerSequence(op.onEvent), signal: op.signal, clearPendingCreates: op.clearPendingCreates ?? false })).summary
            ?.resourceChanges ?? {}) as Record<string, number>,
        }),
        destroy: async (op) => {
          await stack.destroy({ onEvent: oncePerSequence(op.onEvent), signal: op.signal });
        },
        pendingOperations: async () => {
          const deployment = (await stack.exportStack()).deployment as { pending_operations?: { type: string; resource: { urn: string; type: string } }[] };
          return (deployment.pending_operations ?? []).map((p) => ({ type: p.type, urn: p.resource.urn, resourceType: p.resource.type }));
        },
      };
    },
  };
}

/** Downloads the CLI archive with progress (the archive is ~100 MB) and unpacks it into root/bin. */
async function downloadCli(
  url: string,
  root: string,
  signal: AbortSignal,
  onProgress: (fraction: number, message: string) => void,
  timeoutMs: number,
  fetchImpl: typeof fetch,
): Promise<void> {
  await mkdir(root, { recursive: true, mode: 0o700 });
  const tmp = await mkdtemp(join(root, '.download-'));
  try {
    onProgress(0, 'Downloading the Pulumi engine');
    const res = await fetchImpl(url, { signal: AbortSignal.any([signal, AbortSignal.timeout(timeoutMs)]), redirect: 'follow' });
    if (!res.ok || !res.body) throw new Error(`${url} answered ${res.status}`);
    const total = Number(res.headers.get('content-length')) || 0;
    let received = 0;
    const body = Readable.fromWeb(res.body as WebReadableStream);
    body.on('data', (chunk: Buffer) => {
      received += chunk.length;
      if (total) onProgress(received / total, `Downloading the Pulumi engine (${Math.round(received / 1e6)} of ${Math.round(total / 1e6)} MB)`);
    });
    const archive = join(tmp, 'pulumi.tar.gz');
    await pipeline(body, createWriteStream(archive, { mode: 0o600 }));
    onProgress(1, 'Unpacking the Pulumi engine');
    await withStdin('tar', ['-xzf', archive, '-C', tmp], '', tmp, process.env);
    // The archive holds pulumi/<binaries>: they become root/bin, as Pulumi's installer lays them out.
    await rm(join(root, 'bin'), { recursive: true, force: true });
    await rename(join(tmp, 'pulumi'), join(root, 'bin'));
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }
  if (!(await readdir(join(root, 'bin'))).includes('pulumi')) throw new Error('the archive had no pulumi binary');
}

/** Turns "could not download or start the CLI" into words that say whether this computer is offline. */
export function cliInstallError(err: unknown, version: string, root: string): HearthError {
  const text = err instanceof Error ? `${err.message} ${String((err as { cause?: unknown }).cause ?? '')}` : String(err);
  const offline = /ENOTFOUND|EAI_AGAIN|ENETUNREACH|ECONNREFUSED|ECONNRESET|fetch failed|Failed to download|Timed out|TimeoutError|timeout/i.test(text);
  if (offline) {
    return new HearthError(
      'NETWORK',
      `Hearth needs the Pulumi engine (version ${version}) to create servers on DigitalOcean, and could not download it: this computer seems to be offline or cannot reach get.pulumi.com.`,
      `Connect to the internet and try again; it is downloaded once (about 100 MB) into ${root}. Nothing was created on DigitalOcean.`,
    );
  }
  return new HearthError(
    'UNAVAILABLE',
    `Hearth could not install the Pulumi engine (version ${version}).`,
    `Try again; if it keeps failing, remove ${root} so Hearth downloads it afresh. Nothing was created on DigitalOcean.`,
  );
}

/** Runs a command with text on its standard input (for secrets: never on the command line). */
function withStdin(command: string, args: string[], input: string, cwd: string, env: NodeJS.ProcessEnv): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd, env, stdio: ['pipe', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.once('error', reject);
    child.once('close', (code) => (code === 0 ? resolve() : reject(new Error(`${command} ${args[0]} failed (${code}): ${stderr.slice(0, 500)}`))));
    child.stdin.end(input);
  });
}

/**
 * The engine numbers its events uniquely (EngineEvent.sequence), but the SDK's --event-log
 * reader sometimes hands the same line over twice when the CLI appends quickly (seen in
 * test/cloud-automation-adapter.test.ts): a repeat is dropped, so progress and the resource
 * table count each step once.
 */
export function oncePerSequence(onEvent: (event: EngineEvent) => void): (event: EngineEvent) => void {
  const seen = new Set<number>();
  return (event) => {
    if (typeof event.sequence === 'number') {
      if (seen.has(event.sequence)) return;
      seen.add(event.sequence);
    }
    onEvent(event);
  };
}
