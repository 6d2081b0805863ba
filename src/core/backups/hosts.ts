/**
 * Which BackupHost a server is. The sandbox runs on this computer: the host scripts run in place
 * from resources/host/, its PDS data is <dataDir>/sandbox/pds, and Hearth stops and starts its PDS
 * around a restore (there is no systemd there).
 */
import { join } from 'node:path';
import { HearthError } from '../../shared/errors.ts';
import type { SshSession } from '../hosts/ssh/index.ts';
import type { HostFiles } from '../hosts/templates.ts';
import type { JobContext } from '../jobs/job-context.ts';
import type { Sandbox } from '../sandbox/index.ts';
import { LocalRunner, SshRunner } from './host-runner.ts';
import type { BackupHost } from './service.ts';

export function sandboxBackupHost(opts: { dataDir: string; sandbox: Sandbox; name: string; files: HostFiles }): BackupHost {
  const { sandbox } = opts;
  const base = join(opts.dataDir, 'backups', 'sandbox');
  return {
    serverId: 'sandbox',
    name: opts.name,
    runner: new LocalRunner(),
    scriptsDir: opts.files.dir,
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
      running: () => sandbox.status().state === 'running',
    },
    note: 'The sandbox has no timer: its backups run when you press “Back up now”. A real server backs itself up on schedule, even while this computer is off.',
    scheduled: false,
  };
}

/** Where the scripts and their settings live on a real server (official /pds layout). */
export const SERVER_PATHS = {
  scriptsDir: '/usr/local/lib/hearth',
  envFile: '/etc/hearth/backup.env',
  stateDir: '/var/lib/hearth-backup',
  pdsDataDir: '/pds',
  pdsBlobsDir: '/pds/blocks',
  pdsEnvFile: '/pds/pds.env',
} as const;

const SCRIPTS = ['hearth-backup-lib.sh', 'hearth-backup.sh', 'hearth-backup-restic.sh', 'hearth-restore.sh', 'hearth-verify.sh'] as const;

/**
 * A server over SSH: the scripts in /usr/local/lib/hearth, settings (with the secrets) in
 * /etc/hearth/backup.env mode 600, the systemd timer for scheduled runs, `systemctl` around a restore.
 */
export function sshBackupHost(opts: {
  serverId: string;
  name: string;
  url: string;
  session: SshSession;
  fetch: typeof fetch;
  files: HostFiles;
  onCalendar: () => Promise<string>;
}): BackupHost {
  const runner = new SshRunner(opts.session);
  const systemctl = async (verb: string, ctx: JobContext) => {
    await opts.session.run(`systemctl ${verb} pds`, { ctx, what: `${verb === 'stop' ? 'Stopping' : 'Starting'} the PDS` });
  };
  return {
    serverId: opts.serverId,
    name: opts.name,
    runner,
    ...SERVER_PATHS,
    pdsUrl: async () => opts.url.replace(/\/+$/, ''),
    fetch: opts.fetch,
    pds: { stop: (ctx) => systemctl('stop', ctx), start: (ctx) => systemctl('start', ctx) },
    note: 'Backups run on the server on schedule (a systemd timer), also while this computer is off.',
    scheduled: true,
    async nextRun() {
      const { code, stdout } = await opts.session.exec('systemctl show hearth-backup.timer --property=NextElapseUSecRealtime --value', { quiet: true });
      const when = new Date(stdout.trim().replace(/^[A-Za-z]{3} /, ''));
      return code === 0 && !Number.isNaN(when.getTime()) ? when.toISOString() : null;
    },
    async install(ctx) {
      const ssh = opts.session;
      await ssh.run('command -v restic >/dev/null && command -v sqlite3 >/dev/null || (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq restic sqlite3 curl)', {
        ...(ctx ? { ctx } : {}),
        what: 'Installing restic and sqlite3',
      });
      await ssh.run(`mkdir -p ${SERVER_PATHS.scriptsDir} /etc/hearth && chmod 700 /etc/hearth`, { what: 'Preparing folders' });
      for (const script of SCRIPTS) {
        await ssh.writeFile(`${SERVER_PATHS.scriptsDir}/${script}`, await opts.files.read(script), { mode: 0o755 });
      }
      const timer = (await opts.files.read('hearth-backup.timer')).replace(/^OnCalendar=.*$/m, `OnCalendar=${await opts.onCalendar()}`);
      await ssh.writeFile('/etc/systemd/system/hearth-backup.service', await opts.files.read('hearth-backup.service'), { mode: 0o644 });
      await ssh.writeFile('/etc/systemd/system/hearth-backup.timer', timer, { mode: 0o644 });
      // Debian's daemonless systemctl (test servers) has no timers; real systemd enables it.
      await ssh.exec('systemctl daemon-reload; systemctl enable --now hearth-backup.timer', { quiet: true });
    },
  };
}
