/**
 * "Try it locally": a real PLC and a real PDS on this computer, each in its own child process so a
 * crash of either never takes the panel down. Settings (ports) in <dataDir>/sandbox/sandbox.json,
 * data under <dataDir>/sandbox/, secrets in the keychain under "sandbox/…".
 *
 * This module never imports @atproto/pds or @did-plc/server: only the child scripts do.
 */
import { existsSync } from 'node:fs';
import { rm, stat } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { HearthError } from '../../shared/errors.ts';
import type { SandboxState, SandboxStatus } from '../../shared/contract/sandbox.ts';
import { throwIfCancelled, type JobContext } from '../jobs/job-context.ts';
import type { Redactor } from '../log/redact.ts';
import { ADMIN_PASSWORD, PDS_SECRET_NAMES, PLC_ROTATION_KEY } from '../secrets/names.ts';
import { secretAccount, type SecretStore } from '../secrets/secret-store.ts';
import { ChildStartError, SandboxChild, type ChildName, type ChildSpawner } from './child-process.ts';
import {
  pdsUrlFor,
  plcUrlFor,
  readSandboxConfig,
  sandboxPaths,
  writeSandboxConfig,
  type SandboxConfig,
  type SandboxPaths,
} from './config.ts';
import { RotatingLogFile } from './log-file.ts';
import { isLoopbackPortFree, pickFreeLoopbackPort } from './ports.ts';
import { SANDBOX_SERVER_ID, loadOrCreateSandboxSecrets } from './secrets.ts';

export interface SandboxOptions {
  /** The app data dir; the sandbox lives in <dataDir>/sandbox/. */
  dataDir: string;
  secrets: SecretStore;
  redactor: Redactor;
  /** Called on every state change. */
  onStatus?: (status: SandboxStatus) => void;
  /** The Node binary for the children; default process.execPath. Under Electron pass execPath and ELECTRON_RUN_AS_NODE=1 in childEnv. */
  nodePath?: string;
  /** Base environment for the children; default process.env. Never carries secrets. */
  childEnv?: NodeJS.ProcessEnv;
  /** How children start; default `nodePath` with a Node IPC channel (see ChildSpawner). */
  spawnChild?: ChildSpawner;
  /** Entry scripts of the children; default the plc-child.ts / pds-child.ts beside this file. */
  childScripts?: { plc: string; pds: string };
  /** Overrides for slow machines and tests. */
  timeouts?: Partial<SandboxTimeouts>;
}

export interface SandboxTimeouts {
  plcReadyMs: number;
  pdsReadyMs: number;
  healthMs: number;
  pdsStopMs: number;
  plcStopMs: number;
}

const DEFAULT_TIMEOUTS: SandboxTimeouts = {
  plcReadyMs: 30_000,
  // Measured ~3.5 s on 2 cores with a warm disk cache; a cold start on a slow laptop is far slower.
  pdsReadyMs: 90_000,
  healthMs: 20_000,
  pdsStopMs: 15_000,
  plcStopMs: 5_000,
};

export interface SandboxUrls {
  pdsUrl: string;
  plcUrl: string;
}

const HANDLE_DOMAIN = '.test';

const MESSAGES: Record<Exclude<SandboxState, 'starting' | 'crashed'>, string> = {
  absent: 'Not created yet. Starting it creates a test server on this computer.',
  stopped: 'Stopped. Test accounts and posts are kept for the next start.',
  running: 'Running on this computer.',
  stopping: 'Stopping…',
};

