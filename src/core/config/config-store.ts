import { mkdir, readFile, rename } from 'node:fs/promises';
import { join } from 'node:path';
import { describeIssues } from '../../shared/errors.ts';
import { writeFileAtomic } from '../fs/atomic-write.ts';
import { Config, CONFIG_VERSION, emptyConfig } from './config-schema.ts';

export interface ConfigProblem {
  message: string;
  keptAt: string;
}

/**
 * The versioned config.json in the app data dir. Saves are atomic and serialized; a file Hearth
 * cannot read (corrupted, or written by a newer Hearth) is moved aside, never overwritten, and
 * the problem is kept for the UI to show.
 */
export class ConfigStore {
  readonly path: string;
  #config: Config = emptyConfig();
  #problem: ConfigProblem | null = null;
  #chain: Promise<unknown> = Promise.resolve();

  private constructor(dataDir: string) {
    this.path = join(dataDir, 'config.json');
  }

  static async open(dataDir: string): Promise<ConfigStore> {
    await mkdir(dataDir, { recursive: true, mode: 0o700 });
    const store = new ConfigStore(dataDir);
    await store.#load();
    return store;
  }

  get(): Config {
    return structuredClone(this.#config);
  }

  problem(): ConfigProblem | null {
    return this.#problem;
  }

  /**
   * Applies a change and saves. Changes run one after another on the latest state, so two
   * concurrent updates never lose each other's edits.
   */
  update(change: (config: Config) => Config | void): Promise<Config> {
    const next = this.#chain.then(async () => {
      const draft = structuredClone(this.#config);
      const changed = Config.parse(change(draft) ?? draft);
      await writeFileAtomic(this.path, `${JSON.stringify(changed, null, 2)}\n`);
      this.#config = changed;
      return structuredClone(changed);
    });
    this.#chain = next.catch(() => undefined);
    return next;
  }

  async #load(): Promise<void> {
    let raw: string;
    try {
      raw = await readFile(this.path, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
      throw err;
    }
    let data: unknown;
    try {
      data = JSON.parse(raw);
    } catch {
      return this.#keepAside('corrupt', 'Hearth could not read its settings file (it is not valid JSON).');
    }
    const version = (data as { version?: unknown } | null)?.version;
    if (typeof version === 'number' && version > CONFIG_VERSION) {
      return this.#keepAside(
        `v${version}`,
        `The settings file was written by a newer version of Hearth (format ${version}; this version reads ${CONFIG_VERSION}).`,
      );
    }
    const parsed = Config.safeParse(data);
    if (!parsed.success) {
      return this.#keepAside('invalid', `Hearth's settings file has values it does not understand (${describeIssues(parsed.error)}).`);
    }
    this.#config = parsed.data;
  }

  async #keepAside(tag: string, reason: string): Promise<void> {
    const stamp = new Date().toISOString().replace(/[:.]/g, '-');
    const keptAt = `${this.path}.${tag}-${stamp}`;
    await rename(this.path, keptAt);
    this.#problem = {
      message: `${reason} It was kept unchanged at ${keptAt}, and Hearth started with empty settings. Your secrets are still in the keychain.`,
      keptAt,
    };
  }
}
