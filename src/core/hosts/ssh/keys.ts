// ssh2 is CommonJS: Node's ESM loader exposes only its default export.
import ssh2 from 'ssh2';

export interface SshKeyPair {
  /** OpenSSH private key; goes to the keychain only. */
  privateKey: string;
  /** One authorized_keys line: "ssh-ed25519 AAAA… comment". */
  publicKey: string;
}

const readable = (text: string): boolean => {
  const parsed = ssh2.utils.parseKey(text);
  const key = Array.isArray(parsed) ? parsed[0] : parsed;
  return Boolean(key) && !(key instanceof Error);
};

/**
 * A new ed25519 key pair for Hearth to log in to one server. ssh2's generator strips leading zero
 * bytes from the 32-byte public key (mscdex/ssh2 issues 1390 and 1513), so about one key in 256
 * comes out malformed: its authorized_keys line would not work and the private key is unreadable,
 * locking Hearth out of the server it was made for. Every key is read back before it is used, and
 * a broken one is simply made again.
 */
export function generateSshKey(comment: string): SshKeyPair {
  for (let attempt = 0; ; attempt++) {
    const pair = ssh2.utils.generateKeyPairSync('ed25519', { comment });
    if ((readable(pair.private) && readable(pair.public)) || attempt >= 20) return { privateKey: pair.private, publicKey: pair.public.trim() };
  }
}
