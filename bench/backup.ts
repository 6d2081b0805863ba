/**
 * Backups of a 100-account PDS (the sandbox's real PDS, real restic, the local S3 server), measured
 * against what people do by hand today, in the same run:
 *   1. after 1 % of the records changed: Hearth's incremental backup vs a full `sqlite3 .backup` of
 *      every database + tar + gzip + upload of the archive. Goal ≤ 0.2× the time, ≤ 0.05× the bytes.
 *      Bytes are what each sends to the store: the archive's size, and how much the restic
 *      repository grew (packs, index, snapshot: encrypted and compressed). restic's own data_added
 *      (the new chunks before compression, what Hearth shows as "bytes added") is printed too.
 *      The incremental run is the daily run: retention (forget + prune) runs once a week, in the
 *      first backup here; a weekly run with retention is timed at the end for reference.
 *   2. restoring the snapshot (restic restore) vs downloading the same archive. Goal ≤ 1.5×.
 * Uploads and downloads go through the S3 fixture limited to 10 MB/s (loopback would make any
 * amount of data free to move, which no real link is).
 * Needs the keychain session (scripts/with-keyring.sh node scripts/bench.mjs backup).
 */
import { execFile } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { copyFile, mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { promisify } from 'node:util';
import { AtpAgent } from '@atproto/api';
import { GetObjectCommand, ListObjectsV2Command, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { BackupService, s3ClientFor, sandboxBackupHost } from '../src/core/backups/index.ts';
import type { JobContext } from '../src/core/jobs/job-context.ts';
import { Redactor } from '../src/core/log/redact.ts';
import { Sandbox } from '../src/core/sandbox/index.ts';
import { KeyringSecretStore } from '../src/core/secrets/keyring-store.ts';
import { startS3Server } from '../test/support/s3-server.ts';
import { hostFiles } from '../test/support/host-files.ts';

const ACCOUNTS = 100;
const POSTS_PER_ACCOUNT = 10;
/** Images dominate a real PDS's storage (see the reference guides): some posts carry one. */
const IMAGES_PER_ACCOUNT = 3;
const IMAGE_BYTES = 150_000;
/** Both sides go through the same simulated link to the store: 10 MB/s, a good home or small-VPS uplink. */
const LINK_BYTES_PER_SECOND = 10_000_000;
const run = promisify(execFile);
const ctx: JobContext = { id: 'bench', signal: new AbortController().signal, progress: () => undefined, log: () => undefined };
const time = async <T>(fn: () => Promise<T>): Promise<[T, number]> => {
  const t0 = performance.now();
  const value = await fn();
  return [value, performance.now() - t0];
};
const fmt = (ms: number) => `${(ms / 1000).toFixed(2)} s`;
const mb = (n: number) => `${(n / 1024 / 1024).toFixed(2)} MB`;
/** Bytes stored under a prefix of the bucket: what was uploaded there (nothing is deleted between two reads here). */
async function storedBytes(client: S3Client, bucket: string, prefix: string): Promise<number> {
  let total = 0;
  let token: string | undefined;
  do {
    const page = await client.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ContinuationToken: token }));
    for (const object of page.Contents ?? []) total += object.Size ?? 0;
    token = page.NextContinuationToken;
  } while (token);
  return total;
}
/** A job context that records when each step of the backup script began. */
function timedContext(): { ctx: JobContext; steps: { at: number; step: string }[] } {
  const steps: { at: number; step: string }[] = [];
  const t0 = performance.now();
  return { ctx: { ...ctx, progress: (_f, step) => steps.push({ at: performance.now() - t0, step }) }, steps };
}
/** "goal met" or what is missing, in plain words. */
const verdict = (ratio: number, goal: number) => (ratio <= goal ? 'goal met' : `GOAL NOT MET: ${(ratio / goal).toFixed(2)}× over`);

