/**
 * Backups of one server: the target (S3 settings in <dataDir>/backups.json, secrets only in the
 * keychain), and the host scripts (resources/host/hearth-*.sh) that do the work on the server:
 * backup, verify, restore with safety snapshot and rollback. Everything goes through a HostRunner,
 * so the same code drives the sandbox on this computer and a server over SSH.
 */
import { randomBytes } from 'node:crypto';
import { readFile, rename } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import {
  BackupSchedule,
  BackupTargetFields,
  type BackupOverview,
  type BackupRunStatus,
  type RestorePlan,
  type Snapshot,
} from '../../shared/contract/backups.ts';
import { describeIssues, HearthError } from '../../shared/errors.ts';
import { writeFileAtomic } from '../fs/atomic-write.ts';
import { steadyContext, throwIfCancelled, type JobContext } from '../jobs/job-context.ts';
import type { Redactor } from '../log/redact.ts';
import { secretAccount, shareSecret, type SecretStore } from '../secrets/secret-store.ts';
import type { HostRunner } from './host-runner.ts';
import { explainS3Error, probeTarget } from './s3-probe.ts';
import { shellSettingsFile } from '../hosts/ssh/shell-quote.ts';

export const S3_SECRET = 'backup-s3-secret';
export const RESTIC_PASSWORD = 'restic-password';

/** How long a restarted PDS gets to answer its health check before the restore is rolled back. */
const HEALTH_WAIT_MS = 120_000;

export const DEFAULT_SCHEDULE: BackupSchedule = { onCalendar: '*-*-* 03:30:00', keepDaily: 7, keepWeekly: 4, keepMonthly: 12 };

/** How the PDS on a server is stopped and started around a restore. */
export interface PdsControl {
  stop(ctx: JobContext): Promise<void>;
  start(ctx: JobContext): Promise<void>;
  /** False once the PDS is known to be down (no point waiting for its health then). */
  running?: () => boolean;
}

/** Everything backups need to know about one server. */
export interface BackupHost {
  serverId: string;
  name: string;
  runner: HostRunner;
  /** Where hearth-*.sh live on that server. */
  scriptsDir: string;
  /** The settings file the scripts read (secrets in it only on remote servers, mode 600). */
  envFile: string;
  stateDir: string;
  pdsDataDir: string;
  pdsBlobsDir: string;
  pdsEnvFile: string;
  /** Public PDS URL, for the post-restore checks (health, each repo's latest commit). */
  pdsUrl: () => Promise<string>;
  /** fetch that reaches that PDS (a server's own CA, Hearth's resolver); default global fetch. */
  fetch?: typeof fetch;
  /** Puts the scripts (and restic, the timer) on the server; idempotent. */
  install?: (ctx?: JobContext) => Promise<void>;
  pds: PdsControl;
  /** Plain words for the screen about how backups run there. */
  note: string;
  /** Whether a timer on the server runs backups by itself. */
  scheduled: boolean;
  /** When that timer fires next, if the server can say. */
  nextRun?: () => Promise<string | null>;
}

const StoredServer = z.object({ target: BackupTargetFields, schedule: BackupSchedule });
const StoredFile = z.object({ version: z.literal(1), servers: z.record(z.string(), StoredServer) });
type StoredFile = z.infer<typeof StoredFile>;

const StatusFile = z.object({
  lastSuccess: z
    .object({ at: z.string(), snapshotId: z.string(), durationSeconds: z.number(), bytesAdded: z.number(), accounts: z.number(), kind: z.string() })
    .nullable(),
  lastError: z.object({ at: z.string(), message: z.string(), kind: z.string() }).nullable(),
  lastRun: z.object({ ok: z.boolean() }).nullable().optional(),
});

const ResticSnapshot = z.object({
  time: z.string(),
  id: z.string(),
  short_id: z.string(),
  paths: z.array(z.string()),
  tags: z.array(z.string()).nullable().optional(),
});

export interface ScriptResult {
  result: Record<string, unknown>;
  stdout: string;
}

interface HeadLine {
  did: string;
  cid: string;
  rev: string;
  records: number;
}


