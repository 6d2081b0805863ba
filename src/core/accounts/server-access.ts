import type { Server } from '../../shared/contract/servers.ts';
import { HearthError } from '../../shared/errors.ts';
import { SANDBOX_SERVER_ID } from '../sandbox/index.ts';
import { ADMIN_PASSWORD, PLC_ROTATION_KEY } from '../secrets/names.ts';
import { secretAccount } from '../secrets/secret-store.ts';
import type { Services } from '../services.ts';

export const DEFAULT_PLC_URL = 'https://plc.directory';
/** The official installer's PDS_CRAWLERS default. */
export const DEFAULT_CRAWLERS = ['https://bsky.network'];

/** Where a server's PDS and PLC are, and what Hearth calls it in messages. */
export interface ServerAccess {
  serverId: string;
  name: string;
  pdsUrl: string;
  plcUrl: string;
  crawlers: string[];
}

/** The admin login of a server: user `admin`, the password from the keychain. Core only. */
export interface AdminCredentials {
  username: 'admin';
  password: string;
}

/**
 * The admin credentials of any server Hearth knows: the keychain entry
 * `<serverId>/admin-password` (the sandbox's lives under the same name, read through the sandbox).
 */
export async function adminCredentials(services: Pick<Services, 'sandbox' | 'secrets' | 'servers'>, serverId: string): Promise<AdminCredentials> {
  const server = services.servers.get(serverId);
  if (server.kind === 'sandbox') return { username: 'admin', password: await services.sandbox.adminPassword() };
  const password = await services.secrets.get(secretAccount(serverId, ADMIN_PASSWORD));
  if (!password) {
    throw new HearthError(
      'NOT_FOUND',
      `Hearth does not have the admin password of ${server.name}.`,
      `Add the server's admin password (PDS_ADMIN_PASSWORD in /pds/pds.env) to the keychain entry "${secretAccount(serverId, ADMIN_PASSWORD)}".`,
    );
  }
  return { username: 'admin', password };
}

/** The URLs to reach a server; the sandbox must be running. */
export function serverAccess(services: Pick<Services, 'sandbox' | 'servers'>, serverId: string): ServerAccess {
  const server: Server = services.servers.get(serverId);
  if (server.kind === 'sandbox' || serverId === SANDBOX_SERVER_ID) {
    const status = services.sandbox.status();
    if (status.state !== 'running' || !status.pdsUrl || !status.plcUrl) {
      throw new HearthError('UNAVAILABLE', 'The sandbox is not running.', 'Start it on the Servers screen, then try again.');
    }
    return { serverId, name: server.name, pdsUrl: status.pdsUrl, plcUrl: status.plcUrl, crawlers: [] };
  }
  return {
    serverId,
    name: server.name,
    pdsUrl: server.url.replace(/\/+$/, ''),
    plcUrl: (server.plcUrl ?? DEFAULT_PLC_URL).replace(/\/+$/, ''),
    crawlers: DEFAULT_CRAWLERS,
  };
}

/** The did:key of the server's PLC rotation key when the keychain holds it, else null. */
export async function serverRotationKey(services: Pick<Services, 'secrets'>, serverId: string): Promise<string | null> {
  const hex = await services.secrets.get(secretAccount(serverId, PLC_ROTATION_KEY));
  if (!hex) return null;
  const { Secp256k1Keypair } = await import('@atproto/crypto');
  try {
    return (await Secp256k1Keypair.import(hex.trim())).did();
  } catch {
    return null;
  }
}
