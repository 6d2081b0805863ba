import { useDeferredValue, useEffect, useId, useMemo, useState } from 'react';
import { call } from '../../bridge/index.ts';
import { ErrorMessage } from '../../components/ErrorMessage.tsx';
import { ServerScopedScreen } from '../../components/ServerScopedScreen.tsx';
import { useSandboxStore } from '../../state/sandbox.ts';
import { AccountDetail } from './AccountDetail.tsx';
import { AccountsTable } from './AccountsTable.tsx';
import { ConfirmAction } from './ConfirmAction.tsx';
import { filterAndSort, type SortKey, type SortOrder } from './filter.ts';
import { InviteCodes } from './InviteCodes.tsx';
import { Notice, type NoticeText } from './Notice.tsx';
import { useAccountsStore } from './store.ts';
import './accounts.css';

export function AccountsScreen() {
  const chosen = useAccountsStore((s) => s.serverId);
  const setServer = useAccountsStore((s) => s.setServer);
  return (
    <ServerScopedScreen title="Accounts" chosenId={chosen} onChoose={setServer} purpose="manage its accounts">
      {(server) => <ServerAccounts key={server.id} serverId={server.id} serverName={server.name} serverUrl={server.url} />}
    </ServerScopedScreen>
  );
}

function ServerAccounts({ serverId, serverName, serverUrl }: { serverId: string; serverName: string; serverUrl: string }) {
  const accounts = useAccountsStore((s) => s.accounts);
  const info = useAccountsStore((s) => s.info);
  const loading = useAccountsStore((s) => s.loading);
  const error = useAccountsStore((s) => s.error);
  const selected = useAccountsStore((s) => s.selected);
  const select = useAccountsStore((s) => s.select);
  const load = useAccountsStore((s) => s.load);
  const generation = useAccountsStore((s) => s.generation);
  const setServer = useAccountsStore((s) => s.setServer);
  const sandboxState = useSandboxStore((s) => s.status?.state);
  const [query, setQuery] = useState('');
  const [order, setOrder] = useState<SortOrder>({ key: 'createdAt', direction: 'descending' });
  const [notice, setNotice] = useState<NoticeText | null>(null);
  const deferredQuery = useDeferredValue(query);
  const searchId = useId();

  useEffect(() => {
    setServer(serverId);
    void load(serverId);
  }, [serverId, setServer, load, sandboxState]);

  const rows = useMemo(() => filterAndSort(accounts ?? [], deferredQuery, order), [accounts, deferredQuery, order]);
  const sort = (key: SortKey) =>
    setOrder((o) => (o.key === key ? { key, direction: o.direction === 'ascending' ? 'descending' : 'ascending' } : { key, direction: 'ascending' }));
  const reload = () => load(serverId);

  return (
    <>
      <p className="muted small">
        {serverName} · <span className="url">{serverUrl}</span>
        {info ? ` · handles end in ${info.availableUserDomains.join(', ')}` : ''}
        {info?.inviteCodeRequired ? ' · invite code required to sign up' : ''}
      </p>
      {error ? (
        <ErrorMessage error={error} title="Could not load the accounts.">
          <button type="button" className="button" onClick={() => void reload()}>
            Try again
          </button>
        </ErrorMessage>
      ) : null}
      {notice ? <Notice notice={notice} onDismiss={() => setNotice(null)} /> : null}
      <div className="toolbar">
        <div className="field-inline grow">
          <label htmlFor={searchId}>Search</label>
          <input
            id={searchId}
            type="search"
            className="input grow"
            placeholder="Handle, DID or email"
            value={query}
            onChange={(e) => setQuery(e.target.value)}
          />
        </div>
        <button type="button" className="button" onClick={() => void reload()} disabled={loading} aria-busy={loading || undefined}>
          {loading ? 'Loading…' : 'Refresh'}
        </button>
        {info ? (
          <CreateAccount
            serverId={serverId}
            serverName={serverName}
            domains={info.availableUserDomains}
            inviteRequired={info.inviteCodeRequired}
            onCreated={(text, did) => {
              setNotice(text);
              setQuery('');
              void reload().then(() => select(did));
            }}
          />
        ) : null}
      </div>
      {accounts ? (
        <>
          <p className="muted small" role="status">
            {rows.length === accounts.length ? plural(accounts.length, 'account') : `${rows.length} of ${plural(accounts.length, 'account')} match`}
          </p>
          <AccountsTable rows={rows} total={accounts.length} order={order} onSort={sort} selected={selected} onSelect={select} />
        </>
      ) : loading ? (
        <p className="muted">Loading accounts…</p>
      ) : null}
      {selected ? (
        <AccountDetail
          key={selected}
          serverId={serverId}
          serverName={serverName}
          serverUrl={serverUrl}
          did={selected}
          domains={info?.availableUserDomains ?? []}
          onChanged={reload}
          onClose={() => select(null)}
          onNotice={setNotice}
        />
      ) : null}
      {info ? <InviteCodes serverId={serverId} serverName={serverName} crawlers={info.crawlers} onNotice={setNotice} refreshToken={generation} /> : null}
    </>
  );
}

