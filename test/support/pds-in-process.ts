import { randomBytes } from 'node:crypto';
import type { Server as HttpServer } from 'node:http';
import type { Duplex } from 'node:stream';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { listenOnLoopbackOnly } from '../../src/core/sandbox/child-runtime.ts';
import { pickFreeLoopbackPort } from '../../src/core/sandbox/ports.ts';

export interface InProcessPds {
  url: string;
  adminPassword: string;
  rotationKeyHex: string;
  /** Cuts every open websocket (firehose subscriptions) as a network drop would; returns how many. */
  dropSubscriptions(): number;
  stop(): Promise<void>;
}

/**
 * A second real PDS, in this process (DESIGN §4), for settings the sandbox does not have (e.g.
 * invite codes required). It uses an existing PLC (the sandbox's) and binds loopback only.
 */
export async function startInProcessPds(options: { plcUrl: string; handleDomain: string; inviteRequired: boolean; repoBackfillLimitMs?: number }): Promise<InProcessPds> {
  const dir = await mkdtemp(join(tmpdir(), 'hearth-pds-'));
  const port = await pickFreeLoopbackPort();
  const adminPassword = randomBytes(18).toString('base64url');
  const { Secp256k1Keypair } = await import('@atproto/crypto');
  const rotationKeyHex = Buffer.from(await (await Secp256k1Keypair.create({ exportable: true })).export()).toString('hex');
  const { PDS, envToCfg, envToSecrets } = await import('@atproto/pds');
  const env = {
    port,
    hostname: 'localhost',
    devMode: true,
    dataDirectory: dir,
    blobstoreDiskLocation: join(dir, 'blobs'),
    blobstoreDiskTmpLocation: join(dir, 'tmp'),
    didPlcUrl: options.plcUrl,
    serviceHandleDomains: [options.handleDomain],
    inviteRequired: options.inviteRequired,
    crawlers: [],
    jwtSecret: randomBytes(32).toString('hex'),
    adminPassword,
    plcRotationKeyK256PrivateKeyHex: rotationKeyHex,
    // How far back the firehose replays for a cursor; older cursors get #info OutdatedCursor.
    ...(options.repoBackfillLimitMs !== undefined && { repoBackfillLimitMs: options.repoBackfillLimitMs }),
  };
  const pds = await PDS.create(envToCfg(env), envToSecrets(env));
  // Upgraded sockets leave the HTTP server's books: keep them here so a test can cut them.
  const upgraded = new Set<Duplex>();
  const listen = pds.app.listen.bind(pds.app) as (...args: unknown[]) => HttpServer;
  (pds.app as { listen: unknown }).listen = (...args: unknown[]) => {
    const server = listen(...args);
    server.on('upgrade', (_req, socket: Duplex) => {
      upgraded.add(socket);
      socket.once('close', () => upgraded.delete(socket));
    });
    return server;
  };
  const loopback = listenOnLoopbackOnly(pds.app);
  await pds.start();
  await loopback.ipv6;
  return {
    url: `http://localhost:${port}`,
    adminPassword,
    rotationKeyHex,
    dropSubscriptions() {
      const n = upgraded.size;
      for (const socket of upgraded) socket.destroy();
      upgraded.clear();
      return n;
    },
    async stop() {
      loopback.closeExtra();
      await pds.destroy();
      await rm(dir, { recursive: true, force: true });
    },
  };
}
