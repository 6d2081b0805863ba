/**
 * Backups as the rest of core sees them: one BackupService, and which BackupHost each server is
 * (the sandbox on this computer, or a server over SSH). Handlers, the health monitor and disaster
 * recovery all go through here.
 */
import type { MoveStatus } from '../../shared/contract/backups.ts';
import { tunnelFetch } from '../hosts/https-probe.ts';
import type { HostManager } from '../hosts/index.ts';
import type { Redactor } from '../log/redact.ts';
import { SANDBOX_SERVER_ID, type Sandbox } from '../sandbox/index.ts';
import type { SecretStore } from '../secrets/secret-store.ts';
import type { ServerRegistry } from '../servers/registry.ts';
import { sandboxBackupHost, sshBackupHost } from './hosts.ts';
import { moveStatus } from './move-status.ts';
import { BackupService, DEFAULT_SCHEDULE, type BackupHost } from './service.ts';

export interface BackupsOptions {
  dataDir: string;
  secrets: SecretStore;
  redactor: Redactor;
  servers: ServerRegistry;
  sandbox: Sandbox;
  hosts: HostManager;
}

export class Backups {
  readonly service: BackupService;
  readonly #options: BackupsOptions;

  constructor(options: BackupsOptions) {
    this.#options = options;
    this.service = new BackupService({ dataDir: options.dataDir, secrets: options.secrets, redactor: options.redactor });
  }

  /** The BackupHost of a known server (NOT_FOUND for an unknown one). */
  async hostFor(serverId: string): Promise<BackupHost> {
    const { servers, sandbox, hosts, dataDir } = this.#options;
    const server = servers.get(serverId);
    if (server.kind === 'sandbox' || serverId === SANDBOX_SERVER_ID) {
      return sandboxBackupHost({ dataDir, sandbox, name: server.name, files: hosts.files });
    }
    return sshBackupHost({
      serverId,
      name: server.name,
      url: server.url,
      session: await hosts.session(serverId),
      fetch: await hosts.fetchFor(serverId),
      files: hosts.files,
      onCalendar: async () => (await this.service.stored(serverId))?.schedule.onCalendar ?? DEFAULT_SCHEDULE.onCalendar,
    });
  }

  /** After disaster recovery or a replacement: where the PDS's hostname points, and whether every DID follows. */
  async moveStatus(serverId: string): Promise<MoveStatus> {
    const { servers, hosts } = this.#options;
    const server = servers.get(serverId);
    const plcUrl = server.plcUrl ?? 'https://plc.directory';
    const address = server.ssh?.host ?? new URL(server.url).hostname;
    return moveStatus(server, {
      servers: servers.list(),
      publicFetch: await hosts.fetchFor(serverId),
      direct: tunnelFetch(await hosts.session(serverId), server.install?.pdsPort ?? 3000),
      // @atproto/identity loads on first use, so Hearth starts as fast without it.
      resolveDid: async (did) => (await import('../accounts/identity.ts')).readDidDocument(did, plcUrl),
      address: (await hosts.resolve(address)).find((a) => !a.includes(':')) ?? address,
    });
  }
}
