import { useCallback, useEffect, useState } from 'react';
import type { BackupOverview, Server, Snapshot } from '../../../shared/contract/index.ts';
import type { ErrorInfo } from '../../../shared/errors.ts';
import { call, toErrorInfo } from '../../bridge/index.ts';
import { ErrorMessage } from '../../components/ErrorMessage.tsx';
import { ProgressBar } from '../../components/ProgressBar.tsx';
import { ServerScopedScreen } from '../../components/ServerScopedScreen.tsx';
import { formatDateTime } from '../../format.ts';
import { useServersStore } from '../../state/servers.ts';
import { routeHref } from '../../state/ui.ts';
import { MoveGuide } from './MoveGuide.tsx';
import { RecoverDialog } from './RecoverDialog.tsx';
import { RestoreWizard } from './RestoreWizard.tsx';
import { TargetForm } from './TargetForm.tsx';
import { useJob } from '../../state/useJob.ts';
import { formatBytes, useBackupsChanged } from './backups-hooks.ts';
import './backups.css';

export function BackupsScreen() {
  const [chosen, setChosen] = useState<string | null>(null);
  return (
    <ServerScopedScreen title="Backups" chosenId={chosen} onChoose={setChosen} purpose="back it up">
      {(server) => <ServerBackups key={server.id} server={server} />}
    </ServerScopedScreen>
  );
}

function ServerBackups({ server }: { server: Server }) {
  const { id: serverId, name: serverName } = server;
  // Once the old server is forgotten, the move is over: the guide goes with it.
  const oldStillListed = useServersStore((s) => s.servers?.some((x) => x.id === server.recoveredFrom?.serverId) ?? false);
  const [overview, setOverview] = useState<BackupOverview | null>(null);
  const [snapshots, setSnapshots] = useState<Snapshot[] | null>(null);
  const [error, setError] = useState<ErrorInfo | null>(null);
  const [snapshotsError, setSnapshotsError] = useState<ErrorInfo | null>(null);
  const [jobId, setJobId] = useState<string | null>(null);
  const [actionError, setActionError] = useState<ErrorInfo | null>(null);

  const [generation, setGeneration] = useState(0);
  const reload = useCallback(() => setGeneration((g) => g + 1), []);

  useEffect(() => {
    let current = true;
    call('backups.get', { serverId })
      .then(async (next) => {
        if (!current) return;
        setOverview(next);
        setError(null);
        if (!next.target) return;
        try {
          const list = await call('backups.snapshots', { serverId });
          if (current) {
            setSnapshots(list);
            setSnapshotsError(null);
          }
        } catch (err) {
          if (current) setSnapshotsError(toErrorInfo(err));
        }
      })
      .catch((err: unknown) => current && setError(toErrorInfo(err)));
    return () => {
      current = false;
    };
  }, [serverId, generation]);
  useBackupsChanged(serverId, reload);
  const job = useJob(jobId, reload);
  const busy = job?.state === 'running';

  const start = async (name: 'backups.backupNow' | 'backups.verify') => {
    setActionError(null);
    try {
      const { jobId: id } = await call(name, { serverId });
      setJobId(id);
    } catch (err) {
      setActionError(toErrorInfo(err));
    }
  };

  if (error) {
    return (
      <ErrorMessage error={error} title="Could not load the backup settings.">
        <button type="button" className="button" onClick={reload}>
          Try again
        </button>
      </ErrorMessage>
    );
  }
  if (!overview) return <p className="muted">Loading backups…</p>;
  const status = overview.status;

  return (
    <div className="backups">
      {server.recoveredFrom && oldStillListed ? <MoveGuide serverId={serverId} old={server.recoveredFrom} /> : null}
      <section className="card" aria-labelledby={`${serverId}-status`}>
        <h2 id={`${serverId}-status`} className="subheading">
          Status
        </h2>
        {!overview.target ? (
          <p>No backups yet: set up where they go below. Backups are encrypted on the server before they leave it.</p>
        ) : (
          <dl className="facts">
            <div>
              <dt>Last backup</dt>
              <dd>
                {status?.lastSuccess
                  ? `${formatDateTime(status.lastSuccess.at)} (${status.lastSuccess.accounts} ${status.lastSuccess.accounts === 1 ? 'account' : 'accounts'}, ${formatBytes(status.lastSuccess.bytesAdded)} new)`
                  : overview.unreachable
                    ? 'Unknown (the server does not answer)'
                    : 'Never'}
              </dd>
            </div>
            <div>
              <dt>Next run</dt>
              <dd>
                {!overview.scheduled
                  ? 'When you press “Back up now”'
                  : overview.nextRun
                    ? formatDateTime(overview.nextRun)
                    : `On the server’s timer (${overview.schedule.onCalendar})`}
              </dd>
            </div>
          </dl>
        )}
        {overview.unreachable ? (
          <div className="error-box" role="alert">
            <p className="error-title">Hearth cannot reach {serverName} ({overview.unreachable}).</p>
            <p className="error-message">
              Its backups are safe in the store. If the server is lost for good, connect a new one and use “Restore onto a new server…”.
            </p>
          </div>
        ) : null}
        {status?.failing && status.lastError ? (
          <div className="error-box" role="alert">
            <p className="error-title">The last backup failed ({formatDateTime(status.lastError.at)}).</p>
            <p className="error-message">{status.lastError.message}</p>
          </div>
        ) : null}
        <p className="muted small">{overview.note}</p>
        {overview.target ? (
          <div className="actions">
            <button type="button" className="button button-primary" disabled={busy} onClick={() => void start('backups.backupNow')}>
              Back up now
            </button>
            <button type="button" className="button" disabled={busy || !snapshots?.length} onClick={() => void start('backups.verify')}>
              Verify
            </button>
            {server.kind !== 'sandbox' ? <RecoverDialog server={server} latest={snapshots?.find((s) => s.kind !== 'pre-restore') ?? null} disabled={busy} /> : null}
          </div>
        ) : null}
        {actionError ? <ErrorMessage error={actionError} /> : null}
        {job ? (
          <div className="backup-job">
            {job.state === 'running' ? (
              <ProgressBar value={job.progress} label={job.title} step={job.step} />
            ) : job.state === 'succeeded' ? (
              <p role="status">{job.title}: done.</p>
            ) : job.error ? (
              <ErrorMessage error={job.error} title={`${job.title} failed.`} />
            ) : (
              <p role="status">
                {job.title}: {job.state}.
              </p>
            )}
            <a href={routeHref({ screen: 'jobs', jobId: job.id })}>Show the log</a>
          </div>
        ) : null}
      </section>

      {overview.target && snapshots ? (
        <section className="card" aria-labelledby={`${serverId}-snapshots`}>
          <h2 id={`${serverId}-snapshots`} className="subheading">
            Snapshots
          </h2>
          <SnapshotTable serverId={serverId} serverName={serverName} snapshots={snapshots} disabled={busy} onJob={setJobId} />
          <p className="note">Single account restore is not available yet: a restore puts the whole server back to the snapshot.</p>
        </section>
      ) : null}
      {snapshotsError ? <ErrorMessage error={snapshotsError} title="Could not list the snapshots." /> : null}

      <TargetForm serverId={serverId} overview={overview} onSaved={setOverview} />
    </div>
  );
}

