import { z } from 'zod';
import { call } from './define.ts';
import { ErrorInfo } from '../errors.ts';

export const JobId = z.string().regex(/^[a-z0-9-]{8,64}$/, 'not a job id');

export const JobState = z.enum(['running', 'succeeded', 'failed', 'cancelled', 'interrupted']);
export type JobState = z.infer<typeof JobState>;

export const JobSummary = z.object({
  id: JobId,
  /** What the job does, e.g. "sandbox.create". */
  kind: z.string(),
  /** Who it acts on, in words a person reads: a server name. */
  target: z.string(),
  title: z.string(),
  state: JobState,
  /** 0..1 */
  progress: z.number().min(0).max(1),
  step: z.string(),
  startedAt: z.string(),
  endedAt: z.string().nullable(),
  error: ErrorInfo.nullable(),
});
export type JobSummary = z.infer<typeof JobSummary>;

export const LogLine = z.object({
  at: z.string(),
  level: z.enum(['info', 'warn', 'error']),
  message: z.string(),
});
export type LogLine = z.infer<typeof LogLine>;

export const JobDetail = JobSummary.extend({ log: z.array(LogLine) });
export type JobDetail = z.infer<typeof JobDetail>;

export const jobsCalls = {
  'jobs.list': call(z.object({}).strict(), z.array(JobSummary)),
  'jobs.get': call(z.object({ id: JobId }).strict(), JobDetail),
  'jobs.cancel': call(z.object({ id: JobId }).strict(), z.object({ cancelled: z.boolean() })),
};

export const jobsEvents = {
  'jobs.updated': JobSummary,
  'jobs.log': z.object({ jobId: JobId, line: LogLine }),
};
