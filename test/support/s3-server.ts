/**
 * A real S3-compatible server on 127.0.0.1 for tests: s3rver (npm), plus two things it lacks and
 * real stores have (DESIGN §5):
 *
 * - aws-chunked bodies (`STREAMING-AWS4-HMAC-SHA256-PAYLOAD`, `STREAMING-UNSIGNED-PAYLOAD-TRAILER`)
 *   are decoded before s3rver stores them. Without this s3rver keeps the chunk headers inside the
 *   objects and restic's repository is corrupt.
 * - SigV4 header signatures are verified against the fixture's secret key, so a wrong secret is
 *   refused as a real store would refuse it (s3rver checks only the access key id).
 *
 * It can be stopped (unreachable, data kept) and started again on the same port, and an object can
 * be corrupted on disk, for fault drills.
 */
import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import type { Server } from 'node:http';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';

interface KoaContext {
  req: NodeJS.ReadableStream & { headers: Record<string, string | string[] | undefined>; method?: string; url?: string };
  status: number;
  type: string;
  body: unknown;
}
type Middleware = (ctx: KoaContext, next: () => Promise<void>) => Promise<void>;
interface S3rverInstance {
  middleware: Middleware[];
  run(): Promise<{ port: number }>;
  close(): Promise<void>;
  httpServer?: Server;
}
interface S3rverClass {
  new (options: Record<string, unknown>): S3rverInstance;
}
interface AwsAccount {
  createKeyPair(accessKeyId: string, secretAccessKey: string): void;
  revokeAccessKey(accessKeyId: string): void;
}

const require = createRequire(import.meta.url);
const S3rver = require('s3rver') as S3rverClass;
const { DUMMY_ACCOUNT } = require('s3rver/lib/models/account') as { DUMMY_ACCOUNT: AwsAccount };

export interface S3Fixture {
  /** http://127.0.0.1:PORT — path-style only. */
  endpoint: string;
  port: number;
  region: string;
  accessKeyId: string;
  secretAccessKey: string;
  buckets: string[];
  /** Where s3rver keeps the objects on disk. */
  directory: string;
  running(): boolean;
  /** Makes the store unreachable (connections refused); objects are kept. */
  stop(): Promise<void>;
  /** Starts it again on the same port with the same objects. */
  start(): Promise<void>;
  /** Object keys in a bucket under a prefix, sorted. */
  keys(bucket: string, prefix?: string): Promise<string[]>;
  /** Flips bytes throughout a stored object, as bit rot or a bad disk would. */
  corrupt(bucket: string, key: string): Promise<void>;
  /** How many PUT requests arrived (all buckets), e.g. to see an upload was under way. */
  putCount(): number;
  close(): Promise<void>;
}

const OBJECT_SUFFIX = '._S3rver_object';

