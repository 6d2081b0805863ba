import { HearthError } from '../../shared/errors.ts';
import type { ServiceHandlers, Services } from '../services.ts';
import { backupWarning } from './backup-check.ts';
import { handOver, HandOverStatuses } from './hand-over.ts';
import { assertReplaceable, replaceDroplet } from './replace.ts';

export function cloudHandlers(services: Services): ServiceHandlers<'cloud'> {
  const { cloud, secrets } = services;
  const needKeychain = async () => {
    const keychain = await secrets.probe();
    if (!keychain.available) throw new HearthError('NO_KEYCHAIN', 'The DigitalOcean token and server keys need the system keychain.', keychain.message);
  };
  const handOvers = new HandOverStatuses((status) => services.bus.emit('cloud.handOver', status));
  return {
    'cloud.checkToken': async ({ token }) => {
      await needKeychain();
      return cloud.checkToken(token);
    },
    'cloud.options': () => cloud.options(),
    'cloud.checkDomain': ({ hostname }) => cloud.checkDomain(hostname),
    'cloud.resolveDns': ({ hostname, address }) => cloud.resolveDns(hostname, address),
    'cloud.draft': () => cloud.draft(),
    'cloud.saveDraft': async ({ draft }) => {
      await cloud.saveDraft(draft);
      return {};
    },
    'cloud.discardDraft': async () => {
      await cloud.discardDraft();
      return {};
    },
    'cloud.preview': async (settings) => {
      await needKeychain();
      return { jobId: cloud.startPreview(settings) };
    },
    'cloud.plan': ({ serverId }) => cloud.plan(serverId),
    'cloud.outputs': ({ serverId }) => cloud.outputs(serverId),
    'cloud.apply': async ({ serverId }) => ({ jobId: await cloud.startApply(serverId) }),
    'cloud.refresh': async ({ serverId }) => ({ jobId: await cloud.startRefresh(serverId) }),
    'cloud.destroyCheck': async ({ serverId }) => ({ ...(await cloud.destroyCheck(serverId)), backupWarning: await backupWarning(services, serverId) }),
    'cloud.destroy': async ({ serverId, confirmName }) => {
      await cloud.destroyCheck(serverId).then(({ name }) => {
        if (confirmName.trim() !== name) throw new HearthError('VALIDATION', 'The name you typed does not match the server’s name.', `Type ${name} exactly to confirm.`);
      });
      // The droplet is going: a hand-over still waiting for it (DNS, boot) has nothing left to do.
      await handOvers.stop(serverId, (jobId) => services.jobs.cancel(jobId));
      return { jobId: await cloud.startDestroy(serverId, confirmName) };
    },
    'cloud.replace': async ({ serverId, confirmName, ...ports }) => {
      await needKeychain();
      const server = services.servers.get(serverId);
      if (confirmName.trim() !== server.name) {
        throw new HearthError('VALIDATION', 'The name you typed does not match the server’s name.', `Type ${server.name} exactly to confirm.`);
      }
      await assertReplaceable(services, serverId);
      const { id } = services.jobs.start({
        kind: 'cloud.replace',
        target: server.name,
        title: `Replace the droplet of ${server.name}`,
        locks: [{ id: serverId, name: server.name }],
        run: async (ctx) => {
          try {
            await replaceDroplet(services, serverId, ports, ctx);
          } finally {
            services.bus.emit('backups.changed', { serverId });
          }
        },
      });
      return { jobId: id };
    },
    'cloud.handOver': async ({ serverId, ...request }) => {
      await needKeychain();
      const server = services.servers.get(serverId);
      const { id, result } = services.jobs.start({
        kind: 'cloud.handOver',
        target: server.name,
        title: `Set up the PDS on the droplet of ${server.name}`,
        // One operation per server: a second hand-over, an install or a replace waits for this one.
        locks: [{ id: serverId, name: server.name }],
        run: (ctx) => handOver(services, serverId, request, ctx, handOvers.reporter(ctx.id, serverId)),
      });
      handOvers.track(id, result);
      return { jobId: id };
    },
    'cloud.handOverStatus': async ({ jobId }) => handOvers.get(jobId),
    'cloud.resources': ({ jobId }) => cloud.rows(jobId),
  };
}
