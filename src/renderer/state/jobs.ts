import { create } from 'zustand';
import type { JobSummary, LogLine } from '../../shared/contract/index.ts';
import type { ErrorInfo } from '../../shared/errors.ts';
import { call, toErrorInfo } from '../bridge/index.ts';

/** Lines kept per job in this window; the full log stays in Hearth's job history. */
export const MAX_LOG_LINES = 5000;

interface JobsState {
  jobs: Record<string, JobSummary>;
  /** Log lines by job id: loaded with jobs.get, then followed live through jobs.log. */
  logs: Record<string, LogLine[]>;
  /** Why the last jobs.get of a job failed, by job id. */
  detailErrors: Record<string, ErrorInfo>;
  listError: ErrorInfo | null;
  listLoaded: boolean;
  loadJobs(): Promise<void>;
  loadJob(id: string): Promise<void>;
  upsert(job: JobSummary): void;
  appendLog(jobId: string, line: LogLine): void;
}

const lineKey = (line: LogLine) => `${line.at}\u0000${line.level}\u0000${line.message}`;

const isTerminal = (job: JobSummary) => job.state !== 'running';

/** Of two views of the same job, the one that is further along (events and replies can cross). */
function later(current: JobSummary | undefined, incoming: JobSummary): JobSummary {
  if (!current) return incoming;
  if (isTerminal(current) && !isTerminal(incoming)) return current;
  if (!isTerminal(current) && !isTerminal(incoming) && incoming.progress < current.progress) return current;
  return incoming;
}

const capped = (lines: LogLine[]) => (lines.length > MAX_LOG_LINES ? lines.slice(-MAX_LOG_LINES) : lines);

export const useJobsStore = create<JobsState>()((set) => ({
  jobs: {},
  logs: {},
  detailErrors: {},
  listError: null,
  listLoaded: false,

  async loadJobs() {
    try {
      const list = await call('jobs.list', {});
      set((s) => {
        const jobs: Record<string, JobSummary> = {};
        for (const job of list) jobs[job.id] = later(s.jobs[job.id], job);
        // Keep jobs that were announced by events but are not in the list answer yet.
        for (const [id, job] of Object.entries(s.jobs)) if (!jobs[id] && job.state === 'running') jobs[id] = job;
        return { jobs, listError: null, listLoaded: true };
      });
    } catch (err) {
      set({ listError: toErrorInfo(err) });
    }
  },

  async loadJob(id) {
    try {
      const { log, ...summary } = await call('jobs.get', { id });
      set((s) => {
        const known = new Set(log.map(lineKey));
        // Lines that arrived live while the request was on its way.
        const extra = (s.logs[id] ?? []).filter((line) => !known.has(lineKey(line)));
        const { [id]: _dropped, ...detailErrors } = s.detailErrors;
        return {
          jobs: { ...s.jobs, [id]: later(s.jobs[id], summary) },
          logs: { ...s.logs, [id]: capped([...log, ...extra]) },
          detailErrors,
        };
      });
    } catch (err) {
      set((s) => ({ detailErrors: { ...s.detailErrors, [id]: toErrorInfo(err) } }));
    }
  },

  upsert(job) {
    set((s) => ({ jobs: { ...s.jobs, [job.id]: later(s.jobs[job.id], job) } }));
  },

  appendLog(jobId, line) {
    set((s) => ({ logs: { ...s.logs, [jobId]: capped([...(s.logs[jobId] ?? []), line]) } }));
  },
}));

/** Jobs newest first. */
export function sortJobs(jobs: Record<string, JobSummary>): JobSummary[] {
  return Object.values(jobs).sort((a, b) => (a.startedAt < b.startedAt ? 1 : a.startedAt > b.startedAt ? -1 : 0));
}
