import type { ServiceHandlers, Services } from './services.ts';

export function appHandlers({ version, host, dataDir, secrets, config, backups, backupMonitor }: Services): ServiceHandlers<'app'> {
  return {
    'app.info': async () => ({
      version,
      host,
      dataDir,
      keychain: await secrets.probe(),
      configProblem: config.problem(),
      backupsProblem: await backups.service.problem(),
      firstRun: config.get().servers.length === 0,
    }),
    'app.notifications': async () => backupMonitor.active(),
  };
}
