/**
 * The S3 fixture behaves like a real store for the two clients Hearth uses: restic (aws-chunked
 * uploads, a repository that passes `check --read-data` and restores byte for byte) and the AWS SDK.
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { DeleteObjectCommand, GetObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startS3Server, type S3Fixture } from './support/s3-server.ts';

const exec = promisify(execFile);

describe('S3 fixture', () => {
  let s3: S3Fixture;
  let work: string;
  const env = () => ({
    ...process.env,
    AWS_ACCESS_KEY_ID: s3.accessKeyId,
    AWS_SECRET_ACCESS_KEY: s3.secretAccessKey,
    RESTIC_REPOSITORY: `s3:${s3.endpoint}/hearth-backups/fixture`,
    RESTIC_PASSWORD: 'fixture-password',
  });
  const restic = (args: string[], extra: Record<string, string> = {}) =>
    exec('restic', ['-o', 's3.bucket-lookup=path', ...args], { env: { ...env(), ...extra } });

  beforeAll(async () => {
    s3 = await startS3Server();
    work = await mkdtemp(join(tmpdir(), 'hearth-s3-test-'));
  });
  afterAll(async () => {
    await s3?.close();
    if (work) await rm(work, { recursive: true, force: true });
  });

  it('holds a restic repository that checks clean and restores byte for byte', async () => {
    const data = join(work, 'data');
    await exec('mkdir', ['-p', data]);
    const big = randomBytes(3_000_000);
    await writeFile(join(data, 'big.bin'), big);
    await writeFile(join(data, 'small.txt'), 'hello');
    await restic(['init']);
    await restic(['backup', '--tag', 'fixture', data]);
    const { stdout } = await restic(['check', '--read-data']);
    expect(stdout).toContain('no errors were found');
    const target = join(work, 'restore');
    await restic(['restore', 'latest', '--target', target]);
    expect((await readFile(join(target, data, 'big.bin'))).equals(big)).toBe(true);
  });

  it('refuses a wrong secret key, a missing bucket and a wrong password', async () => {
    await expect(restic(['snapshots'], { AWS_SECRET_ACCESS_KEY: 'wrong' })).rejects.toMatchObject({ stderr: expect.stringContaining('signature') });
    await expect(restic(['snapshots'], { RESTIC_REPOSITORY: `s3:${s3.endpoint}/no-such-bucket/x` })).rejects.toMatchObject({
      stderr: expect.stringContaining('bucket does not exist'),
    });
    await expect(restic(['snapshots'], { RESTIC_PASSWORD: 'wrong' })).rejects.toMatchObject({ stderr: expect.stringContaining('wrong password') });
  });

  it('can be made unreachable and back, and a corrupted pack fails restic check', async () => {
    await s3.stop();
    await expect(restic(['snapshots'])).rejects.toMatchObject({ stderr: expect.stringContaining('connection refused') });
    await s3.start();
    await restic(['snapshots']);
    const packs = await s3.keys('hearth-backups', 'fixture/data/');
    expect(packs.length).toBeGreaterThan(0);
    await s3.corrupt('hearth-backups', packs[0] ?? '');
    await expect(restic(['check', '--read-data'])).rejects.toMatchObject({ stderr: expect.stringContaining('does not match') });
  });

  it('serves the AWS SDK (streamed upload, read back, delete)', async () => {
    const client = new S3Client({
      endpoint: s3.endpoint,
      region: s3.region,
      forcePathStyle: true,
      credentials: { accessKeyId: s3.accessKeyId, secretAccessKey: s3.secretAccessKey },
    });
    const body = randomBytes(100_000);
    await client.send(new PutObjectCommand({ Bucket: 'hearth-backups', Key: 'sdk/probe', Body: body }));
    const got = await client.send(new GetObjectCommand({ Bucket: 'hearth-backups', Key: 'sdk/probe' }));
    expect(Buffer.from(await got.Body!.transformToByteArray()).equals(body)).toBe(true);
    await client.send(new DeleteObjectCommand({ Bucket: 'hearth-backups', Key: 'sdk/probe' }));
    expect(await s3.keys('hearth-backups', 'sdk/')).toEqual([]);
    const wrong = new S3Client({
      endpoint: s3.endpoint,
      region: s3.region,
      forcePathStyle: true,
      credentials: { accessKeyId: s3.accessKeyId, secretAccessKey: 'wrong' },
    });
    await expect(wrong.send(new PutObjectCommand({ Bucket: 'hearth-backups', Key: 'sdk/x', Body: 'x' }))).rejects.toMatchObject({ name: 'SignatureDoesNotMatch' });
  });
});
