import { spawn } from 'node:child_process';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { JobSummary, LogLine } from '../../shared/contract/jobs.ts';
import { HearthError } from '../../shared/errors.ts';
import { Redactor } from '../log/redact.ts';
import { JobManager } from './job-manager.ts';
import { runProcess } from './run-process.ts';

const tempDir = () => mkdtemp(join(tmpdir(), 'hearth-jobs-'));

function recorder() {
  const updates: JobSummary[] = [];
  const logs: LogLine[] = [];
  return { updates, logs, events: { updated: (j: JobSummary) => updates.push(j), log: (_id: string, l: LogLine) => logs.push(l) } };
}

async function waitFor<T>(probe: () => Promise<T | undefined>, timeoutMs = 5_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 25));
  }
}

const isAlive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

describe('JobManager', () => {
  it('reports progress in order, then the result', async () => {
    const rec = recorder();
    const jobs = await JobManager.open(await tempDir(), new Redactor(), rec.events);
    const { id, result } = jobs.start({
      kind: 'test.steps',
      target: 'test server',
      title: 'Three steps',
      run: async (ctx) => {
        ctx.progress(0.2, 'First');
        ctx.log('did the first thing');
        ctx.progress(0.6, 'Second');
        ctx.progress(0.9, 'Third');
        return 42;
      },
    });
    expect(await result).toBe(42);
    const mine = rec.updates.filter((u) => u.id === id);
    expect(mine.map((u) => u.step)).toEqual(['Starting', 'First', 'Second', 'Third', 'Done']);
    const fractions = mine.map((u) => u.progress);
    expect([...fractions].sort((a, b) => a - b)).toEqual(fractions);
    expect(mine.at(-1)?.state).toBe('succeeded');
    const detail = await jobs.get(id);
    expect(detail.log.map((l) => l.message)).toContain('did the first thing');
  });

  it('records a failure with a readable message and no stack trace', async () => {
    const jobs = await JobManager.open(await tempDir(), new Redactor(), recorder().events);
    const { id, result } = jobs.start({
      kind: 'test.fail',
      target: 't',
      title: 'Failing job',
      run: async () => {
        throw new HearthError('NETWORK', 'The server did not answer.', 'Check that it is on.');
      },
    });
    await expect(result).rejects.toThrow('The server did not answer.');
    const detail = await jobs.get(id);
    expect(detail.state).toBe('failed');
    expect(detail.error).toEqual({ code: 'NETWORK', message: 'The server did not answer.', hint: 'Check that it is on.' });
  });

  it('cancel stops a real child process and its children', async () => {
    const jobs = await JobManager.open(await tempDir(), new Redactor(), recorder().events);
    let pid = 0;
    // A shell that starts a grandchild: cancel must reach both.
    const { id, result } = jobs.start({
      kind: 'test.cancel',
      target: 't',
      title: 'Long command',
      run: (ctx) => runProcess(ctx, 'sh', ['-c', 'sleep 60 & echo child-$!; wait'], { onSpawn: (p) => (pid = p) }),
    });
    const grandchild = await waitFor(async () => {
      const line = (await jobs.get(id)).log.map((l) => l.message).find((m) => m.startsWith('child-'));
      return line ? Number(line.slice('child-'.length)) : undefined;
    });
    expect(isAlive(pid)).toBe(true);
    expect(isAlive(grandchild)).toBe(true);

    expect(jobs.cancel(id)).toBe(true);
    await expect(result).rejects.toThrow(/cancelled/i);
    await waitFor(async () => (!isAlive(pid) && !isAlive(grandchild)) || undefined);
    expect((await jobs.get(id)).state).toBe('cancelled');
  });

  it('keeps history across a restart, logs included', async () => {
    const dir = await tempDir();
    const first = await JobManager.open(dir, new Redactor(), recorder().events);
    const { id, result } = first.start({ kind: 'k', target: 't', title: 'Persisted job', run: async (ctx) => ctx.log('remember me') });
    await result;
    await first.flush();

    const second = await JobManager.open(dir, new Redactor(), recorder().events);
    const detail = await second.get(id);
    expect(detail.title).toBe('Persisted job');
    expect(detail.state).toBe('succeeded');
    expect(detail.log.map((l) => l.message)).toContain('remember me');
  });

  it('shows a job as interrupted when the app was killed while it ran', async () => {
    const dir = await tempDir();
    // A separate app process starts a job that never ends, then is killed with SIGKILL.
    const script = `
      import { JobManager } from ${JSON.stringify(new URL('./job-manager.ts', import.meta.url).pathname)};
      import { Redactor } from ${JSON.stringify(new URL('../log/redact.ts', import.meta.url).pathname)};
      const jobs = await JobManager.open(process.argv[1], new Redactor(), { updated() {}, log() {} });
      const { id } = jobs.start({ kind: 'k', target: 't', title: 'Never ends', run: (ctx) => new Promise(() => ctx.progress(0.5, 'Halfway')) });
      await jobs.flush();
      console.log(id);
    `;
    const app = spawn(process.execPath, ['--input-type=module', '-e', script, dir], { stdio: ['ignore', 'pipe', 'inherit'] });
    const id = await new Promise<string>((resolve) => app.stdout.once('data', (d: Buffer) => resolve(d.toString().trim())));
    app.kill('SIGKILL');
    await new Promise((r) => app.once('exit', r));

    const jobs = await JobManager.open(dir, new Redactor(), recorder().events);
    const detail = await jobs.get(id);
    expect(detail.state).toBe('interrupted');
    expect(detail.endedAt).not.toBeNull();
    expect(detail.error?.message).toMatch(/closed while this job ran/);
    expect(detail.log.at(-1)?.message).toMatch(/Interrupted/);
  });

  it('redacts registered secrets from logs, steps and errors', async () => {
    const dir = await tempDir();
    const redactor = new Redactor();
    redactor.register('s3cret-token-value');
    const jobs = await JobManager.open(dir, redactor, recorder().events);
    const { id, result } = jobs.start({
      kind: 'k',
      target: 't',
      title: 'Leaky job',
      run: async (ctx) => {
        ctx.progress(0.1, 'using s3cret-token-value');
        ctx.log('token=s3cret-token-value');
        throw new HearthError('AUTH', 'rejected s3cret-token-value', '');
      },
    });
    await expect(result).rejects.toThrow();
    await jobs.flush();
    const detail = await jobs.get(id);
    expect(JSON.stringify(detail)).not.toContain('s3cret-token-value');
  });

  it('refuses an unknown job id with NOT_FOUND', async () => {
    const jobs = await JobManager.open(await tempDir(), new Redactor(), recorder().events);
    await expect(jobs.get('00000000-0000-0000-0000-000000000000')).rejects.toMatchObject({ code: 'NOT_FOUND' });
    expect(jobs.cancel('00000000-0000-0000-0000-000000000000')).toBe(false);
  });

  it('runs one operation per server: a second is refused in words naming the first, others go on, and the lock ends with the job', async () => {
    const jobs = await JobManager.open(await tempDir(), new Redactor(), recorder().events);
    const pds = { id: 'srv-1', name: 'home-pds' };
    let release!: () => void;
    const first = jobs.start({ kind: 'backups.restore', target: pds.name, title: 'Restore snapshot 1a2b3c4d', locks: [pds], run: () => new Promise<void>((r) => (release = r)) });
    let refused: unknown;
    try {
      jobs.start({ kind: 'backups.backup', target: pds.name, title: 'Back up now', locks: [pds], run: async () => undefined });
    } catch (err) {
      refused = err;
    }
    expect(refused).toMatchObject({ code: 'CONFLICT', message: 'Another operation is running on home-pds: “Restore snapshot 1a2b3c4d”.' });
    expect(() => jobs.assertFree(pds)).toThrow(HearthError);
    // The refused job left nothing behind: only the restore is in the history.
    expect(jobs.list().map((j) => j.title)).toEqual(['Restore snapshot 1a2b3c4d']);
    // Another server is not held up.
    await jobs.start({ kind: 'backups.backup', target: 'other', title: 'Back up other', locks: [{ id: 'srv-2', name: 'other' }], run: async () => undefined }).result;
    release();
    await first.result;
    await jobs.start({ kind: 'backups.backup', target: pds.name, title: 'Back up now', locks: [pds], run: async () => undefined }).result;
    // A failed job releases its server too.
    await jobs.start({ kind: 'x', target: pds.name, title: 'Fails', locks: [pds], run: async () => Promise.reject(new Error('boom')) }).result.catch(() => undefined);
    expect(() => jobs.assertFree(pds)).not.toThrow();
  });

  it('keeps at most 200 jobs in its history, in memory and on disk', async () => {
    const dir = await tempDir();
    const jobs = await JobManager.open(dir, new Redactor(), recorder().events);
    for (let i = 0; i < 205; i++) await jobs.start({ kind: 'k', target: 't', title: `job ${i}`, run: async () => undefined }).result;
    await jobs.flush();
    expect(jobs.list()).toHaveLength(200);
    expect(jobs.list().some((j) => j.title === 'job 0')).toBe(false);
    const { readdir } = await import('node:fs/promises');
    const files = await readdir(join(dir, 'jobs'));
    expect(files.filter((f) => f.endsWith('.json'))).toHaveLength(200);
    expect(files.filter((f) => f.endsWith('.log'))).toHaveLength(200);
    // Reopened, the same 200.
    expect((await JobManager.open(dir, new Redactor(), recorder().events)).list()).toHaveLength(200);
  });
});
