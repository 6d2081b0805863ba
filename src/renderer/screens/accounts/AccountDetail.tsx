import { useEffect, useId, useRef, useState } from 'react';
import type { AccountDetail as Detail, BlobInfo, RepoRecord } from '../../../shared/contract/index.ts';
import type { ErrorInfo } from '../../../shared/errors.ts';
import { call, toErrorInfo } from '../../bridge/index.ts';
import { ErrorMessage } from '../../components/ErrorMessage.tsx';
import { formatDateTime } from '../../format.ts';
import { formatBytes } from './AccountsTable.tsx';
import { ConfirmAction } from './ConfirmAction.tsx';
import { STATUS_LABEL } from './filter.ts';
import { blobHref, JsonView } from './JsonView.tsx';
import type { NoticeText } from './Notice.tsx';
import { useCallResult } from './useCallResult.ts';

interface Props {
  serverId: string;
  serverName: string;
  serverUrl: string;
  did: string;
  domains: string[];
  onChanged: () => Promise<void>;
  onClose: () => void;
  onNotice: (notice: NoticeText) => void;
}

/** One account: facts, the admin actions, its identity (DID document, PLC log) and its repo. */
export function AccountDetail(props: Props) {
  const { serverId, did, onClose } = props;
  const { data: detail, error, reload } = useCallResult('accounts.detail', { serverId, did });

  const handle = detail?.account.handle ?? did;
  const headingId = useId();
  const headingRef = useRef<HTMLHeadingElement>(null);
  // Opening an account moves focus (and the view) to it, below the table.
  useEffect(() => {
    headingRef.current?.focus();
    headingRef.current?.scrollIntoView({ block: 'nearest' });
  }, []);
  return (
    <section className="card acct-detail" aria-labelledby={headingId}>
      <div className="card-header">
        <h2 id={headingId} ref={headingRef} tabIndex={-1}>
          {handle}
        </h2>
        <button type="button" className="button" onClick={onClose}>
          Close
        </button>
      </div>
      {error ? <ErrorMessage error={error} title="Could not load this account." /> : null}
      {!detail && !error ? <p className="muted">Loading account…</p> : null}
      {detail ? (
        <>
          <Facts detail={detail} />
          <Actions {...props} detail={detail} afterChange={async () => {
              reload();
              await props.onChanged();
            }} />
          <Identity detail={detail} />
          <RepoBrowser {...props} collections={detail.collections} />
          <Blobs {...props} />
        </>
      ) : null}
    </section>
  );
}

function Facts({ detail }: { detail: Detail }) {
  const a = detail.account;
  return (
    <dl className="facts">
      <div>
        <dt>Status</dt>
        <dd>
          <span className={`badge acct-status-${a.status}`}>{STATUS_LABEL[a.status]}</span>
        </dd>
      </div>
      <div>
        <dt>DID</dt>
        <dd className="mono small">{a.did}</dd>
      </div>
      <div>
        <dt>Email</dt>
        <dd>
          {a.email ?? '—'}
          {a.email ? <span className="muted small">{a.emailConfirmed ? ' (confirmed)' : ' (not confirmed)'}</span> : null}
        </dd>
      </div>
      <div>
        <dt>Created</dt>
        <dd>{a.createdAt ? <time dateTime={a.createdAt}>{formatDateTime(a.createdAt)}</time> : '—'}</dd>
      </div>
      <div>
        <dt>Invited with</dt>
        <dd className="mono small">{detail.invitedBy ?? '—'}</dd>
      </div>
    </dl>
  );
}

