import { createHash } from 'node:crypto';

/**
 * A host key's fingerprint exactly as OpenSSH prints it (`ssh-keygen -lf`, the first-connection
 * prompt): "SHA256:" and the base64 of the SHA-256 of the raw key blob, without padding. Users
 * compare this with what their provider's console shows, so it must match character for character.
 */
export function sshFingerprint(rawKey: Buffer): string {
  return `SHA256:${createHash('sha256').update(rawKey).digest('base64').replace(/=+$/, '')}`;
}

/** Fingerprint of an OpenSSH public key line ("ssh-ed25519 AAAA… comment"). */
export function publicKeyLineFingerprint(line: string): string {
  const blob = line.trim().split(/\s+/)[1];
  if (!blob) throw new Error('not an OpenSSH public key line');
  return sshFingerprint(Buffer.from(blob, 'base64'));
}
