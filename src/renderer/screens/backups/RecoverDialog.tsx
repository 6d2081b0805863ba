import * as Dialog from '@radix-ui/react-dialog';
import { useId, useState } from 'react';
import type { Server, Snapshot } from '../../../shared/contract/index.ts';
import type { ErrorInfo } from '../../../shared/errors.ts';
import { call, toErrorInfo } from '../../bridge/index.ts';
import { ErrorMessage } from '../../components/ErrorMessage.tsx';
import { JobDialogActions } from '../../components/JobDialogActions.tsx';
import { DEFAULT_PORTS, PortFields, portNumbers, type PortValues } from '../../components/PortFields.tsx';
import { ProgressBar } from '../../components/ProgressBar.tsx';
import { formatDateTime } from '../../format.ts';
import { useServersStore } from '../../state/servers.ts';
import { routeHref } from '../../state/ui.ts';
import { MoveGuide } from './MoveGuide.tsx';
import { useJob } from '../../state/useJob.ts';

/**
 * Disaster recovery from the old server's Backups screen: pick an empty server → (optionally a
 * last backup of the old one) → install with the same hostname and secrets, restore the latest
 * snapshot → move the hostname, checked by Hearth.
 */
export function RecoverDialog({ server, latest, disabled }: { server: Server; latest: Snapshot | null; disabled: boolean }) {
  const servers = useServersStore((s) => s.servers) ?? [];
  const hostname = server.install?.hostname ?? null;
  const candidates = servers.filter((s) => s.id !== server.id && s.ssh && (!s.install || s.install.hostname === hostname));
  const [open, setOpen] = useState(false);
  const [target, setTarget] = useState('');
  const [finalBackup, setFinalBackup] = useState(false);
  // The old server's ports by default: the new one takes its place.
  const [ports, setPorts] = useState<PortValues>({
    ...DEFAULT_PORTS,
    ...(server.install && { httpsPort: String(server.install.httpsPort), pdsPort: String(server.install.pdsPort) }),
  });
  const [error, setError] = useState<ErrorInfo | null>(null);
  const [jobId, setJobId] = useState<string | null>(null);
  const job = useJob(jobId);
  const running = job?.state === 'running';
  const pickId = useId();
  const finalId = useId();
  const chosen = candidates.find((s) => s.id === target) ?? candidates[0] ?? null;

  const start = async () => {
    if (!chosen) return;
    setError(null);
    try {
      setJobId((await call('backups.recover', { serverId: chosen.id, fromServerId: server.id, finalBackup, tlsMode: server.install?.tlsMode ?? 'acme', ...portNumbers(ports) })).jobId);
    } catch (err) {
      setError(toErrorInfo(err));
    }
  };

  // The snapshots may be unknown here (the old server is gone): the job finds the latest itself.
  const reason = !hostname ? 'Only a server Hearth installed or adopted can move.' : null;
  return (
    <Dialog.Root
      open={open}
      onOpenChange={(next) => {
        if (running) return;
        setOpen(next);
        if (next) {
          setJobId(null);
          setError(null);
        }
      }}
    >
      <Dialog.Trigger asChild>
        <button type="button" className="button" disabled={disabled || reason !== null} title={reason ?? undefined}>
          Restore onto a new server…
        </button>
      </Dialog.Trigger>
      <Dialog.Portal>
        <div className="dialog-backdrop" aria-hidden="true" />
        <Dialog.Content className="dialog restore-dialog">
          <Dialog.Title className="dialog-title">Restore {server.name} onto a new server</Dialog.Title>
          <Dialog.Description className="dialog-description">
            For when {server.name} is lost or being replaced. The new server gets the PDS for {hostname} with the same secrets from this computer’s keychain,
            then the latest snapshot in the backup store{latest ? ` (${formatDateTime(latest.time)})` : ''}. Every account keeps its DID, password and sessions; once {hostname}{' '}
            points at the new server, they are back online.
          </Dialog.Description>
          {job?.state === 'succeeded' && chosen ? (
            <MoveGuide serverId={chosen.id} old={{ serverId: server.id, name: server.name }} />
          ) : job ? (
            job.state === 'running' ? (
              <ProgressBar value={job.progress} label="Restore onto a new server" step={job.step} />
            ) : (
              <ErrorMessage error={job.error ?? { code: 'INTERNAL', message: `The move ended: ${job.state}.`, hint: 'The job log has the details.' }} title="The move did not complete." />
            )
          ) : candidates.length === 0 ? (
            <p>
              Connect the new, empty server first (<a href={routeHref({ screen: 'connect' })}>Connect my server</a>, or make a droplet with{' '}
              <a href={routeHref({ screen: 'digitalocean' })}>DigitalOcean</a>), then come back here.
            </p>
          ) : (
            <>
              <div className="field">
                <label htmlFor={pickId}>New server</label>
                <select id={pickId} className="input" value={chosen?.id ?? ''} onChange={(e) => setTarget(e.target.value)}>
                  {candidates.map((s) => (
                    <option key={s.id} value={s.id}>
                      {s.name} ({s.ssh?.host})
                    </option>
                  ))}
                </select>
              </div>
              <div className="field-inline">
                <input id={finalId} type="checkbox" checked={finalBackup} onChange={(e) => setFinalBackup(e.target.checked)} />
                <label htmlFor={finalId}>
                  {server.name} still runs: stop its PDS and take a last backup first, so nothing written until now is lost (its PDS starts again if the move
                  fails)
                </label>
              </div>
              <details className="connect-advanced">
                <summary>Advanced: ports</summary>
                <PortFields value={ports} onChange={setPorts} disabled={false} />
              </details>
              {!finalBackup && latest ? <p className="note">Posts written on {server.name} after {formatDateTime(latest.time)} are not in the latest snapshot.</p> : null}
            </>
          )}
          {error ? <ErrorMessage error={error} /> : null}
          <JobDialogActions job={job}>
            {chosen ? (
              <button type="button" className="button button-primary" onClick={() => void start()}>
                Restore onto {chosen.name}
              </button>
            ) : null}
          </JobDialogActions>
        </Dialog.Content>
      </Dialog.Portal>
    </Dialog.Root>
  );
}
