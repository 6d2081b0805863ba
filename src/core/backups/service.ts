/**
 * Backups of one server: the target (S3 settings in <dataDir>/backups.json, secrets only in the
 * keychain), and the host scripts (resources/host/hearth-*.sh) that do the work on the server:
 * backup, verify, restore with safety snapshot and rollback. Everything goes through a HostRunner,
 * so the same code drives the sandbox on this computer and a server over SSH.
 *
 * This class composes the parts, each in the file named for it:
 *   store.ts            backups.json (targets and schedules; a damaged file is kept aside)
 *   backup-secrets.ts   the S3 secret key and the repository password in the keychain
 *   settings-render.ts  the scripts' settings file, restic's repository address
 *   script-runner.ts    running the host scripts and restic; their failures in plain words
 *   restic-output.ts    reading what restic and the scripts print
 *   restore.ts          the restore plan and the restore with its rollback
 */
import { join } from 'node:path';
import type { BackupOverview, BackupRunStatus, BackupSchedule, BackupTargetFields, RestorePlan, Snapshot } from '../../shared/contract/backups.ts';
import { HearthError } from '../../shared/errors.ts';
import { throwIfCancelled, type JobContext } from '../jobs/job-context.ts';
import type { Redactor } from '../log/redact.ts';
import type { SecretStore } from '../secrets/secret-store.ts';
import type { BackupHost } from './backup-host.ts';
import { BackupSecrets } from './backup-secrets.ts';
import { parseResticSnapshots, parseStatus, toSnapshots } from './restic-output.ts';
import { restorePlan, restoreSnapshot, type RestoreDeps, type RestoreOptions } from './restore.ts';
import { explainS3Error, probeTarget } from './s3-probe.ts';
import { ScriptRunner, type ScriptResult } from './script-runner.ts';
import { renderSettings, repositoryUrl, resticOptions } from './settings-render.ts';
import { BackupStore, type StoredServer } from './store.ts';

export type { BackupHost, PdsControl } from './backup-host.ts';
export { scriptError, type ScriptResult } from './script-runner.ts';
// The keychain names are defined in secrets/names.ts; kept here for callers that found them here.
export { RESTIC_PASSWORD, S3_SECRET } from '../secrets/names.ts';

export const DEFAULT_SCHEDULE: BackupSchedule = { onCalendar: '*-*-* 03:30:00', keepDaily: 7, keepWeekly: 4, keepMonthly: 12 };

export class BackupService {
  readonly #redactor: Redactor;
  readonly #store: BackupStore;
  readonly #secrets: BackupSecrets;
  readonly #scripts: ScriptRunner;
  readonly #restore: RestoreDeps;
  #queue: Promise<unknown> = Promise.resolve();

