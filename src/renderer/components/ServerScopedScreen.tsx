import { useId, type ReactNode } from 'react';
import type { Server } from '../../shared/contract/index.ts';
import { useServersStore } from '../state/servers.ts';
import { routeHref } from '../state/ui.ts';
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
  const server = servers?.find((s) => s.id === chosenId) ?? servers?.[0] ?? null;
  const pickerId = useId();

  return (
    <div className="screen screen-wide">
      <div className="screen-header">
        <ScreenHeading>{title}</ScreenHeading>
        {servers && servers.length > 1 ? (
          <div className="field-inline">
            <label htmlFor={pickerId}>Server</label>
            <select id={pickerId} className="input" value={server?.id ?? ''} onChange={(e) => onChoose(e.target.value)}>
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
