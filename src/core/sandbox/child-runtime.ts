/**
 * The common life of a sandbox child process (PLC or PDS): wait for its config over IPC, boot,
 * report "ready" (or "failed"), and shut down cleanly when the panel asks, when it receives
 * SIGTERM/SIGINT, or when the IPC channel closes because the panel went away — so a child never
 * outlives the panel.
 */
import type { Server } from 'node:http';
import type { ChildReport } from './protocol.ts';

export interface RunningChild {
  port: number;
  close(): Promise<void>;
}

/** Longest a shutdown may take before the child exits anyway. */
const SHUTDOWN_DEADLINE_MS = 10_000;

/** Electron's end of a utility process's channel (process.parentPort), as far as a child uses it. */
interface ParentPort {
  postMessage(message: unknown): void;
  on(event: 'message', listener: (event: { data: unknown }) => void): unknown;
}

/**
 * Started by the packaged desktop app as an Electron utility process (no RunAsNode there), the
 * channel to the panel is process.parentPort rather than Node's IPC: give it the process.send /
 * 'message' shape the rest of this file speaks. A utility process ends with the app, so it needs
 * no 'disconnect'.
 */
function adoptParentPort(): void {
  const port = (process as { parentPort?: ParentPort }).parentPort;
  if (!port || process.send) return;
  process.send = ((message: unknown, ...rest: unknown[]) => {
    port.postMessage(message);
    const callback = rest.find((arg) => typeof arg === 'function') as (() => void) | undefined;
    callback?.();
    return true;
  }) as unknown as typeof process.send;
  Object.defineProperty(process, 'connected', { value: true, configurable: true });
  const emit = process.emit.bind(process) as (event: string, ...args: unknown[]) => boolean;
  port.on('message', ({ data }) => emit('message', data));
}

export function runChild<C>(name: string, boot: (config: C) => Promise<RunningChild>): void {
  adoptParentPort();
  if (!process.send) {
    console.error(`${name}: this program is started by Hearth and talks to it over IPC; it cannot run on its own.`);
    process.exit(2);
  }
  let running: RunningChild | null = null;
  let shuttingDown = false;

  const report = (message: ChildReport): Promise<void> =>
    new Promise((resolve) => {
      if (!process.connected || !process.send) return resolve();
      process.send(message, undefined, {}, () => resolve());
    });

  const shutdown = async (why: string): Promise<void> => {
    if (shuttingDown) return;
    shuttingDown = true;
    console.log(`${name}: stopping (${why})`);
    setTimeout(() => {
      console.error(`${name}: shutdown took too long, exiting`);
      process.exit(1);
    }, SHUTDOWN_DEADLINE_MS).unref();
    if (!running) {
      // Still starting: nothing is served yet, and the databases it may be opening are
      // crash-safe (SQLite; the PLC journal drops a torn last line), so a cancel is immediate.
      console.log(`${name}: stopped before it finished starting`);
      process.exit(0);
    }
    try {
      await running.close();
      console.log(`${name}: stopped`);
      process.exit(0);
    } catch (err) {
      console.error(`${name}: error while stopping: ${describe(err)}`);
      process.exit(1);
    }
  };

  process.once('message', (config: C) => {
    void boot(config).then(
      async (started) => {
        running = started;
        console.log(`${name}: listening on port ${started.port}`);
        if (!shuttingDown) await report({ type: 'ready', port: started.port });
        return started;
      },
      async (err: unknown) => {
        console.error(`${name}: failed to start: ${describe(err)}`);
        const code = errorCode(err);
        await report({ type: 'failed', message: describe(err), ...(code ? { code } : {}) });
        process.exit(1);
        return null;
      },
    );
  });
  process.on('message', (message: unknown) => {
    if (isShutdown(message)) void shutdown('asked by Hearth');
  });
  process.on('disconnect', () => void shutdown('Hearth went away'));
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
  process.on('SIGINT', () => void shutdown('SIGINT'));
}

function isShutdown(message: unknown): boolean {
  return typeof message === 'object' && message !== null && (message as { type?: unknown }).type === 'shutdown';
}

function describe(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

function errorCode(err: unknown): string | undefined {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

type Listen = (...args: unknown[]) => Server;

/**
 * Both servers call `app.listen(port)`, which binds every interface. A sandbox must not be
 * reachable from the network, so the first call is rewritten to bind 127.0.0.1 — and, when the
 * machine has an IPv6 loopback, a second listener on [::1] on the same port, because a client
 * resolving "localhost" may try ::1 first and would otherwise reach whatever else holds that port.
 * `ipv6` resolves once the second listener is up (or known to be impossible) and rejects when
 * another program holds the port on ::1.
 */
export function listenOnLoopbackOnly(app: { listen: unknown }): { ipv6: Promise<void>; closeExtra(): void } {
  const original = app.listen as Listen;
  let extra: Server | null = null;
  let settle: { resolve: () => void; reject: (err: unknown) => void } | null = null;
  const ipv6 = new Promise<void>((resolve, reject) => (settle = { resolve, reject }));
  ipv6.catch(() => undefined);

  app.listen = ((port: unknown) => {
    const primary = original.call(app, port, '127.0.0.1');
    const secondary = original.call(app, port, '::1');
    extra = secondary;
    secondary.once('listening', () => settle?.resolve());
    secondary.once('error', (err: NodeJS.ErrnoException) => {
      extra = null;
      if (err.code === 'EADDRNOTAVAIL' || err.code === 'EAFNOSUPPORT') settle?.resolve();
      else settle?.reject(err);
    });
    return primary;
  }) as Listen;

  return {
    ipv6,
    closeExtra() {
      const server = extra as Server | null;
      server?.close();
      server?.closeAllConnections();
    },
  };
}
