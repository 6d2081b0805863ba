import { useEffect, useId, type ReactNode } from 'react';
import type { Server } from '../../shared/contract/index.ts';
import { useServersStore } from '../state/servers.ts';
import { routeHref, useUiStore } from '../state/ui.ts';
import { ScreenHeading } from './ScreenHeading.tsx';

/**
 * A screen about one server at a time (Accounts, Backups): its heading, a server picker when
 * there are several, and the loading and "no servers yet" states; the screen renders the rest.
 */
export function ServerScopedScreen({
  title,
  chosenId,
  onChoose,
  purpose,
  children,
}: {
  title: string;
  /** The server picked last; the first server when it is gone or none was picked. */
  chosenId: string | null;
  onChoose: (serverId: string) => void;
  /** Ends "Set up a server … to …", e.g. "manage its accounts". */
  purpose: string;
  children: (server: Server) => ReactNode;
}) {
  const servers = useServersStore((s) => s.servers);
  const route = useUiStore((s) => s.route);
  const navigate = useUiStore((s) => s.navigate);
  const routeServerId = route?.serverId ?? null;
  const server = servers?.find((s) => s.id === chosenId) ?? servers?.find((s) => s.id === routeServerId) ?? servers?.[0] ?? null;
  const pickerId = useId();

  // An address naming a server (#/backups/<id>, from a notification) chooses it. (onChoose is a
  // state setter, the same function on every render.)
  useEffect(() => {
    if (routeServerId) onChoose(routeServerId);
  }, [routeServerId, onChoose]);
  const pick = (serverId: string) => {
    onChoose(serverId);
    // Keep such an address in step, so following it again chooses its server again.
    if (route?.serverId) navigate({ ...route, serverId }, { replace: true });
  };

  return (
    <div className="screen screen-wide">
      <div className="screen-header">
        <ScreenHeading>{title}</ScreenHeading>
        {servers && servers.length > 1 ? (
          <div className="field-inline">
            <label htmlFor={pickerId}>Server</label>
            <select id={pickerId} className="input" value={server?.id ?? ''} onChange={(e) => pick(e.target.value)}>
              {servers.map((s) => (
                <option key={s.id} value={s.id}>
                  {s.name}
                </option>
              ))}
            </select>
          </div>
        ) : null}
      </div>
      {servers === null ? (
        <p className="muted">Loading servers…</p>
      ) : !server ? (
        <div className="empty">
          <p>No servers yet.</p>
          <p>
            <a href={routeHref({ screen: 'setup' })}>Set up a server</a> (or try the sandbox on this computer) to {purpose}.
          </p>
        </div>
      ) : (
        children(server)
      )}
    </div>
  );
}
