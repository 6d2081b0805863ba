// ssh2 is CommonJS: Node's ESM loader exposes only its default export.
import ssh2 from 'ssh2';

export interface SshKeyPair {
  /** OpenSSH private key; goes to the keychain only. */
  privateKey: string;
  /** One authorized_keys line: "ssh-ed25519 AAAA… comment". */
  publicKey: string;
}

/**
 * A new ed25519 key pair for Hearth to log in to one server. ssh2's generator writes, about once
 * in 300 keys, an OpenSSH private key its own parser then rejects ("Malformed OpenSSH private
 * key"): such a key would lock Hearth out of the server it was made for, so every key is read back
 * before it is used, and a rejected one is simply made again.
 */
export function generateSshKey(comment: string): SshKeyPair {
  for (let attempt = 0; ; attempt++) {
    const pair = ssh2.utils.generateKeyPairSync('ed25519', { comment });
    const parsed = ssh2.utils.parseKey(pair.private);
    const key = Array.isArray(parsed) ? parsed[0] : parsed;
    if ((key && !(key instanceof Error)) || attempt >= 20) return { privateKey: pair.private, publicKey: pair.public.trim() };
  }
}
