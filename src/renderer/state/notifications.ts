import { create } from 'zustand';
import type { AppNotification } from '../../shared/contract/index.ts';

interface NotificationsState {
  /** Shown in the window until dismissed, newest first. */
  notices: AppNotification[];
  /** Adds one; false when it is already shown or was dismissed (it came again). */
  add(notice: AppNotification): boolean;
  dismiss(id: string): void;
}

const seen = new Set<string>();

export const useNotificationsStore = create<NotificationsState>()((set) => ({
  notices: [],
  add(notice) {
    if (seen.has(notice.id)) return false;
    seen.add(notice.id);
    set((s) => ({ notices: [notice, ...s.notices] }));
    return true;
  },
  dismiss(id) {
    set((s) => ({ notices: s.notices.filter((n) => n.id !== id) }));
  },
}));
