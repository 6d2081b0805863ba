import { join } from 'node:path';
import { HearthError } from '../../shared/errors.ts';
import type { JobContext } from '../jobs/job-context.ts';
import type { Redactor } from '../log/redact.ts';
import type { BackupHost } from './backup-host.ts';
import type { BackupSecrets } from './backup-secrets.ts';
import { findResultLine, parseLiveHeads, resticFailure, scriptFailureMessage, type HeadLine } from './restic-output.ts';
import type { BackupStore } from './store.ts';

export interface ScriptResult {
  result: Record<string, unknown>;
  stdout: string;
}

/**
 * Runs the host scripts (resources/host/hearth-*.sh) through the host's runner: their environment,
 * their progress lines as job progress, their failures as HearthErrors in plain words (redacted).
 */
export class ScriptRunner {
  readonly #store: BackupStore;
  readonly #secrets: BackupSecrets;
  readonly #redactor: Redactor;

  constructor(opts: { store: BackupStore; secrets: BackupSecrets; redactor: Redactor }) {
    this.#store = opts.store;
    this.#secrets = opts.secrets;
    this.#redactor = opts.redactor;
  }

  /** The scripts' environment: where their settings are, and on this computer the secrets too. */
  async env(host: BackupHost): Promise<Record<string, string>> {
    return { HEARTH_BACKUP_ENV: host.envFile, ...(host.runner.local ? await this.#secrets.env(host.serverId) : {}) };
  }

  /** Runs one host script; "progress" lines become job progress, a failure a HearthError in plain words. */
  async run(host: BackupHost, script: string, args: string[], ctx?: JobContext, progress?: [number, number]): Promise<ScriptResult> {
    await this.#store.required(host.serverId);
    const env = await this.env(host);
    const [from, to] = progress ?? [0, 1];
    const result = await host.runner.run(join(host.scriptsDir, script), args, {
      env,
      ...(ctx ? { ctx } : {}),
      onLine: (line) => {
        const m = /^progress ([0-9.]+) (.*)$/.exec(line);
        if (m && ctx) {
          ctx.progress(from + (to - from) * Number(m[1]), m[2] ?? '');
          ctx.log(m[2] ?? '');
        }
      },
      // What the script says on stderr (restic's warnings, the reason it stops) reaches the log
      // while it runs, not only once it has ended.
      onStderrLine: (line) => {
        if (ctx && line.trim()) ctx.log(this.#redactor.redact(line), 'warn');
      },
    });
    const resultLine = findResultLine(result.stdout);
    if (result.code !== 0 || resultLine === undefined) {
      throw scriptError(result.code, this.#redactor.redact(scriptFailureMessage(result.stderr, script, result.code)));
    }
    return { result: JSON.parse(resultLine) as Record<string, unknown>, stdout: result.stdout };
  }

  /** restic itself, through the scripts' wrapper (their settings, the secrets); its stdout. */
  async restic(host: BackupHost, args: string[]): Promise<string> {
    const res = await host.runner.run(join(host.scriptsDir, 'hearth-backup-restic.sh'), args, { env: await this.env(host) });
    if (res.code !== 0) {
      const failure = resticFailure(res.stderr);
      throw scriptError(failure.code, this.#redactor.redact(failure.message));
    }
    return res.stdout;
  }

  /** The live data's repositories and their latest commits (`hearth-restore.sh heads`). */
  async liveHeads(host: BackupHost): Promise<{ accounts: number; heads: HeadLine[] }> {
    const res = await host.runner.run(join(host.scriptsDir, 'hearth-restore.sh'), ['heads'], { env: await this.env(host) });
    if (res.code !== 0) throw scriptError(res.code, this.#redactor.redact(res.stderr.trim() || 'could not read the live data'));
    return parseLiveHeads(res.stdout);
  }
}

/** The host scripts' exit codes, in Hearth's error codes. */
export function scriptError(code: number, message: string): HearthError {
  switch (code) {
    case 3:
      return new HearthError('NETWORK', message, 'Check that the backup store is reachable from the server (endpoint, network). The next backup will try again.');
    case 4:
      return new HearthError('AUTH', message, 'Check the bucket, the access keys and the repository password in the backup settings.');
    case 5:
      return new HearthError('INTERNAL', message, 'The backup store holds damaged data. Run Verify, and take a new backup now; older snapshots may not be restorable.');
    case 6:
      // The server's own lock: a restore runs there, or one was cut off (see refuse_during_restore).
      return new HearthError('CONFLICT', message, 'Wait for the restore to finish. If none is running, restore again from Hearth: it first rolls back the unfinished one.');
    default:
      return new HearthError('INTERNAL', message, 'The job log has the details.');
  }
}
