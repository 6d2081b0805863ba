import { useId, useState } from 'react';
import { call } from '../../bridge/index.ts';
import { ErrorMessage } from '../../components/ErrorMessage.tsx';
import { formatDateTime } from '../../format.ts';
import { ConfirmAction } from './ConfirmAction.tsx';
import type { NoticeText } from './Notice.tsx';
import { useCallResult } from './useCallResult.ts';

/** The server's invite codes: make some, see who used them, disable them; and ask relays to crawl. */
export function InviteCodes({
  serverId,
  serverName,
  crawlers,
  onNotice,
  refreshToken,
}: {
  serverId: string;
  serverName: string;
  crawlers: string[];
  onNotice: (n: NoticeText) => void;
  /** Changes when the screen reloads: the codes reload too. */
  refreshToken: number;
}) {
  const { data: codes, error, reload: load } = useCallResult('accounts.listInvites', { serverId }, refreshToken);
  const [count, setCount] = useState('1');
  const [uses, setUses] = useState('1');
  const headingId = useId();
  const ids = { count: useId(), uses: useId() };

  const n = Number.parseInt(count, 10);
  const u = Number.parseInt(uses, 10);

  return (
    <section className="card acct-invites" aria-labelledby={headingId}>
      <h2 id={headingId}>Invite codes</h2>
      <div className="toolbar">
        <div className="field-inline">
          <label htmlFor={ids.count}>Codes</label>
          <input id={ids.count} className="input input-number" type="number" min={1} max={100} value={count} onChange={(e) => setCount(e.target.value)} />
        </div>
        <div className="field-inline">
          <label htmlFor={ids.uses}>Uses per code</label>
          <input id={ids.uses} className="input input-number" type="number" min={1} max={1000} value={uses} onChange={(e) => setUses(e.target.value)} />
        </div>
        <ConfirmAction
          trigger={
            <button type="button" className="button button-primary" disabled={!(n >= 1 && n <= 100 && u >= 1 && u <= 1000)}>
              Make invite codes
            </button>
          }
          title={`Make ${n} invite code${n === 1 ? '' : 's'}?`}
          description={
            <p>
              Anyone holding one of these codes can create an account on “{serverName}”, {u} time{u === 1 ? '' : 's'} per code, until you
              disable it.
            </p>
          }
          confirmLabel="Make codes"
          destructive={false}
          onConfirm={async () => {
            const made = await call('accounts.createInvites', { serverId, count: n, usesPerCode: u });
            onNotice({ title: `Made ${made.codes.length} invite code${made.codes.length === 1 ? '' : 's'}.`, body: 'Share them with the people you invite.', secret: { label: 'New codes', value: made.codes.join(' ') } });
            load();
          }}
        />
        <RequestCrawl serverId={serverId} serverName={serverName} crawlers={crawlers} onNotice={onNotice} />
      </div>
      {error ? <ErrorMessage error={error} title="Could not load the invite codes." live={false} /> : null}
      {codes === null ? (
        error ? null : <p className="muted">Loading invite codes…</p>
      ) : codes.length === 0 ? (
        <p className="muted">No invite codes yet.</p>
      ) : (
        <table className="jobs-table" aria-label="Invite codes">
          <thead>
            <tr>
              <th scope="col">Code</th>
              <th scope="col">Used</th>
              <th scope="col">Used by</th>
              <th scope="col">Created</th>
              <th scope="col">State</th>
            </tr>
          </thead>
          <tbody>
            {codes.map((code) => (
              <tr key={code.code}>
                <th scope="row" className="mono small">
                  {code.code}
                </th>
                <td>
                  {code.uses.length} of {code.available}
                </td>
                <td>
                  {code.uses.length === 0
                    ? '—'
                    : code.uses.map((use) => (
                        <div key={`${use.usedBy}-${use.usedAt}`}>
                          {use.usedByHandle ?? use.usedBy} <span className="muted small">({formatDateTime(use.usedAt)})</span>
                        </div>
                      ))}
                </td>
                <td>
                  <time dateTime={code.createdAt}>{formatDateTime(code.createdAt)}</time>
                </td>
                <td>
                  {code.disabled ? (
                    <span className="badge">Disabled</span>
                  ) : (
                    <ConfirmAction
                      trigger={
                        <button type="button" className="button" aria-label={`Disable ${code.code}`}>
                          Disable
                        </button>
                      }
                      title={`Disable ${code.code}?`}
                      description={<p>Nobody can create an account with this code any more. Accounts already created with it stay.</p>}
                      confirmLabel="Disable code"
                      onConfirm={async () => {
                        await call('accounts.disableInvites', { serverId, codes: [code.code] });
                        load();
                      }}
                    />
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}

function RequestCrawl({ serverId, serverName, crawlers, onNotice }: { serverId: string; serverName: string; crawlers: string[]; onNotice: (n: NoticeText) => void }) {
  if (crawlers.length === 0) return null;
  return (
    <ConfirmAction
      trigger={
        <button type="button" className="button">
          Ask relays to crawl
        </button>
      }
      title="Ask relays to crawl this server?"
      description={<p>Asks {crawlers.join(', ')} to start following “{serverName}”, so its posts reach the rest of the network.</p>}
      confirmLabel="Ask relays"
      destructive={false}
      onConfirm={async () => {
        const { results } = await call('accounts.requestCrawl', { serverId });
        onNotice({
          title: results.every((r) => r.ok) ? 'The relays accepted the request.' : 'Some relays did not accept the request.',
          body: results.map((r) => `${r.relay}: ${r.message}`).join(' · '),
          secret: null,
        });
      }}
    />
  );
}
