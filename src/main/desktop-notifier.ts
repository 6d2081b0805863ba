import { Notification } from 'electron';
import type { Notifier } from './notifications.ts';

/** Electron's native notifications. Each is kept referenced until it closes, or its click is lost. */
export function electronNotifier(): Notifier {
  const alive = new Set<Notification>();
  return {
    isSupported: () => Notification.isSupported(),
    show({ title, body, onClick }) {
      const notification = new Notification({ title, body });
      alive.add(notification);
      notification.on('click', () => {
        alive.delete(notification);
        onClick();
      });
      notification.on('close', () => alive.delete(notification));
      notification.show();
    },
  };
}
