import { create } from 'zustand';
import type { Server, ServerHealth } from '../../shared/contract/index.ts';
import type { ErrorInfo } from '../../shared/errors.ts';
import { call, getBridge, toErrorInfo } from '../bridge/index.ts';

export interface HealthEntry {
  health: ServerHealth | null;
  /** Why the last check could not be made (not: why the server is unhealthy — that is in health). */
  error: ErrorInfo | null;
  checking: boolean;
}

interface ServersState {
  servers: Server[] | null;
  error: ErrorInfo | null;
  health: Record<string, HealthEntry>;
  load(): Promise<void>;
  checkHealth(serverId: string): Promise<void>;
  checkAll(): Promise<void>;
}

const EMPTY: HealthEntry = { health: null, error: null, checking: false };

export const useServersStore = create<ServersState>()((set, get) => {
  const patchHealth = (serverId: string, patch: Partial<HealthEntry>) =>
    set((s) => ({ health: { ...s.health, [serverId]: { ...(s.health[serverId] ?? EMPTY), ...patch } } }));

  return {
    servers: null,
    error: null,
    health: {},

    async load() {
      try {
        const servers = await call('servers.list', {});
        set((s) => {
          // Forget the health of servers that are gone.
          const health: Record<string, HealthEntry> = {};
          for (const server of servers) {
            const entry = s.health[server.id];
            if (entry) health[server.id] = entry;
          }
          return { servers, health, error: null };
        });
      } catch (err) {
        set({ error: toErrorInfo(err) });
      }
    },

    async checkHealth(serverId) {
      if (get().health[serverId]?.checking) return;
      patchHealth(serverId, { checking: true });
      try {
        const health = await call('servers.health', { serverId });
        patchHealth(serverId, { health, error: null, checking: false });
      } catch (err) {
        patchHealth(serverId, { error: toErrorInfo(err), checking: false });
      }
    },

    async checkAll() {
      // While Hearth is unreachable, keep the last results rather than fill every card with errors.
      if (getBridge().getStatus().state !== 'open') return;
      const servers = get().servers ?? [];
      await Promise.all(servers.map((server) => get().checkHealth(server.id)));
    },
  };
});
