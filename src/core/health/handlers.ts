import type { Server, ServerHealth } from '../../shared/contract/servers.ts';
import type { ServiceHandlers, Services } from '../services.ts';
import { backupStatusReader } from './backup-status.ts';
import { probeHealth } from './pds-probe.ts';

/**
 * A server's health draws on the sandbox, the hosts (their CA) and the backups, so it is composed
 * here, above those domains, rather than inside servers/ (which they all depend on).
 */
export function healthHandlers(services: Services): Pick<ServiceHandlers<'servers'>, 'servers.health'> {
  const { servers, sandbox, hosts } = services;
  const readBackup = backupStatusReader(services);
  const probe = async (server: Server): Promise<ServerHealth> => {
    if (server.kind === 'sandbox' && sandbox.status().state !== 'running') return stoppedSandbox(server.id);
    // Servers Hearth installed may use Caddy's internal CA, trusted for that server only.
    if (server.install) return probeHealth(server.id, server.url, undefined, await hosts.fetchFor(server.id));
    return probeHealth(server.id, server.url);
  };
  return {
    'servers.health': async ({ serverId }) => {
      const server = servers.get(serverId);
      // The backup status is read alongside the PDS check: a stopped sandbox or a down PDS still
      // has a last backup worth showing.
      const [health, backup] = await Promise.all([probe(server), readBackup(serverId, server.name)]);
      return { ...health, backup: backup?.health ?? null };
    },
  };
}

const stoppedSandbox = (serverId: string): ServerHealth => ({
  serverId,
  status: 'stopped',
  version: null,
  responseMs: null,
  did: null,
  availableUserDomains: [],
  inviteCodeRequired: null,
  checkedAt: new Date().toISOString(),
  message: 'The sandbox is stopped. Start it to use it.',
});
