import { useEffect, useRef, type ReactNode, type RefObject } from 'react';
import { getBridge } from './bridge/index.ts';
import { useConnection, useSecondsUntil } from './bridge/useConnection.ts';
import { Banners } from './components/Banners.tsx';
import { Notices } from './components/Notices.tsx';
import { JobsScreen } from './screens/JobsScreen.tsx';
import { AccountsScreen } from './screens/accounts/AccountsScreen.tsx';
import { SettingsScreen } from './screens/Placeholders.tsx';
import { FeedScreen } from './screens/feed/FeedScreen.tsx';
import { BackupsScreen } from './screens/backups/BackupsScreen.tsx';
import { ServersScreen } from './screens/ServersScreen.tsx';
import { SetupScreen } from './screens/SetupScreen.tsx';
import { DigitalOceanWizard } from './screens/digitalocean/DigitalOceanWizard.tsx';
import { ConnectServer } from './screens/connect/ConnectServer.tsx';
import { useAppStore } from './state/app.ts';
import { useJobsStore } from './state/jobs.ts';
import { useServersStore } from './state/servers.ts';
import { routeHref, useUiStore, type Route, type Screen } from './state/ui.ts';

const NAV: { screen: Screen; label: string }[] = [
  { screen: 'servers', label: 'Servers' },
  { screen: 'accounts', label: 'Accounts' },
  { screen: 'backups', label: 'Backups' },
  { screen: 'feed', label: 'Feed' },
  { screen: 'jobs', label: 'Jobs' },
  { screen: 'settings', label: 'Settings' },
];

export function App() {
  const connection = useConnection();
  const route = useUiStore((s) => s.route);
  const mainRef = useRef<HTMLElement>(null);

  useFollowLocation();
  useInitialRoute();
  useSetupCompletion();
  useFocusOnNavigate(route, mainRef);

  if (!connection.everConnected) return <Unreachable />;

  return (
    <div className="shell">
      <a
        className="skip-link"
        href="#main"
        onClick={(e) => {
          e.preventDefault();
          mainRef.current?.focus();
        }}
      >
        Skip to content
      </a>
      <div className="sidebar">
        <header className="brand">
          <span className="brand-mark" aria-hidden="true" />
          <span className="brand-name">Hearth</span>
        </header>
        <Nav route={route} />
      </div>
      <main id="main" ref={mainRef} tabIndex={-1} className="main">
        <Banners />
        <Notices />
        {route ? <CurrentScreen route={route} /> : <p className="muted loading">Loading…</p>}
      </main>
    </div>
  );
}

function Nav({ route }: { route: Route | null }) {
  const running = useJobsStore((s) => Object.values(s.jobs).filter((job) => job.state === 'running').length);
  return (
    <nav aria-label="Main" className="nav">
      <ul>
        {NAV.map((item) => {
          const current = route?.screen === item.screen;
          return (
            <li key={item.screen}>
              <a href={routeHref({ screen: item.screen })} aria-current={current ? 'page' : undefined} className="nav-link">
                <span>{item.label}</span>
                {item.screen === 'jobs' && running > 0 ? (
                  <>
                    <span className="nav-count" aria-hidden="true">
                      {running}
                    </span>
                    <span className="visually-hidden"> ({running} running)</span>
                  </>
                ) : null}
              </a>
            </li>
          );
        })}
      </ul>
    </nav>
  );
}

function CurrentScreen({ route }: { route: Route }): ReactNode {
  switch (route.screen) {
    case 'setup':
      return <SetupScreen />;
    case 'servers':
      return <ServersScreen />;
    case 'accounts':
      return <AccountsScreen />;
    case 'backups':
      return <BackupsScreen />;
    case 'feed':
      return <FeedScreen />;
    case 'jobs':
      return <JobsScreen key={route.jobId ?? ''} jobId={route.jobId} />;
    case 'digitalocean':
      return <DigitalOceanWizard />;
    case 'connect':
      return <ConnectServer />;
    case 'settings':
      return <SettingsScreen />;
  }
}

