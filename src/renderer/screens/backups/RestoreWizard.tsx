import * as Dialog from '@radix-ui/react-dialog';
import { useId, useState } from 'react';
import type { RestorePlan, Snapshot } from '../../../shared/contract/index.ts';
import type { ErrorInfo } from '../../../shared/errors.ts';
import { call, toErrorInfo } from '../../bridge/index.ts';
import { ErrorMessage } from '../../components/ErrorMessage.tsx';
import { JobDialogActions } from '../../components/JobDialogActions.tsx';
import { ProgressBar } from '../../components/ProgressBar.tsx';
import { formatDateTime } from '../../format.ts';
import { useJob } from '../../state/useJob.ts';

const CHANGE: Record<RestorePlan['repos'][number]['change'], string> = {
  same: 'Unchanged',
  reverted: 'Goes back to the snapshot',
  removed: 'Not in the snapshot: removed from this server',
  returns: 'Comes back from the snapshot',
};

/**
 * Pick a snapshot → what will change → type the server's name → restore (safety snapshot, stop,
 * restore, start, checks; rolled back by itself on any failure) → the outcome in plain words.
 */
export function RestoreWizard({
  serverId,
  serverName,
  snapshot,
  disabled,
  onJob,
}: {
  serverId: string;
  serverName: string;
  snapshot: Snapshot;
  disabled: boolean;
  onJob: (jobId: string) => void;
}) {
  const [open, setOpen] = useState(false);
  const [plan, setPlan] = useState<RestorePlan | null>(null);
  const [error, setError] = useState<ErrorInfo | null>(null);
  const [typed, setTyped] = useState('');
  const [jobId, setJobId] = useState<string | null>(null);
  const job = useJob(jobId);
  const running = job?.state === 'running';
  const inputId = useId();

  const openWizard = async () => {
    setOpen(true);
    setPlan(null);
    setError(null);
    setTyped('');
    setJobId(null);
    try {
      setPlan(await call('backups.restorePlan', { serverId, snapshotId: snapshot.id }));
    } catch (err) {
      setError(toErrorInfo(err));
    }
  };

  const restore = async () => {
    setError(null);
    try {
      const { jobId: id } = await call('backups.restore', { serverId, snapshotId: snapshot.id, confirmName: typed });
      setJobId(id);
      onJob(id);
    } catch (err) {
      setError(toErrorInfo(err));
    }
  };

  return (
    <Dialog.Root open={open} onOpenChange={(next) => (running ? undefined : next ? void openWizard() : setOpen(false))}>
      <Dialog.Trigger asChild>
        <button type="button" className="button" disabled={disabled} aria-label={`Restore snapshot ${snapshot.shortId}`}>
          Restore…
        </button>
      </Dialog.Trigger>
      <Dialog.Portal>
        <div className="dialog-backdrop" aria-hidden="true" />
        <Dialog.Content className="dialog restore-dialog">
          <Dialog.Title className="dialog-title">Restore the snapshot of {formatDateTime(snapshot.time)}</Dialog.Title>
          <Dialog.Description className="dialog-description">
            The whole server goes back to this snapshot. Hearth first takes a safety snapshot of the data as it is now; if anything goes wrong it puts the
            server back by itself.
          </Dialog.Description>
          {job ? (
            <Outcome job={job} />
          ) : error ? (
            <ErrorMessage error={error} />
          ) : !plan ? (
            <p className="muted">Comparing the snapshot with the server…</p>
          ) : (
            <>
              <h3 className="subheading">What will change</h3>
              <table className="jobs-table">
                <thead>
                  <tr>
                    <th scope="col"> </th>
                    <th scope="col">Now</th>
                    <th scope="col">After the restore</th>
                  </tr>
                </thead>
                <tbody>
                  <tr>
                    <th scope="row">Accounts</th>
                    <td>{plan.now.accounts}</td>
                    <td>{plan.then.accounts}</td>
                  </tr>
                  <tr>
                    <th scope="row">Records (posts, likes, follows…)</th>
                    <td>{plan.now.records}</td>
                    <td>{plan.then.records}</td>
                  </tr>
                </tbody>
              </table>
              <ul className="repo-changes" aria-label="Accounts that change">
                {plan.repos
                  .filter((r) => r.change !== 'same')
                  .map((r) => (
                    <li key={r.did}>
                      <span className="mono">{r.did}</span>: {CHANGE[r.change]}
                      {r.now && r.snapshot ? ` (${r.now.records} → ${r.snapshot.records} records)` : ''}
                    </li>
                  ))}
              </ul>
              <p className="note">Anything written after this snapshot is lost (it stays in the safety snapshot). Single account restore is not available yet.</p>
              <div className="field">
                <label htmlFor={inputId}>Type the server’s name, “{plan.confirmName}”, to confirm</label>
                <input id={inputId} className="input" value={typed} autoComplete="off" onChange={(e) => setTyped(e.target.value)} />
              </div>
            </>
          )}
          <JobDialogActions job={job}>
            {plan ? (
              <button type="button" className="button button-danger" disabled={typed.trim() !== serverName} onClick={() => void restore()}>
                Restore this snapshot
              </button>
            ) : null}
          </JobDialogActions>
        </Dialog.Content>
      </Dialog.Portal>
    </Dialog.Root>
  );
}

function Outcome({ job }: { job: NonNullable<ReturnType<typeof useJob>> }) {
  if (job.state === 'running') return <ProgressBar value={job.progress} label="Restore" step={job.step} />;
  if (job.state === 'succeeded') {
    return (
      <p role="status" className="restore-done">
        Restored. The PDS is healthy, the account count matches the snapshot and every repository has the snapshot’s latest commit.
      </p>
    );
  }
  return <ErrorMessage error={job.error ?? { code: 'INTERNAL', message: `The restore ended: ${job.state}.`, hint: 'The job log has the details.' }} title="The restore did not complete." />;
}
