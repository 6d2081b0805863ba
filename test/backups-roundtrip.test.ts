/**
 * Backups against real components: the sandbox's real PDS and PLC (child processes), real restic,
 * the S3 fixture (s3rver + aws-chunked decoding), the real keychain (run inside
 * scripts/with-keyring.sh). Randomized data, backup, more writes and deletions, restore; then the
 * fault drills that can be run on this computer.
 */
import { execFile } from 'node:child_process';
import { createHash, randomBytes, randomInt, randomUUID } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { AtpAgent } from '@atproto/api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { downloadSnapshot } from '../src/core/backups/download.ts';
import { BackupService, sandboxBackupHost, type BackupHost } from '../src/core/backups/index.ts';
import type { JobContext } from '../src/core/jobs/job-context.ts';
import { Redactor } from '../src/core/log/redact.ts';
import { Sandbox } from '../src/core/sandbox/index.ts';
import { KeyringSecretStore } from '../src/core/secrets/keyring-store.ts';
import type { BackupTargetFields } from '../src/shared/contract/backups.ts';
import { startS3Server, type S3Fixture } from './support/s3-server.ts';
import { watchFirehose, type FirehoseWatcher } from './support/firehose.ts';
import { hostFiles } from './support/host-files.ts';

function jobContext(onStep?: (step: string) => void, signal: AbortSignal = new AbortController().signal) {
  const steps: string[] = [];
  const logs: string[] = [];
  const ctx: JobContext = {
    id: `test-${randomUUID()}`,
    signal,
    progress: (_f, step) => {
      steps.push(step);
      onStep?.(step);
    },
    log: (message) => logs.push(message),
  };
  return { ctx, steps, logs };
}

interface Account {
  handle: string;
  password: string;
  did: string;
  agent: AtpAgent;
}

/** Starts with PNG magic so the PDS sniffs it as an image. */
const fakePng = (size: number) => Buffer.concat([Buffer.from('89504e470d0a1a0a', 'hex'), randomBytes(size)]);

interface RepoState {
  cid: string;
  rev: string;
  records: string[];
  blobs: Map<string, string>;
}

async function repoState(pdsUrl: string, did: string): Promise<RepoState> {
  const agent = new AtpAgent({ service: pdsUrl });
  const head = await agent.com.atproto.sync.getLatestCommit({ did });
  const records: string[] = [];
  for (const collection of ['app.bsky.feed.post', 'app.bsky.feed.like', 'app.bsky.graph.follow']) {
    const list = await agent.com.atproto.repo.listRecords({ repo: did, collection, limit: 100 });
    records.push(...list.data.records.map((r) => `${r.uri} ${r.cid}`));
  }
  const blobs = new Map<string, string>();
  const cids = (await agent.com.atproto.sync.listBlobs({ did, limit: 500 })).data.cids;
  for (const cid of cids) {
    const res = await fetch(`${pdsUrl}/xrpc/com.atproto.sync.getBlob?did=${did}&cid=${cid}`);
    expect(res.status).toBe(200);
    blobs.set(cid, createHash('sha256').update(Buffer.from(await res.arrayBuffer())).digest('hex'));
  }
  return { cid: head.data.cid, rev: head.data.rev, records: records.sort(), blobs };
}

async function stateOf(pdsUrl: string, accounts: Account[]) {
  const out = new Map<string, RepoState>();
  for (const a of accounts) out.set(a.did, await repoState(pdsUrl, a.did));
  return out;
}

async function filesUnder(dir: string): Promise<string[]> {
  const found: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true, recursive: true })) {
    if (entry.isFile()) found.push(join(entry.parentPath, entry.name));
  }
  return found;
}

