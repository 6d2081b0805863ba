import { createServer } from 'node:net';

export type PortState = 'free' | 'taken' | 'no-such-address';

/** Whether this process could listen on host:port right now (it listens, then lets go). */
export function probePort(port: number, host: string): Promise<PortState> {
  return new Promise((resolve) => {
    const server = createServer();
    server.unref();
    server.once('error', (err: NodeJS.ErrnoException) => {
      resolve(err.code === 'EADDRNOTAVAIL' || err.code === 'EAFNOSUPPORT' ? 'no-such-address' : 'taken');
    });
    server.listen({ port, host, exclusive: true }, () => server.close(() => resolve('free')));
  });
}

/** A port nobody listens on at 127.0.0.1 (nor at ::1, when the machine has it). */
export async function pickFreeLoopbackPort(avoid: number[] = []): Promise<number> {
  for (let attempt = 0; attempt < 20; attempt += 1) {
    const port = await new Promise<number>((resolve, reject) => {
      const server = createServer();
      server.unref();
      server.once('error', reject);
      server.listen({ port: 0, host: '127.0.0.1', exclusive: true }, () => {
        const address = server.address();
        const found = typeof address === 'object' && address ? address.port : 0;
        server.close(() => resolve(found));
      });
    });
    if (port && !avoid.includes(port) && (await isLoopbackPortFree(port))) return port;
  }
  throw new Error('Could not find a free port on 127.0.0.1.');
}

/** Free on 127.0.0.1 and, when IPv6 loopback exists, on ::1 ("localhost" may resolve to either). */
export async function isLoopbackPortFree(port: number): Promise<boolean> {
  if ((await probePort(port, '127.0.0.1')) !== 'free') return false;
  return (await probePort(port, '::1')) !== 'taken';
}