function Actions({ serverId, serverName, did, domains, detail, afterChange, onNotice, onClose, onChanged }: Props & { detail: Detail; afterChange: () => Promise<void> }) {
  const handle = detail.account.handle;
  const takenDown = detail.account.status === 'takendown';
  const [newHandle, setNewHandle] = useState('');
  const [newEmail, setNewEmail] = useState('');
  const [newPassword, setNewPassword] = useState('');
  const ids = { handle: useId(), email: useId(), password: useId() };

  return (
    <div className="actions" role="group" aria-label={`Actions for ${handle}`}>
      {takenDown ? (
        <ConfirmAction
          trigger={
            <button type="button" className="button">
              Restore
            </button>
          }
          title={`Restore ${handle}?`}
          description={<p>Lifts the takedown: {handle} can log in again and its posts and profile are served again.</p>}
          confirmLabel="Restore account"
          destructive={false}
          onConfirm={async () => {
            await call('accounts.restore', { serverId, did });
            await afterChange();
            onNotice({ title: `Restored ${handle}.`, body: 'It can log in again.', secret: null });
          }}
        />
      ) : (
        <ConfirmAction
          trigger={
            <button type="button" className="button">
              Take down
            </button>
          }
          title={`Take down ${handle}?`}
          description={
            <p>
              {handle} can no longer log in, and the server stops serving its posts, profile and media to anyone. Nothing is
              deleted: restoring the account brings it all back.
            </p>
          }
          confirmLabel="Take down account"
          onConfirm={async () => {
            await call('accounts.takedown', { serverId, did });
            await afterChange();
            onNotice({ title: `Took down ${handle}.`, body: 'Its login is refused until you restore it.', secret: null });
          }}
        />
      )}
      <ConfirmAction
        trigger={
          <button type="button" className="button">
            Reset password
          </button>
        }
        title={`Reset the password of ${handle}?`}
        description={<p>The current password stops working at once; apps logged in with it may have to log in again.</p>}
        confirmLabel="Reset password"
        onOpenChange={(open) => !open && setNewPassword('')}
        onConfirm={async () => {
          const { generatedPassword } = await call('accounts.resetPassword', { serverId, did, password: newPassword === '' ? null : newPassword });
          onNotice({
            title: `Set a new password for ${handle}.`,
            body: generatedPassword ? 'It is shown once: copy it now and give it to the account’s owner.' : 'The password you typed works from now on.',
            secret: generatedPassword ? { label: `New password for ${handle}`, value: generatedPassword } : null,
          });
        }}
      >
        <div className="field">
          <label htmlFor={ids.password}>New password (leave empty to generate one)</label>
          <input id={ids.password} className="input" type="password" autoComplete="new-password" value={newPassword} onChange={(e) => setNewPassword(e.target.value)} />
        </div>
      </ConfirmAction>
      <ConfirmAction
        trigger={
          <button type="button" className="button">
            Change handle
          </button>
        }
        title={`Change the handle of ${handle}?`}
        description={<p>The old handle stops pointing to this account and may be taken by someone else. Posts and followers stay.</p>}
        confirmLabel="Change handle"
        onOpenChange={(open) => !open && setNewHandle('')}
        onConfirm={async () => {
          const result = await call('accounts.changeHandle', { serverId, did, handle: newHandle });
          await afterChange();
          onNotice({ title: `${handle} is now ${result.handle}.`, body: 'The identity directory has the new handle.', secret: null });
        }}
      >
        <div className="field">
          <label htmlFor={ids.handle}>New handle</label>
          <input
            id={ids.handle}
            className="input"
            autoComplete="off"
            spellCheck={false}
            placeholder={`name${domains[0] ?? ''}`}
            value={newHandle}
            onChange={(e) => setNewHandle(e.target.value)}
          />
        </div>
      </ConfirmAction>
      <ConfirmAction
        trigger={
          <button type="button" className="button">
            Change email
          </button>
        }
        title={`Change the email of ${handle}?`}
        description={<p>Password resets and server notices go to the new address from now on.</p>}
        confirmLabel="Change email"
        destructive={false}
        onOpenChange={(open) => !open && setNewEmail('')}
        onConfirm={async () => {
          await call('accounts.changeEmail', { serverId, did, email: newEmail });
          await afterChange();
          onNotice({ title: `Changed the email of ${handle}.`, body: `It is now ${newEmail.trim()}.`, secret: null });
        }}
      >
        <div className="field">
          <label htmlFor={ids.email}>New email</label>
          <input id={ids.email} className="input" type="email" autoComplete="off" value={newEmail} onChange={(e) => setNewEmail(e.target.value)} />
        </div>
      </ConfirmAction>
      <ConfirmAction
        trigger={
          <button type="button" className="button button-danger">
            Delete account
          </button>
        }
        title={`Delete ${handle} for good?`}
        description={
          <p>
            Deletes the account, its posts, follows, media and login from “{serverName}”. This cannot be undone.
          </p>
        }
        confirmLabel="Delete account"
        typeToConfirm={handle}
        onConfirm={async () => {
          await call('accounts.delete', { serverId, did, confirmHandle: handle });
          onClose();
          await onChanged();
          onNotice({ title: `Deleted ${handle}.`, body: 'It is gone from the server.', secret: null });
        }}
      />
    </div>
  );
}

