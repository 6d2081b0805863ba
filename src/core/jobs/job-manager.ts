import { randomUUID } from 'node:crypto';
import { appendFile, mkdir, readdir, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { JobSummary, LogLine, type JobDetail, type JobState } from '../../shared/contract/jobs.ts';
import { HearthError, type ErrorInfo } from '../../shared/errors.ts';
import { writeFileAtomic } from '../fs/atomic-write.ts';
import type { Redactor } from '../log/redact.ts';
import { toErrorInfo } from '../rpc/dispatch.ts';
import { abortError, type JobContext } from './job-context.ts';

export interface JobEvents {
  updated(job: JobSummary): void;
  log(jobId: string, line: LogLine): void;
}

export interface StartJob<T> {
  kind: string;
  target: string;
  title: string;
  /**
   * The servers this job works on, by id. One operation per server at a time: while this job
   * runs, starting another that names one of them is refused (CONFLICT, naming this job).
   */
  locks?: { id: string; name: string }[];
  run: (ctx: JobContext) => Promise<T>;
}

interface Running {
  summary: JobSummary;
  controller: AbortController;
  done: Promise<unknown>;
}

/** How much history to keep: enough to read what happened last week, bounded on disk. */
const MAX_HISTORY = 200;
/** Progress events are cheap for the UI but each one is a disk write: coalesce them. */
const PERSIST_INTERVAL_MS = 500;

/**
 * Every long operation runs as a job: progress, a readable log, cancel (an AbortSignal handed to
 * every child process and socket), and a history that survives restarts. Each job is a small
 * JSON summary plus an append-only JSON-lines log under <dataDir>/jobs/. A job found "running"
 * when the app starts was cut off by a crash or a kill: it is marked interrupted, never left
 * spinning forever.
 */
export class JobManager {
  readonly #dir: string;
  readonly #redactor: Redactor;
  readonly #events: JobEvents;
  readonly #running = new Map<string, Running>();
  /** Server id → the running job that holds it. */
  readonly #locks = new Map<string, JobSummary>();
  #history = new Map<string, JobSummary>();

  private constructor(dir: string, redactor: Redactor, events: JobEvents) {
    this.#dir = dir;
    this.#redactor = redactor;
    this.#events = events;
  }

  static async open(dataDir: string, redactor: Redactor, events: JobEvents): Promise<JobManager> {
    const manager = new JobManager(join(dataDir, 'jobs'), redactor, events);
    await mkdir(manager.#dir, { recursive: true, mode: 0o700 });
    await manager.#loadHistory();
    return manager;
  }

  list(): JobSummary[] {
    return [...this.#history.values()].sort((a, b) => b.startedAt.localeCompare(a.startedAt));
  }

  async get(id: string): Promise<JobDetail> {
    const summary = this.#history.get(id);
    if (!summary) throw new HearthError('NOT_FOUND', 'There is no such job.', 'It may have been removed from the history.');
    return { ...summary, log: await this.#readLog(id) };
  }

  /** Starts a job and returns its id at once; the work goes on in the background. */
  start<T>(job: StartJob<T>): { id: string; result: Promise<T> } {
    for (const server of job.locks ?? []) this.assertFree(server);
    const id = randomUUID();
    const controller = new AbortController();
    const summary: JobSummary = {
      id,
      kind: job.kind,
      target: job.target,
      title: job.title,
      state: 'running',
      progress: 0,
      step: 'Starting',
      startedAt: new Date().toISOString(),
      endedAt: null,
      error: null,
    };
    for (const server of job.locks ?? []) this.#locks.set(server.id, summary);
    this.#history.set(id, summary);
    this.#prune();
    this.#persist(summary);
    this.#events.updated({ ...summary });

    let lastPersist = 0;
    const ctx: JobContext = {
      id,
      signal: controller.signal,
      progress: (fraction, step) => {
        if (summary.state !== 'running') return;
        summary.progress = Math.max(summary.progress, Math.min(1, Math.max(0, fraction)));
        summary.step = this.#redactor.redact(step);
        this.#events.updated({ ...summary });
        const now = Date.now();
        if (now - lastPersist > PERSIST_INTERVAL_MS) {
          lastPersist = now;
          this.#persist(summary);
        }
      },
      log: (message, level = 'info') => this.#log(id, message, level),
    };

    const result = (async () => {
      this.#log(id, `${job.title}: started`);
      try {
        const value = await job.run(ctx);
        if (controller.signal.aborted) throw abortError();
        this.#finish(summary, 'succeeded', null);
        return value;
      } catch (err) {
        const info: ErrorInfo = controller.signal.aborted
          ? { code: 'CANCELLED', message: 'Cancelled by you.', hint: '' }
          : toErrorInfo(err, (e) => this.#log(id, `internal error: ${e instanceof Error ? e.stack ?? e.message : String(e)}`, 'error'));
        this.#log(id, info.hint ? `${info.message} ${info.hint}` : info.message, controller.signal.aborted ? 'warn' : 'error');
        this.#finish(summary, controller.signal.aborted ? 'cancelled' : 'failed', info);
        throw HearthError.from(summary.error ?? info);
      } finally {
        this.#running.delete(id);
        for (const server of job.locks ?? []) if (this.#locks.get(server.id) === summary) this.#locks.delete(server.id);
      }
    })();
    // The caller may never await the result; failures are already recorded in the job.
    result.catch(() => undefined);
    this.#running.set(id, { summary, controller, done: result.catch(() => undefined) });
    return { id, result };
  }

  /** Refuses (CONFLICT, in words) when a running job holds the server: for plain calls that change it. */
  assertFree(server: { id: string; name: string }): void {
    const holder = this.#locks.get(server.id);
    if (holder) {
      throw new HearthError(
        'CONFLICT',
        `Another operation is running on ${server.name}: “${holder.title}”.`,
        'Wait for it to finish, or cancel it on the Jobs screen, then try again. One operation runs on a server at a time.',
      );
    }
  }

  cancel(id: string): boolean {
    const running = this.#running.get(id);
    if (!running) return false;
    this.#log(id, 'Cancel requested', 'warn');
    running.controller.abort();
    return true;
  }

  /** Cancels every running job and waits for them to settle (used when the app quits). */
  async shutdown(): Promise<void> {
    const all = [...this.#running.values()];
    for (const job of all) job.controller.abort();
    await Promise.all(all.map((job) => job.done));
    await this.#writes;
  }

  #finish(summary: JobSummary, state: JobState, error: ErrorInfo | null): void {
    summary.state = state;
    summary.error = error && {
      code: error.code,
      message: this.#redactor.redact(error.message),
      hint: this.#redactor.redact(error.hint),
    };
    summary.endedAt = new Date().toISOString();
    if (state === 'succeeded') {
      summary.progress = 1;
      summary.step = 'Done';
    }
    this.#log(summary.id, `${summary.title}: ${state}`);
    this.#persist(summary);
    this.#events.updated({ ...summary });
  }

  #log(id: string, message: string, level: LogLine['level'] = 'info'): void {
    const line: LogLine = { at: new Date().toISOString(), level, message: this.#redactor.redact(message) };
    this.#enqueue(() => appendFile(this.#logPath(id), `${JSON.stringify(line)}\n`, { mode: 0o600 }));
    this.#events.log(id, line);
  }

  /** Disk writes for jobs happen in order, off the caller's path. */
  #writes: Promise<unknown> = Promise.resolve();
  #enqueue(write: () => Promise<unknown>): void {
    this.#writes = this.#writes.then(write).catch(() => undefined);
  }

  #persist(summary: JobSummary): void {
    const snapshot = JSON.stringify(summary);
    this.#enqueue(() => writeFileAtomic(this.#summaryPath(summary.id), snapshot));
  }

  /** Waits until everything logged so far is on disk (tests and shutdown). */
  flush(): Promise<unknown> {
    return this.#writes;
  }

  async #loadHistory(): Promise<void> {
    const files = (await readdir(this.#dir)).filter((f) => f.endsWith('.json'));
    const loaded: JobSummary[] = [];
    for (const file of files) {
      try {
        const parsed = JobSummary.safeParse(JSON.parse(await readFile(join(this.#dir, file), 'utf8')));
        if (parsed.success) loaded.push(parsed.data);
      } catch {
        // A torn or foreign file in the jobs folder is not history: skip it.
      }
    }
    for (const job of loaded) {
      if (job.state === 'running') {
        job.state = 'interrupted';
        job.endedAt = job.endedAt ?? new Date().toISOString();
        job.error = {
          code: 'CANCELLED',
          message: 'Hearth was closed while this job ran.',
          hint: 'Run it again: every Hearth job can be re-run to finish or undo its work.',
        };
        this.#persist(job);
        this.#enqueue(() =>
          appendFile(this.#logPath(job.id), `${JSON.stringify({ at: job.endedAt, level: 'warn', message: 'Interrupted: Hearth was closed while this job ran.' })}\n`),
        );
      }
    }
    loaded.sort((a, b) => b.startedAt.localeCompare(a.startedAt));
    this.#history = new Map(loaded.map((job) => [job.id, job]));
    this.#prune();
    await this.#writes;
  }

  async #readLog(id: string): Promise<LogLine[]> {
    await this.#writes;
    let raw: string;
    try {
      raw = await readFile(this.#logPath(id), 'utf8');
    } catch {
      return [];
    }
    const lines: LogLine[] = [];
    for (const text of raw.split('\n')) {
      if (!text) continue;
      try {
        const parsed = LogLine.safeParse(JSON.parse(text));
        if (parsed.success) lines.push(parsed.data);
      } catch {
        // A line cut off by a crash: the rest of the log is still worth reading.
      }
    }
    return lines;
  }

  /** Keeps the newest MAX_HISTORY finished jobs; older ones go from memory and from disk. */
  #prune(): void {
    if (this.#history.size <= MAX_HISTORY) return;
    const oldestFirst = [...this.#history.values()].sort((a, b) => a.startedAt.localeCompare(b.startedAt));
    for (const old of oldestFirst) {
      if (this.#history.size <= MAX_HISTORY) break;
      if (this.#running.has(old.id) || old.state === 'running') continue;
      this.#history.delete(old.id);
      this.#enqueue(() => Promise.all([rm(this.#summaryPath(old.id), { force: true }), rm(this.#logPath(old.id), { force: true })]));
    }
  }

  #summaryPath(id: string): string {
    return join(this.#dir, `${id}.json`);
  }

  #logPath(id: string): string {
    return join(this.#dir, `${id}.log`);
  }
}
