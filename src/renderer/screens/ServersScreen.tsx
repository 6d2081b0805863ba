import { useState, type ReactNode } from 'react';
import type { BackupHealth, Server, ServerHealth } from '../../shared/contract/index.ts';
import type { ErrorInfo } from '../../shared/errors.ts';
import { call, toErrorInfo } from '../bridge/index.ts';
import { ConfirmDialog } from '../components/ConfirmDialog.tsx';
import { ErrorMessage } from '../components/ErrorMessage.tsx';
import { JobOutcome } from '../components/JobBits.tsx';
import { ScreenHeading } from '../components/ScreenHeading.tsx';
import { HostPanel } from './connect/HostPanel.tsx';
import { formatDateTime } from '../format.ts';
import { useJobsStore } from '../state/jobs.ts';
import { useSandboxStore } from '../state/sandbox.ts';
import { useServersStore, type HealthEntry } from '../state/servers.ts';
import { routeHref } from '../state/ui.ts';
import { useHealthPolling } from '../state/useHealthPolling.ts';

const KIND_LABEL: Record<Server['kind'], string> = {
  sandbox: 'This computer (sandbox)',
  ssh: 'Server over SSH',
  digitalocean: 'DigitalOcean droplet',
};

const HEALTH_LABEL: Record<ServerHealth['status'], string> = {
  healthy: 'Healthy',
  unhealthy: 'Unhealthy',
  unreachable: 'Unreachable',
  stopped: 'Stopped',
};

export function ServersScreen() {
  const servers = useServersStore((s) => s.servers);
  const error = useServersStore((s) => s.error);
  const load = useServersStore((s) => s.load);
  useHealthPolling();

  return (
    <div className="screen">
      <div className="screen-header">
        <ScreenHeading>Servers</ScreenHeading>
        <a className="button" href={routeHref({ screen: 'setup' })}>
          Add a server
        </a>
      </div>
      {error ? (
        <ErrorMessage error={error} title="Could not load the list of servers.">
          <button type="button" className="button" onClick={() => void load()}>
            Try again
          </button>
        </ErrorMessage>
      ) : null}
      {servers === null ? (
        error ? null : <p className="muted">Loading servers…</p>
      ) : servers.length === 0 ? (
        <div className="empty">
          <p>No servers yet.</p>
          <p>
            <a href={routeHref({ screen: 'setup' })}>Set up your first server</a>, or try Hearth with a sandbox on this computer.
          </p>
        </div>
      ) : (
        <>
          <p className="muted small">Health is checked every 15 seconds while this screen is open.</p>
          <ul className="server-list">
            {servers.map((server) => (
              <li key={server.id}>
                <ServerCard server={server} />
              </li>
            ))}
          </ul>
        </>
      )}
    </div>
  );
}

function ServerCard({ server }: { server: Server }) {
  const entry = useServersStore((s) => s.health[server.id]);
  const checkHealth = useServersStore((s) => s.checkHealth);
  const health = entry?.health ?? null;
  const headingId = `server-${server.id}-name`;
  const checkNow = (
    <button
      type="button"
      className="button"
      onClick={() => void checkHealth(server.id)}
      disabled={entry?.checking}
      aria-label={`Check ${server.name} now`}
    >
      {entry?.checking ? 'Checking…' : 'Check now'}
    </button>
  );

  return (
    <article className="card server" aria-labelledby={headingId}>
      <div className="card-header">
        <h2 id={headingId}>{server.name}</h2>
        <HealthBadge entry={entry} />
      </div>
      <p className="muted">
        {server.name === KIND_LABEL[server.kind] ? null : `${KIND_LABEL[server.kind]} · `}
        <span className="url">{server.url}</span>
      </p>
      {health ? <HealthFacts health={health} /> : null}
      {health && health.status !== 'healthy' && health.message ? <p className="health-message">{health.message}</p> : null}
      {health?.backup ? <BackupLine server={server} backup={health.backup} /> : null}
      {entry?.error ? <ErrorMessage error={entry.error} title="Could not check this server's health." live={false} /> : null}
      {server.ssh ? <HostPanel server={server} /> : null}
      {server.kind === 'sandbox' ? (
        <SandboxControls>{checkNow}</SandboxControls>
      ) : (
        <div className="actions">{checkNow}</div>
      )}
    </article>
  );
}

function HealthBadge({ entry }: { entry: HealthEntry | undefined }) {
  const status = entry?.health?.status;
  const text = status ? HEALTH_LABEL[status] : entry?.error ? 'Unknown' : 'Checking…';
  return (
    <span role="status" className={`badge health health-${status ?? 'unknown'}`}>
      {text}
    </span>
  );
}

