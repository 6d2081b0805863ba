import type { AppNotification } from '../shared/contract/app.ts';

/** What a desktop notification needs from the platform (Electron's Notification in the app). */
export interface Notifier {
  isSupported(): boolean;
  show(notification: { title: string; body: string; onClick: () => void }): void;
}

/** The screen a notification leads to, as the renderer's address (`#/backups/<serverId>`). */
export function notificationRoute(notification: AppNotification): string {
  switch (notification.kind) {
    case 'backup-failed':
      return `#/backups/${encodeURIComponent(notification.serverId)}`;
  }
}

/**
 * Turns core's app.notification events into desktop notifications; a click calls open with the
 * screen to show. Each notification is shown once, even if it arrives again. Where the system has
 * no notifications, nothing is shown here: the window's own alert and Servers screen still say it.
 */
export function desktopNotifications(notifier: Notifier, open: (route: string) => void) {
  const shown = new Set<string>();
  return (event: string, payload: unknown): void => {
    if (event !== 'app.notification') return;
    const notification = payload as AppNotification;
    if (shown.has(notification.id) || !notifier.isSupported()) return;
    shown.add(notification.id);
    notifier.show({ title: notification.title, body: notification.body, onClick: () => open(notificationRoute(notification)) });
  };
}