function SnapshotTable({
  serverId,
  serverName,
  snapshots,
  disabled,
  onJob,
}: {
  serverId: string;
  serverName: string;
  snapshots: Snapshot[];
  disabled: boolean;
  onJob: (jobId: string) => void;
}) {
  const [error, setError] = useState<ErrorInfo | null>(null);
  if (snapshots.length === 0) return <p>No snapshots yet. Press “Back up now” to take the first one.</p>;
  const download = async (id: string) => {
    setError(null);
    try {
      onJob((await call('backups.download', { serverId, snapshotId: id })).jobId);
    } catch (err) {
      setError(toErrorInfo(err));
    }
  };
  return (
    <>
      <table className="jobs-table snapshots-table">
        <caption className="visually-hidden">Snapshots, newest first</caption>
        <thead>
          <tr>
            <th scope="col">Taken</th>
            <th scope="col">Kind</th>
            <th scope="col">Accounts</th>
            <th scope="col">Records</th>
            <th scope="col">Size</th>
            <th scope="col">Added</th>
            <th scope="col">
              <span className="visually-hidden">Actions</span>
            </th>
          </tr>
        </thead>
        <tbody>
          {snapshots.map((s) => (
            <tr key={s.id}>
              <th scope="row">
                {formatDateTime(s.time)} <span className="mono muted">{s.shortId}</span>
              </th>
              <td>{s.kind === 'pre-restore' ? 'Safety (before a restore)' : s.kind === 'manual' ? 'Back up now' : 'Scheduled'}</td>
              <td>{s.accounts ?? '—'}</td>
              <td>{s.records ?? '—'}</td>
              <td>{formatBytes(s.size)}</td>
              <td>{formatBytes(s.bytesAdded)}</td>
              <td className="actions">
                <RestoreWizard serverId={serverId} serverName={serverName} snapshot={s} disabled={disabled} onJob={onJob} />
                <button type="button" className="button" disabled={disabled} onClick={() => void download(s.id)} aria-label={`Download snapshot ${s.shortId} to this computer`}>
                  Download
                </button>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      {error ? <ErrorMessage error={error} /> : null}
    </>
  );
}