function HealthFacts({ health }: { health: ServerHealth }) {
  return (
    <dl className="facts">
      {health.version ? (
        <div>
          <dt>PDS version</dt>
          <dd>{health.version}</dd>
        </div>
      ) : null}
      {health.responseMs !== null ? (
        <div>
          <dt>Response time</dt>
          <dd>{Math.round(health.responseMs)} ms</dd>
        </div>
      ) : null}
      {health.availableUserDomains.length > 0 ? (
        <div>
          <dt>User domains</dt>
          <dd>{health.availableUserDomains.join(', ')}</dd>
        </div>
      ) : null}
      {health.inviteCodeRequired !== null ? (
        <div>
          <dt>Invite code</dt>
          <dd>{health.inviteCodeRequired ? 'Required to sign up' : 'Not required'}</dd>
        </div>
      ) : null}
      {health.did ? (
        <div>
          <dt>Server DID</dt>
          <dd className="mono">{health.did}</dd>
        </div>
      ) : null}
      <div>
        <dt>Last checked</dt>
        <dd>
          <time dateTime={health.checkedAt}>{formatDateTime(health.checkedAt)}</time>
        </dd>
      </div>
    </dl>
  );
}

/** The server's last backup: when it worked, or why it failed and where to retry. */
function BackupLine({ server, backup }: { server: Server; backup: BackupHealth }) {
  const backups = (
    <a href={routeHref({ screen: 'backups', serverId: server.id })} aria-label={`Open Backups for ${server.name}`}>
      Open Backups
    </a>
  );
  if (backup.problem) {
    return (
      <p className="muted">
        {backup.problem} {backups}
      </p>
    );
  }
  const lastGood = backup.lastSuccessAt ? <time dateTime={backup.lastSuccessAt}>{formatDateTime(backup.lastSuccessAt)}</time> : null;
  if (backup.failing) {
    return (
      <div className="backup-health">
        <p>
          <strong className="backup-failed">Last backup failed:</strong> {backup.lastError?.message ?? 'no reason given'}
        </p>
        <p className="muted">
          {backup.lastError ? (
            <>
              Failed <time dateTime={backup.lastError.at}>{formatDateTime(backup.lastError.at)}</time>.{' '}
            </>
          ) : null}
          {lastGood ? <>Last good backup: {lastGood}. </> : 'No backup has worked yet. '}
          {backups}
        </p>
      </div>
    );
  }
  return <p className="backup-health">{lastGood ? <>Last backup: {lastGood}</> : 'No backup has run yet.'}</p>;
}

const SANDBOX_STATE_LABEL = {
  absent: 'Not created yet',
  stopped: 'Stopped',
  starting: 'Starting…',
  running: 'Running',
  stopping: 'Stopping…',
  crashed: 'Crashed',
} as const;

function SandboxControls({ children }: { children?: ReactNode }) {
  const status = useSandboxStore((s) => s.status);
  const statusError = useSandboxStore((s) => s.error);
  const jobId = useSandboxStore((s) => s.jobId);
  const setJobId = useSandboxStore((s) => s.setJobId);
  const job = useJobsStore((s) => (jobId ? s.jobs[jobId] : undefined));
  const [error, setError] = useState<ErrorInfo | null>(null);
  const [busy, setBusy] = useState(false);

  const state = status?.state;
  const jobRunning = job?.state === 'running';
  const canStart = !busy && !jobRunning && (state === 'absent' || state === 'stopped' || state === 'crashed');
  const canStop = !busy && !jobRunning && state === 'running';

  const start = async () => {
    setBusy(true);
    setError(null);
    try {
      const { jobId: id } = await call('sandbox.start', {});
      setJobId(id);
    } catch (err) {
      setError(toErrorInfo(err));
    } finally {
      setBusy(false);
    }
  };

  return (
    <section className="sandbox" aria-label="Sandbox">
      <p>
        Sandbox: <strong>{state ? SANDBOX_STATE_LABEL[state] : 'Unknown'}</strong>
        {status?.plcUrl ? (
          <>
            {' '}
            · PLC at <span className="url">{status.plcUrl}</span>
          </>
        ) : null}
      </p>
      {status?.message ? <p className="muted">{status.message}</p> : null}
      {statusError ? <ErrorMessage error={statusError} title="Could not read the sandbox's state." live={false} /> : null}
      {job && job.id === jobId && job.state !== 'succeeded' ? (
        <div className="sandbox-job">
          <JobOutcome job={job} progressLabel={job.title || 'Sandbox progress'} />
          <a href={routeHref({ screen: 'jobs', jobId: job.id })}>Details and log</a>
        </div>
      ) : null}
      {error ? <ErrorMessage error={error} title="Could not start the sandbox." /> : null}
      <div className="actions">
        <button type="button" className="button button-primary" disabled={!canStart} onClick={() => void start()}>
          Start sandbox
        </button>
        <ConfirmDialog
          trigger={
            <button type="button" className="button" disabled={!canStop}>
              Stop sandbox
            </button>
          }
          title="Stop the sandbox?"
          description="The sandbox's PDS and PLC stop running on this computer. You can start them again later."
          confirmLabel="Stop sandbox"
          cancelLabel="Keep it running"
          destructive
          onConfirm={async () => {
            const { jobId: id } = await call('sandbox.stop', {});
            setJobId(id);
          }}
        />
        {children}
      </div>
    </section>
  );
}
