import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { listenOnLoopbackOnly } from '../../src/core/sandbox/child-runtime.ts';
import { pickFreeLoopbackPort } from '../../src/core/sandbox/ports.ts';

export interface InProcessPds {
  url: string;
  adminPassword: string;
  rotationKeyHex: string;
  stop(): Promise<void>;
}

/**
 * A second real PDS, in this process (DESIGN §4), for settings the sandbox does not have (e.g.
 * invite codes required). It uses an existing PLC (the sandbox's) and binds loopback only.
 */
export async function startInProcessPds(options: { plcUrl: string; handleDomain: string; inviteRequired: boolean }): Promise<InProcessPds> {
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
  };
  const pds = await PDS.create(envToCfg(env), envToSecrets(env));
  const loopback = listenOnLoopbackOnly(pds.app);
  await pds.start();
  await loopback.ipv6;
  return {
    url: `http://localhost:${port}`,
    adminPassword,
    rotationKeyHex,
    async stop() {
      loopback.closeExtra();
      await pds.destroy();
      await rm(dir, { recursive: true, force: true });
    },
  };
}