describe('backups of a real PDS (sandbox) to S3 with restic', () => {
  let dataDir: string;
  let s3: S3Fixture;
  let store: KeyringSecretStore;
  let redactor: Redactor;
  let sandbox: Sandbox;
  let service: BackupService;
  let host: BackupHost;
  let pdsUrl: string;
  let plcUrl: string;
  let firehose: FirehoseWatcher | undefined;
  let target: BackupTargetFields;
  const accounts: Account[] = [];
  let before: Map<string, RepoState>;
  let firstSnapshot = '';
  let oldSession: { accessJwt: string; refreshJwt: string };

  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'hearth-backups-'));
    s3 = await startS3Server({ buckets: ['hearth-backups', 'other-bucket'] });
    redactor = new Redactor();
    store = new KeyringSecretStore({ service: `hearth-test-${randomUUID()}`, redactor });
    sandbox = new Sandbox({ dataDir, secrets: store, redactor });
    const started = await sandbox.start(jobContext().ctx);
    pdsUrl = started.pdsUrl;
    plcUrl = started.plcUrl;
    service = new BackupService({ dataDir, secrets: store, redactor });
    host = sandboxBackupHost({ dataDir, sandbox, name: 'This computer (sandbox)', files: hostFiles });
    target = { endpoint: s3.endpoint, region: s3.region, bucket: 'hearth-backups', prefix: 'sandbox', pathStyle: true, accessKeyId: s3.accessKeyId };
  });

  afterAll(async () => {
    await firehose?.close();
    await sandbox?.remove().catch(() => undefined);
    await s3?.close();
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  });

  it('fills the PDS with randomized accounts, posts, likes, follows and blobs', async () => {
    // A consumer as a relay is one, from the start: it keeps its cursor through every restart.
    firehose = watchFirehose(pdsUrl, { plcUrl });
    const n = 3 + randomInt(3);
    for (let i = 0; i < n; i++) {
      const agent = new AtpAgent({ service: pdsUrl });
      const handle = `user${i}-${randomBytes(3).toString('hex')}.test`;
      const password = `pw-${randomUUID()}`;
      const res = await agent.createAccount({ handle, email: `${handle}@example.com`, password });
      accounts.push({ handle, password, did: res.data.did, agent });
    }
    for (const a of accounts) {
      for (let p = 0; p < 2 + randomInt(5); p++) {
        if (randomInt(2) === 0) {
          const blob = await a.agent.uploadBlob(fakePng(1000 + randomInt(50_000)), { encoding: 'image/png' });
          await a.agent.post({ text: `pic ${randomUUID()}`, embed: { $type: 'app.bsky.embed.images', images: [{ image: blob.data.blob, alt: 'x' }] } });
        } else {
          await a.agent.post({ text: `post ${randomUUID()}` });
        }
      }
    }
    for (const a of accounts) {
      for (const b of accounts) {
        if (a === b || randomInt(3) === 0) continue;
        await a.agent.follow(b.did);
        const posts = await a.agent.com.atproto.repo.listRecords({ repo: b.did, collection: 'app.bsky.feed.post', limit: 3 });
        for (const p of posts.data.records) await a.agent.like(p.uri, p.cid);
      }
    }
    const first = accounts[0]!;
    oldSession = { accessJwt: first.agent.session!.accessJwt, refreshJwt: first.agent.session!.refreshJwt };
    before = await stateOf(pdsUrl, accounts);
    expect([...before.values()].some((s) => s.blobs.size > 0)).toBe(true);
  });

  it('Test connection writes, reads and deletes a probe; wrong bucket and wrong keys are named', async () => {
    const ok = await service.testConnection('sandbox', target, s3.secretAccessKey);
    expect(ok.ok).toBe(true);
    expect(await s3.keys('hearth-backups', 'sandbox/')).toEqual([]);
    await expect(service.testConnection('sandbox', { ...target, bucket: 'no-such-bucket' }, s3.secretAccessKey)).rejects.toMatchObject({
      code: 'NOT_FOUND',
      message: expect.stringContaining('no-such-bucket'),
    });
    await expect(service.testConnection('sandbox', target, 'wrong-secret')).rejects.toMatchObject({ code: 'AUTH' });
    await expect(service.testConnection('sandbox', { ...target, accessKeyId: 'NOSUCHKEY' }, s3.secretAccessKey)).rejects.toMatchObject({ code: 'AUTH' });
  });

  it('sets up the target (secrets only in the keychain) and backs up: snapshot tagged with the account count', async () => {
    await service.configure(host, target, s3.secretAccessKey, { onCalendar: '*-*-* 03:30:00', keepDaily: 7, keepWeekly: 4, keepMonthly: 12 });
    expect(await store.get('sandbox/backup-s3-secret')).toBe(s3.secretAccessKey);
    expect((await store.get('sandbox/restic-password'))?.length).toBeGreaterThan(30);

    const { ctx, steps } = jobContext();
    const result = await service.backup(host, ctx);
    expect(steps).toContain("Copying databases with SQLite's backup API");
    expect(result).toMatchObject({ ok: true, accounts: accounts.length });
    firstSnapshot = String(result.snapshotId);
    const snaps = await service.snapshots(host);
    expect(snaps).toHaveLength(1);
    expect(snaps[0]).toMatchObject({ shortId: firstSnapshot.slice(0, 8), accounts: accounts.length, kind: 'manual' });
    expect(snaps[0]!.bytesAdded).toBeGreaterThan(0);
    expect(snaps[0]!.size).toBeGreaterThan(0);
    const status = await service.status(host);
    expect(status).toMatchObject({ failing: false, lastSuccess: { snapshotId: firstSnapshot, accounts: accounts.length } });

    // Neither the repository password nor the S3 secret is in any file on this computer.
    const secrets = [s3.secretAccessKey, (await store.get('sandbox/restic-password'))!];
    for (const file of await filesUnder(dataDir)) {
      if (file.endsWith('.sqlite') || file.includes('/blocks/')) continue;
      const text = await readFile(file, 'latin1');
      for (const secret of secrets) expect(text.includes(secret), file).toBe(false);
    }
  });

  it('verify: restic check, a trial restore, every SQLite file passes integrity_check, account count matches', async () => {
    const result = await service.verify(host, jobContext().ctx);
    expect(result).toMatchObject({ ok: true, accounts: accounts.length });
    expect(Number(result.databases)).toBeGreaterThanOrEqual(3 + accounts.length);
  });

  it('Download to this computer: an encrypted restic copy of the snapshot in the Downloads folder', async () => {
    const downloads = join(dataDir, 'Downloads');
    {
      const where = await downloadSnapshot(service, host, firstSnapshot, jobContext().ctx, downloads);
      expect(where).toBe(join(downloads, 'hearth-backup-sandbox'));
      const password = (await store.get('sandbox/restic-password'))!;
      const { stdout } = await promisify(execFile)('restic', ['snapshots', '--json'], { env: { ...process.env, RESTIC_REPOSITORY: where, RESTIC_PASSWORD: password } });
      // restic copy gives the copy its own id and remembers the original's.
      expect((JSON.parse(stdout) as { original?: string }[]).map((s) => s.original?.slice(0, 8))).toContain(firstSnapshot.slice(0, 8));
      // Encrypted: no account's handle appears in any file of the copy.
      for (const file of await filesUnder(where)) expect((await readFile(file, 'latin1')).includes(accounts[0]!.handle)).toBe(false);
    }
  });

  it('restores the snapshot after more writes and deletions: heads, blobs, passwords and old sessions as at backup time', async () => {
    // After the snapshot: new posts and blobs, deletions, a new account.
    for (const a of accounts) {
      await a.agent.post({ text: `after ${randomUUID()}` });
      const posts = await a.agent.com.atproto.repo.listRecords({ repo: a.did, collection: 'app.bsky.feed.post', limit: 1 });
      const victim = posts.data.records[0];
      if (victim) await a.agent.deletePost(victim.uri);
    }
    const extra = new AtpAgent({ service: pdsUrl });
    const late = await extra.createAccount({ handle: `late-${randomBytes(3).toString('hex')}.test`, email: 'late@example.com', password: 'late-password-1' });
    const blob = await accounts[0]!.agent.uploadBlob(fakePng(20_000), { encoding: 'image/png' });
    await accounts[0]!.agent.post({ text: 'late pic', embed: { $type: 'app.bsky.embed.images', images: [{ image: blob.data.blob, alt: 'late' }] } });
    const changed = await stateOf(pdsUrl, accounts);
    for (const a of accounts) expect(changed.get(a.did)!.rev).not.toBe(before.get(a.did)!.rev);

    const plan = await service.restorePlan(host, firstSnapshot);
    expect(plan.now.accounts).toBe(accounts.length + 1);
    expect(plan.then.accounts).toBe(accounts.length);
    expect(plan.repos.find((r) => r.did === late.data.did)?.change).toBe('removed');
    for (const a of accounts) expect(plan.repos.find((r) => r.did === a.did)?.change).toBe('reverted');

    const { ctx, steps } = jobContext();
    const result = await service.restore(host, ctx, firstSnapshot);
    expect(result.safetySnapshotId).toMatch(/^[0-9a-f]{8,64}$/);
    expect(steps).toEqual(expect.arrayContaining(['Taking a safety snapshot of the current data', 'Stopping the PDS', 'Starting the PDS', 'Restored']));

    const after = await stateOf(pdsUrl, accounts);
    for (const a of accounts) {
      const want = before.get(a.did)!;
      const got = after.get(a.did)!;
      expect({ cid: got.cid, rev: got.rev }).toEqual({ cid: want.cid, rev: want.rev });
      expect(got.records).toEqual(want.records);
      expect([...got.blobs.entries()].sort()).toEqual([...want.blobs.entries()].sort());
    }
    for (const a of accounts) {
      const agent = new AtpAgent({ service: pdsUrl });
      await agent.login({ identifier: a.handle, password: a.password });
      expect(agent.session?.did).toBe(a.did);
    }
    // A session issued before the backup still works (same JWT secret, refresh token in the snapshot).
    const session = await fetch(`${pdsUrl}/xrpc/com.atproto.server.getSession`, { headers: { authorization: `Bearer ${oldSession.accessJwt}` } });
    expect(session.status).toBe(200);
    const refreshed = await fetch(`${pdsUrl}/xrpc/com.atproto.server.refreshSession`, { method: 'POST', headers: { authorization: `Bearer ${oldSession.refreshJwt}` } });
    expect(refreshed.status).toBe(200);
    // The account made after the snapshot is gone from this PDS.
    const gone = await fetch(`${pdsUrl}/xrpc/com.atproto.sync.getLatestCommit?did=${late.data.did}`);
    expect(gone.ok).toBe(false);

    // The firehose went on past everything the consumer saw before the restore (the sequencer
    // came back from the snapshot, behind it): a post written now reaches it.
    expect(steps.some((step) => /^Moving the firehose sequence from \d+ to \d+/.test(step))).toBe(true);
    const seen = firehose!.highest();
    expect(seen).toBeGreaterThan(0);
    await accounts[0]!.agent.login({ identifier: accounts[0]!.handle, password: accounts[0]!.password });
    await accounts[0]!.agent.post({ text: 'after the restore' });
    expect(await firehose!.nextAbove(seen)).toBeGreaterThan(seen);

    const snaps = await service.snapshots(host);
    expect(snaps.map((s) => s.kind)).toContain('pre-restore');
  });

  it('S3 unreachable during a backup: a clear error, the status says so, the next run succeeds', async () => {
    await s3.stop();
    try {
      await expect(service.backup(host, jobContext().ctx)).rejects.toMatchObject({ code: 'NETWORK', message: expect.stringContaining('unreachable') });
      const status = await service.status(host);
      expect(status?.failing).toBe(true);
      expect(status?.lastError?.message).toContain('unreachable');
    } finally {
      await s3.start();
    }
    const result = await service.backup(host, jobContext().ctx);
    expect(result.ok).toBe(true);
    expect((await service.status(host))?.failing).toBe(false);
  });

  it('a backup killed mid-upload leaves a repository that passes restic check, and the next backup works', async () => {
    const idsBefore = (await service.snapshots(host)).map((s) => s.id);
    // New data so there is something to upload.
    for (let i = 0; i < 3; i++) {
      const blob = await accounts[1]!.agent.uploadBlob(fakePng(900_000), { encoding: 'image/png' });
      await accounts[1]!.agent.post({ text: `big ${i}`, embed: { $type: 'app.bsky.embed.images', images: [{ image: blob.data.blob, alt: 'big' }] } });
    }
    const puts = s3.putCount();
    const abort = new AbortController();
    const { ctx } = jobContext(undefined, abort.signal);
    const timer = setInterval(() => {
      if (s3.putCount() > puts) abort.abort();
    }, 5);
    try {
      await expect(service.backup(host, ctx)).rejects.toMatchObject({ name: 'AbortError' });
    } finally {
      clearInterval(timer);
    }
    expect(s3.putCount()).toBeGreaterThan(puts);
    expect((await service.snapshots(host)).map((s) => s.id)).toEqual(idsBefore);
    await expect(service.verify(host, jobContext().ctx)).resolves.toMatchObject({ ok: true });
    const next = await service.backup(host, jobContext().ctx);
    expect(next.ok).toBe(true);
    const newest = (await service.snapshots(host))[0]!;
    expect(newest.shortId).toBe(String(next.snapshotId).slice(0, 8));
    expect(idsBefore).not.toContain(newest.id);
  });

  it('the PDS killed mid-restore: automatic rollback leaves the pre-restore data exactly as it was', async () => {
    const live = await stateOf(pdsUrl, accounts);
    const keyHashes = async () => {
      const out: string[] = [];
      for (const f of (await filesUnder(sandbox.paths.pdsData)).filter((p) => p.endsWith('/key') || p.includes('/blocks/')).sort()) {
        out.push(`${f} ${createHash('sha256').update(await readFile(f)).digest('hex')}`);
      }
      return out;
    };
    const filesBefore = await keyHashes();
    const { ctx, logs } = jobContext((step) => {
      if (step === 'Checking the restored data') {
        const pid = sandbox.pids().pds;
        if (pid) process.kill(pid, 'SIGKILL');
      }
    });
    const latest = (await service.snapshots(host)).find((s) => s.kind !== 'pre-restore')!;
    await expect(service.restore(host, ctx, latest.id)).rejects.toMatchObject({
      message: expect.stringContaining('put the server back exactly as it was before'),
    });
    expect(logs.join('\n')).toContain('Rolled back');
    expect(sandbox.status().state).toBe('running');
    const after = await stateOf(pdsUrl, accounts);
    for (const a of accounts) expect(after.get(a.did)).toEqual(live.get(a.did));
    expect(await keyHashes()).toEqual(filesBefore);
  });

  it('a wrong repository password: a clear error, nothing restored, live data untouched', async () => {
    const live = await stateOf(pdsUrl, accounts);
    const right = (await store.get('sandbox/restic-password'))!;
    await store.set('sandbox/restic-password', 'not-the-password');
    try {
      await expect(service.snapshots(host)).rejects.toMatchObject({ code: 'AUTH', message: expect.stringContaining('wrong password') });
      await expect(service.restore(host, jobContext().ctx, firstSnapshot.slice(0, 8))).rejects.toMatchObject({ code: 'AUTH' });
      await expect(service.backup(host, jobContext().ctx)).rejects.toMatchObject({ code: 'AUTH', message: expect.stringContaining('password') });
    } finally {
      await store.set('sandbox/restic-password', right);
    }
    expect(await stateOf(pdsUrl, accounts)).toEqual(live);
  });

  it('wrong keys: the backup fails with AUTH and says the store refused the keys', async () => {
    await store.set('sandbox/backup-s3-secret', 'wrong-secret');
    try {
      await expect(service.backup(host, jobContext().ctx)).rejects.toMatchObject({ code: 'AUTH', message: expect.stringContaining('refused the access keys') });
    } finally {
      await store.set('sandbox/backup-s3-secret', s3.secretAccessKey);
    }
  });

  it('a corrupted pack: verify and restore fail clearly, live data untouched', async () => {
    const live = await stateOf(pdsUrl, accounts);
    const packs = await s3.keys('hearth-backups', 'sandbox/data/');
    for (const pack of packs) await s3.corrupt('hearth-backups', pack);
    await expect(service.verify(host, jobContext().ctx)).rejects.toMatchObject({ message: expect.stringContaining('damaged') });
    const latest = (await service.snapshots(host))[0]!;
    await expect(service.restore(host, jobContext().ctx, latest.id)).rejects.toThrow();
    expect(sandbox.status().state).toBe('running');
    expect(await stateOf(pdsUrl, accounts)).toEqual(live);
  });
});
