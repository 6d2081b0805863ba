import { useEffect, useState } from 'react';
import { call } from '../../bridge/index.ts';
import { useSandboxStore } from '../../state/sandbox.ts';
import { useServersStore } from '../../state/servers.ts';

export interface ManagedAccounts {
  serverId: string;
  serverName: string;
  handles: string[];
}

/**
 * The active accounts on the servers Hearth manages (accounts.list, as the Accounts screen
 * reads them), to pick one to sign in with. A server that cannot be asked now is left out: the
 * handle can still be typed.
 */
export function useManagedAccounts(): ManagedAccounts[] {
  const servers = useServersStore((s) => s.servers);
  const sandboxState = useSandboxStore((s) => s.status?.state);
  const [lists, setLists] = useState<ManagedAccounts[]>([]);

  useEffect(() => {
    let current = true;
    void Promise.all(
      (servers ?? []).map((server) =>
        call('accounts.list', { serverId: server.id }).then(
          (list) => ({
            serverId: server.id,
            serverName: server.name,
            handles: list.accounts.filter((a) => a.status === 'active' || a.status === 'unknown').map((a) => a.handle),
          }),
          () => null,
        ),
      ),
    ).then((answers) => {
      if (current) setLists(answers.filter((a): a is ManagedAccounts => a !== null && a.handles.length > 0));
    });
    return () => {
      current = false;
    };
  }, [servers, sandboxState]);

  return lists;
}
