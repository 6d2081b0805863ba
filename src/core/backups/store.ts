import { readFile, rename } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { BackupSchedule, BackupTargetFields } from '../../shared/contract/backups.ts';
import { describeIssues, HearthError } from '../../shared/errors.ts';
import { writeFileAtomic } from '../fs/atomic-write.ts';

export const StoredServer = z.object({ target: BackupTargetFields, schedule: BackupSchedule });
export type StoredServer = z.infer<typeof StoredServer>;
const StoredFile = z.object({ version: z.literal(1), servers: z.record(z.string(), StoredServer) });
export type StoredFile = z.infer<typeof StoredFile>;

/**
 * <dataDir>/backups.json: each server's backup target and schedule, never a secret (those are in
 * the keychain, see backup-secrets.ts).
 */
export class BackupStore {
  readonly #file: string;
  #problem: { message: string; keptAt: string } | null = null;

  constructor(dataDir: string) {
    this.#file = join(dataDir, 'backups.json');
  }

  /**
   * backups.json as config.json is treated: a file Hearth cannot read (torn, corrupted, or written
   * by a newer Hearth) is moved aside unchanged, never overwritten, and said in a banner (see
   * problem()); Hearth goes on with no backup targets rather than failing every backup call.
   */
  async load(): Promise<StoredFile> {
    const empty = (): StoredFile => ({ version: 1, servers: {} });
    const text = await readFile(this.#file, 'utf8').catch((err: NodeJS.ErrnoException) => {
      if (err.code === 'ENOENT') return null;
      throw err;
    });
    if (!text) return empty();
    let data: unknown;
    try {
      data = JSON.parse(text);
    } catch {
      await this.#keepAside(text, 'corrupt', 'Hearth could not read its backup settings file (it is not valid JSON).');
      return empty();
    }
    const version = (data as { version?: unknown } | null)?.version;
    if (typeof version === 'number' && version > 1) {
      await this.#keepAside(text, `v${version}`, `The backup settings file was written by a newer version of Hearth (format ${version}; this version reads 1).`);
      return empty();
    }
    const parsed = StoredFile.safeParse(data);
    if (!parsed.success) {
      await this.#keepAside(text, 'invalid', `Hearth's backup settings file has values it does not understand (${describeIssues(parsed.error)}).`);
      return empty();
    }
    return parsed.data;
  }

  async save(file: StoredFile): Promise<void> {
    await writeFileAtomic(this.#file, `${JSON.stringify(file, null, 2)}\n`);
  }

  /** The damaged backup settings file found since Hearth started, if any (for the banner). */
  async problem(): Promise<{ message: string; keptAt: string } | null> {
    await this.load();
    return this.#problem;
  }

  async stored(serverId: string): Promise<StoredServer | null> {
    return (await this.load()).servers[serverId] ?? null;
  }

  async required(serverId: string): Promise<StoredServer> {
    const stored = await this.stored(serverId);
    if (!stored) throw new HearthError('NOT_FOUND', 'No backup target is set up for this server.', 'Set up a backup target first.');
    return stored;
  }

  async #keepAside(text: string, tag: string, reason: string): Promise<void> {
    // Two calls may read the damaged file at once: the first moves it, the other finds it gone
    // (or already replaced by a new save) and leaves it alone.
    if ((await readFile(this.#file, 'utf8').catch(() => null)) !== text) return;
    const keptAt = `${this.#file}.${tag}-${new Date().toISOString().replace(/[:.]/g, '-')}`;
    try {
      await rename(this.#file, keptAt);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
      throw err;
    }
    this.#problem = {
      message: `${reason} It was kept unchanged at ${keptAt}; set up the backup targets again. The backups in the store are untouched, and their repository passwords are still in the keychain (setting a target up again uses the same one).`,
      keptAt,
    };
  }
}
