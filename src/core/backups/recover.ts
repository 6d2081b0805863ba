/**
 * Disaster recovery: the PDS of one server, from its backups, onto another (an empty server over
 * SSH, or a new droplet). The new server gets the same hostname and the same secrets (JWT secret,
 * PLC rotation key, admin password) from the keychain, so no DID needs a PLC operation: once the
 * name points at the new server, every identity resolves there and every old password and
 * session works. Each step can be run again: a second run finishes or repeats the work.
 */
import { HearthError } from '../../shared/errors.ts';
import type { Server } from '../../shared/contract/servers.ts';
import { tunnelFetch } from '../hosts/https-probe.ts';
import type { InstallRequest } from '../hosts/index.ts';
import { jobPart, steadyContext, throwIfCancelled, type JobContext } from '../jobs/job-context.ts';
import { PDS_SECRET_NAMES, SMTP_URL_SECRET } from '../secrets/names.ts';
import { shareSecret } from '../secrets/secret-store.ts';
import type { Services } from '../services.ts';
import type { BackupHost } from './service.ts';

export type RecoverRequest = Omit<InstallRequest, 'hostname' | 'plcUrl' | 'pdsVersion' | 'smtpUrl' | 'emailFrom'> & {
  fromServerId: string;
  serverId: string;
  finalBackup: boolean;
};

/** Snapshots that hold the data as it was, not a safety copy taken around a restore. */
const isRestorable = (kind: string) => kind !== 'pre-restore';

export function assertRecoverable(services: Services, fromServerId: string, serverId: string): { from: Server; to: Server; hostname: string } {
  const from = services.servers.get(fromServerId);
  const to = services.servers.get(serverId);
  if (from.id === to.id) throw new HearthError('VALIDATION', 'Pick another server to restore onto.', 'Disaster recovery puts the PDS onto a new, empty server.');
  const hostname = from.install?.hostname;
  if (!hostname) {
    throw new HearthError(
      'VALIDATION',
      `${from.name} has no PDS hostname Hearth knows.`,
      from.kind === 'sandbox' ? 'The sandbox lives on this computer; its accounts cannot move to a server.' : 'Install or adopt the PDS on it first.',
    );
  }
  if (!to.ssh) throw new HearthError('VALIDATION', `${to.name} is not reached over SSH.`, 'Connect the new server first with "Connect my server".');
  if (to.install && to.install.hostname !== hostname) {
    throw new HearthError('CONFLICT', `${to.name} already runs a PDS for ${to.install.hostname}.`, 'Restore onto an empty server: Hearth will not overwrite another PDS.');
  }
  return { from, to, hostname };
}

/** The same PDS secrets (and mail settings) for the new server; an existing different set stops everything. */
async function shareSecrets(services: Services, fromId: string, toId: string, ctx: JobContext): Promise<void> {
  const copied: string[] = [];
  for (const name of [...PDS_SECRET_NAMES, SMTP_URL_SECRET]) {
    const shared = await shareSecret(services.secrets, name, fromId, toId);
    if (shared === 'missing' && name !== SMTP_URL_SECRET) {
      throw new HearthError(
        'NOT_FOUND',
        `The old server's ${name.replace(/-/g, ' ')} is not in the keychain.`,
        'Without it the accounts cannot move with their DIDs and passwords. Restore the keychain from its own backup, then try again.',
      );
    }
    if (shared === 'different') {
      throw new HearthError('CONFLICT', `The new server already has a different ${name.replace(/-/g, ' ')} in the keychain.`, 'Pick an empty server, or forget that server in Hearth and connect it again.');
    }
    if (shared === 'copied') copied.push(name);
  }
  ctx.log(copied.length ? `Gave the new server the old server's secrets from the keychain: ${copied.join(', ')}.` : 'The new server already has the old server’s secrets.');
}

/**
 * The new server's BackupHost, with its PDS reached through SSH on its own loopback port: the
 * hostname still points at the old server (or nowhere) until the user moves it.
 */
async function tunneledHost(services: Services, to: Server): Promise<BackupHost> {
  const host = await services.backups.hostFor(to.id);
  const pdsPort = services.servers.get(to.id).install?.pdsPort ?? 3000;
  const tunnel = tunnelFetch(await services.hosts.session(to.id), pdsPort);
  return { ...host, pdsUrl: async () => tunnel.url, fetch: tunnel.fetch };
}

/**
 * How far past a snapshot's last firehose sequence number a recovery without a last backup
 * starts: relays ignore events at or below the number they last saw, and a lost server may have
 * given out many after its last backup (a busy PDS, a backup a day). Numbers are 64-bit and gaps
 * are allowed, so a generous jump costs nothing.
 */
