import { z } from 'zod';
import { call } from './define.ts';

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
  /** True until the user has added a first server (sandbox, SSH or cloud). */
  firstRun: z.boolean(),
});
export type AppInfo = z.infer<typeof AppInfo>;

export const appCalls = {
  'app.info': call(z.object({}).strict(), AppInfo),
};
