import { randomBytes } from 'node:crypto';
import ssh2 from 'ssh2';
import type { Server, SshConnection } from '../../shared/contract/servers.ts';
import { HearthError } from '../../shared/errors.ts';
import { SSH_KEY_SECRET } from '../secrets/names.ts';
import type { SecretStore } from '../secrets/secret-store.ts';
import { secretAccount } from '../secrets/secret-store.ts';
import type { ServerRegistry } from '../servers/registry.ts';
import { generateSshKey, SshSession } from './ssh/index.ts';

/**
 * Hearth's SSH keys (private halves in the keychain), first connections, pinned host keys (in the
 * server registry) and one live session per server.
 */
export class SshSessions {
  readonly #servers: ServerRegistry;
  readonly #secrets: SecretStore;
  readonly #sessions = new Map<string, { session: SshSession; signature: string }>();

  constructor(options: { servers: ServerRegistry; secrets: SecretStore }) {
    this.#servers = options.servers;
    this.#secrets = options.secrets;
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

  /** Closes and forgets one server's session (the server is being removed). */
  drop(serverId: string): void {
    this.#sessions.get(serverId)?.session.close();
    this.#sessions.delete(serverId);
  }

  close(): void {
    for (const { session } of this.#sessions.values()) session.close();
    this.#sessions.clear();
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
