import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

/**
 * The internal CA a server's Caddy signs with (internal TLS mode), kept in
 * <dataDir>/hosts/<serverId>/ and trusted for that server only. Not a secret: it is the public
 * root certificate.
 */
export class CaFile {
  readonly #dataDir: string;

  constructor(dataDir: string) {
    this.#dataDir = dataDir;
  }

  /** The server's CA certificate (PEM), or null when it has none (a public certificate). */
  async read(serverId: string): Promise<string | null> {
    return readFile(this.#path(serverId), 'utf8').catch(() => null);
  }

  async save(serverId: string, pem: string): Promise<void> {
    await mkdir(this.#dir(serverId), { recursive: true, mode: 0o700 });
    await writeFile(this.#path(serverId), pem, { mode: 0o644 });
  }

  /** Removes the server's folder (today it holds only the CA). */
  async forget(serverId: string): Promise<void> {
    await rm(this.#dir(serverId), { recursive: true, force: true });
  }

  #dir(serverId: string): string {
    return join(this.#dataDir, 'hosts', serverId);
  }

  #path(serverId: string): string {
    return join(this.#dir(serverId), 'caddy-root.crt');
  }
}
