import type { Services } from '../services.ts';

const DAY_MS = 24 * 60 * 60 * 1000;

/**
 * Why destroying this server now could lose accounts, or null when a backup newer than 24 hours
 * exists: read from the backup status on the server itself.
 */
export async function backupWarning(services: Services, serverId: string, now = Date.now()): Promise<string | null> {
  const server = services.servers.list().find((s) => s.id === serverId);
  const name = server?.name ?? 'This server';
  if (!server?.install) return null; // No PDS there: nothing to lose.
  if (!(await services.backups.service.stored(serverId))) {
    return `${name} has no backups set up: destroying it deletes every account on it for good. Set up backups on the Backups screen first.`;
  }
  try {
    const status = await services.backups.service.status(await services.backups.hostFor(serverId));
    const last = status?.lastSuccess ? Date.parse(status.lastSuccess.at) : NaN;
    if (Number.isNaN(last)) return `${name} has never been backed up: destroying it deletes every account on it for good. Press “Back up now” on the Backups screen first.`;
    if (now - last > DAY_MS) {
      return `The newest backup of ${name} is from ${new Date(last).toUTCString()}, more than 24 hours ago: everything written since would be lost. Press “Back up now” on the Backups screen first.`;
    }
    return null;
  } catch (err) {
    return `Hearth could not read the backup status of ${name} (${err instanceof Error ? err.message : String(err)}), so it cannot tell whether a backup newer than 24 hours exists: without one, every account on it would be lost for good.`;
  }
}
