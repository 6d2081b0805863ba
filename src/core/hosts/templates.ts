import { readFile } from 'node:fs/promises';
import { join } from 'node:path';

/**
 * Every file Hearth puts on a server, kept as readable, versioned files in resources/host/. The
 * host hands core the folder (createApp's hostFilesDir): the checkout's resources/host while
 * developing, <resources>/host in a packaged app. Core never looks for them next to its own
 * module, which a bundle moves.
 */
export const HOST_FILES = [
  'Caddyfile.template',
  'hearth-backup-lib.sh',
  'hearth-backup-restic.sh',
  'hearth-backup.service',
  'hearth-backup.sh',
  'hearth-backup.timer',
  'hearth-restore.sh',
  'hearth-verify.sh',
  'pds-entry.mjs',
  'pds-install.sh',
  'pds.env.template',
  'pds.service',
  'send-test-email.mjs',
] as const;
export type HostFileName = (typeof HOST_FILES)[number];

export class HostFiles {
  readonly dir: string;

  constructor(dir: string) {
    this.dir = dir;
  }

  path(name: HostFileName): string {
    return join(this.dir, name);
  }

  read(name: HostFileName): Promise<string> {
    return readFile(this.path(name), 'utf8');
  }

  /** The files that cannot be read from the folder (none in a sound install): checked once at start. */
  async missing(): Promise<HostFileName[]> {
    const found = await Promise.all(HOST_FILES.map((name) => this.read(name).then(() => null, () => name)));
    return found.filter((name): name is HostFileName => name !== null);
  }
}

/**
 * Fills {{NAME}} placeholders. Every placeholder must have a value and no value may contain a
 * line break (a value could otherwise add lines to pds.env or the Caddyfile).
 */
export function renderTemplate(template: string, values: Record<string, string>): string {
  return template.replace(/\{\{([A-Z0-9_]+)\}\}/g, (_, name: string) => {
    const value = values[name];
    if (value === undefined) throw new Error(`template value ${name} is missing`);
    if (/[\r\n]/.test(value) && name !== 'GLOBAL_OPTIONS' && name !== 'EXTRA') throw new Error(`template value ${name} has a line break`);
    return value;
  });
}