function CreateAccount({
  serverId,
  serverName,
  domains,
  inviteRequired,
  onCreated,
}: {
  serverId: string;
  serverName: string;
  domains: string[];
  inviteRequired: boolean;
  onCreated: (notice: NoticeText, did: string) => void;
}) {
  const [handle, setHandle] = useState('');
  const [email, setEmail] = useState('');
  const [generate, setGenerate] = useState(true);
  const [password, setPassword] = useState('');
  const [inviteCode, setInviteCode] = useState('');
  const ids = { handle: useId(), email: useId(), password: useId(), invite: useId(), hint: useId() };
  const example = `alice${domains[0]?.startsWith('.') ? domains[0] : `.${domains[0] ?? 'example.com'}`}`;

  return (
    <ConfirmAction
      trigger={
        <button type="button" className="button button-primary">
          Create account
        </button>
      }
      title="Create an account"
      description={
        <p>
          Creates a new account on “{serverName}”. It can log in at once with the password below
          {inviteRequired ? ', and uses up one invite code' : ''}.
        </p>
      }
      confirmLabel="Create account"
      destructive={false}
      onOpenChange={(open) => {
        if (!open) {
          setHandle('');
          setEmail('');
          setPassword('');
          setInviteCode('');
          setGenerate(true);
        }
      }}
      onConfirm={async () => {
        const created = await call('accounts.create', {
          serverId,
          handle,
          email,
          password: generate ? null : password,
          ...(inviteCode.trim() ? { inviteCode: inviteCode.trim() } : {}),
        });
        onCreated(
          {
            title: `Created ${created.handle}.`,
            body: created.generatedPassword ? 'Its password is shown once: copy it now and give it to the account’s owner.' : 'It can log in with the password you typed.',
            secret: created.generatedPassword ? { label: `Password for ${created.handle}`, value: created.generatedPassword } : null,
          },
          created.did,
        );
      }}
    >
      <div className="field">
        <label htmlFor={ids.handle}>Handle</label>
        <input
          id={ids.handle}
          className="input"
          value={handle}
          placeholder={example}
          autoComplete="off"
          spellCheck={false}
          aria-describedby={ids.hint}
          onChange={(e) => setHandle(e.target.value)}
        />
        <p id={ids.hint} className="muted small">
          Must end in {domains.join(' or ') || 'one of the server’s domains'}, for example {example}.
        </p>
      </div>
      <div className="field">
        <label htmlFor={ids.email}>Email</label>
        <input id={ids.email} className="input" type="email" value={email} autoComplete="off" onChange={(e) => setEmail(e.target.value)} />
      </div>
      <fieldset className="field">
        <legend>Password</legend>
        <label className="radio">
          <input type="radio" name="password-mode" checked={generate} onChange={() => setGenerate(true)} /> Generate a strong password
        </label>
        <label className="radio">
          <input type="radio" name="password-mode" checked={!generate} onChange={() => setGenerate(false)} /> Type a password
        </label>
        {!generate ? (
          <>
            <label htmlFor={ids.password} className="visually-hidden">
              New account password
            </label>
            <input id={ids.password} className="input" type="password" value={password} autoComplete="new-password" onChange={(e) => setPassword(e.target.value)} />
          </>
        ) : null}
      </fieldset>
      <div className="field">
        <label htmlFor={ids.invite}>Invite code {inviteRequired ? '(leave empty and Hearth makes one)' : '(optional)'}</label>
        <input id={ids.invite} className="input" value={inviteCode} autoComplete="off" spellCheck={false} onChange={(e) => setInviteCode(e.target.value)} />
      </div>
    </ConfirmAction>
  );
}

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;
