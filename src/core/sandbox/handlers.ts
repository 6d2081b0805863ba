import { HearthError } from '../../shared/errors.ts';
import type { ServiceHandlers, Services } from '../services.ts';
import { SANDBOX_SERVER_ID } from './index.ts';

export const SANDBOX_NAME = 'This computer (sandbox)';

export function sandboxHandlers({ sandbox, secrets, jobs, servers }: Services): ServiceHandlers<'sandbox'> {
  return {
    'sandbox.status': async () => sandbox.status(),
    'sandbox.start': async () => {
      const keychain = await secrets.probe();
      if (!keychain.available) throw new HearthError('NO_KEYCHAIN', 'The sandbox needs the system keychain for its secrets.', keychain.message);
      const { id } = jobs.start({
        kind: 'sandbox.start',
        target: SANDBOX_NAME,
        title: 'Start the sandbox on this computer',
        run: async (ctx) => {
          const { pdsUrl } = await sandbox.start(ctx);
          const known = servers.list().find((s) => s.id === SANDBOX_SERVER_ID);
          await servers.upsert({
            id: SANDBOX_SERVER_ID,
            name: SANDBOX_NAME,
            kind: 'sandbox',
            url: pdsUrl,
            createdAt: known?.createdAt ?? new Date().toISOString(),
          });
        },
      });
      return { jobId: id };
    },
    'sandbox.stop': async () => {
      const { id } = jobs.start({ kind: 'sandbox.stop', target: SANDBOX_NAME, title: 'Stop the sandbox', run: (ctx) => sandbox.stop(ctx) });
      return { jobId: id };
    },
  };
}
