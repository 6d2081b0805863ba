import { HearthError } from '../../shared/errors.ts';
import type { ServiceHandlers, Services } from '../services.ts';

export function cloudHandlers({ cloud, secrets }: Services): ServiceHandlers<'cloud'> {
  const needKeychain = async () => {
    const keychain = await secrets.probe();
    if (!keychain.available) throw new HearthError('NO_KEYCHAIN', 'The DigitalOcean token and server keys need the system keychain.', keychain.message);
  };
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
    'cloud.destroyCheck': ({ serverId }) => cloud.destroyCheck(serverId),
    'cloud.destroy': async ({ serverId, confirmName }) => ({ jobId: await cloud.startDestroy(serverId, confirmName) }),
    'cloud.resources': ({ jobId }) => cloud.rows(jobId),
  };
}