const dataDir = await mkdtemp(join(tmpdir(), 'hearth-bench-backup-'));
const s3 = await startS3Server({ bytesPerSecond: LINK_BYTES_PER_SECOND });
const redactor = new Redactor();
const store = new KeyringSecretStore({ service: `hearth-bench-${randomUUID()}`, redactor });
const sandbox = new Sandbox({ dataDir, secrets: store, redactor });
try {
  const { pdsUrl } = await sandbox.start(ctx);
  console.log(`Filling the PDS: ${ACCOUNTS} accounts × ${POSTS_PER_ACCOUNT} posts, ${IMAGES_PER_ACCOUNT} of them with a ${IMAGE_BYTES / 1000} KB image…`);
  const agents: AtpAgent[] = [];
  for (let i = 0; i < ACCOUNTS; i++) {
    const agent = new AtpAgent({ service: pdsUrl });
    await agent.createAccount({ handle: `bench${i}.test`, email: `b${i}@example.com`, password: `pw-${randomUUID()}` });
    for (let p = 0; p < POSTS_PER_ACCOUNT; p++) {
      if (p < IMAGES_PER_ACCOUNT) {
        const png = Buffer.concat([Buffer.from('89504e470d0a1a0a', 'hex'), randomBytes(IMAGE_BYTES)]);
        const blob = await agent.uploadBlob(png, { encoding: 'image/png' });
        await agent.post({ text: `picture ${p} of account ${i}`, embed: { $type: 'app.bsky.embed.images', images: [{ image: blob.data.blob, alt: '' }] } });
      } else {
        await agent.post({ text: `post ${p} of account ${i}: ${randomUUID()} ${'lorem ipsum '.repeat(10)}` });
      }
    }
    agents.push(agent);
  }
  const service = new BackupService({ dataDir, secrets: store, redactor });
  const host = sandboxBackupHost({ dataDir, sandbox, name: 'bench', files: hostFiles });
  const target = { endpoint: s3.endpoint, region: s3.region, bucket: 'hearth-backups', prefix: 'bench', pathStyle: true, accessKeyId: s3.accessKeyId };
  await service.configure(host, target, s3.secretAccessKey, { onCalendar: '*-*-* 03:30:00', keepDaily: 7, keepWeekly: 4, keepMonthly: 12 });
  const [, firstMs] = await time(() => service.backup(host, ctx));
  const client = s3ClientFor(target, s3.secretAccessKey);

  // 1 % of the records change.
  const changes = Math.ceil((ACCOUNTS * POSTS_PER_ACCOUNT) / 100);
  for (let i = 0; i < changes; i++) await agents[(i * 7) % ACCOUNTS]!.post({ text: `changed ${randomUUID()}` });

  const storedBefore = await storedBytes(client, target.bucket, `${target.prefix}/`);
  const timed = timedContext();
  const [incremental, incrementalMs] = await time(() => service.backup(host, timed.ctx));
  const incrementalBytes = (await storedBytes(client, target.bucket, `${target.prefix}/`)) - storedBefore;
  const dataAdded = Number(incremental.bytesAdded);

  // Baseline, by hand: sqlite3 .backup of every database + keys + blobs, tar + gzip, upload.
  const work = join(dataDir, 'by-hand');
  const [archiveBytes, fullMs] = await time(async () => {
    const stage = join(work, 'stage');
    for (const entry of await readdir(sandbox.paths.pdsData, { recursive: true, withFileTypes: true })) {
      if (!entry.isFile()) continue;
      const from = join(entry.parentPath, entry.name);
      const rel = relative(sandbox.paths.pdsData, from);
      if (/-(wal|shm)$/.test(rel) || rel.startsWith('tmp')) continue;
      await mkdir(dirname(join(stage, rel)), { recursive: true });
      if (rel.endsWith('.sqlite')) await run('sqlite3', [from, `.backup '${join(stage, rel)}'`]);
      else await copyFile(from, join(stage, rel));
    }
    const archive = join(work, 'pds.tar.gz');
    await run('tar', ['czf', archive, '-C', stage, '.']);
    await client.send(new PutObjectCommand({ Bucket: 'hearth-backups', Key: 'by-hand/pds.tar.gz', Body: await readFile(archive) }));
    return (await stat(archive)).size;
  });

  // Restore: restic restore of the snapshot vs downloading the archive.
  const access = await service.resticAccess('sandbox');
  const [, restoreMs] = await time(() =>
    run('restic', [...access.options, 'restore', 'latest', '--target', join(work, 'restored')], { env: { ...process.env, ...access.env, RESTIC_REPOSITORY: access.repository } }),
  );
  const [, downloadMs] = await time(async () => {
    const got = await client.send(new GetObjectCommand({ Bucket: 'hearth-backups', Key: 'by-hand/pds.tar.gz' }));
    await writeFile(join(work, 'downloaded.tar.gz'), await got.Body!.transformToByteArray());
  });

  // For reference: the weekly run, which also applies retention (forget + prune).
  await writeFile(join(host.stateDir, 'last-prune'), `${Math.floor(Date.now() / 1000) - 8 * 86400}\n`);
  for (let i = 0; i < changes; i++) await agents[(i * 7 + 3) % ACCOUNTS]!.post({ text: `changed again ${randomUUID()}` });
  const [, weeklyMs] = await time(() => service.backup(host, ctx));
  client.destroy();

  console.log(`first Hearth backup (everything):             ${fmt(firstMs)}`);
  console.log(`Hearth incremental backup after 1 % changed:   ${fmt(incrementalMs)}, ${mb(incrementalBytes)} sent to the store (restic's data_added before compression: ${mb(dataAdded)})`);
  const steps = timed.steps.map((s, i) => `${s.step} ${fmt((timed.steps[i + 1]?.at ?? incrementalMs) - s.at)}`);
  console.log(`  where the time went: before the script's first step ${fmt(timed.steps[0]?.at ?? 0)}; ${steps.join('; ')}`);
  console.log(`by hand: .backup + tar + gzip + upload:        ${fmt(fullMs)}, ${mb(archiveBytes)} sent to the store`);
  const timeRatio = incrementalMs / fullMs;
  const byteRatio = incrementalBytes / archiveBytes;
  const dataAddedRatio = dataAdded / archiveBytes;
  console.log(`ratio time ${timeRatio.toFixed(3)}× (goal ≤ 0.2×: ${verdict(timeRatio, 0.2)})`);
  console.log(`ratio bytes sent ${byteRatio.toFixed(3)}× (goal ≤ 0.05×: ${verdict(byteRatio, 0.05)})`);
  console.log(
    `  data_added / archive ${dataAddedRatio.toFixed(3)}×${dataAddedRatio > 0.05 ? ` (${(dataAddedRatio / 0.05).toFixed(2)}× over 0.05 before compression: restic 0.14 cuts chunks of at least 512 KiB, so a changed database smaller than that (every account's store.sqlite here) is new data whole, and every write touches each of sequencer.sqlite's few chunks; compression takes them down to the bytes sent above)` : ''}`,
  );
  const restoreRatio = restoreMs / downloadMs;
  console.log(`restore (restic restore): ${fmt(restoreMs)}; download of the archive: ${fmt(downloadMs)}`);
  console.log(`ratio ${restoreRatio.toFixed(2)}× (goal ≤ 1.5×: ${verdict(restoreRatio, 1.5)})`);
  console.log(`for reference, the weekly run (incremental + forget + prune): ${fmt(weeklyMs)}, ${(weeklyMs / fullMs).toFixed(3)}× the by-hand backup`);
} finally {
  await sandbox.remove().catch(() => undefined);
  await s3.close();
  await rm(dataDir, { recursive: true, force: true });
}
