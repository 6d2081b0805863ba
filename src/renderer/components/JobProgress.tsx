import type { JobSummary } from '../../shared/contract/index.ts';
import { call } from '../bridge/index.ts';
import { ConfirmDialog } from './ConfirmDialog.tsx';
import { ProgressBar } from './ProgressBar.tsx';

/**
 * A running job's progress bar with its Cancel button; cancelling is confirmed first (the words
 * say what stopping half-way means for this job).
 */
export function JobProgress({
  jobId,
  job,
  label,
  cancel,
  onFocusLost,
}: {
  jobId: string;
  /** Absent until the job's first summary arrives. */
  job: JobSummary | null | undefined;
  label: string;
  cancel: { title: string; description: string; confirmLabel: string; cancelLabel?: string };
  onFocusLost?: () => void;
}) {
  return (
    <>
      <ProgressBar value={job?.progress ?? 0} label={label} step={job?.step || 'Starting…'} />
      <div className="actions">
        <ConfirmDialog
          trigger={
            <button type="button" className="button">
              Cancel
            </button>
          }
          {...cancel}
          destructive
          onConfirm={async () => {
            await call('jobs.cancel', { id: jobId });
          }}
          {...(onFocusLost && { onFocusLost })}
        />
      </div>
    </>
  );
}
