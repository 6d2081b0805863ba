import { HearthError } from '../../shared/errors.ts';
import type { ServiceHandlers, Services } from '../services.ts';

export function hostsHandlers({ hosts, jobs, servers, secrets }: Services): ServiceHandlers<'hosts'> {
  return {
    'hosts.createKey': async ({ name }) => hosts.createKey(name),
    'hosts.connect': async (input) => hosts.connect(input),
    'hosts.retrust': async ({ serverId, fingerprint }) => {
      await hosts.retrust(serverId, fingerprint);
      return {};
    },
    'hosts.preflight': async ({ serverId, hostname, httpsPort, httpPort }) => hosts.preflight(serverId, { hostname, httpsPort, httpPort }),
    'hosts.install': async ({ serverId, ...request }) => {
      const server = servers.get(serverId);
      const keychain = await secrets.probe();
      if (!keychain.available) throw new HearthError('NO_KEYCHAIN', "Installing needs the system keychain for the server's secrets.", keychain.message);
      const { id } = jobs.start({
        kind: 'hosts.install',
        target: server.name,
        title: `Install a PDS on ${server.name}`,
        locks: [{ id: serverId, name: server.name }],
        run: (ctx) => hosts.install(serverId, request, ctx),
      });
      return { jobId: id };
    },
    'hosts.versions': async ({ serverId }) => hosts.versions(serverId),
    'hosts.upgrade': async ({ serverId, version }) => {
      const server = servers.get(serverId);
      const { id } = jobs.start({
        kind: 'hosts.upgrade',
        target: server.name,
        title: `Upgrade the PDS on ${server.name} to ${version}`,
        locks: [{ id: serverId, name: server.name }],
        run: (ctx) => hosts.upgrade(serverId, version, ctx),
      });
      return { jobId: id };
    },
    'hosts.detect': async ({ serverId }) => hosts.detect(serverId),
    'hosts.adopt': async ({ serverId, importSecrets }) => hosts.adopt(serverId, importSecrets),
    'hosts.testEmail': async ({ serverId, to }) => hosts.testEmail(serverId, to),
    'hosts.runtime': async ({ serverId, action }) => hosts.runtime(serverId, action),
    'hosts.health': async ({ serverId }) => hosts.health(serverId),
    'hosts.forget': async ({ serverId, deleteSecrets }) => {
      await hosts.forget(serverId, deleteSecrets);
      return {};
    },
  };
}
