/**
 * The feed's test world (issue 12): a real PLC and three real PDSes in this process, seven accounts
 * spread over them, and a real Hearth core (temp data folder, throwaway keychain service) that
 * manages the three servers. Accounts are made and written to with @atproto/api straight against
 * their PDS, as any client would; nothing here goes through Hearth. Run inside scripts/with-keyring.sh.
 */
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AtpAgent } from '@atproto/api';
import { createApp, type AppOptions, type HearthApp } from '../../src/core/app.ts';
import { Redactor } from '../../src/core/log/redact.ts';
import { KeyringSecretStore } from '../../src/core/secrets/index.ts';
import type { Server } from '../../src/shared/contract/index.ts';
import { HOST_SCRIPTS_DIR } from './host-files.ts';
import { startInProcessPds, type InProcessPds } from './pds-in-process.ts';
import { startPlc } from './plc.ts';
import { callerFor, type Caller } from './sandbox-app.ts';

export const SERVER_IDS = ['one', 'two', 'three'] as const;
export type ServerName = (typeof SERVER_IDS)[number];

export interface WorldAccount {
  name: string;
  did: string;
  handle: string;
  password: string;
  server: ServerName;
  agent: AtpAgent;
}

export interface FeedWorld {
  plcUrl: string;
  pds: Record<ServerName, InProcessPds>;
  app: HearthApp;
  call: Caller;
  dataDir: string;
  /** A second handle on the app's keychain entries, for checks. */
  secrets: KeyringSecretStore;
  account(server: ServerName, name: string): Promise<WorldAccount>;
  /** Closes Hearth and opens it again on the same data folder and keychain (app and call are replaced). */
  restartApp(whileClosed?: () => Promise<void>): Promise<void>;
  /** Stops one PDS for good (it cannot come back on the same data). */
  stopPds(server: ServerName): Promise<void>;
  stop(): Promise<void>;
}

/** A 1×1 PNG. */
export const TINY_PNG = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==', 'base64');

export async function startFeedWorld(
  options: Pick<AppOptions, 'feedRetryBaseMs' | 'feedLive'> & { repoBackfillLimitMs?: Partial<Record<ServerName, number>> } = {},
): Promise<FeedWorld> {
  const { repoBackfillLimitMs, ...appOptions } = options;
  const plc = await startPlc();
  const pdsList = await Promise.all(
    SERVER_IDS.map((id) => startInProcessPds({ plcUrl: plc.url, handleDomain: `.${id}.test`, inviteRequired: false, ...(repoBackfillLimitMs?.[id] !== undefined && { repoBackfillLimitMs: repoBackfillLimitMs[id] }) })),
  );
  const pds = Object.fromEntries(SERVER_IDS.map((id, i) => [id, pdsList[i]!])) as Record<ServerName, InProcessPds>;
  const stopped = new Set<ServerName>();

  const dataDir = await mkdtemp(join(tmpdir(), 'hearth-home-'));
  const keychainService = `hearth-test-${randomUUID()}`;
  const servers: Server[] = SERVER_IDS.map((id) => ({ id, name: `Server ${id}`, kind: 'ssh', url: pds[id].url, plcUrl: plc.url, createdAt: new Date().toISOString() }));
  await writeFile(join(dataDir, 'config.json'), JSON.stringify({ version: 1, servers, settings: {} }), { mode: 0o600 });
  const appFor = () => createApp({ dataDir, host: 'web', hostFilesDir: HOST_SCRIPTS_DIR, version: '0.0.0-test', keychainService, ...appOptions });
  const app = await appFor();
  const secrets = new KeyringSecretStore({ service: keychainService, redactor: new Redactor() });

  const world: FeedWorld = {
    plcUrl: plc.url,
    pds,
    app,
    call: callerFor(app),
    dataDir,
    secrets,
    async account(server, name) {
      const handle = `${name}.${server}.test`;
      const password = `pw-${randomUUID()}`;
      const agent = new AtpAgent({ service: pds[server].url });
      await agent.createAccount({ handle, email: `${name}-${server}@example.com`, password });
      return { name, did: agent.session!.did, handle, password, server, agent };
    },
    async stopPds(server) {
      stopped.add(server);
      await pds[server].stop();
    },
    async restartApp(whileClosed) {
      await world.app.close();
      await whileClosed?.();
      world.app = await appFor();
      world.call = callerFor(world.app);
    },
    async stop() {
      await world.app.close();
      for (const name of await secrets.list()) await secrets.delete(name);
      await rm(dataDir, { recursive: true, force: true });
      for (const id of SERVER_IDS) if (!stopped.has(id)) await pds[id].stop();
      await plc.close();
    },
  };
  return world;
}

/** Every record of a collection, as the PDS lists it (all pages). */
export async function listAll(agent: AtpAgent, repo: string, collection: string): Promise<{ uri: string; cid: string; value: Record<string, unknown> }[]> {
  const out: { uri: string; cid: string; value: Record<string, unknown> }[] = [];
  let cursor: string | undefined;
  do {
    const { data } = await agent.com.atproto.repo.listRecords({ repo, collection, limit: 100, ...(cursor ? { cursor } : {}) });
    out.push(...data.records.map((r) => ({ uri: r.uri, cid: r.cid, value: r.value as Record<string, unknown> })));
    cursor = data.records.length ? data.cursor : undefined;
  } while (cursor);
  return out;
}
