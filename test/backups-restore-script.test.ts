/**
 * hearth-restore.sh on its own, against a small PDS-shaped data dir (real SQLite files, real
 * restic, the S3 fixture): a restore cut off half-way through the swap (power cut, killed script)
 * is rolled back to the very same files, including the live ones the swap had not reached yet.
 */
import { execFile } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HOST_SCRIPTS_DIR } from './support/host-files.ts';
import { startS3Server, type S3Fixture } from './support/s3-server.ts';

const exec = promisify(execFile);

async function fingerprint(dir: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const entry of await readdir(dir, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile()) continue;
    const path = join(entry.parentPath, entry.name);
    out[relative(dir, path)] = createHash('sha256').update(await readFile(path)).digest('hex');
  }
  return out;
}

describe('hearth-restore.sh', () => {
  let s3: S3Fixture;
  let root: string;
  let data: string;
  let env: NodeJS.ProcessEnv;
  const script = (name: string, args: string[]) => exec(join(HOST_SCRIPTS_DIR, name), args, { env });
  const sql = (db: string, text: string) => exec('sqlite3', [db, text]);

  beforeAll(async () => {
    s3 = await startS3Server();
    root = await mkdtemp(join(tmpdir(), 'hearth-restore-script-'));
    data = join(root, 'pds');
    const actor = join(data, 'actors', 'ab', 'did:plc:abc');
    await mkdir(actor, { recursive: true });
    await mkdir(join(data, 'blocks', 'did:plc:abc'), { recursive: true });
    await sql(join(data, 'account.sqlite'), 'PRAGMA journal_mode=WAL; CREATE TABLE actor(did TEXT); INSERT INTO actor VALUES (\'did:plc:abc\');');
    for (const name of ['sequencer.sqlite', 'did_cache.sqlite']) await sql(join(data, name), 'PRAGMA journal_mode=WAL; CREATE TABLE t(x); INSERT INTO t VALUES (1);');
    await sql(join(actor, 'store.sqlite'), "PRAGMA journal_mode=WAL; CREATE TABLE repo_root(did, cid, rev); INSERT INTO repo_root VALUES ('did:plc:abc','bafyold','rev1'); CREATE TABLE record(uri); INSERT INTO record VALUES ('at://a');");
    await writeFile(join(actor, 'key'), randomBytes(32));
    await writeFile(join(data, 'blocks', 'did:plc:abc', 'bafyblob'), randomBytes(5000));
    await writeFile(join(data, 'pds.env'), 'PDS_HOSTNAME=example.test\n', { mode: 0o600 });
    const settings = join(root, 'backup.env');
    await writeFile(
      settings,
      [`PDS_DATA_DIR='${data}'`, `RESTIC_REPOSITORY='s3:${s3.endpoint}/hearth-backups/script'`, `AWS_ACCESS_KEY_ID='${s3.accessKeyId}'`, 'HEARTH_S3_PATH_STYLE=1', `HEARTH_STATE_DIR='${join(root, 'state')}'`].join('\n'),
      { mode: 0o600 },
    );
    env = { ...process.env, HEARTH_BACKUP_ENV: settings, RESTIC_PASSWORD: 'script-test-password', AWS_SECRET_ACCESS_KEY: s3.secretAccessKey };
    const { stdout } = await script('hearth-backup.sh', ['--kind', 'manual']);
    expect(stdout).toMatch(/^result \{"ok":true/m);
  });

  afterAll(async () => {
    await s3?.close();
    if (root) await rm(root, { recursive: true, force: true });
  });

  it('rolls back a swap cut off half-way to exactly the files from before', async () => {
    // The live data moves on after the backup.
    await sql(join(data, 'actors', 'ab', 'did:plc:abc', 'store.sqlite'), "UPDATE repo_root SET cid='bafynew', rev='rev2'; INSERT INTO record VALUES ('at://b');");
    await writeFile(join(data, 'blocks', 'did:plc:abc', 'bafylater'), randomBytes(3000));
    const before = await fingerprint(data);
    const snapshot = (await script('hearth-backup-restic.sh', ['snapshots', '--json', '--tag', 'kind=manual'])).stdout.match(/"short_id":"([0-9a-f]+)"/)?.[1] ?? '';
    expect((await script('hearth-restore.sh', ['prepare', snapshot])).stdout).toMatch(/"safetySnapshotId":"[0-9a-f]+"/);

    // What a swap killed after its first two moves leaves behind: one live item aside, one restored
    // item in place (recorded), everything else still live.
    const before_ = `${data}.hearth-before-restore`;
    const work = `${data}.hearth-restore`;
    await mkdir(before_);
    await writeFile(join(root, 'state', 'restore-state'), 'swapping\n');
    await rename(join(data, 'account.sqlite'), join(before_, 'account.sqlite'));
    await writeFile(join(work, 'moved-in'), `${join(data, 'account.sqlite')}\n`);
    await rename(join(work, 'new', 'account.sqlite'), join(data, 'account.sqlite'));

    const { stdout } = await script('hearth-restore.sh', ['rollback']);
    expect(stdout).toContain('"rolledBack":true,"state":"swapping"');
    expect(await fingerprint(data)).toEqual(before);
    await expect(readdir(before_)).rejects.toThrow();
  });

  it('a full run swaps the snapshot in, checks it, and keeps pds.env', async () => {
    const snapshot = (await script('hearth-backup-restic.sh', ['snapshots', '--json', '--tag', 'kind=manual'])).stdout.match(/"short_id":"([0-9a-f]+)"/)?.[1] ?? '';
    await script('hearth-restore.sh', ['prepare', snapshot]);
    await script('hearth-restore.sh', ['swap']);
    expect((await script('hearth-restore.sh', ['check'])).stdout).toContain('"accounts":1');
    await script('hearth-restore.sh', ['finish']);
    const { stdout } = await exec('sqlite3', [join(data, 'actors', 'ab', 'did:plc:abc', 'store.sqlite'), 'SELECT cid, rev FROM repo_root; SELECT count(*) FROM record;']);
    expect(stdout.trim().split('\n')).toEqual(['bafyold|rev1', '1']);
    expect(await readFile(join(data, 'pds.env'), 'utf8')).toContain('example.test');
  });

  it('a backup started during a restore is refused, from the first step to the restart; the restored data and the next backup are intact', async () => {
    const store = join(data, 'actors', 'ab', 'did:plc:abc', 'store.sqlite');
    const heads = async () => (await exec('sqlite3', [store, 'SELECT cid, rev FROM repo_root; SELECT count(*) FROM record;'])).stdout.trim().split('\n');
    const backup = () =>
      script('hearth-backup.sh', ['--kind', 'manual']).then(
        ({ stdout }) => ({ code: 0, stdout, stderr: '' }),
        (err: { code: number; stdout: string; stderr: string }) => ({ code: err.code, stdout: err.stdout, stderr: err.stderr }),
      );
    const snapshot = (await script('hearth-backup-restic.sh', ['snapshots', '--json', '--tag', 'kind=manual'])).stdout.match(/"short_id":"([0-9a-f]+)"/)?.[1] ?? '';
    await sql(store, "UPDATE repo_root SET cid='bafylatest', rev='rev9'; INSERT INTO record VALUES ('at://c');");

    // Between Hearth's steps (the PDS is stopped and started by Hearth in between).
    await script('hearth-restore.sh', ['prepare', snapshot]);
    const between = await backup();
    expect(between.code).toBe(6);
    expect(between.stderr).toMatch(/hearth: a restore is running on this server or did not finish \(it stopped at: prepared\)/);
    await script('hearth-restore.sh', ['rollback']);
    expect(await heads()).toEqual(['bafylatest|rev9', '2']);

    // A prepare that fails changed nothing and leaves no marker: backups go on.
    await expect(script('hearth-restore.sh', ['prepare', 'ffffffff'])).rejects.toThrow(/not found/);
    expect(existsSync(join(root, 'state', 'restore-state'))).toBe(false);

    // A whole run, held while the PDS is stopped: the backup is refused at once, not queued.
    const health: Server = createServer((_req, res) => res.end('{"version":"0.4.0"}'));
    await new Promise<void>((resolve) => health.listen(0, '127.0.0.1', resolve));
    const pidFile = join(root, 'pds.pid');
    try {
      const running = exec(join(HOST_SCRIPTS_DIR, 'hearth-restore.sh'), ['run', snapshot], {
        env: {
          ...env,
          HEARTH_PDS_STOP_CMD: `touch '${root}/stopped'; while [ ! -e '${root}/go' ]; do sleep 0.1; done`,
          // A PDS that keeps running after the restore: it must not keep the lock with it.
          HEARTH_PDS_START_CMD: `sleep 120 >/dev/null 2>&1 & echo $! >'${pidFile}'`,
          HEARTH_PDS_HEALTH_URL: `http://127.0.0.1:${(health.address() as AddressInfo).port}/xrpc/_health`,
        },
      });
      for (let i = 0; i < 600 && !existsSync(join(root, 'stopped')); i++) await new Promise((resolve) => setTimeout(resolve, 100));
      const started = Date.now();
      const during = await backup();
      expect(during.code).toBe(6);
      expect(during.stderr).toContain('no backup until it completes or is rolled back');
      expect(Date.now() - started).toBeLessThan(5_000);
      await writeFile(join(root, 'go'), '');
      expect((await running).stdout).toMatch(/^result \{"ok":true\}$/m);
    } finally {
      await new Promise((resolve) => health.close(resolve));
    }
    expect(await heads()).toEqual(['bafyold|rev1', '1']);
    expect(existsSync(join(root, 'state', 'restore-state'))).toBe(false);

    // The next backup runs (the lock is free although the "PDS" still runs) and holds the restored data.
    const next = await script('hearth-backup.sh', ['--kind', 'manual']).then(({ stdout }) => stdout);
    try {
      process.kill(Number(await readFile(pidFile, 'utf8')));
    } catch {
      // already gone
    }
    const id = next.match(/"snapshotId":"([0-9a-f]+)"/)?.[1] ?? '';
    expect(id).not.toBe('');
    const manifest = await script('hearth-backup-restic.sh', ['dump', id, `${join(root, 'state', 'staging')}/manifest.tsv`]);
    expect(manifest.stdout).toMatch(/^did:plc:abc\tbafyold\trev1\t1$/m);
  });
});
