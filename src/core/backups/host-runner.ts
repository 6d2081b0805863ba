/**
 * What backups need from a server: run a command (with extra environment and stdin), and put/get
 * a file. Two implementations: this computer (the sandbox is a server Hearth manages, so running
 * the host scripts here is the product, not a test double) and a server over SSH.
 */
import { spawn } from 'node:child_process';
import { mkdir, readFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { HearthError } from '../../shared/errors.ts';
import { writeFileAtomic } from '../fs/atomic-write.ts';
import type { SshSession } from '../hosts/ssh/index.ts';
import { abortError, type JobContext } from '../jobs/job-context.ts';
import { shellQuote } from '../hosts/ssh/shell-quote.ts';

export interface RunOptions {
  /** Extra environment for the command. Secrets go here, never on the command line. */
  env?: Record<string, string>;
  stdin?: string;
  ctx?: JobContext;
  signal?: AbortSignal;
  /** Called with each stdout line as it arrives (progress lines), while the command still runs. */
  onLine?: (line: string) => void;
  /** Called with each stderr line as it arrives. */
  onStderrLine?: (line: string) => void;
}

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface HostRunner {
  /** Whether this runner is this computer (secrets then travel only in the environment). */
  readonly local: boolean;
  run(command: string, args: string[], options?: RunOptions): Promise<RunResult>;
  writeFile(path: string, data: string, mode: number): Promise<void>;
  readFile(path: string): Promise<string | null>;
}


/** Splits a stream into lines for onLine, keeping the whole text. */
function lineSplitter(onLine: ((line: string) => void) | undefined) {
  let partial = '';
  let all = '';
  return {
    push(chunk: string) {
      all += chunk;
      if (!onLine) return;
      const lines = (partial + chunk).split('\n');
      partial = lines.pop() ?? '';
      for (const line of lines) onLine(line);
    },
    end() {
      if (onLine && partial) onLine(partial);
      return all;
    },
  };
}

export class LocalRunner implements HostRunner {
  readonly local = true;

  run(command: string, args: string[], options: RunOptions = {}): Promise<RunResult> {
    const signal = options.signal ?? options.ctx?.signal;
    return new Promise((resolve, reject) => {
      if (signal?.aborted) return reject(abortError());
      const child = spawn(command, args, {
        env: { ...process.env, ...options.env },
        stdio: ['pipe', 'pipe', 'pipe'],
        // Its own process group: a cancel stops restic and sqlite3 too.
        detached: true,
      });
      const out = lineSplitter(options.onLine);
      const err = lineSplitter(options.onStderrLine);
      child.stdout.setEncoding('utf8').on('data', (chunk: string) => out.push(chunk));
      child.stderr.setEncoding('utf8').on('data', (chunk: string) => err.push(chunk));
      const onAbort = () => {
        try {
          if (child.pid) process.kill(-child.pid, 'SIGTERM');
        } catch {
          // gone
        }
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      child.once('error', (err) => {
        signal?.removeEventListener('abort', onAbort);
        reject(new HearthError('NOT_FOUND', `Could not run ${command}: ${err.message}.`, `Check that ${command} is installed.`));
      });
      child.once('close', (code) => {
        signal?.removeEventListener('abort', onAbort);
        if (signal?.aborted) return reject(abortError());
        resolve({ code: code ?? -1, stdout: out.end(), stderr: err.end() });
      });
      child.stdin.end(options.stdin ?? '');
    });
  }

  async writeFile(path: string, data: string, mode: number): Promise<void> {
    await mkdir(dirname(path), { recursive: true, mode: 0o700 });
    await writeFileAtomic(path, data, mode);
  }

  async readFile(path: string): Promise<string | null> {
    return readFile(path, 'utf8').catch((err: NodeJS.ErrnoException) => {
      if (err.code === 'ENOENT') return null;
      throw err;
    });
  }
}

/** A server over SSH (commands run through `env … command`, secrets passed on stdin, not argv). */
export class SshRunner implements HostRunner {
  readonly local = false;
  readonly #ssh: SshSession;

  constructor(ssh: SshSession) {
    this.#ssh = ssh;
  }

  async run(command: string, args: string[], options: RunOptions = {}): Promise<RunResult> {
    // Environment values are read from stdin by the remote shell so they never show in `ps`.
    const env = Object.entries(options.env ?? {});
    const reads = env.map(([name]) => `IFS= read -r ${name} && export ${name}`).join(' && ');
    const line = [command, ...args].map(shellQuote).join(' ');
    const script = env.length ? `${reads} && exec ${line}` : `exec ${line}`;
    const stdin = env.map(([, value]) => `${value}\n`).join('') + (options.stdin ?? '');
    // Lines reach the caller as the server prints them (a backup or restore runs for minutes):
    // quiet, because the caller decides what of the output belongs in the job log.
    return this.#ssh.exec(`bash -c ${shellQuote(script)}`, {
      stdin,
      quiet: true,
      ...(options.ctx ? { ctx: options.ctx } : {}),
      ...(options.signal ? { signal: options.signal } : {}),
      ...(options.onLine ? { onStdoutLine: options.onLine } : {}),
      ...(options.onStderrLine ? { onStderrLine: options.onStderrLine } : {}),
    });
  }

  async writeFile(path: string, data: string, mode: number): Promise<void> {
    await this.#ssh.run(`mkdir -p ${shellQuote(dirname(path))}`, { what: 'create a folder' });
    await this.#ssh.writeFile(path, data, { mode });
  }

  async readFile(path: string): Promise<string | null> {
    const data = await this.#ssh.readFile(path);
    return data ? data.toString('utf8') : null;
  }
}