function Identity({ detail }: { detail: Detail }) {
  return (
    <section className="acct-section" aria-label="Identity">
      <h3>Identity</h3>
      {detail.serverKeyInRotation === false ? (
        <div className="banner banner-warning" role="alert">
          <p className="banner-title">This server does not control this identity.</p>
          <p>
            The server’s rotation key ({detail.serverRotationKey}) is not among this DID’s rotation keys, so the server cannot
            change its handle or move it if something goes wrong. Whoever holds one of the keys below can.
          </p>
        </div>
      ) : null}
      {detail.serverKeyInRotation === null ? (
        <p className="muted small">Hearth does not have this server’s rotation key, so it cannot check who controls this identity.</p>
      ) : null}
      {detail.rotationKeys.length ? (
        <>
          <h4>Rotation keys</h4>
          <ul className="plain-list mono small">
            {detail.rotationKeys.map((key) => (
              <li key={key}>
                {key}
                {key === detail.serverRotationKey ? <span className="badge">this server</span> : null}
              </li>
            ))}
          </ul>
        </>
      ) : null}
      <details>
        <summary>DID document</summary>
        {detail.didDocumentProblem ? <p className="muted">{detail.didDocumentProblem}</p> : <JsonView value={detail.didDocument} label="DID document" />}
      </details>
      <details>
        <summary>PLC audit log ({detail.auditLog.length} operations)</summary>
        {detail.auditLogProblem ? <p className="muted">{detail.auditLogProblem}</p> : null}
        <ol className="plain-list">
          {detail.auditLog.map((entry) => (
            <li key={entry.cid}>
              <p>
                <time dateTime={entry.createdAt}>{formatDateTime(entry.createdAt)}</time>
                {entry.nullified ? <span className="badge">nullified</span> : null} <span className="mono small">{entry.cid}</span>
              </p>
              <JsonView value={entry.operation} label={`PLC operation ${entry.cid}`} />
            </li>
          ))}
        </ol>
      </details>
    </section>
  );
}

