import type { ServerHealth } from '../../shared/contract/servers.ts';
import type { ServiceHandlers, Services } from '../services.ts';
import { probeHealth } from './health.ts';

export function serversHandlers({ servers, sandbox, hosts }: Services): ServiceHandlers<'servers'> {
  return {
    'servers.list': async () => servers.list(),
    'servers.health': async ({ serverId }) => {
      const server = servers.get(serverId);
      if (server.kind === 'sandbox' && sandbox.status().state !== 'running') return stoppedSandbox(serverId);
      // Servers Hearth installed may use Caddy's internal CA, trusted for that server only.
      if (server.install) return probeHealth(serverId, server.url, undefined, await hosts.fetchFor(serverId));
      return probeHealth(serverId, server.url);
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
