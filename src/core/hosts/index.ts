/**
 * Servers Hearth reaches over SSH. HostManager is the one object the rest of core holds; each
 * feature lives in the file named for it:
 *   ssh-sessions.ts    keys (keychain), first connection, pinned host keys, one live session each
 *   preflight.ts       the checks before an install
 *   install-server.ts  the install job's body (plan, preflight, steps in install.ts, registry record)
 *   upgrade-server.ts  versions and the upgrade job's body (steps in upgrade.ts)
 *   adopt-server.ts    detect and adopt an install already there (detection in adopt.ts)
 *   runtime.ts         status, restart, logs through the server's runtime
 *   health.ts          how the server and its PDS are doing
 *   mail.ts            SMTP settings and the test email
 *   ca-file.ts         the internal CA a server's Caddy signs with
 */
import type { JobContext } from '../jobs/index.ts';
import type { SecretStore } from '../secrets/secret-store.ts';
import type { ServerRegistry } from '../servers/registry.ts';
import type { RuntimeAction } from './adopt.ts';
import { adoptServer, detectServer } from './adopt-server.ts';
import { CaFile } from './ca-file.ts';
import { probeHostHealth } from './health.ts';
import type { HostDeps } from './host-deps.ts';
import { serverFetch } from './https-probe.ts';
import { installServer, type InstallRequest } from './install-server.ts';
import { sendTestEmail } from './mail.ts';
import { runPreflight } from './preflight.ts';
import { systemResolver, type ResolveAddresses } from './resolve.ts';
import { runtimeAction } from './runtime.ts';
import { SshSessions } from './ssh-sessions.ts';
import type { SshSession } from './ssh/index.ts';
import type { HostFiles } from './templates.ts';
import { pdsVersions, upgradeServer } from './upgrade-server.ts';

export { PDS_VERSION, pdsUrl, type InstallPlan } from './install.ts';
export { type InstallRequest } from './install-server.ts';
export { runPreflight } from './preflight.ts';
export { systemResolver, type ResolveAddresses } from './resolve.ts';
export { authorizeCommand } from './ssh-sessions.ts';
// The keychain names are defined in secrets/names.ts; kept here for callers that found them here.
export { SMTP_URL_SECRET, SSH_KEY_SECRET } from '../secrets/names.ts';

export interface HostManagerOptions {
  servers: ServerRegistry;
  secrets: SecretStore;
  dataDir: string;
  /** The files Hearth puts on servers (resources/host), as the host found them. */
  files: HostFiles;
  resolve?: ResolveAddresses;
}

/**
 * Servers Hearth reaches over SSH: their keys (keychain), pinned host keys (config), one live
 * session each, and what runs on them. A facade: the work is in the files listed above.
 */
export class HostManager {
  readonly resolve: ResolveAddresses;
  readonly files: HostFiles;
  readonly #deps: HostDeps;

  constructor(options: HostManagerOptions) {
    this.files = options.files;
    this.resolve = options.resolve ?? systemResolver();
    this.#deps = {
      servers: options.servers,
      secrets: options.secrets,
      files: this.files,
      resolve: this.resolve,
      sessions: new SshSessions({ servers: options.servers, secrets: options.secrets }),
      ca: new CaFile(options.dataDir),
    };
  }

  /** A new key for a server about to be connected; its private half goes straight to the keychain. */
  createKey(name: string): Promise<{ serverId: string; publicKey: string; installCommand: string }> {
    return this.#deps.sessions.createKey(name);
  }

  /** First connection (see SshSessions.connect): the server is added only once Hearth's key works. */
  connect(
    input: { serverId: string; name?: string; host: string; port: number; username: string; password?: string },
    signal?: AbortSignal,
  ): Promise<{ serverId: string; hostKeyFingerprint: string }> {
    return this.#deps.sessions.connect(input, signal);
  }

  /** The session for a known server, pinned to its stored host key. */
  session(serverId: string): Promise<SshSession> {
    return this.#deps.sessions.session(serverId);
  }

  /** The user trusts a changed host key: only the exact fingerprint they saw, and only if the server presents it now. */
  retrust(serverId: string, fingerprint: string): Promise<void> {
    return this.#deps.sessions.retrust(serverId, fingerprint);
  }

  async preflight(serverId: string, options: { hostname: string; httpsPort?: number; httpPort?: number }, signal?: AbortSignal) {
    const ssh = await this.session(serverId);
    return runPreflight(ssh, {
      hostname: options.hostname,
      httpsPort: options.httpsPort ?? 443,
      httpPort: options.httpPort ?? 80,
      resolve: this.resolve,
      ...(signal && { signal }),
    });
  }

  /** The install job's body: preflight (nothing is touched when it fails), then every install step. */
  install(serverId: string, request: InstallRequest, ctx: JobContext, options: { moving?: boolean } = {}): Promise<void> {
    return installServer(this.#deps, serverId, request, ctx, options);
  }

  versions(serverId: string): Promise<{ installed: string | null; latest: string }> {
    return pdsVersions(this.#deps, serverId);
  }

  upgrade(serverId: string, version: string, ctx: JobContext): Promise<void> {
    return upgradeServer(this.#deps, serverId, version, ctx);
  }

  /** What runs on the server now (only reads); secrets are named, never returned. */
  detect(serverId: string) {
    return detectServer(this.#deps, serverId);
  }

  /** Manages an existing install as it is; with consent, its secrets move into the keychain. */
  adopt(serverId: string, importSecrets: boolean): Promise<{ hostname: string; imported: string[] }> {
    return adoptServer(this.#deps, serverId, importSecrets);
  }

  /** Status, restart or logs through the server's own runtime (systemd, or docker compose for an adopted install). */
  runtime(serverId: string, action: RuntimeAction): Promise<{ output: string }> {
    return runtimeAction(this.#deps, serverId, action);
  }

  async health(serverId: string) {
    const server = this.#deps.servers.get(serverId);
    return probeHostHealth(await this.session(serverId), server, { resolve: this.resolve, ca: await this.caCert(serverId) });
  }

  /** fetch for this server's PDS: Hearth's resolver, and its internal CA when it has one. */
  async fetchFor(serverId: string): Promise<typeof fetch> {
    return serverFetch({ resolve: this.resolve, ca: await this.caCert(serverId) });
  }

  testEmail(serverId: string, to: string): Promise<{ response: string }> {
    return sendTestEmail(this.#deps, serverId, to);
  }

  /** The internal CA a server's Caddy signs with (internal TLS mode), or null: trusted for that server only. */
  caCert(serverId: string): Promise<string | null> {
    return this.#deps.ca.read(serverId);
  }

  /** Removes the server from Hearth. Its keychain entries stay unless asked (they may be the only copy). */
  async forget(serverId: string, deleteSecrets: boolean): Promise<void> {
    const { sessions, servers, ca, secrets } = this.#deps;
    sessions.drop(serverId);
    await servers.remove(serverId);
    await ca.forget(serverId);
    if (deleteSecrets) for (const account of await secrets.list(`${serverId}/`)) await secrets.delete(account);
  }

  close(): void {
    this.#deps.sessions.close();
  }
}
