import type { JobSummary } from '../../shared/contract/index.ts';
import { JOB_STATE_LABEL } from '../format.ts';
import { ErrorMessage } from './ErrorMessage.tsx';
import { ProgressBar } from './ProgressBar.tsx';

export function JobStateBadge({ state }: { state: JobSummary['state'] }) {
  return <span className={`badge job-${state}`}>{JOB_STATE_LABEL[state]}</span>;
}

/** Progress while running; the outcome (with the error's message and hint) once it ended. */
export function JobOutcome({ job, progressLabel }: { job: JobSummary; progressLabel: string }) {
  if (job.state === 'running') return <ProgressBar value={job.progress} label={progressLabel} step={job.step} />;
  if (job.state === 'succeeded') return <p className="job-done">Finished successfully.</p>;
  if (job.error) return <ErrorMessage error={job.error} live={false} title={outcomeTitle(job)} />;
  return <p className="job-done">{outcomeTitle(job)}</p>;
}

function outcomeTitle(job: JobSummary): string {
  switch (job.state) {
    case 'cancelled':
      return 'This job was cancelled.';
    case 'interrupted':
      return 'Hearth closed while this job ran, so it did not finish.';
    default:
      return 'This job failed.';
  }
}
