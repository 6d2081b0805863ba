import { HearthError } from '../../shared/errors.ts';
import type { JobContext } from '../jobs/job-context.ts';
import type { ServiceHandlers, Services } from '../services.ts';
import { downloadSnapshot } from './download.ts';
import { assertRecoverable, recoverOnto } from './recover.ts';
import { DEFAULT_SCHEDULE, type BackupHost } from './service.ts';

/**
 * The Backups screen's calls. Long operations (backup, verify, restore, download) are jobs; the
 * S3 secret arrives from the form once and goes straight to the keychain, never back out.
 */
export function backupsHandlers(services: Services): ServiceHandlers<'backups'> {
  const { service } = services.backups;
  const hostFor = (serverId: string) => services.backups.hostFor(serverId);

  const job = (serverId: string, kind: string, title: string, run: (ctx: JobContext, host: BackupHost) => Promise<unknown>) => {
    const server = services.servers.get(serverId);
    const { id } = services.jobs.start({
      kind,
      target: server.name,
      title,
      // A download only reads the store; everything else works on the server (one at a time).
      ...(kind !== 'backups.download' && { locks: [{ id: serverId, name: server.name }] }),
      run: async (ctx) => {
        try {
          await run(ctx, await hostFor(serverId));
        } finally {
          services.bus.emit('backups.changed', { serverId });
        }
      },
    });
    return { jobId: id };
  };

  return {
    'backups.get': async ({ serverId }) => service.overview(await hostFor(serverId)),

    // Setup installs restic on the server and creates the repository: minutes on a fresh server,
    // longer than a window waits for a call. A job, so it has progress, a log and cancel.
    'backups.configure': async ({ serverId, secretAccessKey, schedule, ...target }) => {
      const stored = await service.stored(serverId);
      return job(serverId, 'backups.configure', 'Set up backups', async (ctx, host) => {
        ctx.progress(0.02, 'Checking the backup store');
        await service.configure(host, target, secretAccessKey, schedule ?? stored?.schedule ?? DEFAULT_SCHEDULE, ctx);
        ctx.log('Backups are set up: the secret key and the repository password are in the keychain, the repository is ready.');
      });
    },

    'backups.testConnection': async ({ serverId, secretAccessKey, ...target }) => {
      services.servers.get(serverId);
      return service.testConnection(serverId, target, secretAccessKey);
    },

    'backups.snapshots': async ({ serverId }) => service.snapshots(await hostFor(serverId)),

    'backups.backupNow': async ({ serverId }) =>
      job(serverId, 'backups.backup', 'Back up now', async (ctx, host) => {
        const result = await service.backup(host, ctx);
        ctx.log(`Snapshot ${String(result.snapshotId)} saved: ${String(result.accounts)} accounts, ${String(result.bytesAdded)} new bytes uploaded.`);
      }),

    'backups.verify': async ({ serverId, snapshotId }) =>
      job(serverId, 'backups.verify', 'Verify backups', async (ctx, host) => {
        const result = await service.verify(host, ctx, snapshotId);
        ctx.log(`Snapshot ${String(result.snapshotId)} verified: ${String(result.databases)} databases pass integrity_check, ${String(result.accounts)} accounts.`);
      }),

    'backups.restorePlan': async ({ serverId, snapshotId }) => service.restorePlan(await hostFor(serverId), snapshotId),

    'backups.restore': async ({ serverId, snapshotId, confirmName }) => {
      const server = services.servers.get(serverId);
      if (confirmName.trim() !== server.name) {
        throw new HearthError('VALIDATION', 'The name typed does not match the server’s name.', `Type “${server.name}” exactly to confirm the restore.`);
      }
      return job(serverId, 'backups.restore', `Restore snapshot ${snapshotId.slice(0, 8)}`, async (ctx, host) => {
        const result = await service.restore(host, ctx, snapshotId);
        ctx.log(`Restored. ${result.accounts} accounts; every repository has the snapshot's latest commit. Safety snapshot: ${result.safetySnapshotId}.`);
      });
    },

    'backups.recover': async ({ serverId, fromServerId, ...request }) => {
      const { from, to } = assertRecoverable(services, fromServerId, serverId);
      const keychain = await services.secrets.probe();
      if (!keychain.available) throw new HearthError('NO_KEYCHAIN', 'Restoring onto a new server needs the system keychain (the old server’s secrets are there).', keychain.message);
      const { id } = services.jobs.start({
        kind: 'backups.recover',
        target: to.name,
        title: `Restore ${from.name} onto ${to.name}`,
        locks: [
          { id: serverId, name: to.name },
          { id: fromServerId, name: from.name },
        ],
        run: async (ctx) => {
          try {
            await recoverOnto(services, { serverId, fromServerId, ...request }, ctx);
          } finally {
            services.bus.emit('backups.changed', { serverId });
            services.bus.emit('backups.changed', { serverId: fromServerId });
          }
        },
      });
      return { jobId: id };
    },

    'backups.moveStatus': async ({ serverId }) => services.backups.moveStatus(serverId),

    'backups.download': async ({ serverId, snapshotId }) =>
      job(serverId, 'backups.download', `Download snapshot ${snapshotId.slice(0, 8)}`, async (ctx, host) => {
        const where = await downloadSnapshot(service, host, snapshotId, ctx, services.downloadsDir);
        ctx.log(`Downloaded to ${where} (still encrypted with the repository password, which stays in the keychain).`);
      }),
  };
}
