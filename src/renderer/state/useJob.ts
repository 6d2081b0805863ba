import { useEffect, useRef } from 'react';
import type { JobSummary } from '../../shared/contract/index.ts';
import { useJobsStore } from './jobs.ts';

/** Follows one job (its summary from the jobs store, kept live by jobs.updated); onEnd once when it ends. */
export function useJob(jobId: string | null, onEnd?: (job: JobSummary) => void): JobSummary | null {
  const job = useJobsStore((s) => (jobId ? (s.jobs[jobId] ?? null) : null));
  const loadJob = useJobsStore((s) => s.loadJob);
  const reported = useRef<string | null>(null);
  useEffect(() => {
    if (jobId && !job) void loadJob(jobId);
  }, [jobId, job, loadJob]);
  useEffect(() => {
    if (job && job.state !== 'running' && reported.current !== job.id) {
      reported.current = job.id;
      onEnd?.(job);
    }
  }, [job, onEnd]);
  return job;
}
