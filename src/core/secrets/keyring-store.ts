import { AsyncEntry, type EntryOptions } from '@napi-rs/keyring';
import { HearthError } from '../../shared/errors.ts';
import type { Redactor } from '../log/redact.ts';
import { INDEX_ACCOUNT } from './names.ts';
import type { SecretStore } from './secret-store.ts';

export const KEYCHAIN_SERVICE = 'hearth';

/**
 * On Linux, @napi-rs/keyring silently falls back to the kernel key store when no Secret Service
 * answers; that store is per-boot and shared, so secrets would vanish or leak between sessions.
 * Pinning the store turns "no Secret Service" into an error Hearth can explain.
 */
const ENTRY_OPTIONS: EntryOptions = { linux: { store: 'secret-service' } };

export const NO_KEYCHAIN_HINT =
  'Hearth keeps secrets only in the system keychain. Start or unlock your keychain (on Linux: GNOME Keyring or KWallet with the Secret Service), then try again.';

export class KeyringSecretStore implements SecretStore {
  readonly #service: string;
  readonly #redactor: Redactor | undefined;
  /** Index updates are read-modify-write: serialize them. */
  #indexChain: Promise<unknown> = Promise.resolve();

  constructor(options: { service?: string; redactor?: Redactor } = {}) {
    this.#service = options.service ?? KEYCHAIN_SERVICE;
    this.#redactor = options.redactor;
  }

  async get(account: string): Promise<string | null> {
    const value = await this.#attempt('read', () => this.#entry(account).getPassword());
    this.#redactor?.register(value);
    return value;
  }

  async set(account: string, value: string): Promise<void> {
    if (!value) throw new HearthError('VALIDATION', 'A secret cannot be empty.', '');
    this.#redactor?.register(value);
    await this.#attempt('save', () => this.#entry(account).setPassword(value));
    await this.#updateIndex((names) => names.add(account));
  }

  async delete(account: string): Promise<boolean> {
    const existed = await this.#attempt('delete', () => this.#entry(account).deleteCredential());
    await this.#updateIndex((names) => names.delete(account));
    return existed;
  }

  async list(prefix = ''): Promise<string[]> {
    const names = await this.#readIndex();
    return [...names].filter((name) => name.startsWith(prefix)).sort();
  }

  /** Checks that a keychain answers, without touching any real secret. */
  async probe(): Promise<{ available: boolean; message: string }> {
    try {
      await this.#attempt('read', () => this.#entry(INDEX_ACCOUNT).getPassword());
      return { available: true, message: '' };
    } catch {
      return { available: false, message: `No system keychain is reachable. ${NO_KEYCHAIN_HINT}` };
    }
  }

  #entry(account: string): AsyncEntry {
    if (!account || account.length > 200) {
      throw new HearthError('VALIDATION', 'A keychain entry name must be 1–200 characters.', '');
    }
    return new AsyncEntry(this.#service, account, ENTRY_OPTIONS);
  }

  async #readIndex(): Promise<Set<string>> {
    const raw = await this.#attempt('read', () => this.#entry(INDEX_ACCOUNT).getPassword());
    if (!raw) return new Set();
    try {
      const parsed: unknown = JSON.parse(raw);
      return new Set(Array.isArray(parsed) ? parsed.filter((n): n is string => typeof n === 'string') : []);
    } catch {
      return new Set();
    }
  }

  #updateIndex(change: (names: Set<string>) => unknown): Promise<void> {
    const next = this.#indexChain.then(async () => {
      const names = await this.#readIndex();
      change(names);
      await this.#attempt('save', () => this.#entry(INDEX_ACCOUNT).setPassword(JSON.stringify([...names].sort())));
    });
    this.#indexChain = next.catch(() => undefined);
    return next;
  }

  async #attempt<T>(verb: string, op: () => Promise<T>): Promise<T> {
    try {
      return await op();
    } catch (err) {
      if (err instanceof HearthError) throw err;
      // The keyring's own message can name D-Bus internals; people need to know what to do.
      throw new HearthError('NO_KEYCHAIN', `Hearth could not ${verb} a secret: no system keychain is reachable.`, NO_KEYCHAIN_HINT);
    }
  }
}