export async function startS3Server(
  options: {
    buckets?: string[];
    region?: string;
    /** Simulates a link of this many bytes per second (uploads and downloads alike); default unlimited. */
    bytesPerSecond?: number;
  } = {},
): Promise<S3Fixture> {
  const directory = await mkdtemp(join(tmpdir(), 'hearth-s3-'));
  const buckets = options.buckets ?? ['hearth-backups'];
  const region = options.region ?? 'us-east-1';
  const accessKeyId = `HEARTHTEST${randomBytes(6).toString('hex').toUpperCase()}`;
  const secretAccessKey = randomBytes(24).toString('base64url');
  DUMMY_ACCOUNT.createKeyPair(accessKeyId, secretAccessKey);
  const secrets = new Map([[accessKeyId, secretAccessKey]]);
  let puts = 0;
  const throttle = (bytes: number) =>
    options.bytesPerSecond && bytes > 0 ? new Promise((resolve) => setTimeout(resolve, (bytes / options.bytesPerSecond!) * 1000)) : Promise.resolve();

  let port = 0;
  let instance: S3rverInstance | null = null;

  const launch = async () => {
    const server = new S3rver({
      address: '127.0.0.1',
      port,
      directory,
      silent: true,
      vhostBuckets: false,
      configureBuckets: buckets.map((name) => ({ name })),
    });
    server.middleware.unshift(async (ctx, next) => {
      if (!verifySignature(ctx, secrets)) return;
      if (ctx.req.method === 'PUT') puts += 1;
      await decodeAwsChunked(ctx);
      await throttle(Number(header(ctx, 'content-length')) || 0);
      await next();
      const sent = (ctx as unknown as { response: { length?: number } }).response.length;
      if (ctx.req.method === 'GET') await throttle(sent ?? 0);
    });
    const address = await server.run();
    port = address.port;
    instance = server;
  };
  await launch();

  const stop = async () => {
    const server = instance;
    if (!server) return;
    instance = null;
    const closed = server.close();
    server.httpServer?.closeAllConnections();
    await closed;
  };

  return {
    endpoint: `http://127.0.0.1:${port}`,
    port,
    region,
    accessKeyId,
    secretAccessKey,
    buckets,
    directory,
    running: () => instance !== null,
    stop,
    start: async () => {
      if (!instance) await launch();
    },
    async keys(bucket, prefix = '') {
      const root = join(directory, bucket);
      const found: string[] = [];
      const walk = async (dir: string, rel: string) => {
        for (const entry of await readdir(dir, { withFileTypes: true }).catch(() => [])) {
          const path = join(dir, entry.name);
          const key = rel ? `${rel}/${entry.name}` : entry.name;
          if (entry.isDirectory()) await walk(path, key);
          else if (entry.name.endsWith(OBJECT_SUFFIX)) found.push(key.slice(0, -OBJECT_SUFFIX.length));
        }
      };
      await walk(root, '');
      return found.filter((k) => k.startsWith(prefix)).sort();
    },
    async corrupt(bucket, key) {
      const path = join(directory, bucket, `${key}${OBJECT_SUFFIX}`);
      const data = await readFile(path);
      // Every 256th byte: no blob in the object stays intact, whatever its size.
      for (let i = 0; i < data.length; i += 256) data[i] = (data[i] ?? 0) ^ 0xff;
      await writeFile(path, data);
    },
    putCount: () => puts,
    async close() {
      await stop();
      DUMMY_ACCOUNT.revokeAccessKey(accessKeyId);
      await rm(directory, { recursive: true, force: true });
    },
  };
}

/** RFC 3986 encoding as SigV4 wants it (encodeURIComponent leaves !'()* alone). */
const encodeRfc3986 = (s: string) => encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);

const header = (ctx: KoaContext, name: string): string => {
  const value = ctx.req.headers[name];
  return Array.isArray(value) ? value.join(',') : (value ?? '');
};

function refuse(ctx: KoaContext, status: number, code: string, message: string): false {
  ctx.status = status;
  ctx.type = 'application/xml';
  ctx.body = `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${code}</Code><Message>${message}</Message></Error>`;
  return false;
}

/**
 * Verifies an `Authorization: AWS4-HMAC-SHA256 …` header. Unknown access keys are left to s3rver
 * (it answers InvalidAccessKeyId); unsigned and presigned requests pass through unchanged.
 */
