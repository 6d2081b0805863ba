import { z } from 'zod';
import { call } from './define.ts';
import { ServerId } from './servers.ts';

export const KeychainStatus = z.object({
  available: z.boolean(),
  /** Plain words for people: what is wrong and what to do; empty when available. */
  message: z.string(),
});
export type KeychainStatus = z.infer<typeof KeychainStatus>;

export const ConfigProblem = z.object({
  message: z.string(),
  /** Where the unreadable file was kept aside, so nothing is lost. */
  keptAt: z.string(),
});

export const AppInfo = z.object({
  version: z.string(),
  host: z.enum(['electron', 'web']),
  dataDir: z.string(),
  keychain: KeychainStatus,
  configProblem: ConfigProblem.nullable(),
  /** backups.json could not be read: kept aside like config.json (the backup targets are gone). */
  backupsProblem: ConfigProblem.nullable(),
  /** True until the user has added a first server (sandbox, SSH or cloud). */
  firstRun: z.boolean(),
});
export type AppInfo = z.infer<typeof AppInfo>;

/**
 * Something the user should hear about even when the window is closed: the Electron host shows it
 * as a desktop notification, the browser page as an alert (and a web notification when allowed).
 */
export const AppNotification = z.object({
  /** The same for the same occurrence, so a window shows it once. */
  id: z.string().max(200),
  /** backup-failed: clicking opens the Backups screen of serverId. */
  kind: z.enum(['backup-failed']),
  serverId: ServerId,
  title: z.string().max(200),
  body: z.string().max(2000),
  /** When it happened (for backup-failed: when the backup failed). */
  at: z.string(),
});
export type AppNotification = z.infer<typeof AppNotification>;

export const appCalls = {
  'app.info': call(z.object({}).strict(), AppInfo),
  /** Notifications raised since Hearth started that are still true (a backup still failing), for a window opened later. */
  'app.notifications': call(z.object({}).strict(), z.array(AppNotification)),
};

export const appEvents = {
  'app.notification': AppNotification,
};