function RepoBrowser({ serverId, serverUrl, did, collections }: Props & { collections: string[] }) {
  const [collection, setCollection] = useState<string | null>(null);
  const [records, setRecords] = useState<RepoRecord[]>([]);
  const [cursor, setCursor] = useState<string | null>(null);
  const [record, setRecord] = useState<RepoRecord | null>(null);
  const [error, setError] = useState<ErrorInfo | null>(null);
  const [busy, setBusy] = useState(false);

  const openCollection = async (name: string, from?: string) => {
    setBusy(true);
    setError(null);
    try {
      const page = await call('accounts.listRecords', { serverId, did, collection: name, ...(from ? { cursor: from } : {}) });
      setCollection(name);
      setRecords((r) => (from ? [...r, ...page.records] : page.records));
      setCursor(page.cursor);
      if (!from) setRecord(null);
    } catch (err) {
      setError(toErrorInfo(err));
    } finally {
      setBusy(false);
    }
  };
  const openRecord = async (uri: string) => {
    setError(null);
    try {
      setRecord(await call('accounts.getRecord', { serverId, uri }));
    } catch (err) {
      setError(toErrorInfo(err));
    }
  };

  return (
    <section className="acct-section" aria-label="Repository">
      <h3>Repository</h3>
      {collections.length === 0 ? <p className="muted">No collections (the repository is empty or cannot be read).</p> : null}
      <div className="repo-browser">
        <ul className="plain-list" aria-label="Collections">
          {collections.map((name) => (
            <li key={name}>
              <button type="button" className="link-button" aria-pressed={collection === name} onClick={() => void openCollection(name)}>
                {name}
              </button>
            </li>
          ))}
        </ul>
        {collection ? (
          <div>
            <ul className="plain-list" aria-label={`Records in ${collection}`}>
              {records.map((r) => (
                <li key={r.uri}>
                  <button type="button" className="link-button mono small" onClick={() => void openRecord(r.uri)}>
                    {r.uri.split('/').pop()}
                  </button>{' '}
                  <span className="record-preview">{preview(r.value)}</span>
                </li>
              ))}
            </ul>
            {cursor ? (
              <button type="button" className="button" disabled={busy} onClick={() => void openCollection(collection, cursor)}>
                More records
              </button>
            ) : null}
          </div>
        ) : null}
      </div>
      {error ? <ErrorMessage error={error} live={false} /> : null}
      {record ? (
        <div className="record">
          <h4 className="mono small">{record.uri}</h4>
          <JsonView value={record.value} label={`Record ${record.uri}`} onOpenRecord={(uri) => void openRecord(uri)} blobUrl={(cid) => blobHref(serverUrl, did, cid)} />
        </div>
      ) : null}
    </section>
  );
}

/** A one-line summary of a record: its text or display name, as text. */
function preview(value: unknown): string {
  if (!value || typeof value !== 'object') return '';
  const v = value as Record<string, unknown>;
  const text = typeof v.text === 'string' ? v.text : typeof v.displayName === 'string' ? v.displayName : typeof v.subject === 'string' ? v.subject : '';
  return text.length > 120 ? `${text.slice(0, 120)}…` : text;
}

function Blobs({ serverId, serverUrl, did }: Props) {
  const [blobs, setBlobs] = useState<BlobInfo[] | null>(null);
  const [cursor, setCursor] = useState<string | null>(null);
  const [error, setError] = useState<ErrorInfo | null>(null);
  const load = async (from?: string) => {
    try {
      const page = await call('accounts.listBlobs', { serverId, did, ...(from ? { cursor: from } : {}) });
      setBlobs((b) => (from ? [...(b ?? []), ...page.blobs] : page.blobs));
      setCursor(page.cursor);
      setError(null);
    } catch (err) {
      setError(toErrorInfo(err));
    }
  };
  return (
    <section className="acct-section" aria-label="Blobs">
      <h3>Blobs</h3>
      {blobs === null ? (
        <button type="button" className="button" onClick={() => void load()}>
          List blobs
        </button>
      ) : blobs.length === 0 ? (
        <p className="muted">No blobs.</p>
      ) : (
        <table className="jobs-table" aria-label="Blobs">
          <thead>
            <tr>
              <th scope="col">CID</th>
              <th scope="col">Type</th>
              <th scope="col">Size</th>
            </tr>
          </thead>
          <tbody>
            {blobs.map((b) => {
              const href = blobHref(serverUrl, did, b.cid);
              return (
                <tr key={b.cid}>
                  <td className="mono small">
                    {href ? (
                      <a href={href} target="_blank" rel="noreferrer noopener">
                        {b.cid}
                      </a>
                    ) : (
                      b.cid
                    )}
                  </td>
                  <td>{b.mimeType ?? '—'}</td>
                  <td>{b.size === null ? '—' : formatBytes(b.size)}</td>
                </tr>
              );
            })}
          </tbody>
        </table>
      )}
      {cursor ? (
        <button type="button" className="button" onClick={() => void load(cursor)}>
          More blobs
        </button>
      ) : null}
      {error ? <ErrorMessage error={error} live={false} /> : null}
    </section>
  );
}
