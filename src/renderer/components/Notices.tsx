import type { AppNotification } from '../../shared/contract/index.ts';
import { useNotificationsStore } from '../state/notifications.ts';
import { useServersStore, type HealthEntry } from '../state/servers.ts';
import { routeHref } from '../state/ui.ts';

/**
 * What core asked to tell the user (app.notification), e.g. a failed backup: an alert in the
 * window with a way to act on it, until dismissed or a later backup works.
 */
export function Notices() {
  const all = useNotificationsStore((s) => s.notices);
  const dismiss = useNotificationsStore((s) => s.dismiss);
  const health = useServersStore((s) => s.health);
  const notices = all.filter((n) => !outdated(n, health[n.serverId]));
  if (notices.length === 0) return null;
  return (
    <div className="notices">
      {notices.map((notice) => {
        const titleId = `notice-${notice.id.replace(/[^A-Za-z0-9-]/g, '-')}`;
        return (
          <section key={notice.id} className="banner banner-error notice" aria-labelledby={titleId}>
            <div role="alert">
              <p id={titleId} className="banner-title">
                {notice.title}
              </p>
              <p>{notice.body}</p>
            </div>
            <div className="actions">
              <a className="button" href={routeHref({ screen: 'backups', serverId: notice.serverId })}>
                Open Backups
              </a>
              <button type="button" className="button" onClick={() => dismiss(notice.id)} aria-label={`Dismiss: ${notice.title}`}>
                Dismiss
              </button>
            </div>
          </section>
        );
      })}
    </div>
  );
}

/** A failed backup is no longer news once the server's health shows a later backup that worked. */
function outdated(notice: AppNotification, entry: HealthEntry | undefined): boolean {
  const lastSuccessAt = entry?.health?.backup?.lastSuccessAt;
  return notice.kind === 'backup-failed' && !!lastSuccessAt && Date.parse(lastSuccessAt) > Date.parse(notice.at);
}
