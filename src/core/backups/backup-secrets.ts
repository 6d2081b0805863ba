import { randomBytes } from 'node:crypto';
import { HearthError } from '../../shared/errors.ts';
import { RESTIC_PASSWORD, S3_SECRET } from '../secrets/names.ts';
import { secretAccount, shareSecret, type SecretStore } from '../secrets/secret-store.ts';

/** The secrets restic and the scripts read, by the environment variable they read them from. */
export interface BackupSecretEnv {
  RESTIC_PASSWORD: string;
  AWS_SECRET_ACCESS_KEY: string;
}

/** A server's two backup secrets in the keychain: the store's S3 secret key and the repository password. */
export class BackupSecrets {
  readonly #secrets: SecretStore;

  constructor(secrets: SecretStore) {
    this.#secrets = secrets;
  }

  s3Key(serverId: string): Promise<string | null> {
    return this.#secrets.get(secretAccount(serverId, S3_SECRET));
  }

  async keepS3Key(serverId: string, secret: string): Promise<void> {
    await this.#secrets.set(secretAccount(serverId, S3_SECRET), secret);
  }

  /** Makes the repository password on first use; never replaced (losing it loses every backup). */
  async ensureRepositoryPassword(serverId: string): Promise<void> {
    const passwordName = secretAccount(serverId, RESTIC_PASSWORD);
    if (!(await this.#secrets.get(passwordName))) await this.#secrets.set(passwordName, randomBytes(32).toString('base64url'));
  }

  async env(serverId: string): Promise<BackupSecretEnv> {
    const password = await this.#secrets.get(secretAccount(serverId, RESTIC_PASSWORD));
    const s3 = await this.s3Key(serverId);
    if (!password || !s3) {
      throw new HearthError('NOT_FOUND', 'The backup secrets are missing from the keychain.', 'Set up the backup target again (the repository password cannot be made anew for existing backups).');
    }
    return { RESTIC_PASSWORD: password, AWS_SECRET_ACCESS_KEY: s3 };
  }

  /** Gives server `toId` the same backup secrets as `fromId`, never overwriting different ones. */
  async share(fromId: string, toId: string): Promise<void> {
    for (const name of [S3_SECRET, RESTIC_PASSWORD]) {
      const shared = await shareSecret(this.#secrets, name, fromId, toId);
      if (shared === 'missing') throw new HearthError('NOT_FOUND', 'The backup secrets are missing from the keychain.', 'Without the repository password the backups cannot be read; restore the keychain from its own backup.');
      if (shared === 'different') {
        throw new HearthError('CONFLICT', 'The new server already has other backup settings.', 'Pick an empty server, or forget that server in Hearth and connect it again.');
      }
    }
  }
}