export const RECOVERY_SEQUENCE_MARGIN = 1_000_000;

export async function recoverOnto(services: Services, request: RecoverRequest, ctx: JobContext): Promise<{ snapshotId: string; accounts: number }> {
  const { from, to, hostname } = assertRecoverable(services, request.fromServerId, request.serverId);
  const { service } = services.backups;
  const stored = await service.stored(from.id);
  if (!stored) throw new HearthError('NOT_FOUND', `${from.name} has no backups set up.`, 'Only a server with backups in a store can be restored onto a new one.');

  ctx.progress(0.01, 'Sharing the secrets and the backup store');
  await shareSecrets(services, from.id, to.id, ctx);
  await service.shareTarget(from.id, to.id);

  let oldStopped: BackupHost | null = null;
  try {
    if (request.finalBackup) {
      // The old server still answers: stop its PDS so nothing is written there any more, then
      // back it up. From here on, the newest data is in the store.
      ctx.progress(0.03, `Stopping the PDS on ${from.name} for a last backup`);
      const old = await services.backups.hostFor(from.id);
      // Set first: a stop cut off half-way is undone by starting it again (a no-op when it runs).
      oldStopped = old;
      await old.pds.stop(ctx).catch((err: unknown) => {
        throw new HearthError(
          'NETWORK',
          `Could not stop the PDS on ${from.name} for a last backup (${err instanceof Error ? err.message : String(err)}).`,
          `If ${from.name} is gone for good, start again without the last backup: the latest snapshot is restored instead.`,
        );
      });
      await service.backup(old, jobPart(ctx, 0.04, 0.12));
      ctx.log(`Took a last backup of ${from.name}; its PDS stays stopped so no post is written there any more.`);
    }
    throwIfCancelled(ctx.signal);

    const install = jobPart(ctx, 0.12, 0.6);
    install.log(`Installing the PDS for ${hostname} on ${to.name} with the same secrets.`);
    const { fromServerId: _from, serverId: _to, finalBackup: _final, ...ports } = request;
    await services.hosts.install(to.id, { ...ports, hostname, ...(from.plcUrl && { plcUrl: from.plcUrl }), ...(from.install?.pdsVersion && { pdsVersion: from.install.pdsVersion }) }, install, {
      moving: true,
    });
    throwIfCancelled(ctx.signal);

    ctx.progress(0.6, 'Setting up backups on the new server');
    const host = await tunneledHost(services, services.servers.get(to.id));
    await service.configure(host, stored.target, undefined, stored.schedule, jobPart(ctx, 0.6, 0.65));
    const latest = (await service.snapshots(host)).filter((s) => isRestorable(s.kind))[0];
    if (!latest) throw new HearthError('NOT_FOUND', `The backup store of ${from.name} holds no snapshot.`, 'Nothing can be restored from it.');
    ctx.log(`Restoring the latest snapshot, ${latest.shortId} from ${latest.time} (${latest.accounts ?? '?'} accounts).`);
    // After a last backup the snapshot holds every sequence number the old server gave out;
    // without one, the old server may have gone on after it: leave room (see RECOVERY_SEQUENCE_MARGIN).
    if (!request.finalBackup) ctx.log(`The firehose of ${to.name} starts ${RECOVERY_SEQUENCE_MARGIN.toLocaleString('en')} numbers past the snapshot's, beyond anything ${from.name} can have sent after it, so relays take the new posts.`);
    const restored = await service.restore(host, jobPart(ctx, 0.65, 0.98), latest.id, { sequenceMargin: request.finalBackup ? 0 : RECOVERY_SEQUENCE_MARGIN });
    const now = services.servers.get(to.id);
    await services.servers.upsert({ ...now, recoveredFrom: { serverId: from.id, name: from.name, at: new Date().toISOString() } });
    oldStopped = null;
    ctx.progress(1, 'Restored: now move the hostname to the new server');
    ctx.log(`${to.name} has the PDS of ${from.name}: ${restored.accounts} accounts. Point ${hostname} and *.${hostname} at ${to.ssh?.host ?? 'it'} to finish.`);
    return { snapshotId: latest.id, accounts: restored.accounts };
  } finally {
    // The move did not finish: the old server goes back to serving its accounts.
    if (oldStopped) {
      await oldStopped.pds.start(steadyContext(ctx)).then(
        () => ctx.log(`Started the PDS on ${from.name} again: it keeps serving its accounts.`, 'warn'),
        () => ctx.log(`Could not start the PDS on ${from.name} again; start it there with "systemctl start pds".`, 'error'),
      );
    }
  }
}
