import { HearthError } from '../../shared/errors.ts';
import { adminCredentials, serverAccess } from '../accounts/server-access.ts';
import type { ServiceHandlers, Services } from '../services.ts';

/**
 * The Network page's calls. The server's accounts come from its own admin API (the password from
 * the keychain, core only); relays and the AppView are asked without credentials.
 */
export function networkHandlers(services: Services): ServiceHandlers<'network'> {
  return {
    'network.status': async ({ serverId, relays, appView }) => {
      const access = serverAccess(services, serverId);
      const targets = relays ?? access.crawlers;
      if (targets.length === 0) {
        throw new HearthError('VALIDATION', `${access.name} lists no relays to ask.`, 'The sandbox is private to this computer: no public relay can reach it. Name a relay to ask instead.');
      }
      const server = services.servers.get(serverId);
      // A server over SSH is reached with its resolver and, on Caddy's internal CA, that CA alone.
      const pdsFetch = server.ssh ? await services.hosts.fetchFor(serverId) : undefined;
      const probe = server.ssh ? { resolve: services.hosts.resolve, ca: await services.hosts.caCert(serverId) } : {};
      const [{ PdsAdmin }, { networkStatus, DEFAULT_APPVIEW }] = await Promise.all([import('../accounts/pds-admin.ts'), import('./network-status.ts')]);
      const admin = new PdsAdmin({ pdsUrl: access.pdsUrl, serverName: access.name, admin: await adminCredentials(services, serverId), ...(pdsFetch && { fetch: pdsFetch }) });
      const { accounts } = await admin.listAccounts();
      const active = accounts.filter((a) => a.status === 'active');
      return networkStatus(
        {
          serverId,
          pdsUrl: access.pdsUrl,
          ...(pdsFetch && { pdsFetch }),
          probe,
          relays: targets,
          appView: appView ?? DEFAULT_APPVIEW,
          // Newest accounts first: the ones most likely not to have reached the network yet.
          accounts: active.sort((a, b) => (b.createdAt ?? '').localeCompare(a.createdAt ?? '')).map((a) => ({ did: a.did, handle: a.handle })),
        },
        active.length,
      );
    },
  };
}
