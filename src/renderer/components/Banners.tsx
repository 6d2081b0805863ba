import { getBridge } from '../bridge/index.ts';
import { useConnection, useSecondsUntil } from '../bridge/useConnection.ts';
import { useAppStore } from '../state/app.ts';
import { ErrorMessage } from './ErrorMessage.tsx';

/** Lost connection (after it had worked), keychain unavailable, unreadable settings. */
export function Banners() {
  const info = useAppStore((s) => s.info);
  const appError = useAppStore((s) => s.error);
  const load = useAppStore((s) => s.load);
  return (
    <div className="banners">
      <ConnectionBanner />
      {appError ? (
        <ErrorMessage error={appError} title="Could not load Hearth's status." live={false}>
          <button type="button" className="button" onClick={() => void load()}>
            Try again
          </button>
        </ErrorMessage>
      ) : null}
      {info && !info.keychain.available ? (
        <section className="banner banner-warning" aria-labelledby="banner-keychain">
          <p id="banner-keychain" className="banner-title">
            The system keychain is not available
          </p>
          <p>{info.keychain.message || 'Hearth keeps passwords and keys only in the system keychain, and cannot reach it.'}</p>
        </section>
      ) : null}
      {info?.configProblem ? (
        <section className="banner banner-warning" aria-labelledby="banner-config">
          <p id="banner-config" className="banner-title">
            Hearth could not read its settings
          </p>
          <p>{info.configProblem.message}</p>
          <p>
            The old file was kept at <code className="path">{info.configProblem.keptAt}</code>, so nothing is lost.
          </p>
        </section>
      ) : null}
      {info?.backupsProblem ? (
        <section className="banner banner-warning" aria-labelledby="banner-backups-file">
          <p id="banner-backups-file" className="banner-title">
            Hearth could not read its backup settings
          </p>
          <p>{info.backupsProblem.message}</p>
        </section>
      ) : null}
    </div>
  );
}

function ConnectionBanner() {
  const status = useConnection();
  const seconds = useSecondsUntil(status.state === 'closed' ? status.retryAt : null);
  if (!status.everConnected || status.state === 'open') return null;
  return (
    <section className="banner banner-error" aria-labelledby="banner-connection">
      <p id="banner-connection" className="banner-title" role="alert">
        Connection to Hearth lost
      </p>
      <p>
        {status.state === 'connecting'
          ? 'Reconnecting…'
          : `What you see may be out of date. Trying again${seconds ? ` in ${seconds} s` : ''}…`}
      </p>
      {status.failures >= 3 ? (
        <p className="muted">
          If Hearth was restarted, open the new link it printed: each launch has its own.
        </p>
      ) : null}
      {status.state === 'closed' ? (
        <div className="actions">
          <button type="button" className="button" onClick={() => getBridge().reconnectNow()}>
            Reconnect now
          </button>
        </div>
      ) : null}
    </section>
  );
}