/** Shown until the first connection works: the browser page cannot reach the Hearth app. */
function Unreachable() {
  const status = useConnection();
  const seconds = useSecondsUntil(status.state === 'closed' ? status.retryAt : null);
  if (status.failures === 0) {
    return (
      <main className="unreachable" aria-busy="true">
        <p className="muted">Connecting to Hearth…</p>
      </main>
    );
  }
  return (
    <main className="unreachable">
      <div className="panel">
        <div role="alert">
          <h1>Cannot reach Hearth</h1>
          <p>This page shows the Hearth app running on your computer or home server, and the app is not answering.</p>
          <p className="muted">
            Check that Hearth is still running. If you opened this page yourself, open the link Hearth printed when it
            started: it carries the access key for this browser.
          </p>
        </div>
        <div className="actions">
          <button
            type="button"
            className="button button-primary"
            onClick={() => getBridge().reconnectNow()}
            disabled={status.state === 'connecting'}
          >
            Try again
          </button>
          <span className="muted">
            {status.state === 'connecting' ? 'Connecting…' : seconds ? `Trying again in ${seconds} s` : ''}
          </span>
        </div>
      </div>
    </main>
  );
}

/** Back/forward and links (#/jobs/…) change the screen. */
function useFollowLocation() {
  const setRouteFromHash = useUiStore((s) => s.setRouteFromHash);
  useEffect(() => {
    window.addEventListener('hashchange', setRouteFromHash);
    window.addEventListener('popstate', setRouteFromHash);
    return () => {
      window.removeEventListener('hashchange', setRouteFromHash);
      window.removeEventListener('popstate', setRouteFromHash);
    };
  }, [setRouteFromHash]);
}

/** Without a screen in the address: the first-run screen until there is a server, else Servers. */
function useInitialRoute() {
  const route = useUiStore((s) => s.route);
  const navigate = useUiStore((s) => s.navigate);
  const info = useAppStore((s) => s.info);
  const infoError = useAppStore((s) => s.error);
  const servers = useServersStore((s) => s.servers);
  const serversError = useServersStore((s) => s.error);
  useEffect(() => {
    if (route) return;
    const infoSettled = info !== null || infoError !== null;
    const serversSettled = servers !== null || serversError !== null;
    if (!infoSettled || !serversSettled) return;
    const firstRun = (info?.firstRun ?? false) && (servers?.length ?? 0) === 0;
    navigate({ screen: firstRun ? 'setup' : 'servers' }, { replace: true });
  }, [route, info, infoError, servers, serversError, navigate]);
}

/**
 * When the setup job started from the first-run screen succeeds: refresh what changed and, if the
 * setup screen is still shown, go to Servers, where the new server's health shows.
 */
function useSetupCompletion() {
  const setupJobId = useUiStore((s) => s.setupJobId);
  const succeeded = useJobsStore((s) => (setupJobId ? s.jobs[setupJobId]?.state === 'succeeded' : false));
  useEffect(() => {
    if (!succeeded) return;
    const ui = useUiStore.getState();
    ui.setSetupJobId(null);
    void Promise.all([useServersStore.getState().load(), useAppStore.getState().load()]).then(() =>
      useServersStore.getState().checkAll(),
    );
    if (ui.route?.screen === 'setup') ui.navigate({ screen: 'servers' });
  }, [succeeded]);
}

/** After navigating (not on first load), focus moves to the new screen's heading. */
function useFocusOnNavigate(route: Route | null, mainRef: RefObject<HTMLElement | null>) {
  const previous = useRef<Route | null>(route);
  useEffect(() => {
    const before = previous.current;
    previous.current = route;
    if (!before || !route || (before.screen === route.screen && before.jobId === route.jobId)) return;
    const heading = mainRef.current?.querySelector<HTMLElement>('[data-screen-heading]');
    heading?.focus();
  }, [route, mainRef]);
}
