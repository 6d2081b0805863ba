import type { AppInfo, CallName } from '../shared/contract/index.ts';
import type { Backups } from './backups/backups.ts';
import type { BackupMonitor } from './backups/monitor.ts';
import type { CloudService } from './cloud/index.ts';
import type { ConfigStore } from './config/index.ts';
import type { EventBus } from './events.ts';
import type { FeedService } from './feed/index.ts';
import type { HostManager } from './hosts/index.ts';
import type { JobManager } from './jobs/index.ts';
import type { Redactor } from './log/redact.ts';
import type { Handlers } from './rpc/dispatch.ts';
import type { Sandbox } from './sandbox/index.ts';
import type { KeyringSecretStore } from './secrets/index.ts';
import type { ServerRegistry } from './servers/registry.ts';

/** What every domain's handlers may use: the composed services of one running Hearth. */
export interface Services {
  host: AppInfo['host'];
  version: string;
  dataDir: string;
  /** Where "Download to this computer" puts a snapshot (the user's Downloads folder). */
  downloadsDir: string;
  redactor: Redactor;
  bus: EventBus;
  secrets: KeyringSecretStore;
  config: ConfigStore;
  servers: ServerRegistry;
  jobs: JobManager;
  sandbox: Sandbox;
  cloud: CloudService;
  hosts: HostManager;
  backups: Backups;
  /** Failed-backup notifications: raised once each, and the ones still true for a window opened later. */
  backupMonitor: BackupMonitor;
  /** The feed browser: signed-in accounts, their local stores, backfill. */
  feed: FeedService;
}

/** The handlers of one service: every call whose name starts with "<service>.". */
export type ServiceHandlers<S extends string> = Pick<Handlers, Extract<CallName, `${S}.${string}`>>;
