/**
 * The sandbox PDS: a real @atproto/pds in dev mode, in its own process so that whatever happens to
 * it never takes the panel down. Its config and secrets arrive over IPC; the environment object
 * the PDS reads is built here in memory (process.env is never touched).
 *
 * @atproto/pds is imported only here, dynamically, so the panel never loads it.
 */
import { mkdir } from 'node:fs/promises';
import type { ServerEnvironment } from '@atproto/pds';
import { listenOnLoopbackOnly, runChild } from './child-runtime.ts';
import type { PdsChildConfig } from './protocol.ts';

runChild<PdsChildConfig>('pds', async (config) => {
  for (const dir of [config.dataDirectory, config.blobstoreDirectory, config.blobstoreTmpDirectory]) {
    await mkdir(dir, { recursive: true, mode: 0o700 });
  }
  const { PDS, envToCfg, envToSecrets } = await import('@atproto/pds');
  const env: ServerEnvironment = {
    port: config.port,
    // "localhost" makes the PDS use http://localhost:<port> as its public URL (and DID service
    // endpoint): that is why the port must never change.
    hostname: 'localhost',
    devMode: true,
    dataDirectory: config.dataDirectory,
    blobstoreDiskLocation: config.blobstoreDirectory,
    blobstoreDiskTmpLocation: config.blobstoreTmpDirectory,
    didPlcUrl: config.plcUrl,
    serviceHandleDomains: [config.handleDomain],
    inviteRequired: false,
    // A sandbox announces itself to nobody and needs no AppView to boot (feeds/profiles that
    // proxy to an AppView fail; records, accounts and the firehose work).
    crawlers: [],
    jwtSecret: config.secrets.jwtSecret,
    adminPassword: config.secrets.adminPassword,
    plcRotationKeyK256PrivateKeyHex: config.secrets.plcRotationKeyHex,
  };
  const pds = await PDS.create(envToCfg(env), envToSecrets(env));
  const loopback = listenOnLoopbackOnly(pds.app);
  try {
    await pds.start();
    await loopback.ipv6;
  } catch (err) {
    loopback.closeExtra();
    await pds.destroy().catch(() => undefined);
    throw err;
  }
  return {
    port: config.port,
    async close() {
      loopback.closeExtra();
      await pds.destroy();
    },
  };
});
