import { useCallback, useEffect, useId, useState } from 'react';
import type { FeedAccount, Server } from '../../../shared/contract/index.ts';
import { call } from '../../bridge/index.ts';
import { ErrorMessage } from '../../components/ErrorMessage.tsx';
import { ScreenHeading } from '../../components/ScreenHeading.tsx';
import { useServersStore } from '../../state/servers.ts';
import { routeHref } from '../../state/ui.ts';
import { AccountBar } from './AccountBar.tsx';
import { FeedActionsArea } from './FeedActionsArea.tsx';
import { PostList } from './PostList.tsx';
import { SignInForm } from './SignInForm.tsx';
import { StatusLine } from './StatusLine.tsx';
import { useFeedStore, type FeedView } from './store.ts';
import { usePostPages } from './usePostPages.ts';
import { FeedNavigation } from './views/FeedNavigation.tsx';
import './feed.css';

/** How often the lists look for newer posts. This server re-reads the server's repos, so less often. */
const FOLLOWING_POLL_MS = 4000;
const SERVER_POLL_MS = 10_000;
const PAGE = 50;

export function FeedPanel() {
  const view = useFeedStore((s) => s.view);
  const setView = useFeedStore((s) => s.setView);
  const load = useFeedStore((s) => s.load);

  useEffect(() => {
    void load();
  }, [load]);

  return (
    <div className="screen screen-wide feed">
      <div className="screen-header">
        <ScreenHeading>Feed</ScreenHeading>
        <div className="feed-views" role="group" aria-label="What to show">
          <ViewButton view="following" current={view} onPick={setView} label="Following" />
          <ViewButton view="server" current={view} onPick={setView} label="This server" />
        </div>
      </div>
      <FeedNavigation listName={view === 'following' ? 'Following' : 'This server'}>{view === 'following' ? <Following /> : <ThisServer />}</FeedNavigation>
    </div>
  );
}

function ViewButton({ view, current, onPick, label }: { view: FeedView; current: FeedView; onPick: (v: FeedView) => void; label: string }) {
  return (
    <button type="button" className="button feed-view" aria-pressed={view === current} onClick={() => onPick(view)}>
      {label}
    </button>
  );
}

function Following() {
  const accounts = useFeedStore((s) => s.accounts);
  const error = useFeedStore((s) => s.error);
  const selected = useFeedStore((s) => s.selected);
  const load = useFeedStore((s) => s.load);
  const [adding, setAdding] = useState(false);

  if (error && !accounts) {
    return (
      <ErrorMessage error={error} title="Could not list the signed-in accounts.">
        <button type="button" className="button" onClick={() => void load()}>
          Try again
        </button>
      </ErrorMessage>
    );
  }
  if (!accounts) return <p className="muted loading">Loading…</p>;
  if (accounts.length === 0) {
    return (
      <>
        <p className="lead">
          Sign in to read everyone an account follows, in time order, straight from their own servers: no relay or AppView needed.
        </p>
        <SignInForm />
      </>
    );
  }
  const current = accounts.find((a) => a.did === selected) ?? accounts[0]!;
  return (
    <>
      <AccountBar accounts={accounts} current={current} onAddAccount={() => setAdding(true)} />
      {adding ? <SignInForm onSignedIn={() => setAdding(false)} onCancel={() => setAdding(false)} /> : null}
      <FollowingFeed key={current.did} account={current} />
    </>
  );
}

function FollowingFeed({ account }: { account: FeedAccount }) {
  const fetchPage = useCallback(
    (cursor?: string) => call('feed.following', { did: account.did, limit: PAGE, ...(cursor ? { cursor } : {}) }),
    [account.did],
  );
  const pages = usePostPages(`following:${account.did}`, fetchPage, FOLLOWING_POLL_MS);
  return (
    <FeedActionsArea account={account} visibleUris={visibleUris(pages.posts)}>
      <StatusLine did={account.did} pdsUrl={account.pdsUrl} onRefreshed={pages.checkNow} />
      <PostList
        pages={pages}
        label={`Following, as @${account.handle}`}
        loadingText="Loading the feed…"
        errorTitle="Could not read the feed."
        empty={
          <>
            <p>No posts yet.</p>
            <p className="muted">
              While a refresh runs, posts appear here as they are read. If it finished, the accounts followed by @{account.handle} have
              posted nothing in the window: press Refresh to read again, or follow someone.
            </p>
          </>
        }
      />
    </FeedActionsArea>
  );
}

/** The posts whose Like and Repost state the buttons need (the first 200 shown). */
const visibleUris = (posts: { uri: string }[] | null) => [...new Set((posts ?? []).map((p) => p.uri))].slice(0, 200);

function ThisServer() {
  const servers = useServersStore((s) => s.servers);
  const chosen = useFeedStore((s) => s.serverId);
  const setServer = useFeedStore((s) => s.setServer);
  const pickerId = useId();
  const server = servers?.find((s) => s.id === chosen) ?? servers?.[0] ?? null;

  if (servers === null) return <p className="muted loading">Loading servers…</p>;
  if (!server) {
    return (
      <div className="empty">
        <p>No servers yet.</p>
        <p>
          <a href={routeHref({ screen: 'setup' })}>Set up a server</a> (or try the sandbox on this computer) to read every post it holds.
        </p>
      </div>
    );
  }
  return (
    <>
      <div className="toolbar">
        {servers.length > 1 ? (
          <div className="field-inline">
            <label htmlFor={pickerId}>Server</label>
            <select id={pickerId} className="input" value={server.id} onChange={(e) => setServer(e.target.value)}>
              {servers.map((s) => (
                <option key={s.id} value={s.id}>
                  {s.name}
                </option>
              ))}
            </select>
          </div>
        ) : null}
        <p className="muted small">
          Every post of every account on {server.name}, read from its repos, newest first. <span className="url">{server.url}</span>
        </p>
      </div>
      <ServerFeed key={server.id} server={server} />
    </>
  );
}

function ServerFeed({ server }: { server: Server }) {
  const fetchPage = useCallback(
    (cursor?: string) => call('feed.server', { serverId: server.id, limit: PAGE, ...(cursor ? { cursor } : {}) }),
    [server.id],
  );
  const pages = usePostPages(`server:${server.id}`, fetchPage, SERVER_POLL_MS);
  return (
    <PostList
      pages={pages}
      label={`Posts on ${server.name}`}
      loadingText={`Reading every post on ${server.name}…`}
      errorTitle={`Could not read the posts on ${server.name}.`}
      empty={
        <>
          <p>No posts on {server.name} yet.</p>
          <p className="muted">When its accounts post, the posts show here within seconds.</p>
        </>
      }
    />
  );
}
