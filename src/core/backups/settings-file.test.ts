/**
 * A damaged backups.json is treated as config.json is: moved aside unchanged, said in the banner
 * (app.info), and Hearth goes on without backup targets instead of failing every backup call.
 * A real core (createApp) on a throwaway data dir.
 */
import { randomUUID } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { AppInfo } from '../../shared/contract/app.ts';
import { createApp, type HearthApp } from '../app.ts';
import { HOST_SCRIPTS_DIR } from '../../../test/support/host-files.ts';

const hostFilesDir = HOST_SCRIPTS_DIR;

describe('a damaged backups.json', () => {
  let app: HearthApp | undefined;
  let dataDir: string | undefined;

  afterEach(async () => {
    await app?.close();
    app = undefined;
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  });

  async function start(backupsJson: string): Promise<AppInfo> {
    dataDir = await mkdtemp(join(tmpdir(), 'hearth-backups-file-'));
    await writeFile(join(dataDir, 'backups.json'), backupsJson);
    app = await createApp({ dataDir, host: 'web', hostFilesDir, version: '0.0.0-test', keychainService: `hearth-test-${randomUUID()}` });
    const info = await app.dispatch('app.info', {});
    if (!info.ok) throw new Error(info.error.message);
    return info.result as AppInfo;
  }

  it('is kept aside unchanged and said in the banner; a later save leaves the kept copy alone', async () => {
    const torn = '{"version":1,"servers":{"abc":{"target":{"endpoint":"https://s3.exa';
    const info = await start(torn);
    expect(info.backupsProblem?.message).toMatch(/could not read its backup settings file \(it is not valid JSON\)/);
    expect(info.backupsProblem?.message).toContain(info.backupsProblem?.keptAt);
    expect(info.backupsProblem?.message).toMatch(/repository passwords are still in the keychain/);
    expect(info.backupsProblem?.keptAt).toMatch(/backups\.json\.corrupt-/);
    expect(await readFile(info.backupsProblem!.keptAt, 'utf8')).toBe(torn);
    // The damaged file is out of the way: nothing reads or overwrites it again.
    expect((await readdir(dataDir!)).filter((f) => f.startsWith('backups.json'))).toEqual([info.backupsProblem!.keptAt.split('/').pop()]);
    // Still said on the next look (a window opened later), and the config banner stays quiet.
    const again = await app!.dispatch('app.info', {});
    expect(again.ok && (again.result as AppInfo).backupsProblem?.keptAt).toBe(info.backupsProblem?.keptAt);
    expect(info.configProblem).toBeNull();
  });

  it('from a newer Hearth: kept aside with a message naming the versions', async () => {
    const newer = JSON.stringify({ version: 3, servers: {}, somethingNew: true });
    const info = await start(newer);
    expect(info.backupsProblem?.message).toMatch(/newer version of Hearth \(format 3; this version reads 1\)/);
    expect(await readFile(info.backupsProblem!.keptAt, 'utf8')).toBe(newer);
  });

  it('with values Hearth does not understand: kept aside, naming what is wrong', async () => {
    const odd = JSON.stringify({ version: 1, servers: { abc: { target: { endpoint: 42 } } } });
    const info = await start(odd);
    expect(info.backupsProblem?.message).toMatch(/has values it does not understand/);
    expect(await readFile(info.backupsProblem!.keptAt, 'utf8')).toBe(odd);
  });

  it('a readable file raises no banner', async () => {
    const info = await start(JSON.stringify({ version: 1, servers: {} }));
    expect(info.backupsProblem).toBeNull();
  });
});
