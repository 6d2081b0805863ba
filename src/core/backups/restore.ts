/**
 * Restoring a snapshot onto a server: the plan shown before (what each repository goes back to),
 * and the restore itself with its safety snapshot, checks and rollback.
 */
import { join } from 'node:path';
import type { RestorePlan, Snapshot } from '../../shared/contract/backups.ts';
import { HearthError } from '../../shared/errors.ts';
import { steadyContext, throwIfCancelled, type JobContext } from '../jobs/job-context.ts';
import type { Redactor } from '../log/redact.ts';
import type { BackupHost } from './backup-host.ts';
import { parseHeads, parseResticSnapshots, type HeadLine } from './restic-output.ts';
import type { ScriptRunner } from './script-runner.ts';

/** How long a restarted PDS gets to answer its health check before the restore is rolled back. */
const HEALTH_WAIT_MS = 120_000;

export interface RestoreDeps {
  scripts: ScriptRunner;
  redactor: Redactor;
  snapshots(host: BackupHost): Promise<Snapshot[]>;
  /** Writes the scripts' settings file (the service's writeSettings). */
  writeSettings(host: BackupHost): Promise<void>;
}

export async function restorePlan(deps: RestoreDeps, host: BackupHost, snapshotId: string): Promise<RestorePlan> {
  await deps.writeSettings(host);
  const snapshot = await findSnapshot(deps, host, snapshotId);
  const [then, now] = [await manifest(deps, host, snapshot.id), await deps.scripts.liveHeads(host)];
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
export interface RestoreOptions {
  /**
   * Restoring onto a server that is not the one the snapshot came from (disaster recovery): the
   * old one's last sequence numbers are unknown, so the firehose goes on this far beyond the
   * snapshot's own (hearth-restore.sh keep_sequence_ahead). A restore in place needs none: the
   * data it replaces says how far the sequence went.
   */
  sequenceMargin?: number;
}

export async function restoreSnapshot(
  deps: RestoreDeps,
  host: BackupHost,
  ctx: JobContext,
  snapshotId: string,
  options: RestoreOptions = {},
): Promise<{ safetySnapshotId: string; accounts: number }> {
  const { scripts, redactor } = deps;
  await deps.writeSettings(host);
  const snapshot = await findSnapshot(deps, host, snapshotId);
  const expected = await manifest(deps, host, snapshot.id);
  ctx.log(`Restoring snapshot ${snapshot.shortId} from ${snapshot.time}.`);
  // An earlier restore cut off half-way is undone first (its state file says where it stopped).
  await rollbackIfInterrupted(scripts, host, ctx);
  const prepared = await scripts.run(host, 'hearth-restore.sh', ['prepare', snapshot.id], ctx, [0, 0.5]);
  const safety = String(prepared.result.safetySnapshotId ?? '');
  ctx.log(`Safety snapshot ${safety} holds the data from just before the restore.`);
  throwIfCancelled(ctx.signal);
  try {
    ctx.progress(0.55, 'Stopping the PDS');
    await host.pds.stop(ctx);
    const margin = options.sequenceMargin ?? 0;
    if (!Number.isSafeInteger(margin) || margin < 0) throw new HearthError('VALIDATION', 'The sequence margin must be a whole number.', '');
    await scripts.run(host, 'hearth-restore.sh', ['swap', String(margin)], ctx, [0.55, 0.65]);
    ctx.progress(0.7, 'Starting the PDS');
    await host.pds.start(ctx);
    ctx.progress(0.85, 'Checking the restored data');
    await scripts.run(host, 'hearth-restore.sh', ['check'], ctx, [0.85, 0.9]);
    await checkHeadsOverXrpc(host, expected, ctx);
    await scripts.run(host, 'hearth-restore.sh', ['finish'], ctx, [0.95, 1]);
    ctx.progress(1, 'Restored');
    return { safetySnapshotId: safety, accounts: Number(prepared.result.accounts ?? 0) };
  } catch (err) {
    const why = err instanceof HearthError ? err.message : err instanceof Error ? err.message : String(err);
    ctx.log(`Restore failed: ${redactor.redact(why)}. Rolling back.`, 'error');
    await rollback(scripts, host, ctx);
    throw new HearthError(
      'INTERNAL',
      `The restore did not work (${redactor.redact(why)}), so Hearth put the server back exactly as it was before. Nothing was lost.`,
      `The data from before the restore is also in safety snapshot ${safety.slice(0, 8)}. Try again, or restore another snapshot.`,
    );
  }
}

async function findSnapshot(deps: RestoreDeps, host: BackupHost, snapshotId: string): Promise<Snapshot> {
  const found = (await deps.snapshots(host)).find((s) => s.id === snapshotId || s.shortId === snapshotId);
  if (!found) throw new HearthError('NOT_FOUND', `Snapshot ${snapshotId} is not in the backup store.`, 'Refresh the list of snapshots.');
  return found;
}

/** The repositories a snapshot holds and their latest commits (its manifest.tsv). */
async function manifest(deps: RestoreDeps, host: BackupHost, snapshotId: string): Promise<HeadLine[]> {
  const raw = parseResticSnapshots(await deps.scripts.restic(host, ['snapshots', '--json', snapshotId]));
  const path = raw[0]?.paths[0];
  if (!path) throw new HearthError('NOT_FOUND', `Snapshot ${snapshotId} is not in the backup store.`, 'Refresh the list of snapshots.');
  return parseHeads(await deps.scripts.restic(host, ['dump', snapshotId, `${path}/manifest.tsv`]));
}

async function rollback(scripts: ScriptRunner, host: BackupHost, ctx: JobContext): Promise<void> {
  // Rolling back must not be cancelled half-way: use a context whose signal never fires.
  const steady = steadyContext(ctx);
  await host.pds.stop(steady).catch(() => undefined);
  await scripts.run(host, 'hearth-restore.sh', ['rollback'], steady);
  await host.pds.start(steady);
  ctx.log('Rolled back: the server has its data from before the restore.', 'warn');
}

async function rollbackIfInterrupted(scripts: ScriptRunner, host: BackupHost, ctx: JobContext): Promise<void> {
  const state = await host.runner.readFile(join(host.stateDir, 'restore-state'));
  if (!state?.trim()) return;
  ctx.log(`An earlier restore stopped half-way (${state.trim()}); undoing it first.`, 'warn');
  await rollback(scripts, host, ctx);
}

async function checkHeadsOverXrpc(host: BackupHost, expected: HeadLine[], ctx: JobContext): Promise<void> {
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
