import { mkdir } from 'node:fs/promises';
import type { AppInfo } from '../shared/contract/index.ts';
import type { Envelope } from '../shared/errors.ts';
import { accountsHandlers } from './accounts/index.ts';
import { appHandlers } from './app-handlers.ts';
import { Backups } from './backups/backups.ts';
import { BackupMonitor } from './backups/monitor.ts';
import { backupsHandlers } from './backups/handlers.ts';
import { cloudHandlers } from './cloud/handlers.ts';
import { CloudService, type CloudServiceOptions } from './cloud/index.ts';
import { ConfigStore } from './config/index.ts';
import { EventBus, type EventListener } from './events.ts';
import { FeedService, feedHandlers } from './feed/index.ts';
import type { LiveOptions } from './feed/live/live-feeds.ts';
import { hostsHandlers } from './hosts/handlers.ts';
import { HostManager, systemResolver, type ResolveAddresses } from './hosts/index.ts';
import { downloadsDir } from './backups/download.ts';
import { HostFiles } from './hosts/templates.ts';
import { jobsHandlers } from './jobs/handlers.ts';
import { JobManager } from './jobs/index.ts';
import { Redactor } from './log/redact.ts';
import { networkHandlers } from './network/handlers.ts';
import { createDispatcher, type Handlers } from './rpc/dispatch.ts';
import { sandboxHandlers } from './sandbox/handlers.ts';
import { Sandbox, type ChildSpawner } from './sandbox/index.ts';
import { KeyringSecretStore } from './secrets/index.ts';
import { backupStatusReader } from './health/backup-status.ts';
import { healthHandlers } from './health/handlers.ts';
import { serversHandlers } from './servers/handlers.ts';
import { ServerRegistry } from './servers/registry.ts';
import type { Services } from './services.ts';

export interface AppOptions {
  dataDir: string;
  host: AppInfo['host'];
  version: string;
  /**
   * The folder of the files Hearth puts on servers (resources/host): the checkout's while
   * developing, <resources>/host in a packaged app. Hosts find it; core never guesses it.
   */
  hostFilesDir: string;
  /** The user's Downloads folder (Electron knows it; elsewhere ~/Downloads). */
  downloadsDir?: string;
  /** Fixed answers for names, like `curl --resolve` ("pds.test=127.0.0.1,*.pds.test=127.0.0.1"). */
  resolveOverrides?: string;
  /** Tests substitute the whole resolver here (names whose records change while a job waits for them). */
  resolve?: ResolveAddresses;
  /** The keychain service name; tests and end-to-end runs use a throwaway one. */
  keychainService?: string;
  /**
   * How the sandbox starts its children: Electron passes its own binary (run as Node) and the
   * bundled child entries; elsewhere the defaults (this Node, the .ts sources) apply.
   */
  childNode?: { path: string; env?: NodeJS.ProcessEnv; scripts?: { plc: string; pds: string }; spawn?: ChildSpawner };
  onInternalError?: (err: unknown) => void;
  /** Tests substitute the Pulumi engine and the DigitalOcean endpoints here. */
  cloud?: Pick<CloudServiceOptions, 'automation' | 'simulated' | 'apiUrl' | 'publicIpUrl' | 'resolve4' | 'dropletSshPort'>;
  /** How often the backup status of every server is checked (default 5 min); tests shorten it. */
  backupCheckIntervalMs?: number;
  /** First retry delay for feed authors that could not be read (default 30 s, doubling); tests shorten it. */
  feedRetryBaseMs?: number;
  /** Live updates of feeds (reconnect backoff, when a long outage means reading again); tests shorten them. */
  feedLive?: LiveOptions;
}

export interface HearthApp {
  /** Handles one call from any host; never throws, always answers with an envelope. */
  dispatch(call: unknown, input: unknown): Promise<Envelope<unknown>>;
  subscribe(listener: EventListener): () => void;
  /** Stops the sandbox and cancels running jobs; called when the host quits. */
  close(): Promise<void>;
}

