import { randomBytes } from 'node:crypto';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { PdsInstall, Server, SshConnection } from '../../shared/contract/servers.ts';
import { HearthError } from '../../shared/errors.ts';
import type { JobContext } from '../jobs/index.ts';
import type { SecretStore } from '../secrets/secret-store.ts';
import { secretAccount } from '../secrets/secret-store.ts';
import type { ServerRegistry } from '../servers/registry.ts';
import { assertAdoptable, detectInstall, RUNTIME_COMMANDS, type DetectedInstall, type RuntimeAction } from './adopt.ts';
import { probeHostHealth } from './health.ts';
import { installedVersion, latestVersion, upgradePds } from './upgrade.ts';
import { serverFetch } from './https-probe.ts';
import { assertWritableSettings, smtpUrlForEnv } from './pds-env.ts';
import { parseEnvFile, resolvePdsSecrets } from './pds-secrets.ts';
import { shellQuote } from './ssh/shell-quote.ts';
import type { HostFiles } from './templates.ts';
import { installPds, PDS_VERSION, pdsUrl, writeIfChanged, type InstallPlan } from './install.ts';
import { assertPreflight, runPreflight } from './preflight.ts';
import { systemResolver, type ResolveAddresses } from './resolve.ts';
import { generateSshKey, SshSession } from './ssh/index.ts';
import ssh2 from 'ssh2';

export { PDS_VERSION, pdsUrl, type InstallPlan } from './install.ts';
export { runPreflight } from './preflight.ts';
export { systemResolver, type ResolveAddresses } from './resolve.ts';

export const SSH_KEY_SECRET = 'ssh-key';

export interface HostManagerOptions {
  servers: ServerRegistry;
  secrets: SecretStore;
  dataDir: string;
  /** The files Hearth puts on servers (resources/host), as the host found them. */
  files: HostFiles;
  resolve?: ResolveAddresses;
}

/** What the user chose; the rest of the plan has defaults. */
export type InstallRequest = Pick<InstallPlan, 'hostname' | 'tlsMode' | 'email' | 'httpsPort' | 'httpPort' | 'pdsPort'> &
  Partial<Pick<InstallPlan, 'caddyAdminPort' | 'plcUrl' | 'pdsVersion' | 'smtpUrl' | 'emailFrom'>>;

export const SMTP_URL_SECRET = 'smtp-url';

/**
 * Servers Hearth reaches over SSH: their keys (keychain), pinned host keys (config), one live
 * session each, and what runs on them.
 */
export class HostManager {
  readonly #servers: ServerRegistry;
  readonly #secrets: SecretStore;
  readonly #dataDir: string;
  readonly resolve: ResolveAddresses;
  readonly files: HostFiles;
  readonly #sessions = new Map<string, { session: SshSession; signature: string }>();

  constructor(options: HostManagerOptions) {
    this.#servers = options.servers;
    this.#secrets = options.secrets;
    this.#dataDir = options.dataDir;
    this.files = options.files;
    this.resolve = options.resolve ?? systemResolver();
  }

