/**
 * "Test connection": write, read back and delete a small probe object, so a wrong endpoint,
 * bucket or key shows up now, in plain words, instead of at 3 a.m. in the first backup.
 */
import { randomBytes } from 'node:crypto';
import { DeleteObjectCommand, GetObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { HearthError } from '../../shared/errors.ts';
import type { BackupTargetFields } from '../../shared/contract/backups.ts';

export function s3ClientFor(target: BackupTargetFields, secretAccessKey: string): S3Client {
  return new S3Client({
    endpoint: target.endpoint,
    region: target.region || 'us-east-1',
    forcePathStyle: target.pathStyle,
    credentials: { accessKeyId: target.accessKeyId, secretAccessKey },
    // Newer SDKs send checksummed aws-chunked bodies by default, which several S3-compatible
    // stores (and older MinIO/Spaces) reject or store mangled; only send checksums when required.
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
    maxAttempts: 2,
  });
}

export async function probeTarget(target: BackupTargetFields, secretAccessKey: string, signal?: AbortSignal): Promise<{ ms: number }> {
  const client = s3ClientFor(target, secretAccessKey);
  const key = `${target.prefix ? `${target.prefix.replace(/\/+$/, '')}/` : ''}hearth-probe-${randomBytes(6).toString('hex')}`;
  const body = randomBytes(64).toString('hex');
  const started = Date.now();
  const opts = signal ? { abortSignal: signal } : {};
  try {
    await client.send(new PutObjectCommand({ Bucket: target.bucket, Key: key, Body: body, ContentType: 'text/plain' }), opts);
    const got = await client.send(new GetObjectCommand({ Bucket: target.bucket, Key: key }), opts);
    const text = await got.Body?.transformToString();
    if (text !== body) {
      throw new HearthError('INTERNAL', 'The store accepted a test file but gave back different bytes.', 'This store is not safe for backups; choose another one.');
    }
    await client.send(new DeleteObjectCommand({ Bucket: target.bucket, Key: key }), opts);
    return { ms: Date.now() - started };
  } catch (err) {
    throw explainS3Error(err, target);
  } finally {
    client.destroy();
  }
}

export function explainS3Error(err: unknown, target: BackupTargetFields): HearthError {
  if (err instanceof HearthError) return err;
  const e = err as { name?: string; code?: string; message?: string; $metadata?: { httpStatusCode?: number }; cause?: { code?: string } };
  const name = e.name ?? '';
  const code = e.code ?? e.cause?.code ?? '';
  if (name === 'AbortError') return new HearthError('CANCELLED', 'Cancelled.', '');
  if (name === 'NoSuchBucket') {
    return new HearthError('NOT_FOUND', `The bucket "${target.bucket}" does not exist at ${target.endpoint}.`, 'Check the bucket name (and region), or create the bucket in your provider’s console.');
  }
  if (['InvalidAccessKeyId', 'SignatureDoesNotMatch', 'AccessDenied', 'InvalidToken', 'Forbidden'].includes(name) || e.$metadata?.httpStatusCode === 403) {
    return new HearthError('AUTH', 'The store refused these access keys.', 'Check the access key and secret key, and that the key may write to this bucket.');
  }
  if (['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'ETIMEDOUT', 'ECONNRESET', 'EHOSTUNREACH'].includes(code) || /ECONNREFUSED|ENOTFOUND|getaddrinfo|socket hang up|timed? ?out/i.test(e.message ?? '')) {
    return new HearthError('NETWORK', `Could not reach the store at ${target.endpoint}.`, 'Check the endpoint address and your network, then test again.');
  }
  return new HearthError('UNAVAILABLE', `The store answered with an error: ${name || 'unknown error'}.`, 'Check the endpoint, region and path-style setting, then test again.');
}