export class Sandbox {
  readonly paths: SandboxPaths;
  readonly #opts: SandboxOptions;
  readonly #timeouts: SandboxTimeouts;
  readonly #scripts: { plc: string; pds: string };
  #state: SandboxState;
  #message: string;
  #urls: SandboxUrls | null = null;
  #children: Partial<Record<ChildName, SandboxChild>> = {};
  /** Set while the panel itself is stopping the children: their exit is then no crash. */
  #stopping = false;
  #queue: Promise<unknown> = Promise.resolve();
  #startAbort: AbortController | null = null;
  /** If the panel exits while children run, they go with it (they also exit on IPC disconnect). */
  readonly #killOnExit = () => {
    for (const child of Object.values(this.#children)) child?.kill();
  };
  #exitHookInstalled = false;

  constructor(opts: SandboxOptions) {
    this.#opts = opts;
    this.paths = sandboxPaths(opts.dataDir);
    this.#timeouts = { ...DEFAULT_TIMEOUTS, ...opts.timeouts };
    this.#scripts = opts.childScripts ?? {
      plc: fileURLToPath(new URL('./plc-child.ts', import.meta.url)),
      pds: fileURLToPath(new URL('./pds-child.ts', import.meta.url)),
    };
    // One stat at construction so status() can answer synchronously from the first call.
    this.#state = existsSync(this.paths.configFile) ? 'stopped' : 'absent';
    this.#message = MESSAGES[this.#state === 'absent' ? 'absent' : 'stopped'];
  }

