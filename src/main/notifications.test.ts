import { describe, expect, it } from 'vitest';
import type { AppNotification } from '../shared/contract/app.ts';
import { parseHash } from '../renderer/state/ui.ts';
import { desktopNotifications, type Notifier } from './notifications.ts';

// Electron's Notification is stood in by a recording notifier (there is no Electron binary here);
// the decisions (which events, once each, where a click leads) are the real ones.

const failed: AppNotification = {
  id: 'backup-failed:home-pds:2026-11-23T03:30:00Z',
  kind: 'backup-failed',
  serverId: 'home-pds',
  title: 'Backup failed: Home PDS',
  body: 'Backup of Home PDS failed: the backup store is unreachable. Hearth will try again at the next scheduled run; open Backups to retry now.',
  at: '2026-11-23T03:30:00Z',
};

function recorder(supported = true) {
  const shown: { title: string; body: string; onClick: () => void }[] = [];
  const notifier: Notifier = { isSupported: () => supported, show: (n) => shown.push(n) };
  const opened: string[] = [];
  return { shown, opened, listener: desktopNotifications(notifier, (route) => opened.push(route)) };
}

describe('desktop notifications (Electron host)', () => {
  it('shows a failed backup once with its words; a click opens the Backups screen of that server', () => {
    const { shown, opened, listener } = recorder();
    listener('jobs.updated', { id: 'x' });
    listener('app.notification', failed);
    listener('app.notification', failed);
    expect(shown.map(({ title, body }) => ({ title, body }))).toEqual([{ title: failed.title, body: failed.body }]);
    shown[0]?.onClick();
    expect(opened).toEqual(['#/backups/home-pds']);
    // The renderer reads that address as the Backups screen with that server chosen.
    expect(parseHash(opened[0] ?? '')).toEqual({ screen: 'backups', serverId: 'home-pds' });
  });

  it('a later failure of the same server is a new notification', () => {
    const { shown, listener } = recorder();
    listener('app.notification', failed);
    listener('app.notification', { ...failed, id: 'backup-failed:home-pds:2026-11-24T03:30:00Z' });
    expect(shown).toHaveLength(2);
  });

  it('shows nothing where the system has no notifications', () => {
    const { shown, listener } = recorder(false);
    listener('app.notification', failed);
    expect(shown).toEqual([]);
  });
});
