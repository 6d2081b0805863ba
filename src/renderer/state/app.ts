import { create } from 'zustand';
import type { AppInfo } from '../../shared/contract/index.ts';
import type { ErrorInfo } from '../../shared/errors.ts';
import { call, toErrorInfo } from '../bridge/index.ts';

interface AppState {
  info: AppInfo | null;
  error: ErrorInfo | null;
  load(): Promise<void>;
}

export const useAppStore = create<AppState>()((set) => ({
  info: null,
  error: null,
  async load() {
    try {
      const info = await call('app.info', {});
      set({ info, error: null });
    } catch (err) {
      set({ error: toErrorInfo(err) });
    }
  },
}));
