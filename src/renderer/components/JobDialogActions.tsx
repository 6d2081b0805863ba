import * as Dialog from '@radix-ui/react-dialog';
import type { ReactNode } from 'react';
import type { JobSummary } from '../../shared/contract/index.ts';

/**
 * The footer of a dialog that starts a job: Cancel before it starts (the action beside it), no
 * way out while it runs, Close once it ended.
 */
export function JobDialogActions({ job, children }: { job: JobSummary | null; children: ReactNode }) {
  const running = job?.state === 'running';
  return (
    <div className="actions dialog-actions">
      <Dialog.Close asChild>
        <button type="button" className="button" disabled={running}>
          {job && !running ? 'Close' : 'Cancel'}
        </button>
      </Dialog.Close>
      {job ? null : children}
    </div>
  );
}
