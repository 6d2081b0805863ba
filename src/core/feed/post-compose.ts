/**
 * Building a post record as Bluesky clients do: text with facets (mentions and links found with
 * @atproto/api RichText, mentions resolved through Hearth's own resolver so a handle on any server
 * Hearth knows resolves), images checked by their bytes, and reply and quote references (strong
 * refs: URI and CID) read from the authors' own repos.
 */
import type { AtpAgent } from '@atproto/api';
import { z } from 'zod';
import { MAX_IMAGE_BYTES, type IMAGE_MIME_TYPES } from '../../shared/contract/feed-actions.ts';
import { HearthError } from '../../shared/errors.ts';
import { POST } from './backfill.ts';
import type { FeedIdentity } from './identity.ts';
import { parsePost, type ParsedPost } from './records.ts';
import { RepoReadError, type RepoReader } from './repo-reader.ts';
import type { FeedStore } from './store/feed-store.ts';

export interface StrongRef {
  uri: string;
  cid: string;
}

/** A record's time-sortable key (TID): chosen here so the record's URI is known before the write. */
const S32 = '234567abcdefghijklmnopqrstuvwxyz';
const clockId = BigInt(Math.floor(Math.random() * 1024));
let lastMicros = 0;
export function nextTid(): string {
  let micros = Date.now() * 1000;
  if (micros <= lastMicros) micros = lastMicros + 1;
  lastMicros = micros;
  let n = (BigInt(micros) << 10n) | clockId;
  let out = '';
  for (let i = 0; i < 13; i++) {
    out = S32[Number(n & 31n)]! + out;
    n >>= 5n;
  }
  return out;
}

export function splitRecordUri(uri: string): { did: string; collection: string; rkey: string } {
  const match = /^at:\/\/(did:[a-z0-9]+:[a-zA-Z0-9._:%-]+)\/([a-zA-Z0-9.-]+)\/([a-zA-Z0-9._:~-]{1,512})$/.exec(uri);
  if (!match) throw new HearthError('VALIDATION', 'That is not the address of a post.', 'Reload the feed and try again.');
  return { did: match[1]!, collection: match[2]!, rkey: match[3]! };
}

/** The magic bytes of each image type Hearth posts: the declared type must be the real one. */
function sniffImage(bytes: Buffer): (typeof IMAGE_MIME_TYPES)[number] | null {
  if (bytes.length >= 8 && bytes.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]))) return 'image/png';
  if (bytes.length >= 3 && bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff) return 'image/jpeg';
  if (bytes.length >= 6 && ['GIF87a', 'GIF89a'].includes(bytes.subarray(0, 6).toString('latin1'))) return 'image/gif';
  if (bytes.length >= 12 && bytes.subarray(0, 4).toString('latin1') === 'RIFF' && bytes.subarray(8, 12).toString('latin1') === 'WEBP') return 'image/webp';
  return null;
}

/** The width and height a PNG, GIF or baseline JPEG says it has, for the embed's aspectRatio. */
function imageSize(bytes: Buffer, mime: string): { width: number; height: number } | null {
  if (mime === 'image/png' && bytes.length >= 24) return { width: bytes.readUInt32BE(16), height: bytes.readUInt32BE(20) };
  if (mime === 'image/gif' && bytes.length >= 10) return { width: bytes.readUInt16LE(6), height: bytes.readUInt16LE(8) };
  if (mime === 'image/jpeg') {
    for (let i = 2; i + 9 < bytes.length; ) {
      if (bytes[i] !== 0xff) return null;
      const marker = bytes[i + 1]!;
      if (marker >= 0xc0 && marker <= 0xc3) return { width: bytes.readUInt16BE(i + 7), height: bytes.readUInt16BE(i + 5) };
      i += 2 + bytes.readUInt16BE(i + 2);
    }
  }
  return null;
}

export interface CheckedImage {
  bytes: Buffer;
  mimeType: string;
  alt: string;
  aspectRatio: { width: number; height: number } | null;
}

export function checkImages(images: { bytes: string; mimeType: string; alt: string }[]): CheckedImage[] {
  return images.map((image, i) => {
    const bytes = Buffer.from(image.bytes, 'base64');
    const n = images.length > 1 ? ` ${i + 1}` : '';
    if (bytes.length > MAX_IMAGE_BYTES) throw new HearthError('VALIDATION', `Image${n} is ${(bytes.length / 1_000_000).toFixed(1)} MB; a post’s images can be at most 1 MB each.`, 'Make the image smaller and add it again.');
    const real = sniffImage(bytes);
    if (!real) throw new HearthError('VALIDATION', `Image${n} is not a PNG, JPEG, WebP or GIF file.`, 'Pick an image file of one of those types.');
    if (real !== image.mimeType) throw new HearthError('VALIDATION', `Image${n} says it is ${image.mimeType} but is ${real}.`, 'Pick the file again.');
    const size = imageSize(bytes, real);
    return { bytes, mimeType: real, alt: image.alt, aspectRatio: size && size.width > 0 && size.height > 0 ? size : null };
  });
}

