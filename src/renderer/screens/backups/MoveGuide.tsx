import { useEffect, useState } from 'react';
import type { MoveStatus } from '../../../shared/contract/index.ts';
import type { ErrorInfo } from '../../../shared/errors.ts';
import { call, toErrorInfo } from '../../bridge/index.ts';
import { ConfirmDialog } from '../../components/ConfirmDialog.tsx';
import { ErrorMessage } from '../../components/ErrorMessage.tsx';
import { useServersStore } from '../../state/servers.ts';

/**
 * The last step of disaster recovery: the two DNS records (or the reserved IP) to point at the new
 * server, and Hearth's check that the name reaches it and every DID resolves to it.
 */
export function MoveGuide({ serverId, old }: { serverId: string; old: { serverId: string; name: string } }) {
  const oldName = old.name;
  const oldKnown = useServersStore((s) => s.servers?.some((x) => x.id === old.serverId) ?? false);
  const [status, setStatus] = useState<MoveStatus | null>(null);
  const [error, setError] = useState<ErrorInfo | null>(null);
  const [checking, setChecking] = useState(true);

  const [generation, setGeneration] = useState(0);
  useEffect(() => {
    let current = true;
    call('backups.moveStatus', { serverId })
      .then((next) => current && (setStatus(next), setError(null)))
      .catch((err: unknown) => current && setError(toErrorInfo(err)))
      .finally(() => current && setChecking(false));
    return () => {
      current = false;
    };
  }, [serverId, generation]);
  const check = () => {
    setChecking(true);
    setGeneration((g) => g + 1);
  };

  return (
    <section className="card move-guide" aria-labelledby={`${serverId}-move`}>
      <h2 id={`${serverId}-move`} className="subheading">
        Finish moving from {oldName}
      </h2>
      {status ? (
        <>
          <p role="status" className={status.done ? 'restore-done' : undefined}>
            {status.message}
          </p>
          {!status.done ? (
            <>
              <p>At your DNS provider, change these two records (with a DigitalOcean reserved IP, assign it to the new droplet instead):</p>
              <table className="jobs-table">
                <caption className="visually-hidden">DNS records to point at the new server</caption>
                <thead>
                  <tr>
                    <th scope="col">Type</th>
                    <th scope="col">Name</th>
                    <th scope="col">Points to</th>
                  </tr>
                </thead>
                <tbody>
                  {status.records.map((r) => (
                    <tr key={r.name}>
                      <td>{r.type}</td>
                      <td className="mono">{r.name}</td>
                      <td className="mono">{r.value}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </>
          ) : null}
          <ul className="repo-changes" aria-label="Accounts and where their DIDs point">
            {status.dids.map((d) => (
              <li key={d.did}>
                <span aria-hidden="true">{d.ok ? '✓' : '…'}</span> {d.handle ?? d.did} <span className="mono muted">{d.did}</span>
                {d.problem ? <span className="muted">: {d.problem}</span> : null}
              </li>
            ))}
          </ul>
        </>
      ) : !error ? (
        <p className="muted">Checking where {oldName}’s hostname points…</p>
      ) : null}
      {error ? <ErrorMessage error={error} title="Could not check the move." /> : null}
      <div className="actions">
        <button type="button" className="button" disabled={checking} onClick={check}>
          {checking ? 'Checking…' : 'Check again'}
        </button>
        {status?.done && oldKnown ? (
          <ConfirmDialog
            trigger={
              <button type="button" className="button">
                Forget {oldName}…
              </button>
            }
            title={`Forget ${oldName}?`}
            description={`Every account now lives on the new server, so ${oldName} is removed from Hearth. Its entries stay in the keychain (delete them there if you wish); its backups stay in the store, where the new server now backs up.`}
            confirmLabel={`Forget ${oldName}`}
            cancelLabel="Keep it listed"
            onConfirm={async () => {
              await call('hosts.forget', { serverId: old.serverId, deleteSecrets: false });
            }}
          />
        ) : null}
      </div>
    </section>
  );
}