/**
 * Composes Hearth's services and implements the contract: each domain contributes the handlers
 * of its own calls. Hosts (Electron, browser) only forward calls and events.
 */
export async function createApp(options: AppOptions): Promise<HearthApp> {
  await mkdir(options.dataDir, { recursive: true, mode: 0o700 });
  const redactor = new Redactor();
  const bus = new EventBus();
  // Every secret read or written goes through this store, which registers it with the redactor.
  const secrets = new KeyringSecretStore({ redactor, ...(options.keychainService ? { service: options.keychainService } : {}) });
  const config = await ConfigStore.open(options.dataDir);
  const jobs = await JobManager.open(options.dataDir, redactor, {
    updated: (job) => bus.emit('jobs.updated', job),
    log: (jobId, line) => bus.emit('jobs.log', { jobId, line }),
  });
  const sandbox = new Sandbox({
    dataDir: options.dataDir,
    secrets,
    redactor,
    onStatus: (status) => bus.emit('sandbox.status', status),
    ...(options.childNode && {
      nodePath: options.childNode.path,
      childEnv: { ...process.env, ...options.childNode.env },
      ...(options.childNode.scripts && { childScripts: options.childNode.scripts }),
      ...(options.childNode.spawn && { spawnChild: options.childNode.spawn }),
    }),
  });

  const servers = new ServerRegistry(config, bus);
  const cloud = new CloudService({
    dataDir: options.dataDir,
    secrets,
    redactor,
    config,
    servers,
    jobs,
    onRows: (jobId, rows) => bus.emit('cloud.resources', { jobId, rows }),
    ...options.cloud,
  });

  const files = new HostFiles(options.hostFilesDir);
  const missing = await files.missing();
  if (missing.length) {
    // A broken install: say so at start, not halfway through the first install on a server.
    throw new Error(`Hearth's server files are missing from ${files.dir}: ${missing.join(', ')}. Reinstall Hearth.`);
  }
  const hosts = new HostManager({ servers, secrets, dataDir: options.dataDir, files, resolve: options.resolve ?? systemResolver(options.resolveOverrides) });
  const backups = new Backups({ dataDir: options.dataDir, secrets, redactor, servers, sandbox, hosts });
  // Scheduled backups fail while Hearth may be closed: the monitor looks at start, after each
  // backup job and every few minutes, and raises app.notification once per failure.
  const backupMonitor = new BackupMonitor({
    servers,
    bus,
    read: backupStatusReader({ backups, secrets, redactor }),
    ...(options.backupCheckIntervalMs && { intervalMs: options.backupCheckIntervalMs }),
    ...(options.onInternalError && { onError: options.onInternalError }),
  });
  const feed = await FeedService.open({ dataDir: options.dataDir, services: { secrets, servers, sandbox, hosts }, jobs, ...(options.feedRetryBaseMs && { retryBaseMs: options.feedRetryBaseMs }), ...(options.feedLive && { live: options.feedLive }) });
  const services: Services = {
    host: options.host,
    version: options.version,
    dataDir: options.dataDir,
    downloadsDir: downloadsDir(options.downloadsDir),
    redactor,
    bus,
    secrets,
    config,
    servers,
    jobs,
    sandbox,
    cloud,
    hosts,
    backups,
    backupMonitor,
    feed,
  };

  const handlers: Handlers = {
    ...appHandlers(services),
    ...jobsHandlers(services),
    ...serversHandlers(services),
    ...healthHandlers(services),
    ...sandboxHandlers(services),
    ...accountsHandlers(services),
    ...cloudHandlers(services),
    ...hostsHandlers(services),
    ...backupsHandlers(services),
    ...feedHandlers(services),
    ...networkHandlers(services),
  };

  backupMonitor.start();

  return {
    dispatch: createDispatcher(handlers, redactor, options.onInternalError),
    subscribe: (listener) => bus.subscribe(listener),
    async close() {
      backupMonitor.stop();
      await jobs.shutdown();
      feed.close();
      services.hosts.close();
      await sandbox.stop();
      await jobs.flush();
    },
  };
}
