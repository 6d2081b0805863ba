/**
 * The panel's handle on one sandbox child process: spawn it with an IPC channel, send its config,
 * wait for "ready", stop it gracefully (or kill it), and learn when it dies.
 */
import { spawn } from 'node:child_process';
import type { Readable } from 'node:stream';
import { isChildReport, type ChildConfig, type ChildReport } from './protocol.ts';
import type { RotatingLogFile } from './log-file.ts';

export type ChildName = 'plc' | 'pds';

export interface ChildExit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

/** Why a child did not become ready. */
export class ChildStartError extends Error {
  readonly child: ChildName;
  /** Node error code reported by the child (EADDRINUSE…), or 'TIMEOUT' / 'EXITED' / 'SPAWN'. */
  readonly code: string;

  constructor(child: ChildName, code: string, message: string) {
    super(message);
    this.name = 'ChildStartError';
    this.child = child;
    this.code = code;
  }
}

/** What the panel needs of a running child: a Node ChildProcess, or a host's own kind of process. */
export interface ChildHandle {
  readonly pid?: number | undefined;
  readonly connected: boolean;
  readonly stdout: Readable | null;
  readonly stderr: Readable | null;
  send(message: ChildConfig | { type: 'shutdown' }): unknown;
  kill(signal?: NodeJS.Signals): unknown;
  on(event: 'message', listener: (message: unknown) => void): unknown;
  on(event: 'error', listener: (err: Error) => void): unknown;
  once(event: 'error', listener: (err: Error) => void): unknown;
  once(event: 'exit', listener: (code: number | null, signal: NodeJS.Signals | null) => void): unknown;
}

/**
 * Starts a child's entry script with an IPC channel. The default runs it under a Node binary; the
 * packaged desktop app has no Node to run (its RunAsNode fuse is off) and passes one that starts
 * an Electron utility process instead.
 */
export type ChildSpawner = (script: string, options: { cwd: string; env: NodeJS.ProcessEnv }) => ChildHandle;

export interface SpawnOptions {
  name: ChildName;
  script: string;
  nodePath: string;
  env: NodeJS.ProcessEnv;
  cwd: string;
  log: RotatingLogFile;
  spawn?: ChildSpawner;
}

export class SandboxChild {
  readonly name: ChildName;
  readonly exited: Promise<ChildExit>;
  readonly #process: ChildHandle;
  readonly #log: RotatingLogFile;
  #exit: ChildExit | null = null;
  #spawnError: Error | null = null;
  #report: ChildReport | null = null;
  readonly #reportWaiters = new Set<() => void>();

  constructor(options: SpawnOptions) {
    this.name = options.name;
    this.#log = options.log;
    this.#process = options.spawn
      ? options.spawn(options.script, { cwd: options.cwd, env: options.env })
      : spawn(options.nodePath, [options.script], {
          cwd: options.cwd,
          env: options.env,
          // stdin closed; stdout/stderr to the log; fd 3 is the IPC channel that carries config and
          // secrets. Not detached: it stays in the panel's process group.
          stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
          serialization: 'json',
          windowsHide: true,
        });
    const proc = this.#process;
    if (proc.stdout) options.log.follow(proc.stdout);
    if (proc.stderr) options.log.follow(proc.stderr);
    proc.on('message', (message: unknown) => {
      if (isChildReport(message) && !this.#report) {
        this.#report = message;
        this.#notify();
      }
    });
    this.exited = new Promise((resolve) => {
      proc.once('error', (err) => {
        // Spawning failed (no such executable…): there will be no 'exit'.
        if (proc.pid === undefined) {
          this.#spawnError = err;
          this.#exit = { code: null, signal: null };
          this.#notify();
          resolve(this.#exit);
        }
      });
      proc.once('exit', (code, signal) => {
        this.#exit = { code, signal };
        this.#notify();
        resolve(this.#exit);
      });
    });
    // IPC writes to a child that just died fail asynchronously: nothing to do about it.
    proc.on('error', () => undefined);
  }

  get pid(): number | undefined {
    return this.#process.pid;
  }

  get alive(): boolean {
    return this.#exit === null;
  }

  send(config: ChildConfig): void {
    if (this.#process.connected) this.#process.send(config);
  }

  /** Resolves on "ready"; rejects if the child fails, exits, times out, or signal aborts. */
  waitReady(timeoutMs: number, signal: AbortSignal): Promise<void> {
    return new Promise((resolve, reject) => {
      let timedOut = false;
      const timer = setTimeout(() => {
        timedOut = true;
        check();
      }, timeoutMs);
      const check = () => {
        const outcome = this.#startOutcome(timedOut, signal, timeoutMs);
        if (!outcome) return;
        clearTimeout(timer);
        signal.removeEventListener('abort', check);
        this.#reportWaiters.delete(check);
        if (outcome === 'ready') resolve();
        else reject(outcome);
      };
      signal.addEventListener('abort', check, { once: true });
      this.#reportWaiters.add(check);
      check();
    });
  }

  #startOutcome(timedOut: boolean, signal: AbortSignal, timeoutMs: number): 'ready' | ChildStartError | null {
    const report = this.#report;
    if (report?.type === 'ready') return 'ready';
    if (report?.type === 'failed') return new ChildStartError(this.name, report.code ?? 'FAILED', report.message);
    if (this.#spawnError) return new ChildStartError(this.name, 'SPAWN', this.#spawnError.message);
    if (this.#exit) {
      const how = this.#exit.signal ? `signal ${this.#exit.signal}` : `exit code ${this.#exit.code}`;
      return new ChildStartError(this.name, 'EXITED', `it stopped while starting (${how})`);
    }
    if (signal.aborted) return new ChildStartError(this.name, 'ABORTED', 'cancelled');
    if (timedOut) return new ChildStartError(this.name, 'TIMEOUT', `it was not ready after ${timeoutMs / 1000} s`);
    return null;
  }

  /**
   * Asks a ready child to shut down (it closes its server and databases), and kills it if it has
   * not exited after graceMs, or at once when signal aborts.
   */
  async stop(graceMs: number, signal?: AbortSignal): Promise<void> {
    if (!this.alive) return;
    if (this.#report?.type !== 'ready') {
      // Still booting: its event loop is busy loading and migrating and would only read the
      // shutdown message once fully started. It serves nothing yet and its stores are crash-safe
      // (SQLite; the PLC journal drops a torn last line), so a cancelled start kills it at once.
      void this.#log.writeLine(`--- Hearth stopped ${this.name} before it was ready`);
      this.kill();
      await this.exited;
      return;
    }
    void this.#log.writeLine(`--- Hearth asked ${this.name} to stop (${new Date().toISOString()})`);
    if (this.#process.connected) this.#process.send({ type: 'shutdown' });
    else this.#process.kill('SIGTERM');
    let timer: NodeJS.Timeout | undefined;
    const kill = () => this.kill();
    signal?.addEventListener('abort', kill, { once: true });
    try {
      await Promise.race([this.exited, new Promise((resolve) => (timer = setTimeout(resolve, graceMs)))]);
      if (this.alive) {
        void this.#log.writeLine(`--- ${this.name} did not stop within ${graceMs / 1000} s: killed`);
        this.kill();
        await this.exited;
      }
    } finally {
      clearTimeout(timer);
      signal?.removeEventListener('abort', kill);
    }
  }

  /** Immediate, synchronous SIGKILL (also safe from a process 'exit' handler). */
  kill(): void {
    if (this.alive) this.#process.kill('SIGKILL');
  }

  #notify(): void {
    for (const waiter of [...this.#reportWaiters]) waiter();
  }
}
