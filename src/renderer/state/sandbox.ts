import { create } from 'zustand';
import type { SandboxStatus } from '../../shared/contract/index.ts';
import type { ErrorInfo } from '../../shared/errors.ts';
import { call, toErrorInfo } from '../bridge/index.ts';

interface SandboxStore {
  status: SandboxStatus | null;
  error: ErrorInfo | null;
  /** The last start/stop job launched from this window, to show its progress next to the buttons. */
  jobId: string | null;
  load(): Promise<void>;
  setStatus(status: SandboxStatus): void;
  setJobId(jobId: string | null): void;
}

export const useSandboxStore = create<SandboxStore>()((set) => ({
  status: null,
  error: null,
  jobId: null,
  async load() {
    try {
      const status = await call('sandbox.status', {});
      set({ status, error: null });
    } catch (err) {
      set({ error: toErrorInfo(err) });
    }
  },
  setStatus(status) {
    set({ status, error: null });
  },
  setJobId(jobId) {
    set({ jobId });
  },
}));