  constructor(opts: { dataDir: string; secrets: SecretStore; redactor: Redactor }) {
    this.#redactor = opts.redactor;
    this.#store = new BackupStore(opts.dataDir);
    this.#secrets = new BackupSecrets(opts.secrets);
    this.#scripts = new ScriptRunner({ store: this.#store, secrets: this.#secrets, redactor: opts.redactor });
    this.#restore = {
      scripts: this.#scripts,
      redactor: opts.redactor,
      snapshots: (host) => this.snapshots(host),
      writeSettings: (host) => this.writeSettings(host),
    };
  }

  /** The damaged backup settings file found since Hearth started, if any (for the banner). */
  problem(): Promise<{ message: string; keptAt: string } | null> {
    return this.#store.problem();
  }

  stored(serverId: string): Promise<StoredServer | null> {
    return this.#store.stored(serverId);
  }

  async overview(host: BackupHost): Promise<BackupOverview> {
    const stored = await this.stored(host.serverId);
    const hasSecret = stored ? (await this.#secrets.s3Key(host.serverId)) !== null : false;
    // A lost server must not hide its backups: the target and the way to restore elsewhere stay.
    let unreachable: string | null = null;
    const status = stored
      ? await this.status(host).catch((err: unknown) => {
          unreachable = this.#redactor.redact(err instanceof Error ? err.message : String(err));
          return null;
        })
      : null;
    return {
      serverId: host.serverId,
      target: stored ? { ...stored.target, hasSecret } : null,
      schedule: stored?.schedule ?? DEFAULT_SCHEDULE,
      status,
      scheduled: host.scheduled,
      nextRun: stored && host.nextRun && !unreachable ? await host.nextRun().catch(() => null) : null,
      note: host.note,
      unreachable,
    };
  }

  async status(host: BackupHost): Promise<BackupRunStatus | null> {
    const text = await host.runner.readFile(join(host.stateDir, 'status.json'));
    if (!text) return null;
    return parseStatus(text);
  }

  async testConnection(serverId: string, target: BackupTargetFields, secret?: string, signal?: AbortSignal): Promise<{ ok: true; ms: number }> {
    const key = secret ?? (await this.#secrets.s3Key(serverId));
    if (!key) throw new HearthError('VALIDATION', 'Enter the secret key to test the connection.', '');
    this.#redactor.register(key);
    const { ms } = await probeTarget(target, key, signal);
    return { ok: true, ms };
  }

  /**
   * Saves the target and schedule, stores the S3 secret, makes the repository password on first
   * use (never replaced: losing it loses every backup), writes the server's settings file and
   * creates the repository if there is none.
   */
  async configure(host: BackupHost, target: BackupTargetFields, secret: string | undefined, schedule: BackupSchedule, ctx?: JobContext): Promise<void> {
    return this.#serialize(async () => {
      const key = secret ?? (await this.#secrets.s3Key(host.serverId));
      if (!key) throw new HearthError('VALIDATION', 'Enter the secret key of the store.', '');
      this.#redactor.register(key);
      await probeTarget(target, key, ctx?.signal).catch((err: unknown) => {
        throw explainS3Error(err, target);
      });
      if (secret) await this.#secrets.keepS3Key(host.serverId, secret);
      await this.#secrets.ensureRepositoryPassword(host.serverId);
      const file = await this.#store.load();
      file.servers[host.serverId] = { target, schedule };
      await this.#store.save(file);
      ctx?.progress(0.1, 'Installing restic and the backup scripts on the server');
      await host.install?.(ctx);
      if (ctx) throwIfCancelled(ctx.signal);
      ctx?.progress(0.8, 'Creating the backup repository');
      await this.writeSettings(host);
      await this.runScript(host, 'hearth-backup.sh', ['--init'], ctx, [0.8, 1]);
    });
  }

  /**
   * Another server takes over this one's backups (disaster recovery): the same target, schedule,
   * S3 secret and repository password, so it restores from, and then backs up into, the same
   * repository. A different set already kept for it is never overwritten.
   */
  async shareTarget(fromId: string, toId: string): Promise<void> {
    return this.#serialize(async () => {
      const stored = await this.#store.required(fromId);
      await this.#secrets.share(fromId, toId);
      const file = await this.#store.load();
      file.servers[toId] = stored;
      await this.#store.save(file);
    });
  }

  /** Drops a server's backup settings from this computer (its keychain entries are the caller's business). */
  async forgetTarget(serverId: string): Promise<void> {
    return this.#serialize(async () => {
      const file = await this.#store.load();
      if (!(serverId in file.servers)) return;
      delete file.servers[serverId];
      await this.#store.save(file);
    });
  }

  /** How restic on this computer reaches the repository (for "Download to this computer"). */
  async resticAccess(serverId: string): Promise<{ repository: string; options: string[]; env: Record<string, string> }> {
    const { target } = await this.#store.required(serverId);
    const secrets = await this.#secrets.env(serverId);
    return {
      repository: repositoryUrl(target),
      options: resticOptions(target),
      env: { AWS_ACCESS_KEY_ID: target.accessKeyId, AWS_SECRET_ACCESS_KEY: secrets.AWS_SECRET_ACCESS_KEY, RESTIC_PASSWORD: secrets.RESTIC_PASSWORD },
    };
  }

  /** The scripts' settings file; on this computer it holds no secret (they come in the environment). */
  async writeSettings(host: BackupHost): Promise<void> {
    const stored = await this.#store.required(host.serverId);
    const secrets = host.runner.local ? undefined : await this.#secrets.env(host.serverId);
    await host.runner.writeFile(host.envFile, renderSettings(host, stored, secrets), 0o600);
  }

  /** Runs one host script; "progress" lines become job progress, a failure a HearthError in plain words. */
  runScript(host: BackupHost, script: string, args: string[], ctx?: JobContext, progress?: [number, number]): Promise<ScriptResult> {
    return this.#scripts.run(host, script, args, ctx, progress);
  }

  async snapshots(host: BackupHost): Promise<Snapshot[]> {
    await this.#store.required(host.serverId);
    const raw = parseResticSnapshots((await this.#scripts.restic(host, ['snapshots', '--json', '--tag', 'hearth'])) || '[]');
    return toSnapshots(raw, (await host.runner.readFile(join(host.stateDir, 'history.tsv'))) ?? '');
  }

  async backup(host: BackupHost, ctx: JobContext, kind: 'manual' | 'scheduled' = 'manual'): Promise<Record<string, unknown>> {
    await this.writeSettings(host);
    const { result } = await this.runScript(host, 'hearth-backup.sh', ['--kind', kind], ctx);
    return result;
  }

  async verify(host: BackupHost, ctx: JobContext, snapshotId?: string): Promise<Record<string, unknown>> {
    await this.writeSettings(host);
    const { result } = await this.runScript(host, 'hearth-verify.sh', snapshotId ? [snapshotId] : [], ctx);
    return result;
  }

  restorePlan(host: BackupHost, snapshotId: string): Promise<RestorePlan> {
    return restorePlan(this.#restore, host, snapshotId);
  }

  /**
   * Restores a snapshot: safety snapshot, stop, swap, start, checks (health, accounts, every repo's
   * latest commit over XRPC). Any failure after the swap rolls back to the very same files.
   */
  async restore(host: BackupHost, ctx: JobContext, snapshotId: string, options: RestoreOptions = {}): Promise<{ safetySnapshotId: string; accounts: number }> {
    return this.#serialize(() => restoreSnapshot(this.#restore, host, ctx, snapshotId, options));
  }

  #serialize<T>(op: () => Promise<T>): Promise<T> {
    const next = this.#queue.then(op, op);
    this.#queue = next.catch(() => undefined);
    return next;
  }
}
