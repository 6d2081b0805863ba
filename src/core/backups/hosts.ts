/**
 * Which BackupHost a server is. The sandbox runs on this computer: the host scripts run in place
 * from resources/host/, its PDS data is <dataDir>/sandbox/pds, and Hearth stops and starts its PDS
 * around a restore (there is no systemd there).
 */
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { HearthError } from '../../shared/errors.ts';
import type { Sandbox } from '../sandbox/index.ts';
import { LocalRunner } from './host-runner.ts';
import type { BackupHost } from './service.ts';

export const HOST_SCRIPTS_DIR = fileURLToPath(new URL('../../../resources/host/', import.meta.url));

export function sandboxBackupHost(opts: { dataDir: string; sandbox: Sandbox; name: string }): BackupHost {
  const { sandbox } = opts;
  const base = join(opts.dataDir, 'backups', 'sandbox');
  return {
    serverId: 'sandbox',
    name: opts.name,
    runner: new LocalRunner(),
    scriptsDir: HOST_SCRIPTS_DIR,
    envFile: join(base, 'backup.env'),
    stateDir: join(base, 'state'),
    pdsDataDir: sandbox.paths.pdsData,
    pdsBlobsDir: sandbox.paths.pdsBlobs,
    // The sandbox has no pds.env: its secrets stay in the keychain and reach the PDS over IPC.
    pdsEnvFile: join(sandbox.paths.pdsData, 'pds.env'),
    pdsUrl: async () => {
      const url = sandbox.status().pdsUrl;
      if (!url) throw new HearthError('UNAVAILABLE', 'the sandbox PDS is not running', 'Start the sandbox.');
      return url;
    },
    pds: {
      stop: (ctx) => sandbox.stop(ctx),
      start: async (ctx) => {
        await sandbox.start(ctx);
      },
    },
    note: 'Backups of the sandbox run from this computer while Hearth is open (there is no timer here); a real server backs itself up on schedule.',
  };
}
