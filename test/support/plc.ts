import { createServer } from 'node:net';
import { Database, PlcServer } from '@did-plc/server';
import { listenOnLoopbackOnly } from '../../src/core/sandbox/child-runtime.ts';

/**
 * A real PLC directory (in memory) on 127.0.0.1, for tests whose PDS runs elsewhere on this
 * machine (a test server shares the host's network).
 */
export async function startPlc(): Promise<{ url: string; close(): Promise<void> }> {
  const port = await freePort();
  const server = PlcServer.create({ db: Database.mock(), port, version: 'hearth-test' });
  const loopback = listenOnLoopbackOnly(server.app);
  await server.start();
  await loopback.ipv6;
  return {
    url: `http://127.0.0.1:${port}`,
    async close() {
      loopback.closeExtra();
      await server.destroy();
    },
  };
}

export async function freePort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const { port } = probe.address() as { port: number };
  await new Promise((resolve) => probe.close(resolve));
  return port;
}