  status(): SandboxStatus {
    const urls = this.#state === 'running' ? this.#urls : null;
    return { state: this.#state, pdsUrl: urls?.pdsUrl ?? null, plcUrl: urls?.plcUrl ?? null, message: this.#message };
  }

  /** Whether the sandbox was created before (its settings file exists). */
  async exists(): Promise<boolean> {
    return stat(this.paths.configFile).then(
      () => true,
      () => false,
    );
  }

  /** Process ids of the running children (diagnostics and tests). */
  pids(): { plc: number | null; pds: number | null } {
    const pid = (child: SandboxChild | undefined) => (child?.alive ? (child.pid ?? null) : null);
    return { plc: pid(this.#children.plc), pds: pid(this.#children.pds) };
  }

  /** Creates the sandbox on first use, then starts it. Idempotent while running. */
  start(ctx: JobContext): Promise<SandboxUrls> {
    return this.#serialize(() => this.#start(ctx));
  }

  /** Stops the PDS, then the PLC, keeping all data. Idempotent; also cancels a start in progress. */
  stop(ctx?: JobContext): Promise<void> {
    this.#startAbort?.abort();
    return this.#serialize(() => this.#stop(ctx));
  }

  /** Stops the sandbox and deletes it: its data directory and its keychain entries. */
  remove(ctx?: JobContext): Promise<void> {
    this.#startAbort?.abort();
    return this.#serialize(async () => {
      await this.#stop(ctx);
      ctx?.progress(0.7, 'Removing sandbox data');
      await rm(this.paths.root, { recursive: true, force: true });
      for (const name of PDS_SECRET_NAMES) await this.#opts.secrets.delete(secretAccount(SANDBOX_SERVER_ID, name));
      this.#setState('absent', MESSAGES.absent);
      ctx?.progress(1, 'Removed');
    });
  }

  /** The sandbox PDS's admin password (core only: for admin calls, never sent to the UI). */
  async adminPassword(): Promise<string> {
    const value = await this.#opts.secrets.get(secretAccount(SANDBOX_SERVER_ID, ADMIN_PASSWORD));
    if (!value) {
      throw new HearthError('NOT_FOUND', 'The sandbox has no admin password yet.', 'Start the sandbox once to create it.');
    }
    this.#opts.redactor.register(value);
    return value;
  }

  async #start(ctx: JobContext): Promise<SandboxUrls> {
    if (this.#state === 'running' && this.#urls && this.#children.pds?.alive && this.#children.plc?.alive) {
      ctx.progress(1, 'Already running');
      return this.#urls;
    }
    const abort = new AbortController();
    this.#startAbort = abort;
    const signal = AbortSignal.any([ctx.signal, abort.signal]);
    // A crashed sandbox may still have one live child: clear it out before starting afresh.
    await this.#stopChildren();
    const stateBefore: SandboxState = this.#state === 'absent' ? 'absent' : 'stopped';
    const step = (fraction: number, text: string) => {
      ctx.progress(fraction, text);
      ctx.log(text);
      this.#setState('starting', text);
    };
    try {
      throwIfCancelled(signal);
      step(0.05, 'Preparing secrets');
      const { secrets, created } = await loadOrCreateSandboxSecrets(this.#opts.secrets, this.#opts.redactor);
      if (created.length) ctx.log(`Created ${created.join(', ')} in the keychain.`);
      if (created.includes(PLC_ROTATION_KEY) && (await this.exists())) {
        ctx.log(
          'The sandbox rotation key was missing from the keychain and a new one was made: existing sandbox accounts keep working, but their identities can no longer be changed (remove the sandbox to start clean).',
          'warn',
        );
      }
      throwIfCancelled(signal);
      const config = await this.#prepareConfig(ctx);
      throwIfCancelled(signal);
      const urls = { pdsUrl: pdsUrlFor(config), plcUrl: plcUrlFor(config) };
      const env = this.#childEnv();

      step(0.15, 'Starting identity directory (PLC)');
      throwIfCancelled(signal);
      const plc = this.#spawn('plc', env);
      plc.send({ type: 'config', port: config.plcPort, operationsFile: this.paths.plcOperations });
      await this.#untilReady(plc, this.#timeouts.plcReadyMs, signal);

      step(0.35, 'Starting PDS');
      throwIfCancelled(signal);
      const pds = this.#spawn('pds', env);
      pds.send({
        type: 'config',
        port: config.pdsPort,
        dataDirectory: this.paths.pdsData,
        blobstoreDirectory: this.paths.pdsBlobs,
        blobstoreTmpDirectory: this.paths.pdsBlobsTmp,
        plcUrl: urls.plcUrl,
        handleDomain: config.handleDomain,
        secrets,
      });
      await this.#untilReady(pds, this.#timeouts.pdsReadyMs, signal);

      step(0.85, 'Checking health');
      await this.#waitHealthy(urls, signal);

      this.#urls = urls;
      this.#setState('running', `${MESSAGES.running} PDS at ${urls.pdsUrl}, handles end in ${config.handleDomain}.`);
      ctx.progress(1, 'Running');
      ctx.log(`Sandbox running: PDS ${urls.pdsUrl}, PLC ${urls.plcUrl}.`);
      return urls;
    } catch (err) {
      await this.#stopChildren(true);
      const exists = await this.exists();
      const failure = signal.aborted ? null : this.#explain(err);
      this.#setState(exists ? 'stopped' : stateBefore, failure ? `Could not start: ${failure.message}` : MESSAGES.stopped);
      if (signal.aborted) throwIfCancelled(signal);
      throw failure ?? err;
    } finally {
      if (this.#startAbort === abort) this.#startAbort = null;
    }
  }

  /** Reads sandbox.json, creating it (with two free ports) on first use; checks the ports. */
  async #prepareConfig(ctx: JobContext): Promise<SandboxConfig> {
    let config = await readSandboxConfig(this.paths.configFile);
    if (!config) {
      const pdsPort = await pickFreeLoopbackPort();
      const plcPort = await pickFreeLoopbackPort([pdsPort]);
      config = { version: 1, pdsPort, plcPort, handleDomain: HANDLE_DOMAIN, createdAt: new Date().toISOString() };
      await writeSandboxConfig(this.paths.configFile, config);
      ctx.log(`Created the sandbox: PDS on port ${pdsPort}, PLC on port ${plcPort}.`);
      return config;
    }
    if (!(await isLoopbackPortFree(config.pdsPort))) {
      throw new HearthError(
        'CONFLICT',
        `Port ${config.pdsPort}, which the sandbox PDS always uses, is taken by another program.`,
        `Close the program listening on port ${config.pdsPort} (or restart the computer), then start the sandbox again. The port cannot change: it is part of every sandbox account's identity.`,
      );
    }
    if (!(await isLoopbackPortFree(config.plcPort))) {
      // Only the PDS knows the PLC's address, so the PLC may move.
      const plcPort = await pickFreeLoopbackPort([config.pdsPort]);
      ctx.log(`Port ${config.plcPort} is taken by another program; the identity directory moves to port ${plcPort}.`, 'warn');
      config = { ...config, plcPort };
      await writeSandboxConfig(this.paths.configFile, config);
    }
    return config;
  }

  #childEnv(): NodeJS.ProcessEnv {
    // Logging for both servers is configured through the environment (read at module load);
    // nothing secret goes here.
    return { ...(this.#opts.childEnv ?? process.env), LOG_ENABLED: 'true', LOG_LEVEL: 'info' };
  }

  #spawn(name: ChildName, env: NodeJS.ProcessEnv): SandboxChild {
    const log = new RotatingLogFile(name === 'plc' ? this.paths.plcLog : this.paths.pdsLog, this.#opts.redactor);
    void log.writeLine(`--- Hearth is starting the sandbox ${name.toUpperCase()} (${new Date().toISOString()})`);
    const child = new SandboxChild({
      name,
      script: this.#scripts[name],
      nodePath: this.#opts.nodePath ?? process.execPath,
      env,
      cwd: this.paths.root,
      log,
      ...(this.#opts.spawnChild && { spawn: this.#opts.spawnChild }),
    });
    this.#children[name] = child;
    this.#exitHook(true);
    void child.exited.then((exit) => {
      void log.writeLine(`--- ${name} exited (${exit.signal ? `signal ${exit.signal}` : `code ${exit.code}`})`);
      this.#onChildExit(child);
    });
    return child;
  }

  /** Waits for a child's "ready", failing early if an already-started sibling dies meanwhile. */
  async #untilReady(child: SandboxChild, timeoutMs: number, signal: AbortSignal): Promise<void> {
    const siblings = Object.values(this.#children).filter((c): c is SandboxChild => !!c && c !== child);
    const local = new AbortController();
    const died = siblings.map((sibling) =>
      sibling.exited.then(() => {
        if (!local.signal.aborted) throw new ChildStartError(sibling.name, 'EXITED', 'it stopped unexpectedly');
      }),
    );
    try {
      await Promise.race([child.waitReady(timeoutMs, signal), ...died]);
    } finally {
      local.abort();
    }
  }

  async #waitHealthy(urls: SandboxUrls, signal: AbortSignal): Promise<void> {
    const deadline = Date.now() + this.#timeouts.healthMs;
    const endpoints = [`${urls.plcUrl}/_health`, `${urls.pdsUrl}/xrpc/_health`];
    for (const endpoint of endpoints) {
      let lastProblem: string;
      for (;;) {
        throwIfCancelled(signal);
        try {
          const res = await fetch(endpoint, { signal: AbortSignal.any([signal, AbortSignal.timeout(3_000)]) });
          const body = (await res.json().catch(() => null)) as { version?: unknown } | null;
          if (res.ok && typeof body?.version === 'string') break;
          lastProblem = `HTTP ${res.status}`;
        } catch (err) {
          throwIfCancelled(signal);
          lastProblem = err instanceof Error ? err.message : String(err);
        }
        if (Date.now() > deadline) {
          throw new HearthError(
            'UNAVAILABLE',
            `The sandbox started but ${endpoint} does not answer (${lastProblem}).`,
            `Look at the sandbox logs in ${this.paths.logs}, then try starting it again.`,
          );
        }
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
    }
  }

  async #stop(ctx?: JobContext): Promise<void> {
    const { pds, plc } = this.#children;
    if (!pds?.alive && !plc?.alive) {
      this.#children = {};
      if (this.#state !== 'absent') this.#setState('stopped', MESSAGES.stopped);
      ctx?.progress(1, 'Stopped');
      return;
    }
    this.#setState('stopping', MESSAGES.stopping);
    ctx?.progress(0.1, 'Stopping PDS');
    ctx?.log('Stopping PDS');
    await this.#stopChildren(false, ctx?.signal);
    this.#setState('stopped', MESSAGES.stopped);
    ctx?.progress(1, 'Stopped');
    ctx?.log('Sandbox stopped.');
  }

  /** PDS first (it may still write to the PLC), then PLC. quick: a short grace for a failed start. */
  async #stopChildren(quick = false, signal?: AbortSignal): Promise<void> {
    this.#stopping = true;
    try {
      const { pds, plc } = this.#children;
      await pds?.stop(quick ? 3_000 : this.#timeouts.pdsStopMs, signal);
      await plc?.stop(quick ? 2_000 : this.#timeouts.plcStopMs, signal);
    } finally {
      this.#children = {};
      this.#urls = null;
      this.#stopping = false;
      this.#exitHook(false);
    }
  }

  #onChildExit(child: SandboxChild): void {
    if (this.#children[child.name] !== child) return;
    if (Object.values(this.#children).every((c) => !c?.alive)) this.#exitHook(false);
    if (this.#stopping || this.#state !== 'running') return;
    const what = child.name === 'pds' ? 'The sandbox PDS' : 'The sandbox identity directory (PLC)';
    this.#setState(
      'crashed',
      `${what} stopped unexpectedly. Its data is kept: start the sandbox again. Details are in ${child.name === 'pds' ? this.paths.pdsLog : this.paths.plcLog}.`,
    );
    // The other half is useless alone; stop it, without touching the state.
    this.#serialize(async () => {
      if (this.#state === 'crashed') await this.#stopChildren();
    }).catch(() => undefined);
  }

  /** Turns a start failure into an error that is safe and useful to show. */
  #explain(err: unknown): HearthError {
    if (err instanceof HearthError) return err;
    if (err instanceof ChildStartError) {
      const what = err.child === 'pds' ? 'the sandbox PDS' : 'the sandbox identity directory (PLC)';
      const logFile = err.child === 'pds' ? this.paths.pdsLog : this.paths.plcLog;
      if (err.code === 'EADDRINUSE') {
        return new HearthError(
          'CONFLICT',
          `Another program took the port of ${what} while it was starting.`,
          'Close the program using that port (or restart the computer), then start the sandbox again.',
        );
      }
      if (err.code === 'SPAWN') {
        return new HearthError('INTERNAL', `Hearth could not start ${what}: ${this.#opts.redactor.redact(err.message)}.`, 'Reinstall Hearth if this keeps happening.');
      }
      return new HearthError(
        err.code === 'TIMEOUT' ? 'UNAVAILABLE' : 'INTERNAL',
        `Could not start ${what}: ${this.#opts.redactor.redact(err.message)}.`,
        `Details are in ${logFile}. Try starting the sandbox again.`,
      );
    }
    const message = err instanceof Error ? err.message : String(err);
    return new HearthError('INTERNAL', `The sandbox could not start: ${this.#opts.redactor.redact(message)}`, `Details are in ${this.paths.logs}.`);
  }

  #exitHook(installed: boolean): void {
    if (installed === this.#exitHookInstalled) return;
    this.#exitHookInstalled = installed;
    if (installed) process.on('exit', this.#killOnExit);
    else process.off('exit', this.#killOnExit);
  }

  #setState(state: SandboxState, message: string): void {
    if (state === this.#state && message === this.#message) return;
    this.#state = state;
    this.#message = this.#opts.redactor.redact(message);
    try {
      this.#opts.onStatus?.(this.status());
    } catch {
      // A listener's failure is not the sandbox's.
    }
  }

  #serialize<T>(op: () => Promise<T>): Promise<T> {
    const next = this.#queue.then(op, op);
    this.#queue = next.catch(() => undefined);
    return next;
  }
}
