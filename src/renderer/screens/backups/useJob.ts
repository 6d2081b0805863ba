import { useEffect, useRef } from 'react';
import type { JobSummary } from '../../../shared/contract/index.ts';
import { getBridge } from '../../bridge/index.ts';
import { useJobsStore } from '../../state/jobs.ts';

/** Follows one job started from this screen; calls onDone once when it ends. */
export function useJob(jobId: string | null, onDone?: (job: JobSummary) => void): JobSummary | null {
  const job = useJobsStore((s) => (jobId ? (s.jobs[jobId] ?? null) : null));
  const loadJob = useJobsStore((s) => s.loadJob);
  const reported = useRef<string | null>(null);
  useEffect(() => {
    if (jobId && !job) void loadJob(jobId);
  }, [jobId, job, loadJob]);
  useEffect(() => {
    if (job && job.state !== 'running' && reported.current !== job.id) {
      reported.current = job.id;
      onDone?.(job);
    }
  }, [job, onDone]);
  return job;
}

/** Calls fn whenever core says this server's backups changed. */
export function useBackupsChanged(serverId: string, fn: () => void): void {
  useEffect(() => getBridge().bridge.on('backups.changed', (payload) => {
    if (payload.serverId === serverId) fn();
  }), [serverId, fn]);
}

export function formatBytes(n: number | null): string {
  if (n === null) return '—';
  if (n < 1024) return `${n} B`;
  const units = ['KB', 'MB', 'GB', 'TB'];
  let v = n / 1024;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${v.toFixed(v < 10 ? 1 : 0)} ${units[i]}`;
}