  /** A new key for a server about to be connected; its private half goes straight to the keychain. */
  async createKey(name: string): Promise<{ serverId: string; publicKey: string; installCommand: string }> {
    const slug = name.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-+|-+$/g, '').slice(0, 40) || 'server';
    const serverId = `${slug}-${randomBytes(3).toString('hex')}`;
    const pair = generateSshKey(`hearth@${serverId}`);
    await this.#secrets.set(secretAccount(serverId, SSH_KEY_SECRET), pair.privateKey);
    return { serverId, publicKey: pair.publicKey, installCommand: authorizeCommand(pair.publicKey) };
  }

  /**
   * First connection. With a password (used for this call only), installs Hearth's key first;
   * then proves the key works. Only then is the server added, with its host key pinned.
   */
  async connect(
    input: { serverId: string; name?: string; host: string; port: number; username: string; password?: string },
    signal?: AbortSignal,
  ): Promise<{ serverId: string; hostKeyFingerprint: string }> {
    const privateKey = await this.#secrets.get(secretAccount(input.serverId, SSH_KEY_SECRET));
    if (!privateKey) throw new HearthError('NOT_FOUND', 'Hearth has no key for this server yet.', 'Start again from "Connect my server" so Hearth makes one.');
    const publicKey = publicKeyOf(privateKey);
    const known = this.#servers.list().find((s) => s.id === input.serverId);
    let hostKey = known?.ssh?.hostKey ?? null;
    const endpoint = { host: input.host, port: input.port, username: input.username };

    if (input.password) {
      const withPassword = new SshSession({ ...endpoint, password: input.password, hostKey, readyTimeoutMs: 10_000 });
      try {
        await withPassword.connect(signal);
        hostKey = withPassword.hostKeyFingerprint;
        await withPassword.run(AUTHORIZE_FROM_STDIN, { stdin: `${publicKey}\n`, quiet: true, what: "Adding Hearth's key to authorized_keys", ...(signal && { signal }) });
      } catch (err) {
        if (err instanceof HearthError && err.code === 'AUTH') {
          throw new HearthError('AUTH', `The server refused the password for ${input.username}.`, 'Check the user name and password (they are the ones your provider gave you), or add the key by hand.');
        }
        throw err;
      } finally {
        withPassword.close();
      }
    }

    const session = new SshSession({ ...endpoint, privateKey, hostKey, readyTimeoutMs: 10_000 });
    try {
      await session.run('true', { what: 'Logging in with Hearth\'s key', ...(signal && { signal }) });
    } finally {
      session.close();
    }
    const fingerprint = session.hostKeyFingerprint;
    if (!fingerprint) throw new HearthError('INTERNAL', 'The server did not present a host key.', 'Try again.');
    const ssh: SshConnection = { ...endpoint, hostKey: fingerprint, publicKey };
    const server: Server = {
      ...(known ?? { id: input.serverId, kind: 'ssh' as const, createdAt: new Date().toISOString(), url: `https://${bracket(input.host)}` }),
      name: input.name ?? known?.name ?? input.host,
      ssh,
    };
    await this.#servers.upsert(server);
    return { serverId: input.serverId, hostKeyFingerprint: fingerprint };
  }

  /** The session for a known server, pinned to its stored host key. */
  async session(serverId: string): Promise<SshSession> {
    const server = this.#servers.get(serverId);
    const ssh = server.ssh;
    if (!ssh) throw new HearthError('VALIDATION', `${server.name} is not reached over SSH.`, 'Connect it first with "Connect my server".');
    const signature = `${ssh.host}|${ssh.port}|${ssh.username}|${ssh.hostKey ?? ''}`;
    const cached = this.#sessions.get(serverId);
    if (cached && cached.signature === signature) return cached.session;
    cached?.session.close();
    const privateKey = await this.#secrets.get(secretAccount(serverId, SSH_KEY_SECRET));
    if (!privateKey) throw new HearthError('NOT_FOUND', `Hearth's key for ${server.name} is not in the keychain.`, 'Connect the server again to make a new key.');
    const session = new SshSession({
      host: ssh.host,
      port: ssh.port,
      username: ssh.username,
      privateKey,
      hostKey: ssh.hostKey,
      onHostKeyPinned: (fingerprint) => this.#updateSsh(serverId, { hostKey: fingerprint }),
    });
    this.#sessions.set(serverId, { session, signature: `${ssh.host}|${ssh.port}|${ssh.username}|${ssh.hostKey ?? ''}` });
    return session;
  }

  /** The user trusts a changed host key: only the exact fingerprint they saw, and only if the server presents it now. */
  async retrust(serverId: string, fingerprint: string): Promise<void> {
    const server = this.#servers.get(serverId);
    if (!server.ssh) throw new HearthError('VALIDATION', `${server.name} is not reached over SSH.`, '');
    const privateKey = await this.#secrets.get(secretAccount(serverId, SSH_KEY_SECRET));
    if (!privateKey) throw new HearthError('NOT_FOUND', `Hearth's key for ${server.name} is not in the keychain.`, 'Connect the server again.');
    const probe = new SshSession({ host: server.ssh.host, port: server.ssh.port, username: server.ssh.username, privateKey, hostKey: fingerprint });
    try {
      await probe.run('true');
    } finally {
      probe.close();
    }
    await this.#updateSsh(serverId, { hostKey: fingerprint });
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
  async install(serverId: string, request: InstallRequest, ctx: JobContext, options: { moving?: boolean } = {}): Promise<void> {
    // Bad input is refused before anything changes: the SMTP address is kept in the keychain below.
    assertWritableSettings({ hostname: request.hostname, plcUrl: request.plcUrl ?? 'https://plc.directory', crawlers: '', smtpUrl: request.smtpUrl, emailFrom: request.emailFrom, email: request.email });
    const server = this.#servers.get(serverId);
    const ssh = await this.session(serverId);
    if (ssh.endpoint.username !== 'root') {
      throw new HearthError('VALIDATION', 'Hearth installs the PDS when connected as root.', 'Connect this server again with the user "root" (add Hearth\'s key to /root/.ssh/authorized_keys).');
    }
    const plan: InstallPlan = {
      serverId,
      hostname: request.hostname,
      tlsMode: request.tlsMode,
      ...(request.email && { email: request.email }),
      httpsPort: request.httpsPort,
      httpPort: request.httpPort,
      pdsPort: request.pdsPort,
      caddyAdminPort: request.caddyAdminPort ?? 2019,
      plcUrl: request.plcUrl ?? 'https://plc.directory',
      // A private PLC means a private network: no public relay would crawl it.
      crawlers: request.plcUrl ? '' : 'https://bsky.network',
      pdsVersion: request.pdsVersion ?? server.install?.pdsVersion ?? PDS_VERSION,
      ...(await this.#smtpSettings(serverId, request)),
      ...(options.moving && { moving: true }),
    };
    assertWritableSettings(plan);
    const result = await installPds(
      ssh,
      plan,
      {
        secrets: this.#secrets,
        resolve: this.resolve,
        files: this.files,
        preflight: async () => {
          const checks = await runPreflight(ssh, { hostname: plan.hostname, httpsPort: plan.httpsPort, httpPort: plan.httpPort, resolve: this.resolve, signal: ctx.signal });
          for (const check of checks.checks) ctx.log(`${check.status === 'pass' ? 'OK' : check.status.toUpperCase()} ${check.label}: ${check.detail}`, check.status === 'fail' ? 'warn' : 'info');
          // Moving a PDS here: its name points at the old server until the very end.
          assertPreflight(options.moving ? { ...checks, checks: checks.checks.filter((c) => c.id !== 'dns') } : checks);
        },
      },
      ctx,
    );
    if (result.caCert) await this.#saveCa(serverId, result.caCert);
    const install: PdsInstall = {
      runtime: 'native',
      hostname: plan.hostname,
      tlsMode: plan.tlsMode,
      pdsVersion: result.healthVersion || plan.pdsVersion,
      httpsPort: plan.httpsPort,
      pdsPort: plan.pdsPort,
      installedAt: server.install?.installedAt ?? new Date().toISOString(),
    };
    const latest = this.#servers.get(serverId);
    await this.#servers.upsert({ ...latest, url: result.url, install, ...(request.plcUrl && { plcUrl: request.plcUrl }) });
  }

  async versions(serverId: string): Promise<{ installed: string | null; latest: string }> {
    const [installed, latest] = await Promise.all([this.session(serverId).then(installedVersion), latestVersion()]);
    return { installed, latest };
  }

  async upgrade(serverId: string, version: string, ctx: JobContext): Promise<void> {
    const server = this.#servers.get(serverId);
    if (!server.install || server.install.runtime !== 'native') {
      throw new HearthError('VALIDATION', `Hearth did not install the PDS on ${server.name}.`, 'Servers set up with the official installer upgrade through it (its watchtower container).');
    }
    const result = await upgradePds(
      await this.session(serverId),
      { target: version, pdsPort: server.install.pdsPort, url: server.url, resolve: this.resolve, ca: await this.caCert(serverId), files: this.files },
      ctx,
    );
    const latest = this.#servers.get(serverId);
    if (latest.install) await this.#servers.upsert({ ...latest, install: { ...latest.install, pdsVersion: result.to } });
  }

  /** What runs on the server now (only reads); secrets are named, never returned. */
  async detect(serverId: string) {
    const { env: _env, ...found } = await detectInstall(await this.session(serverId));
    return found satisfies Omit<DetectedInstall, 'env'>;
  }

  /**
   * Manages an existing install (the official installer's, or Hearth's own after a reinstall of
   * the desktop) as it is. With the user's consent, its secrets move into the keychain; a
   * keychain entry that disagrees with the server stops the adoption (CONFLICT) untouched.
   */
  async adopt(serverId: string, importSecrets: boolean): Promise<{ hostname: string; imported: string[] }> {
    const found = await detectInstall(await this.session(serverId));
    assertAdoptable(found);
    const imported = importSecrets ? (await resolvePdsSecrets(this.#secrets, serverId, found.env, { generateMissing: false })).imported : [];
    const httpsPort = 443;
    const server = this.#servers.get(serverId);
    const install: PdsInstall = {
      runtime: found.kind === 'native' ? 'native' : 'official',
      hostname: found.hostname,
      tlsMode: 'acme',
      pdsVersion: null,
      httpsPort,
      pdsPort: Number(found.env.get('PDS_PORT') ?? 3000),
      installedAt: server.install?.installedAt ?? new Date().toISOString(),
    };
    const plcUrl = found.env.get('PDS_DID_PLC_URL');
    await this.#servers.upsert({ ...server, url: pdsUrl(found.hostname, httpsPort), install, ...(plcUrl && plcUrl !== 'https://plc.directory' && { plcUrl }) });
    return { hostname: found.hostname, imported };
  }

  /** Status, restart or logs through the server's own runtime (systemd, or docker compose for an adopted install). */
  async runtime(serverId: string, action: RuntimeAction): Promise<{ output: string }> {
    const server = this.#servers.get(serverId);
    if (!server.install) throw new HearthError('VALIDATION', `There is no PDS installed or adopted on ${server.name} yet.`, 'Install a PDS, or adopt the one already there.');
    const result = await (await this.session(serverId)).exec(RUNTIME_COMMANDS[server.install.runtime][action], { quiet: true });
    const output = `${result.stdout}${result.stderr}`.trim().slice(-64_000);
    if (result.code !== 0) {
      const missingDocker = server.install.runtime === 'official' && /docker: (command )?not found/.test(output);
      throw new HearthError(
        'UNAVAILABLE',
        missingDocker ? 'Docker is not installed on this server, so its official PDS install cannot run.' : `The server could not ${action === 'logs' ? 'show the logs' : action === 'restart' ? 'restart the PDS' : 'report the services'}: ${output.split('\n').pop() ?? ''}`,
        missingDocker ? 'The official installer sets Docker up; run it again, or install the PDS with Hearth instead.' : 'See the output above and the server\'s system log.',
      );
    }
    return { output };
  }

  async health(serverId: string) {
    const server = this.#servers.get(serverId);
    return probeHostHealth(await this.session(serverId), server, { resolve: this.resolve, ca: await this.caCert(serverId) });
  }

  /** fetch for this server's PDS: Hearth's resolver, and its internal CA when it has one. */
  async fetchFor(serverId: string): Promise<typeof fetch> {
    return serverFetch({ resolve: this.resolve, ca: await this.caCert(serverId) });
  }

  /** Mail settings: a new SMTP address goes to the keychain (it holds a password); otherwise the kept one. */
  async #smtpSettings(serverId: string, request: InstallRequest): Promise<Pick<InstallPlan, 'smtpUrl' | 'emailFrom'>> {
    if (request.smtpUrl) {
      smtpUrlForEnv(request.smtpUrl); // refused with words before it is kept
      await this.#secrets.set(secretAccount(serverId, SMTP_URL_SECRET), request.smtpUrl);
    }
    const smtpUrl = request.smtpUrl ?? (await this.#secrets.get(secretAccount(serverId, SMTP_URL_SECRET)));
    const emailFrom = request.emailFrom ?? (await this.session(serverId).then((ssh) => ssh.readFile('/pds/pds.env')).then((env) => (env ? parseEnvFile(env.toString('utf8')).get('PDS_EMAIL_FROM_ADDRESS') : undefined)));
    return { ...(smtpUrl && { smtpUrl }), ...(emailFrom && { emailFrom }) };
  }

  async testEmail(serverId: string, to: string): Promise<{ response: string }> {
    const ssh = await this.session(serverId);
    await writeIfChanged(ssh, '/opt/hearth/share/send-test-email.mjs', await this.files.read('send-test-email.mjs'), 0o644);
    // The script reads pds.env itself, as data: no value of it ever passes through a shell.
    const result = await ssh.exec(`/opt/hearth/node/bin/node /opt/hearth/share/send-test-email.mjs ${shellQuote(to)}`, { quiet: true });
    if (result.code !== 0) {
      throw new HearthError(
        'NETWORK',
        result.stderr.trim().split('\n').pop() || 'The test email could not be sent.',
        'Check the mail server address, user and password. If the server cannot reach it, try port 465 (smtps://), 587 or 2525: many hosting providers block port 25.',
      );
    }
    return { response: result.stdout.trim().replace(/^Accepted by the mail server: /, '') };
  }

  /** The internal CA a server's Caddy signs with (internal TLS mode), or null: trusted for that server only. */
  async caCert(serverId: string): Promise<string | null> {
    return readFile(this.#caPath(serverId), 'utf8').catch(() => null);
  }

  /** Removes the server from Hearth. Its keychain entries stay unless asked (they may be the only copy). */
  async forget(serverId: string, deleteSecrets: boolean): Promise<void> {
    this.#sessions.get(serverId)?.session.close();
    this.#sessions.delete(serverId);
    await this.#servers.remove(serverId);
    await rm(join(this.#dataDir, 'hosts', serverId), { recursive: true, force: true });
    if (deleteSecrets) for (const account of await this.#secrets.list(`${serverId}/`)) await this.#secrets.delete(account);
  }

  close(): void {
    for (const { session } of this.#sessions.values()) session.close();
    this.#sessions.clear();
  }

  #caPath(serverId: string): string {
    return join(this.#dataDir, 'hosts', serverId, 'caddy-root.crt');
  }

  async #saveCa(serverId: string, pem: string): Promise<void> {
    await mkdir(join(this.#dataDir, 'hosts', serverId), { recursive: true, mode: 0o700 });
    await writeFile(this.#caPath(serverId), pem, { mode: 0o644 });
  }

  async #updateSsh(serverId: string, change: Partial<SshConnection>): Promise<void> {
    const server = this.#servers.get(serverId);
    if (!server.ssh) return;
    await this.#servers.upsert({ ...server, ssh: { ...server.ssh, ...change } });
  }
}

/** Reads the public line from OpenSSH private key text (the keychain keeps only the private half). */
function publicKeyOf(privateKey: string): string {
  const parsed = ssh2.utils.parseKey(privateKey);
  const key = Array.isArray(parsed) ? parsed[0] : parsed;
  if (!key || key instanceof Error) throw new HearthError('INTERNAL', "Hearth's key for this server is unreadable.", 'Connect the server again to make a new key.');
  return `${key.type} ${key.getPublicSSH().toString('base64')} ${key.comment}`.trim();
}

/** The one line a user pastes on the server to let Hearth in. */
export function authorizeCommand(publicKey: string): string {
  return `mkdir -p ~/.ssh && chmod 700 ~/.ssh && echo '${publicKey}' >> ~/.ssh/authorized_keys && chmod 600 ~/.ssh/authorized_keys`;
}

// The key arrives on stdin, so no quoting of user-visible text is involved; adding it twice is avoided.
const AUTHORIZE_FROM_STDIN =
  'umask 077; mkdir -p ~/.ssh; touch ~/.ssh/authorized_keys; read -r line; grep -qxF "$line" ~/.ssh/authorized_keys || printf "%s\\n" "$line" >> ~/.ssh/authorized_keys';

const bracket = (host: string) => (host.includes(':') ? `[${host}]` : host);
