/**
 * hearth-backup.sh stages incrementally: the staging dir is kept between runs and only what
 * changed is copied again (SQLite's backup API for databases), so restic reads and uploads only
 * that. Against a small PDS-shaped data dir (real WAL-mode SQLite files, real restic, the S3
 * fixture): a changed database is staged again and an unchanged one is left alone (same inode, so
 * restic skips it without reading), a write that keeps size and mtime is still seen, and every
 * snapshot restores to exactly the live data of its moment — after changes, deleted accounts and
 * blobs, and a staging dir someone tampered with.
 */
import { execFile } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HOST_SCRIPTS_DIR } from './support/host-files.ts';
import { startS3Server, type S3Fixture } from './support/s3-server.ts';

const exec = promisify(execFile);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
/** Longer than the script's RACY_SECONDS: a fingerprint taken this long after a write is trusted. */
const SETTLE_MS = 3100;
const sha = (data: Buffer) => createHash('sha256').update(data).digest('hex');
const DIDS = ['did:plc:aaa', 'did:plc:bbb', 'did:plc:ccc'];

describe('hearth-backup.sh incremental staging', () => {
  let s3: S3Fixture;
  let root: string;
  let data: string;
  let staging: string;
  let env: NodeJS.ProcessEnv;
  const resticArgs = ['-o', 's3.bucket-lookup=path'];
  const store = (did: string) => join(data, 'actors', did.slice(-2), did, 'store.sqlite');
  const sql = (db: string, text: string) => exec('sqlite3', [db, text]);

  async function backup(): Promise<{ snapshotId: string; records: number; accounts: number }> {
    const { stdout } = await exec(join(HOST_SCRIPTS_DIR, 'hearth-backup.sh'), ['--kind', 'manual'], { env });
    const line = stdout.split('\n').find((l) => l.startsWith('result '));
    return JSON.parse(line!.slice('result '.length)) as { snapshotId: string; records: number; accounts: number };
  }

  /** Inode and mtime of every file in the staging dir's pds/ and blobs/. */
  async function stagedFiles(): Promise<Map<string, string>> {
    const out = new Map<string, string>();
    for (const entry of await readdir(staging, { recursive: true, withFileTypes: true })) {
      if (!entry.isFile()) continue;
      const path = join(entry.parentPath, entry.name);
      const st = await stat(path, { bigint: true });
      out.set(relative(staging, path), `${st.ino}:${st.mtimeNs}`);
    }
    return out;
  }

  /** What a restore must give back: every database as SQLite's backup API copies it now, keys, blobs, pds.env. */
  async function liveDigest(): Promise<Record<string, string>> {
    const out: Record<string, string> = {};
    const copies = await mkdtemp(join(tmpdir(), 'hearth-staging-live-'));
    let n = 0;
    for (const entry of await readdir(data, { recursive: true, withFileTypes: true })) {
      if (!entry.isFile()) continue;
      const path = join(entry.parentPath, entry.name);
      const rel = relative(data, path);
      if (/-(wal|shm)$/.test(rel)) continue;
      if (rel === 'pds.env') out['pds.env'] = sha(await readFile(path));
      else if (rel.startsWith('blocks/')) out[`blobs/${rel.slice('blocks/'.length)}`] = sha(await readFile(path));
      else if (rel.endsWith('.sqlite')) {
        const copy = join(copies, `${n++}.sqlite`);
        await exec('sqlite3', [path, `.backup '${copy}'`]);
        out[`pds/${rel}`] = sha(await readFile(copy));
      } else out[`pds/${rel}`] = sha(await readFile(path));
    }
    await rm(copies, { recursive: true, force: true });
    return out;
  }

  /** Restores a snapshot with restic into a temp dir: every file of it (manifest and metadata aside) and the manifest. */
  async function snapshotDigest(snapshotId: string): Promise<{ files: Record<string, string>; manifest: string }> {
    const target = await mkdtemp(join(tmpdir(), 'hearth-staging-restored-'));
    await exec('restic', [...resticArgs, 'restore', snapshotId, '--target', target], { env });
    const base = join(target, staging);
    const files: Record<string, string> = {};
    for (const entry of await readdir(base, { recursive: true, withFileTypes: true })) {
      if (!entry.isFile()) continue;
      const path = join(entry.parentPath, entry.name);
      const rel = relative(base, path);
      if (rel === 'manifest.tsv' || rel === 'hearth-backup.json') continue;
      files[rel] = sha(await readFile(path));
    }
    const manifest = await readFile(join(base, 'manifest.tsv'), 'utf8');
    await rm(target, { recursive: true, force: true });
    return { files, manifest };
  }

  /** Each repo's head in the live data, as the restore's own check reads it. */
  async function liveHeads(): Promise<string> {
    const { stdout } = await exec(join(HOST_SCRIPTS_DIR, 'hearth-restore.sh'), ['heads'], { env });
    return stdout.split('\n').slice(1).join('\n');
  }

  async function expectSnapshotIsLive(snapshotId: string) {
    const [snap, live, heads] = [await snapshotDigest(snapshotId), await liveDigest(), await liveHeads()];
    expect(snap.files).toEqual(live);
    expect(snap.manifest).toBe(heads);
  }

  beforeAll(async () => {
    s3 = await startS3Server();
    root = await mkdtemp(join(tmpdir(), 'hearth-staging-'));
    data = join(root, 'pds');
    staging = join(root, 'state', 'staging');
    await mkdir(data, { recursive: true });
    await sql(join(data, 'account.sqlite'), `PRAGMA journal_mode=WAL; CREATE TABLE actor(did TEXT); ${DIDS.map((d) => `INSERT INTO actor VALUES ('${d}');`).join(' ')}`);
    for (const name of ['sequencer.sqlite', 'did_cache.sqlite']) await sql(join(data, name), 'PRAGMA journal_mode=WAL; CREATE TABLE t(x); INSERT INTO t VALUES (1);');
    for (const did of DIDS) {
      await mkdir(join(data, 'actors', did.slice(-2), did), { recursive: true });
      await sql(store(did), `PRAGMA journal_mode=WAL; CREATE TABLE repo_root(did, cid, rev); INSERT INTO repo_root VALUES ('${did}','bafy-${did}-1','rev1'); CREATE TABLE record(uri, body); INSERT INTO record VALUES ('at://${did}/1', 'first');`);
      await writeFile(join(data, 'actors', did.slice(-2), did, 'key'), randomBytes(32));
      await mkdir(join(data, 'blocks', did), { recursive: true });
      await writeFile(join(data, 'blocks', did, `bafyblob-${did.slice(-3)}`), randomBytes(4000));
    }
    await writeFile(join(data, 'pds.env'), 'PDS_HOSTNAME=example.test\n', { mode: 0o600 });
    const settings = join(root, 'backup.env');
    await writeFile(
      settings,
      [`PDS_DATA_DIR='${data}'`, `RESTIC_REPOSITORY='s3:${s3.endpoint}/hearth-backups/staging'`, `AWS_ACCESS_KEY_ID='${s3.accessKeyId}'`, 'HEARTH_S3_PATH_STYLE=1', `HEARTH_STATE_DIR='${join(root, 'state')}'`].join('\n'),
      { mode: 0o600 },
    );
    env = {
      ...process.env,
      HEARTH_BACKUP_ENV: settings,
      RESTIC_REPOSITORY: `s3:${s3.endpoint}/hearth-backups/staging`,
      RESTIC_PASSWORD: 'staging-test-password',
      AWS_ACCESS_KEY_ID: s3.accessKeyId,
      AWS_SECRET_ACCESS_KEY: s3.secretAccessKey,
      RESTIC_CACHE_DIR: join(root, 'test-cache'),
    };
    await sleep(SETTLE_MS);
  });

  afterAll(async () => {
    await s3?.close();
    if (root) await rm(root, { recursive: true, force: true });
  });

  it('stages everything at first; then copies again only the database that changed', async () => {
    const first = await backup();
    expect(first).toMatchObject({ accounts: 3, records: 3 });
    await expectSnapshotIsLive(first.snapshotId);
    const before = await stagedFiles();

    await sql(store('did:plc:bbb'), "UPDATE repo_root SET cid='bafy-bbb-2', rev='rev2'; INSERT INTO record VALUES ('at://did:plc:bbb/2', 'second');");
    await sleep(SETTLE_MS);
    const second = await backup();
    expect(second.records).toBe(4);
    const after = await stagedFiles();
    const changed = [...after.keys()].filter((rel) => before.get(rel) !== after.get(rel)).sort();
    // manifest.tsv and hearth-backup.json are written on every run; nothing else but the changed database.
    expect(changed).toEqual(['hearth-backup.json', 'manifest.tsv', 'pds/actors/bb/did:plc:bbb/store.sqlite']);
    expect([...after.keys()].sort()).toEqual([...before.keys()].sort());
    await expectSnapshotIsLive(second.snapshotId);
    // The first snapshot still holds the first state.
    const { stdout } = await exec('restic', [...resticArgs, 'dump', first.snapshotId, join(staging, 'manifest.tsv')], { env });
    expect(stdout).toContain('bafy-did:plc:bbb-1');
  });

  it('sees a write that keeps the size and sets the mtime back (ctime cannot be set back)', async () => {
    const db = store('did:plc:ccc');
    const st = await stat(db, { bigint: true });
    // Same length, so the file keeps its size; then the mtime is put back as it was, to the nanosecond.
    const reference = join(root, 'mtime-reference');
    await writeFile(reference, '');
    await exec('touch', ['-r', db, reference]);
    await sql(db, "PRAGMA journal_mode=DELETE; UPDATE record SET body='FIRST';");
    await exec('touch', ['-m', '-r', reference, db]);
    const now = await stat(db, { bigint: true });
    expect([now.size, now.mtimeNs, now.ino]).toEqual([st.size, st.mtimeNs, st.ino]);
    await sleep(SETTLE_MS);
    const { snapshotId } = await backup();
    await expectSnapshotIsLive(snapshotId);
    const { stdout } = await exec('sqlite3', [join(staging, 'pds/actors/cc/did:plc:ccc/store.sqlite'), 'SELECT body FROM record;']);
    expect(stdout.trim()).toBe('FIRST');
  });

  it('copies again next time a database written just before the copy (the same clock tick could hide a later write)', async () => {
    await sql(store('did:plc:aaa'), "INSERT INTO record VALUES ('at://did:plc:aaa/2', 'second');");
    await backup();
    const racy = await stagedFiles();
    const next = await backup();
    const after = await stagedFiles();
    const key = 'pds/actors/aa/did:plc:aaa/store.sqlite';
    expect(after.get(key)).not.toBe(racy.get(key));
    expect(after.get('pds/actors/bb/did:plc:bbb/store.sqlite')).toBe(racy.get('pds/actors/bb/did:plc:bbb/store.sqlite'));
    await expectSnapshotIsLive(next.snapshotId);
    await sleep(SETTLE_MS);
    await backup();
    const settled = await stagedFiles();
    await backup();
    expect((await stagedFiles()).get(key)).toBe(settled.get(key));
  });

  it('drops a deleted account and a deleted blob, adds new ones; the snapshot is exactly the live data', async () => {
    await rm(join(data, 'actors', 'cc'), { recursive: true });
    await sql(join(data, 'account.sqlite'), "DELETE FROM actor WHERE did='did:plc:ccc';");
    await rm(join(data, 'blocks', 'did:plc:ccc'), { recursive: true });
    await rm(join(data, 'blocks', 'did:plc:aaa', 'bafyblob-aaa'));
    await writeFile(join(data, 'blocks', 'did:plc:aaa', 'bafyblob-new'), randomBytes(3000));
    await mkdir(join(data, 'actors', 'dd', 'did:plc:ddd'), { recursive: true });
    await sql(join(data, 'actors', 'dd', 'did:plc:ddd', 'store.sqlite'), "PRAGMA journal_mode=WAL; CREATE TABLE repo_root(did, cid, rev); INSERT INTO repo_root VALUES ('did:plc:ddd','bafy-ddd-1','rev1'); CREATE TABLE record(uri, body);");
    await writeFile(join(data, 'actors', 'dd', 'did:plc:ddd', 'key'), randomBytes(32));
    await writeFile(join(data, 'pds.env'), 'PDS_HOSTNAME=example.test\nPDS_PORT=3000\n', { mode: 0o600 });
    const { snapshotId, accounts } = await backup();
    expect(accounts).toBe(2);
    await expectSnapshotIsLive(snapshotId);
    expect((await stagedFiles()).has('pds/actors/cc/did:plc:ccc/store.sqlite')).toBe(false);
  });

  it('a staging dir someone tampered with, or a run killed half-way, is staged afresh', async () => {
    // A staged copy overwritten (same size), and leftovers a killed copy could leave.
    const staged = join(staging, 'pds/actors/bb/did:plc:bbb/store.sqlite');
    await writeFile(staged, randomBytes((await stat(staged)).size));
    await writeFile(join(staging, 'pds/actors/bb/did:plc:bbb/store.sqlite.hearth-new'), 'partial');
    // Blobs are staged as hard links: replaced, not written through (that would change the live blob).
    await rm(join(staging, 'blobs/did:plc:aaa/bafyblob-new'));
    await writeFile(join(staging, 'blobs/did:plc:aaa/bafyblob-new'), randomBytes(3000));
    const tampered = await backup();
    await expectSnapshotIsLive(tampered.snapshotId);

    // Killed while staging: the record of what is staged is gone (it is removed before staging starts).
    await rm(join(root, 'state', 'staged.state'));
    await writeFile(join(staging, 'pds/account.sqlite'), 'torn');
    await writeFile(join(staging, 'pds/stray-journal'), 'x');
    const killed = await backup();
    await expectSnapshotIsLive(killed.snapshotId);
  });
});
