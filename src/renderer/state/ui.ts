import { create } from 'zustand';

export const SCREENS = ['setup', 'servers', 'accounts', 'backups', 'feed', 'jobs', 'settings', 'digitalocean', 'connect'] as const;
export type Screen = (typeof SCREENS)[number];

export interface Route {
  screen: Screen;
  /** Jobs screen: the job whose detail is open. */
  jobId?: string;
  /** Backups and Accounts: the server to show (e.g. from a failed-backup notification). */
  serverId?: string;
}

const SERVER_SCOPED: readonly Screen[] = ['backups', 'accounts'];

/** `#/jobs/<id>` → { screen: 'jobs', jobId }; null when the hash names no screen. */
export function parseHash(hash: string): Route | null {
  const parts = hash.replace(/^#\/?/, '').split('/').filter(Boolean);
  const screen = parts[0];
  if (!screen || !(SCREENS as readonly string[]).includes(screen)) return null;
  const route: Route = { screen: screen as Screen };
  if (screen === 'jobs' && parts[1] && /^[a-z0-9-]{1,64}$/.test(parts[1])) route.jobId = parts[1];
  if (SERVER_SCOPED.includes(route.screen) && parts[1] && /^[a-z0-9-]{1,64}$/.test(parts[1])) route.serverId = parts[1];
  return route;
}

export function routeHref(route: Route): string {
  const detail = route.jobId ?? route.serverId;
  return detail ? `#/${route.screen}/${encodeURIComponent(detail)}` : `#/${route.screen}`;
}

interface UiState {
  /** null until the first screen is chosen (first run → setup, otherwise servers). */
  route: Route | null;
  /** The sandbox setup job started from the first-run screen. */
  setupJobId: string | null;
  navigate(route: Route, options?: { replace?: boolean }): void;
  setRouteFromHash(): void;
  setSetupJobId(jobId: string | null): void;
}

export const useUiStore = create<UiState>()((set) => ({
  route: typeof window === 'undefined' ? null : parseHash(window.location.hash),
  setupJobId: null,
  navigate(route, options) {
    const href = routeHref(route);
    if (window.location.hash !== href) {
      if (options?.replace) window.history.replaceState(window.history.state, '', href);
      else window.history.pushState(window.history.state, '', href);
    }
    set({ route });
  },
  setRouteFromHash() {
    const route = parseHash(window.location.hash);
    if (route) set({ route });
  },
  setSetupJobId(setupJobId) {
    set({ setupJobId });
  },
}));
