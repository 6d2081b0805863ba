import { create } from 'zustand';
import type { AccountRow, ServerAccountsInfo } from '../../../shared/contract/index.ts';
import type { ErrorInfo } from '../../../shared/errors.ts';
import { call, toErrorInfo } from '../../bridge/index.ts';

interface AccountsState {
  /** The server whose accounts are shown; null: the first one. */
  serverId: string | null;
  accounts: AccountRow[] | null;
  info: ServerAccountsInfo | null;
  loading: boolean;
  error: ErrorInfo | null;
  /** The account whose detail is open. */
  selected: string | null;
  /** Bumped by every load so a late answer for another server is dropped. */
  generation: number;
  setServer(serverId: string): void;
  select(did: string | null): void;
  load(serverId: string): Promise<void>;
}

export const useAccountsStore = create<AccountsState>()((set, get) => ({
  serverId: null,
  accounts: null,
  info: null,
  loading: false,
  error: null,
  selected: null,
  generation: 0,
  setServer(serverId) {
    if (get().serverId === serverId) return;
    set({ serverId, accounts: null, info: null, error: null, selected: null });
  },
  select(selected) {
    set({ selected });
  },
  async load(serverId) {
    const generation = get().generation + 1;
    set({ loading: true, error: null, generation });
    try {
      const [list, info] = await Promise.all([call('accounts.list', { serverId }), call('accounts.serverInfo', { serverId })]);
      if (get().generation !== generation) return;
      // For the benchmark: the moment the data is in the window.
      performance.mark('hearth:accounts:data');
      set({ accounts: list.accounts, info, loading: false });
    } catch (err) {
      if (get().generation !== generation) return;
      set({ error: toErrorInfo(err), loading: false });
    }
  },
}));
