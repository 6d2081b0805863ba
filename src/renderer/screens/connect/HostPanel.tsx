import { useCallback, useEffect, useState } from 'react';
import type { HostHealth, Server } from '../../../shared/contract/index.ts';
import type { ErrorInfo } from '../../../shared/errors.ts';
import { call, toErrorInfo } from '../../bridge/index.ts';
import { ConfirmDialog } from '../../components/ConfirmDialog.tsx';
import { ErrorMessage } from '../../components/ErrorMessage.tsx';
import { JobOutcome } from '../../components/JobBits.tsx';
import { useJobsStore } from '../../state/jobs.ts';
import { formatDateTime } from '../../format.ts';
import './connect.css';

const REFRESH_MS = 30_000;
const PRESENTED = /Presented now: (SHA256:[A-Za-z0-9+/]{43})/;

/**
 * A server reached over SSH: how the machine itself is doing (refreshed every 30 s while the
 * window is visible, never blocking the rest of the screen), the host-key warning with its
 * re-trust action, and "Remove from Hearth".
 */
export function HostPanel({ server }: { server: Server }) {
  const [health, setHealth] = useState<HostHealth | null>(null);
  const [error, setError] = useState<ErrorInfo | null>(null);
  const [checking, setChecking] = useState(false);
  const [versions, setVersions] = useState<{ installed: string | null; latest: string } | null>(null);
  const [upgradeJobId, setUpgradeJobId] = useState<string | null>(null);
  const [upgradeError, setUpgradeError] = useState<ErrorInfo | null>(null);
  const upgradeJob = useJobsStore((s) => (upgradeJobId ? s.jobs[upgradeJobId] : undefined));
  const native = server.install?.runtime === 'native';

  const checkVersions = async () => {
    setUpgradeError(null);
    try {
      setVersions(await call('hosts.versions', { serverId: server.id }));
    } catch (err) {
      setUpgradeError(toErrorInfo(err));
    }
  };
  const upgrade = async (version: string) => {
    const { jobId } = await call('hosts.upgrade', { serverId: server.id, version });
    setUpgradeJobId(jobId);
    void useJobsStore.getState().loadJob(jobId);
  };

  const refresh = useCallback(async () => {
    if (document.visibilityState !== 'visible') return;
    setChecking(true);
    try {
      setHealth(await call('hosts.health', { serverId: server.id }));
      setError(null);
    } catch (err) {
      setError(toErrorInfo(err));
    } finally {
      setChecking(false);
    }
  }, [server.id]);

  useEffect(() => {
    const first = window.setTimeout(() => void refresh(), 0);
    const timer = window.setInterval(() => void refresh(), REFRESH_MS);
    const onVisible = () => document.visibilityState === 'visible' && void refresh();
    document.addEventListener('visibilitychange', onVisible);
    return () => {
      window.clearTimeout(first);
      window.clearInterval(timer);
      document.removeEventListener('visibilitychange', onVisible);
    };
  }, [refresh]);

  const presented = error?.code === 'HOST_KEY_MISMATCH' ? PRESENTED.exec(error.message)?.[1] : undefined;
  const percent = (value: number | null) => (value === null ? 'unknown' : `${value} %`);

  return (
    <section className="host-panel" aria-label={`${server.name}: the server itself`}>
      {health ? (
        <dl className="facts host-facts">
          <dt>CPU</dt>
          <dd>{percent(health.cpuPercent)}</dd>
          <dt>Memory</dt>
          <dd>{percent(health.memoryPercent)}</dd>
          <dt>Disk (/pds)</dt>
          <dd>{percent(health.diskPercent)}</dd>
          {health.services.map((s) => (
            <div key={s.name} className="fact-row">
              <dt>Service {s.name}</dt>
              <dd>{s.active ? 'running' : 'stopped'}</dd>
            </div>
          ))}
          {health.certificateExpiresAt ? (
            <>
              <dt>Certificate valid until</dt>
              <dd>{formatDateTime(health.certificateExpiresAt)}</dd>
            </>
          ) : null}
        </dl>
      ) : checking ? (
        <p className="muted small">Reading the server&apos;s CPU, memory and disk…</p>
      ) : null}
      {health?.warnings.length ? (
        <ul className="host-warnings" aria-label={`Warnings for ${server.name}`}>
          {health.warnings.map((w) => (
            <li key={w}>{w}</li>
          ))}
        </ul>
      ) : null}
      {error ? (
        <ErrorMessage error={error} title={presented ? 'This server presented a different identity.' : 'Could not read the server over SSH.'} live={false}>
          {presented ? (
            <ConfirmDialog
              trigger={
                <button type="button" className="button button-danger">
                  Trust the new key
                </button>
              }
              title="Trust the server's new identity?"
              description={
                <>
                  Only do this if you rebuilt or reinstalled the server. Its new fingerprint is <span className="mono">{presented}</span>; compare it with
                  your provider&apos;s console first.
                </>
              }
              confirmLabel="Trust the new key"
              cancelLabel="Not now"
              destructive
              onConfirm={async () => {
                await call('hosts.retrust', { serverId: server.id, fingerprint: presented });
                await refresh();
              }}
            />
          ) : null}
        </ErrorMessage>
      ) : null}
      {native ? (
        <div className="host-upgrade">
          {versions && versions.installed && versions.installed !== versions.latest && !upgradeJobId ? (
            <ConfirmDialog
              trigger={
                <button type="button" className="button button-primary">
                  Upgrade to {versions.latest}
                </button>
              }
              title={`Upgrade the PDS on ${server.name} to ${versions.latest}?`}
              description="The PDS stops for a minute or two: Hearth snapshots its databases, switches to the new version and checks it. If the new version does not come up, Hearth goes back to the current one with the data as it was."
              confirmLabel="Upgrade"
              cancelLabel="Not now"
              onConfirm={() => upgrade(versions.latest)}
            />
          ) : versions && !upgradeJobId ? (
            <p className="muted small">PDS {versions.installed ?? 'unknown'} is the newest version.</p>
          ) : !upgradeJobId ? (
            <button type="button" className="button" onClick={() => void checkVersions()}>
              Check for a new PDS version
            </button>
          ) : null}
          {upgradeJob ? <JobOutcome job={upgradeJob} progressLabel="Upgrade progress" /> : null}
          {upgradeError ? <ErrorMessage error={upgradeError} title="Could not check for a new version." live={false} /> : null}
        </div>
      ) : null}
      <div className="actions">
        <ConfirmDialog
          trigger={
            <button type="button" className="button">
              Remove from Hearth
            </button>
          }
          title={`Remove ${server.name} from Hearth?`}
          description="Hearth stops managing this server; the server itself keeps running. Its keys and secrets stay in this computer's keychain, because they may be the only copy of the key that controls your accounts' identities — delete them there only when you are sure."
          confirmLabel="Remove from Hearth"
          cancelLabel="Keep it"
          destructive
          onConfirm={async () => {
            await call('hosts.forget', { serverId: server.id, deleteSecrets: false });
          }}
        />
      </div>
    </section>
  );
}
