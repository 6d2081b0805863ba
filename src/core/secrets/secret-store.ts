/**
 * Where Hearth keeps every secret: the OS keychain (service "hearth", account
 * "<serverId>/<name>"). There is no plaintext fallback: an unreachable keychain is an error.
 */
export interface SecretStore {
  get(account: string): Promise<string | null>;
  set(account: string, value: string): Promise<void>;
  /** Returns whether an entry existed. */
  delete(account: string): Promise<boolean>;
  /** Accounts (never values) under a prefix, e.g. "sandbox/". */
  list(prefix?: string): Promise<string[]>;
}

// Kept here too for the callers that found them here first; the names are defined in names.ts.
export { PDS_SECRET_NAMES, type PdsSecretName } from './names.ts';

export const secretAccount = (serverId: string, name: string): string => `${serverId}/${name}`;

/**
 * Gives server `toId` the same secret `name` as server `fromId` (disaster recovery, a replaced
 * droplet), never overwriting a different value already kept for it: that one may be the key
 * other identities depend on. Says what it found, so each caller words its own error.
 */
export async function shareSecret(store: SecretStore, name: string, fromId: string, toId: string): Promise<'missing' | 'copied' | 'kept' | 'different'> {
  const value = await store.get(secretAccount(fromId, name));
  if (!value) return 'missing';
  const kept = await store.get(secretAccount(toId, name));
  if (kept) return kept === value ? 'kept' : 'different';
  await store.set(secretAccount(toId, name), value);
  return 'copied';
}
