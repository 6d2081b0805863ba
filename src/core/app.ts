import { mkdir } from 'node:fs/promises';
import type { Envelope } from '../shared/errors.ts';
import type { AppInfo, Server } from '../shared/contract/index.ts';
import { HearthError } from '../shared/errors.ts';
import { ConfigStore } from './config/index.ts';
import { EventBus, type EventListener } from './events.ts';
import { JobManager } from './jobs/index.ts';
import { Redactor } from './log/redact.ts';
import { createDispatcher, type Handlers } from './rpc/dispatch.ts';
import { Sandbox, SANDBOX_SERVER_ID } from './sandbox/index.ts';
import { KeyringSecretStore } from './secrets/index.ts';
import { probeHealth } from './servers/health.ts';

export interface AppOptions {
  dataDir: string;
  host: AppInfo['host'];
  version: string;
  /** The keychain service name; tests and end-to-end runs use a throwaway one. */
  keychainService?: string;
  /**
   * How the sandbox starts its children: Electron passes its own binary (run as Node) and the
   * bundled child entries; elsewhere the defaults (this Node, the .ts sources) apply.
   */
  childNode?: { path: string; env?: NodeJS.ProcessEnv; scripts?: { plc: string; pds: string } };
  onInternalError?: (err: unknown) => void;
}

export interface HearthApp {
  /** Handles one call from any host; never throws, always answers with an envelope. */
  dispatch(call: unknown, input: unknown): Promise<Envelope<unknown>>;
  subscribe(listener: EventListener): () => void;
  /** Stops the sandbox and cancels running jobs; called when the host quits. */
  close(): Promise<void>;
}

const SANDBOX_NAME = 'This computer (sandbox)';

/** Composes Hearth's services and implements the contract. Hosts only forward calls and events. */
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
    }),
  });

  const findServer = (id: string): Server => {
    const server = config.get().servers.find((s) => s.id === id);
    if (!server) throw new HearthError('NOT_FOUND', 'Hearth does not know this server.', 'It may have been removed; reload the server list.');
    return server;
  };

  const rememberSandbox = async (pdsUrl: string) => {
    await config.update((c) => {
      const existing = c.servers.find((s) => s.id === SANDBOX_SERVER_ID);
      if (existing) existing.url = pdsUrl;
      else c.servers.push({ id: SANDBOX_SERVER_ID, name: SANDBOX_NAME, kind: 'sandbox', url: pdsUrl, createdAt: new Date().toISOString() });
    });
    bus.emit('servers.changed', {});
  };

  const handlers: Handlers = {
    'app.info': async () => ({
      version: options.version,
      host: options.host,
      dataDir: options.dataDir,
      keychain: await secrets.probe(),
      configProblem: config.problem(),
      firstRun: config.get().servers.length === 0,
    }),

    'jobs.list': async () => jobs.list(),
    'jobs.get': async ({ id }) => jobs.get(id),
    'jobs.cancel': async ({ id }) => ({ cancelled: jobs.cancel(id) }),

    'servers.list': async () => config.get().servers,
    'servers.health': async ({ serverId }) => {
      const server = findServer(serverId);
      if (server.kind === 'sandbox' && sandbox.status().state !== 'running') {
        return {
          serverId,
          status: 'stopped' as const,
          version: null,
          responseMs: null,
          did: null,
          availableUserDomains: [],
          inviteCodeRequired: null,
          checkedAt: new Date().toISOString(),
          message: 'The sandbox is stopped. Start it to use it.',
        };
      }
      return probeHealth(serverId, server.url);
    },

    'sandbox.status': async () => sandbox.status(),
    'sandbox.start': async () => {
      const probe = await secrets.probe();
      if (!probe.available) throw new HearthError('NO_KEYCHAIN', 'The sandbox needs the system keychain for its secrets.', probe.message);
      const { id } = jobs.start({
        kind: 'sandbox.start',
        target: SANDBOX_NAME,
        title: 'Start the sandbox on this computer',
        run: async (ctx) => {
          const { pdsUrl } = await sandbox.start(ctx);
          await rememberSandbox(pdsUrl);
        },
      });
      return { jobId: id };
    },
    'sandbox.stop': async () => {
      const { id } = jobs.start({
        kind: 'sandbox.stop',
        target: SANDBOX_NAME,
        title: 'Stop the sandbox',
        run: (ctx) => sandbox.stop(ctx),
      });
      return { jobId: id };
    },
  };

  const dispatch = createDispatcher(handlers, redactor, options.onInternalError);

  return {
    dispatch,
    subscribe: (listener) => bus.subscribe(listener),
    async close() {
      await jobs.shutdown();
      await sandbox.stop();
      await jobs.flush();
    },
  };
}