function verifySignature(ctx: KoaContext, secrets: Map<string, string>): boolean {
  const auth = header(ctx, 'authorization');
  const match = /^AWS4-HMAC-SHA256 Credential=([^/]+)\/(\d{8})\/([^/]+)\/([^/]+)\/aws4_request,\s*SignedHeaders=([^,]+),\s*Signature=([0-9a-f]+)$/.exec(auth);
  if (!match) return true;
  const [, keyId = '', date = '', region = '', service = '', signedHeaders = '', signature = ''] = match;
  const secret = secrets.get(keyId);
  if (!secret) return true;
  const url = ctx.req.url ?? '/';
  const q = url.indexOf('?');
  const path = q < 0 ? url : url.slice(0, q);
  const query = q < 0 ? '' : url.slice(q + 1);
  const canonicalQuery = query
    .split('&')
    .filter(Boolean)
    .map((pair) => {
      const eq = pair.indexOf('=');
      const k = decodeURIComponent((eq < 0 ? pair : pair.slice(0, eq)).replace(/\+/g, ' '));
      const v = eq < 0 ? '' : decodeURIComponent(pair.slice(eq + 1).replace(/\+/g, ' '));
      return [encodeRfc3986(k), encodeRfc3986(v)] as const;
    })
    .sort(([a, av], [b, bv]) => (a < b ? -1 : a > b ? 1 : av < bv ? -1 : av > bv ? 1 : 0))
    .map(([k, v]) => `${k}=${v}`)
    .join('&');
  const names = signedHeaders.split(';');
  const canonicalHeaders = names.map((name) => `${name}:${header(ctx, name).trim().replace(/\s+/g, ' ')}\n`).join('');
  const payloadHash = header(ctx, 'x-amz-content-sha256') || 'UNSIGNED-PAYLOAD';
  const canonicalRequest = [ctx.req.method, path, canonicalQuery, canonicalHeaders, signedHeaders, payloadHash].join('\n');
  const scope = `${date}/${region}/${service}/aws4_request`;
  const stringToSign = ['AWS4-HMAC-SHA256', header(ctx, 'x-amz-date'), scope, createHash('sha256').update(canonicalRequest).digest('hex')].join('\n');
  let key: Buffer = createHmac('sha256', `AWS4${secret}`).update(date).digest();
  for (const part of [region, service, 'aws4_request']) key = createHmac('sha256', key).update(part).digest();
  const expected = createHmac('sha256', key).update(stringToSign).digest();
  const given = Buffer.from(signature, 'hex');
  if (given.length === expected.length && timingSafeEqual(given, expected)) return true;
  return refuse(ctx, 403, 'SignatureDoesNotMatch', 'The request signature we calculated does not match the signature you provided. Check your key and signing method.');
}

/**
 * Replaces an aws-chunked request body (`<hex size>[;chunk-signature=…]\r\n<data>\r\n` … `0…\r\n`
 * [trailers]) by the plain bytes, and fixes the headers s3rver reads to match.
 */
async function decodeAwsChunked(ctx: KoaContext): Promise<void> {
  const sha = header(ctx, 'x-amz-content-sha256');
  const encoding = header(ctx, 'content-encoding');
  if (!sha.startsWith('STREAMING-') && !/aws-chunked/i.test(encoding)) return;
  const raw: Buffer[] = [];
  for await (const chunk of ctx.req) raw.push(chunk as Buffer);
  const body = Buffer.concat(raw);
  const parts: Buffer[] = [];
  let at = 0;
  for (;;) {
    const eol = body.indexOf('\r\n', at);
    if (eol < 0) break;
    const size = Number.parseInt(body.subarray(at, eol).toString('latin1').split(';')[0] ?? '', 16);
    if (!Number.isFinite(size) || size === 0) break;
    parts.push(body.subarray(eol + 2, eol + 2 + size));
    at = eol + 2 + size + 2;
  }
  const decoded = Buffer.concat(parts);
  const headers = ctx.req.headers;
  headers['content-length'] = String(decoded.length);
  delete headers['x-amz-decoded-content-length'];
  delete headers['transfer-encoding'];
  const rest = encoding
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s && s.toLowerCase() !== 'aws-chunked');
  if (rest.length) headers['content-encoding'] = rest.join(',');
  else delete headers['content-encoding'];
  const stream = Readable.from([decoded]) as unknown as KoaContext['req'];
  stream.headers = headers;
  stream.method = ctx.req.method;
  stream.url = ctx.req.url;
  ctx.req = stream;
}
