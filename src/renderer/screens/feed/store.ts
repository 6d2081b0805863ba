import { create } from 'zustand';
import type { FeedAccount } from '../../../shared/contract/index.ts';
import type { ErrorInfo } from '../../../shared/errors.ts';
import { call, toErrorInfo } from '../../bridge/index.ts';
import { popDetail, pushDetail, type FeedDetail } from './views/navigation.ts';

export type FeedView = 'following' | 'server';

interface FeedState {
  /** Signed-in accounts (tokens stay in core); null until the first answer. */
  accounts: FeedAccount[] | null;
  error: ErrorInfo | null;
  /** The account whose feed is shown; null: the first one. */
  selected: string | null;
  view: FeedView;
  /** The server "This server" shows; null: the first one. */
  serverId: string | null;
  /** Backfill jobs started from this window, by account, until the status names its own. */
  refreshJobs: Record<string, string>;
  /** Profiles and threads opened on top of the view, the last one shown (views/navigation.ts). */
  trail: FeedDetail[];
  openDetail(detail: FeedDetail): void;
  back(): void;
  load(): Promise<void>;
  signIn(identifier: string, password: string): Promise<FeedAccount>;
  signOut(did: string, deleteData: boolean): Promise<void>;
  refresh(did: string): Promise<void>;
  select(did: string): void;
  setView(view: FeedView): void;
  setServer(serverId: string): void;
}

export const useFeedStore = create<FeedState>()((set, get) => ({
  accounts: null,
  error: null,
  selected: null,
  view: 'following',
  serverId: null,
  refreshJobs: {},
  trail: [],

  async load() {
    try {
      const accounts = await call('feed.accounts', {});
      set({ accounts, error: null });
    } catch (err) {
      set({ error: toErrorInfo(err) });
    }
  },

  async signIn(identifier, password) {
    // Throws the CallError (wrong password…) for the form to show with its hint.
    const account = await call('feed.signIn', { identifier, password });
    set((s) => ({
      accounts: [...(s.accounts ?? []).filter((a) => a.did !== account.did), account],
      selected: account.did,
      view: 'following',
    }));
    // The feed is read right after signing in; a failure to start shows in the status line.
    await get().refresh(account.did).catch(() => undefined);
    return account;
  },

  async signOut(did, deleteData) {
    await call('feed.signOut', { did, deleteData });
    set((s) => {
      const { [did]: _gone, ...refreshJobs } = s.refreshJobs;
      return { accounts: (s.accounts ?? []).filter((a) => a.did !== did), selected: s.selected === did ? null : s.selected, refreshJobs };
    });
  },

  async refresh(did) {
    const { jobId } = await call('feed.refresh', { did });
    set((s) => ({ refreshJobs: { ...s.refreshJobs, [did]: jobId } }));
  },

  select(selected) {
    set({ selected, view: 'following', trail: [] });
  },
  setView(view) {
    set({ view, trail: [] });
  },
  openDetail(detail) {
    set((s) => ({ trail: pushDetail(s.trail, detail) }));
  },
  back() {
    set((s) => ({ trail: popDetail(s.trail) }));
  },
  setServer(serverId) {
    set({ serverId });
  },
}));