export class BackupService {
  readonly #secrets: SecretStore;
  readonly #redactor: Redactor;
  readonly #file: string;
  #queue: Promise<unknown> = Promise.resolve();
  #problem: { message: string; keptAt: string } | null = null;

  constructor(opts: { dataDir: string; secrets: SecretStore; redactor: Redactor }) {
    this.#secrets = opts.secrets;
    this.#redactor = opts.redactor;
    this.#file = join(opts.dataDir, 'backups.json');
  }

  /**
   * backups.json as config.json is treated: a file Hearth cannot read (torn, corrupted, or written
   * by a newer Hearth) is moved aside unchanged, never overwritten, and said in a banner (see
   * problem()); Hearth goes on with no backup targets rather than failing every backup call.
   */
  async #load(): Promise<StoredFile> {
    const empty = (): StoredFile => ({ version: 1, servers: {} });
    const text = await readFile(this.#file, 'utf8').catch((err: NodeJS.ErrnoException) => {
      if (err.code === 'ENOENT') return null;
      throw err;
    });
    if (!text) return empty();
    let data: unknown;
    try {
      data = JSON.parse(text);
    } catch {
      await this.#keepAside(text, 'corrupt', 'Hearth could not read its backup settings file (it is not valid JSON).');
      return empty();
    }
    const version = (data as { version?: unknown } | null)?.version;
    if (typeof version === 'number' && version > 1) {
      await this.#keepAside(text, `v${version}`, `The backup settings file was written by a newer version of Hearth (format ${version}; this version reads 1).`);
      return empty();
    }
    const parsed = StoredFile.safeParse(data);
    if (!parsed.success) {
      await this.#keepAside(text, 'invalid', `Hearth's backup settings file has values it does not understand (${describeIssues(parsed.error)}).`);
      return empty();
    }
    return parsed.data;
  }

  async #keepAside(text: string, tag: string, reason: string): Promise<void> {
    // Two calls may read the damaged file at once: the first moves it, the other finds it gone
    // (or already replaced by a new save) and leaves it alone.
    if ((await readFile(this.#file, 'utf8').catch(() => null)) !== text) return;
    const keptAt = `${this.#file}.${tag}-${new Date().toISOString().replace(/[:.]/g, '-')}`;
    try {
      await rename(this.#file, keptAt);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
      throw err;
    }
    this.#problem = {
      message: `${reason} It was kept unchanged at ${keptAt}; set up the backup targets again. The backups in the store are untouched, and their repository passwords are still in the keychain (setting a target up again uses the same one).`,
      keptAt,
    };
  }

  /** The damaged backup settings file found since Hearth started, if any (for the banner). */
  async problem(): Promise<{ message: string; keptAt: string } | null> {
    await this.#load();
    return this.#problem;
  }

  async #save(file: StoredFile): Promise<void> {
    await writeFileAtomic(this.#file, `${JSON.stringify(file, null, 2)}\n`);
  }

  async stored(serverId: string): Promise<z.infer<typeof StoredServer> | null> {
    return (await this.#load()).servers[serverId] ?? null;
  }

  async overview(host: BackupHost): Promise<BackupOverview> {
    const stored = await this.stored(host.serverId);
    const hasSecret = stored ? (await this.#secrets.get(secretAccount(host.serverId, S3_SECRET))) !== null : false;
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
    const parsed = StatusFile.safeParse(JSON.parse(text));
    if (!parsed.success) return null;
    const { lastSuccess, lastError, lastRun } = parsed.data;
    return { lastSuccess, lastError, failing: lastRun ? !lastRun.ok : false };
  }

  async testConnection(serverId: string, target: BackupTargetFields, secret?: string, signal?: AbortSignal): Promise<{ ok: true; ms: number }> {
    const key = secret ?? (await this.#secrets.get(secretAccount(serverId, S3_SECRET)));
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
      const secretName = secretAccount(host.serverId, S3_SECRET);
      const key = secret ?? (await this.#secrets.get(secretName));
      if (!key) throw new HearthError('VALIDATION', 'Enter the secret key of the store.', '');
      this.#redactor.register(key);
      await probeTarget(target, key, ctx?.signal).catch((err: unknown) => {
        throw explainS3Error(err, target);
      });
      if (secret) await this.#secrets.set(secretName, secret);
      const passwordName = secretAccount(host.serverId, RESTIC_PASSWORD);
      if (!(await this.#secrets.get(passwordName))) await this.#secrets.set(passwordName, randomBytes(32).toString('base64url'));
      const file = await this.#load();
      file.servers[host.serverId] = { target, schedule };
      await this.#save(file);
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
      const stored = await this.#required(fromId);
      for (const name of [S3_SECRET, RESTIC_PASSWORD]) {
        const shared = await shareSecret(this.#secrets, name, fromId, toId);
        if (shared === 'missing') throw new HearthError('NOT_FOUND', 'The backup secrets are missing from the keychain.', 'Without the repository password the backups cannot be read; restore the keychain from its own backup.');
        if (shared === 'different') {
          throw new HearthError('CONFLICT', 'The new server already has other backup settings.', 'Pick an empty server, or forget that server in Hearth and connect it again.');
        }
      }
      const file = await this.#load();
      file.servers[toId] = stored;
      await this.#save(file);
    });
  }

  /** Drops a server's backup settings from this computer (its keychain entries are the caller's business). */
  async forgetTarget(serverId: string): Promise<void> {
    return this.#serialize(async () => {
      const file = await this.#load();
      if (!(serverId in file.servers)) return;
      delete file.servers[serverId];
      await this.#save(file);
    });
  }

  /** How restic on this computer reaches the repository (for "Download to this computer"). */
  async resticAccess(serverId: string): Promise<{ repository: string; options: string[]; env: Record<string, string> }> {
    const { target } = await this.#required(serverId);
    const secrets = await this.#secretEnv(serverId);
    return {
      repository: repositoryUrl(target),
      options: [...(target.pathStyle ? ['-o', 's3.bucket-lookup=path'] : []), ...(target.region ? ['-o', `s3.region=${target.region}`] : [])],
      env: { AWS_ACCESS_KEY_ID: target.accessKeyId, AWS_SECRET_ACCESS_KEY: secrets.AWS_SECRET_ACCESS_KEY, RESTIC_PASSWORD: secrets.RESTIC_PASSWORD },
    };
  }

  /** The scripts' settings file; on this computer it holds no secret (they come in the environment). */
  async writeSettings(host: BackupHost): Promise<void> {
    const { target, schedule } = await this.#required(host.serverId);
    const repository = repositoryUrl(target);
    const values: Record<string, string> = {
      PDS_DATA_DIR: host.pdsDataDir,
      PDS_BLOBS_DIR: host.pdsBlobsDir,
      PDS_ENV_FILE: host.pdsEnvFile,
      RESTIC_REPOSITORY: repository,
      AWS_ACCESS_KEY_ID: target.accessKeyId,
      HEARTH_S3_PATH_STYLE: target.pathStyle ? '1' : '0',
      HEARTH_S3_REGION: target.region,
      HEARTH_STATE_DIR: host.stateDir,
      HEARTH_KEEP_DAILY: String(schedule.keepDaily),
      HEARTH_KEEP_WEEKLY: String(schedule.keepWeekly),
      HEARTH_KEEP_MONTHLY: String(schedule.keepMonthly),
    };
    if (!host.runner.local) Object.assign(values, await this.#secretEnv(host.serverId));
    const text = shellSettingsFile(`Written by Hearth. Backup settings for ${host.name}.`, values);
    await host.runner.writeFile(host.envFile, text, 0o600);
  }

  async #secretEnv(serverId: string): Promise<{ RESTIC_PASSWORD: string; AWS_SECRET_ACCESS_KEY: string }> {
    const password = await this.#secrets.get(secretAccount(serverId, RESTIC_PASSWORD));
    const s3 = await this.#secrets.get(secretAccount(serverId, S3_SECRET));
    if (!password || !s3) {
      throw new HearthError('NOT_FOUND', 'The backup secrets are missing from the keychain.', 'Set up the backup target again (the repository password cannot be made anew for existing backups).');
    }
    return { RESTIC_PASSWORD: password, AWS_SECRET_ACCESS_KEY: s3 };
  }

  /** The scripts' environment: where their settings are, and on this computer the secrets too. */
  async #scriptEnv(host: BackupHost): Promise<Record<string, string>> {
    return { HEARTH_BACKUP_ENV: host.envFile, ...(host.runner.local ? await this.#secretEnv(host.serverId) : {}) };
  }

  async #required(serverId: string) {
    const stored = await this.stored(serverId);
    if (!stored) throw new HearthError('NOT_FOUND', 'No backup target is set up for this server.', 'Set up a backup target first.');
    return stored;
  }

  /** Runs one host script; "progress" lines become job progress, a failure a HearthError in plain words. */
  async runScript(host: BackupHost, script: string, args: string[], ctx?: JobContext, progress?: [number, number]): Promise<ScriptResult> {
    await this.#required(host.serverId);
    const env = await this.#scriptEnv(host);
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
    const resultLine = result.stdout.split('\n').find((l) => l.startsWith('result '));
    if (result.code !== 0 || !resultLine) {
      const said = result.stderr
        .split('\n')
        .filter((l) => l.startsWith('hearth: '))
        .pop()
        ?.slice('hearth: '.length);
      const message = this.#redactor.redact(said ?? (result.stderr.trim().split('\n').pop() || `${script} failed (exit ${result.code})`));
      throw scriptError(result.code, message);
    }
    return { result: JSON.parse(resultLine.slice('result '.length)) as Record<string, unknown>, stdout: result.stdout };
  }

  async #restic(host: BackupHost, args: string[]): Promise<string> {
    const res = await host.runner.run(join(host.scriptsDir, 'hearth-backup-restic.sh'), args, { env: await this.#scriptEnv(host) });
    if (res.code !== 0) {
      const last = res.stderr.trim().split('\n').filter(Boolean);
      const text = last.join(' ');
      const code = /connection refused|no such host|dial tcp|i\/o timeout/.test(text) ? 3 : /wrong password|bucket does not exist|signature|Access Key/i.test(text) ? 4 : 1;
      throw scriptError(code, this.#redactor.redact(last.find((l) => l.startsWith('Fatal:')) ?? last.pop() ?? 'restic failed'));
    }
    return res.stdout;
  }

  async snapshots(host: BackupHost): Promise<Snapshot[]> {
    await this.#required(host.serverId);
    const raw = z.array(ResticSnapshot).parse(JSON.parse((await this.#restic(host, ['snapshots', '--json', '--tag', 'hearth'])) || '[]'));
    const history = new Map(
      ((await host.runner.readFile(join(host.stateDir, 'history.tsv'))) ?? '')
        .split('\n')
        .map((l) => l.split('\t'))
        .filter((p): p is [string, string] => p.length === 2)
        .map(([id, added]) => [id, Number(added)] as const),
    );
    const tag = (s: z.infer<typeof ResticSnapshot>, name: string) => {
      const t = s.tags?.find((x) => x.startsWith(`${name}=`));
      return t ? t.slice(name.length + 1) : null;
    };
    const num = (v: string | null) => (v === null || !/^\d+$/.test(v) ? null : Number(v));
    return raw
      .map((s) => ({
        id: s.id,
        shortId: s.short_id,
        time: new Date(s.time).toISOString(),
        kind: tag(s, 'kind') ?? 'scheduled',
        accounts: num(tag(s, 'accounts')),
        records: num(tag(s, 'records')),
        size: num(tag(s, 'bytes')),
        bytesAdded: history.get(s.short_id) ?? history.get(s.id) ?? null,
      }))
      .sort((a, b) => b.time.localeCompare(a.time));
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

  async #snapshot(host: BackupHost, snapshotId: string): Promise<Snapshot> {
    const found = (await this.snapshots(host)).find((s) => s.id === snapshotId || s.shortId === snapshotId);
    if (!found) throw new HearthError('NOT_FOUND', `Snapshot ${snapshotId} is not in the backup store.`, 'Refresh the list of snapshots.');
    return found;
  }

  async #manifest(host: BackupHost, snapshotId: string): Promise<HeadLine[]> {
    const raw = z.array(ResticSnapshot).parse(JSON.parse(await this.#restic(host, ['snapshots', '--json', snapshotId])));
    const path = raw[0]?.paths[0];
    if (!path) throw new HearthError('NOT_FOUND', `Snapshot ${snapshotId} is not in the backup store.`, 'Refresh the list of snapshots.');
    return parseHeads(await this.#restic(host, ['dump', snapshotId, `${path}/manifest.tsv`]));
  }

  async #liveHeads(host: BackupHost): Promise<{ accounts: number; heads: HeadLine[] }> {
    const res = await host.runner.run(join(host.scriptsDir, 'hearth-restore.sh'), ['heads'], { env: await this.#scriptEnv(host) });
    if (res.code !== 0) throw scriptError(res.code, this.#redactor.redact(res.stderr.trim() || 'could not read the live data'));
    const [first = '', ...rest] = res.stdout.split('\n');
    return { accounts: Number(first.replace('accounts ', '')) || 0, heads: parseHeads(rest.join('\n')) };
  }

  async restorePlan(host: BackupHost, snapshotId: string): Promise<RestorePlan> {
    await this.writeSettings(host);
    const snapshot = await this.#snapshot(host, snapshotId);
    const [then, now] = [await this.#manifest(host, snapshot.id), await this.#liveHeads(host)];
    const nowBy = new Map(now.heads.map((h) => [h.did, h]));
    const thenBy = new Map(then.map((h) => [h.did, h]));
    const dids = [...new Set([...nowBy.keys(), ...thenBy.keys()])].sort();
    const sum = (hs: HeadLine[]) => hs.reduce((n, h) => n + h.records, 0);
    return {
      snapshot,
      now: { accounts: now.accounts, records: sum(now.heads) },
      then: { accounts: snapshot.accounts ?? then.length, records: sum(then) },
      repos: dids.map((did) => {
        const a = nowBy.get(did);
        const b = thenBy.get(did);
        return {
          did,
          now: a ? { rev: a.rev, records: a.records } : null,
          snapshot: b ? { rev: b.rev, records: b.records } : null,
          change: !b ? 'removed' : !a ? 'returns' : a.cid === b.cid ? 'same' : 'reverted',
        };
      }),
      confirmName: host.name,
    };
  }

  /**
   * Restores a snapshot: safety snapshot, stop, swap, start, checks (health, accounts, every repo's
   * latest commit over XRPC). Any failure after the swap rolls back to the very same files.
   */
  async restore(host: BackupHost, ctx: JobContext, snapshotId: string): Promise<{ safetySnapshotId: string; accounts: number }> {
    return this.#serialize(async () => {
      await this.writeSettings(host);
      const snapshot = await this.#snapshot(host, snapshotId);
      const expected = await this.#manifest(host, snapshot.id);
      ctx.log(`Restoring snapshot ${snapshot.shortId} from ${snapshot.time}.`);
      // An earlier restore cut off half-way is undone first (its state file says where it stopped).
      await this.#rollbackIfInterrupted(host, ctx);
      const prepared = await this.runScript(host, 'hearth-restore.sh', ['prepare', snapshot.id], ctx, [0, 0.5]);
      const safety = String(prepared.result.safetySnapshotId ?? '');
      ctx.log(`Safety snapshot ${safety} holds the data from just before the restore.`);
      throwIfCancelled(ctx.signal);
      try {
        ctx.progress(0.55, 'Stopping the PDS');
        await host.pds.stop(ctx);
        await this.runScript(host, 'hearth-restore.sh', ['swap'], ctx, [0.55, 0.65]);
        ctx.progress(0.7, 'Starting the PDS');
        await host.pds.start(ctx);
        ctx.progress(0.85, 'Checking the restored data');
        await this.runScript(host, 'hearth-restore.sh', ['check'], ctx, [0.85, 0.9]);
        await this.#checkHeadsOverXrpc(host, expected, ctx);
        await this.runScript(host, 'hearth-restore.sh', ['finish'], ctx, [0.95, 1]);
        ctx.progress(1, 'Restored');
        return { safetySnapshotId: safety, accounts: Number(prepared.result.accounts ?? 0) };
      } catch (err) {
        const why = err instanceof HearthError ? err.message : err instanceof Error ? err.message : String(err);
        ctx.log(`Restore failed: ${this.#redactor.redact(why)}. Rolling back.`, 'error');
        await this.#rollback(host, ctx);
        throw new HearthError(
          'INTERNAL',
          `The restore did not work (${this.#redactor.redact(why)}), so Hearth put the server back exactly as it was before. Nothing was lost.`,
          `The data from before the restore is also in safety snapshot ${safety.slice(0, 8)}. Try again, or restore another snapshot.`,
        );
      }
    });
  }

  async #rollback(host: BackupHost, ctx: JobContext): Promise<void> {
    // Rolling back must not be cancelled half-way: use a context whose signal never fires.
    const steady = steadyContext(ctx);
    await host.pds.stop(steady).catch(() => undefined);
    await this.runScript(host, 'hearth-restore.sh', ['rollback'], steady);
    await host.pds.start(steady);
    ctx.log('Rolled back: the server has its data from before the restore.', 'warn');
  }

  async #rollbackIfInterrupted(host: BackupHost, ctx: JobContext): Promise<void> {
    const state = await host.runner.readFile(join(host.stateDir, 'restore-state'));
    if (!state?.trim()) return;
    ctx.log(`An earlier restore stopped half-way (${state.trim()}); undoing it first.`, 'warn');
    await this.#rollback(host, ctx);
  }

  async #checkHeadsOverXrpc(host: BackupHost, expected: HeadLine[], ctx: JobContext): Promise<void> {
    const base = await host.pdsUrl();
    const fetch = host.fetch ?? globalThis.fetch;
    // A PDS started by systemd answers after a few seconds (Caddy says 502 meanwhile).
    const deadline = Date.now() + HEALTH_WAIT_MS;
    for (;;) {
      const health = await fetch(`${base}/xrpc/_health`, { signal: AbortSignal.any([ctx.signal, AbortSignal.timeout(10_000)]) }).catch((err: unknown) => {
        throwIfCancelled(ctx.signal);
        return { ok: false, status: err instanceof Error ? err.message : String(err) };
      });
      if (health.ok) break;
      if (Date.now() > deadline || host.pds.running?.() === false) throw new HearthError('UNAVAILABLE', `the PDS is not healthy after the restore (${String(health.status)})`, '');
      await new Promise((resolve) => setTimeout(resolve, 1_000));
    }
    for (const head of expected) {
      const res = await fetch(`${base}/xrpc/com.atproto.sync.getLatestCommit?did=${encodeURIComponent(head.did)}`, {
        signal: AbortSignal.any([ctx.signal, AbortSignal.timeout(10_000)]),
      });
      const body = (await res.json().catch(() => null)) as { cid?: string; rev?: string } | null;
      if (!res.ok || body?.cid !== head.cid || body.rev !== head.rev) {
        throw new HearthError('INTERNAL', `repository ${head.did} does not have the snapshot's latest commit`, '');
      }
    }
    ctx.log(`All ${expected.length} repositories have the snapshot's latest commit.`);
  }

  #serialize<T>(op: () => Promise<T>): Promise<T> {
    const next = this.#queue.then(op, op);
    this.#queue = next.catch(() => undefined);
    return next;
  }
}

function repositoryUrl(target: BackupTargetFields): string {
  const prefix = target.prefix.replace(/^\/+|\/+$/g, '');
  return `s3:${target.endpoint.replace(/\/+$/, '')}/${target.bucket}${prefix ? `/${prefix}` : ''}`;
}

function parseHeads(text: string): HeadLine[] {
  return text
    .split('\n')
    .map((l) => l.split('\t'))
    .filter((p) => p.length >= 4 && p[0])
    .map(([did = '', cid = '', rev = '', records = '0']) => ({ did, cid, rev, records: Number(records) }));
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
