import { spawn } from 'node:child_process';
import { HearthError } from '../../shared/errors.ts';
import { abortError, type JobContext } from './job-context.ts';

export interface ProcessResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** How long a cancelled process gets to exit after SIGTERM before it is killed outright. */
const KILL_GRACE_MS = 3_000;

/**
 * Runs a local command as part of a job: output lines go to the job log, and cancelling the job
 * terminates the whole process group (the command and anything it started), so nothing keeps
 * running after the user pressed Cancel.
 */
export function runProcess(
  ctx: JobContext,
  command: string,
  args: string[],
  options: { cwd?: string; env?: NodeJS.ProcessEnv; onSpawn?: (pid: number) => void } = {},
): Promise<ProcessResult> {
  return new Promise((resolve, reject) => {
    if (ctx.signal.aborted) return reject(abortError());
    const child = spawn(command, args, {
      cwd: options.cwd,
      env: options.env ?? process.env,
      stdio: ['ignore', 'pipe', 'pipe'],
      // Its own process group, so a cancel reaches grandchildren too.
      detached: true,
    });
    let stdout = '';
    let stderr = '';
    const pipe = (stream: NodeJS.ReadableStream, sink: (s: string) => void, level: 'info' | 'warn') => {
      let partial = '';
      stream.setEncoding('utf8');
      stream.on('data', (chunk: string) => {
        sink(chunk);
        const lines = (partial + chunk).split('\n');
        partial = lines.pop() ?? '';
        for (const line of lines) if (line.trim()) ctx.log(line, level);
      });
      stream.on('end', () => partial.trim() && ctx.log(partial, level));
    };
    pipe(child.stdout, (s) => (stdout += s), 'info');
    pipe(child.stderr, (s) => (stderr += s), 'warn');

    let killTimer: NodeJS.Timeout | undefined;
    const onAbort = () => {
      signalGroup(child.pid, 'SIGTERM');
      killTimer = setTimeout(() => signalGroup(child.pid, 'SIGKILL'), KILL_GRACE_MS);
    };
    ctx.signal.addEventListener('abort', onAbort, { once: true });

    child.once('spawn', () => child.pid && options.onSpawn?.(child.pid));
    child.once('error', (err) => {
      ctx.signal.removeEventListener('abort', onAbort);
      reject(new HearthError('NOT_FOUND', `Could not run ${command}: ${err.message}.`, `Check that ${command} is installed.`));
    });
    child.once('close', (code) => {
      clearTimeout(killTimer);
      ctx.signal.removeEventListener('abort', onAbort);
      if (ctx.signal.aborted) return reject(abortError());
      resolve({ code: code ?? -1, stdout, stderr });
    });
  });
}

function signalGroup(pid: number | undefined, signal: NodeJS.Signals): void {
  if (!pid) return;
  try {
    process.kill(-pid, signal);
  } catch {
    // Already gone.
  }
}
