// ssh2 is CommonJS: Node's ESM loader exposes only its default export.
import ssh2 from 'ssh2';

export interface SshKeyPair {
  /** OpenSSH private key; goes to the keychain only. */
  privateKey: string;
  /** One authorized_keys line: "ssh-ed25519 AAAA… comment". */
  publicKey: string;
}

/** A new ed25519 key pair for Hearth to log in to one server. */
export function generateSshKey(comment: string): SshKeyPair {
  const pair = ssh2.utils.generateKeyPairSync('ed25519', { comment });
  return { privateKey: pair.private, publicKey: pair.public.trim() };
}