/**
 * Facets for the text: links and mentions. A mention whose handle cannot be resolved stays plain
 * text (as in the Bluesky app), it does not stop the post.
 */
export async function detectFacets(text: string, identity: FeedIdentity): Promise<{ text: string; facets: unknown[] }> {
  const { RichText } = await import('@atproto/api');
  const rt = new RichText({ text });
  rt.detectFacetsWithoutResolution();
  const facets: unknown[] = [];
  for (const facet of rt.facets ?? []) {
    const features = [];
    for (const feature of facet.features) {
      if (feature.$type === 'app.bsky.richtext.facet#mention') {
        const handle = String((feature as { did: string }).did);
        const resolved = await identity.resolveIdentifier(handle).catch(() => null);
        if (resolved) features.push({ $type: 'app.bsky.richtext.facet#mention', did: resolved.did });
      } else {
        features.push(feature);
      }
    }
    if (features.length) facets.push({ index: facet.index, features });
  }
  return { text: rt.text, facets };
}

const ReplyRefs = z.object({ root: z.object({ uri: z.string(), cid: z.string() }), parent: z.object({ uri: z.string(), cid: z.string() }) });

/** A post read from its author's PDS (or the store), with the refs a reply or quote of it needs. */
export interface PostTarget {
  ref: StrongRef;
  /** The root of its thread (the post itself when it is no reply). */
  root: StrongRef;
  parsed: ParsedPost | null;
}

/**
 * Reads a post from its author's own repo. The store's copy is not enough for a reply, whose root
 * needs the CID that only the record has; a like or repost may use the store's (`preferStore`).
 */
export async function readTarget(uri: string, deps: { store: FeedStore; identity: FeedIdentity; reader: RepoReader }, preferStore: boolean): Promise<PostTarget> {
  const { did, collection, rkey } = splitRecordUri(uri);
  if (collection !== POST) throw new HearthError('VALIDATION', 'That is not the address of a post.', 'Reload the feed and try again.');
  const stored = deps.store.storedPost(uri);
  if (preferStore && stored && stored.post.cid !== PENDING_CID) return { ref: { uri, cid: stored.post.cid }, root: { uri, cid: stored.post.cid }, parsed: stored.post };
  let record;
  try {
    const who = await deps.identity.resolveDid(did);
    record = await deps.reader.getRecord(who.pdsUrl, did, collection, rkey, AbortSignal.timeout(20_000));
  } catch (err) {
    if (err instanceof RepoReadError && !err.unreachable) throw new HearthError('NOT_FOUND', 'That post does not exist (any more): its author’s server does not have it.', 'It may have been deleted. Reload the feed.');
    if (err instanceof HearthError && err.code === 'NOT_FOUND') throw new HearthError('NOT_FOUND', `The author of that post cannot be found (${err.message})`, 'The account may have been deleted.');
    throw new HearthError('NETWORK', `The server of that post’s author did not answer (${err instanceof Error ? err.message : String(err)}).`, 'Try again later.');
  }
  if (record.uri !== uri) throw new HearthError('NOT_FOUND', 'That post does not exist (any more).', 'Reload the feed.');
  const ref = { uri, cid: record.cid };
  const reply = ReplyRefs.safeParse((record.value as { reply?: unknown } | null)?.reply);
  const parsed = parsePost(record);
  return { ref, root: reply.success ? { uri: reply.data.root.uri, cid: reply.data.root.cid } : ref, parsed: parsed.ok ? parsed.value : null };
}

/**
 * The CID the store gives a record Hearth is writing until the PDS answers with the real one (a
 * row is in the store before the write, so the feed shows it at once, and goes if the write fails).
 */
export const PENDING_CID = 'pending';

/** Uploads the images to the account's PDS and builds the post's embed (images, a quote, or both). */
export async function buildEmbed(agent: AtpAgent, images: CheckedImage[], quote: StrongRef | null): Promise<Record<string, unknown> | undefined> {
  let media: Record<string, unknown> | undefined;
  if (images.length) {
    const uploaded = [];
    for (const image of images) {
      const { data } = await agent.uploadBlob(image.bytes, { encoding: image.mimeType });
      uploaded.push({ image: data.blob, alt: image.alt, ...(image.aspectRatio && { aspectRatio: image.aspectRatio }) });
    }
    media = { $type: 'app.bsky.embed.images', images: uploaded };
  }
  if (quote && media) return { $type: 'app.bsky.embed.recordWithMedia', record: { $type: 'app.bsky.embed.record', record: quote }, media };
  if (quote) return { $type: 'app.bsky.embed.record', record: quote };
  return media;
}
