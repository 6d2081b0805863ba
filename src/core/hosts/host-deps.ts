import type { SecretStore } from '../secrets/secret-store.ts';
import type { ServerRegistry } from '../servers/registry.ts';
import type { CaFile } from './ca-file.ts';
import type { ResolveAddresses } from './resolve.ts';
import type { SshSessions } from './ssh-sessions.ts';
import type { HostFiles } from './templates.ts';

/** What the per-feature files of hosts/ share; HostManager (index.ts) builds it once. */
export interface HostDeps {
  servers: ServerRegistry;
  secrets: SecretStore;
  /** The files Hearth puts on servers (resources/host), as the host found them. */
  files: HostFiles;
  resolve: ResolveAddresses;
  sessions: SshSessions;
  ca: CaFile;
}
