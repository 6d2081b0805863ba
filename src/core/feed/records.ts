/**
 * What the network sends, checked before anything is stored: XRPC replies (listRecords, getRecord,
 * listRepos) and the records inside them. A record that does not parse is reported
 * as malformed with a short reason, never stored and never fatal.
 */
import { z } from 'zod';

const AtUri = z.string().max(8192).regex(/^at:\/\/[^/\s]+\/[^/\s]+\/[^/\s]+$/, 'not an at:// record URI');
const Cid = z.string().min(8).max(200).regex(/^[a-zA-Z0-9]+$/, 'not a CID');
const Datetime = z
  .string()
  .max(64)
  .refine((s) => /^\d{4}-\d{2}-\d{2}T/.test(s) && Number.isFinite(Date.parse(s)), 'not a datetime');
const StrongRef = z.object({ uri: AtUri, cid: Cid });

export const RecordEntry = z.object({ uri: AtUri, cid: Cid, value: z.unknown() });
export type RecordEntry = z.infer<typeof RecordEntry>;

/** A listRecords page. Records are checked one by one (see parsePost), so one bad record spoils nothing else. */
export const ListRecordsReply = z.object({ records: z.array(RecordEntry).max(1000), cursor: z.string().max(1000).optional() });
export const GetRecordReply = RecordEntry;
export const ListReposReply = z.object({
  repos: z.array(z.object({ did: z.string().max(2048), head: z.string().optional(), active: z.boolean().optional(), status: z.string().optional() })).max(2000),
  cursor: z.string().max(1000).optional(),
});

/** An app.bsky.graph.follow record: only its subject matters. */
export const FollowRecord = z.object({ subject: z.string().regex(/^did:[a-z]+:[a-zA-Z0-9._:%-]{1,2000}$/), createdAt: z.string().optional() });

// Blobs: the current form `{ $type: 'blob', ref: { $link }, mimeType, size }` and the legacy `{ cid, mimeType }`.
export const BlobJson = z.union([
  z.object({ ref: z.object({ $link: Cid }), mimeType: z.string().max(200) }).transform((b) => ({ cid: b.ref.$link, mimeType: b.mimeType })),
  z.object({ cid: Cid, mimeType: z.string().max(200) }).transform((b) => ({ cid: b.cid, mimeType: b.mimeType })),
]);

const ImagesEmbed = z.object({
  $type: z.literal('app.bsky.embed.images'),
  images: z
    .array(
      z.object({
        image: BlobJson,
        alt: z.string().max(100_000).default(''),
        aspectRatio: z.object({ width: z.number().int().positive(), height: z.number().int().positive() }).optional(),
      }),
    )
    .max(4),
});
const ExternalEmbed = z.object({
  $type: z.literal('app.bsky.embed.external'),
  external: z.object({ uri: z.string().max(8192), title: z.string().max(10_000).default(''), description: z.string().max(100_000).default(''), thumb: BlobJson.optional() }),
});
const RecordEmbed = z.object({ $type: z.literal('app.bsky.embed.record'), record: StrongRef });
const RecordWithMediaEmbed = z.object({
  $type: z.literal('app.bsky.embed.recordWithMedia'),
  record: z.object({ record: StrongRef }),
  media: z.union([ImagesEmbed, ExternalEmbed]).optional(),
});

export interface ParsedImage {
  alt: string;
  cid: string;
  mimeType: string;
  aspectRatio: { width: number; height: number } | null;
}
export interface ParsedEmbeds {
  images: ParsedImage[];
  external: { uri: string; title: string; description: string; thumb: { cid: string; mimeType: string } | null } | null;
  quote: { uri: string; cid: string } | null;
}

export interface ParsedFacet {
  index: { byteStart: number; byteEnd: number };
  features: ({ $type: 'app.bsky.richtext.facet#link'; uri: string } | { $type: 'app.bsky.richtext.facet#mention'; did: string } | { $type: 'app.bsky.richtext.facet#tag'; tag: string })[];
}

export interface ParsedPost {
  kind: 'post';
  uri: string;
  cid: string;
  authorDid: string;
  text: string;
  /** null: the record has facets that cannot be trusted (see parseFacets). */
  facets: ParsedFacet[] | null;
  createdAt: string;
  reply: { parentUri: string; rootUri: string } | null;
  embeds: ParsedEmbeds;
}

export interface ParsedRepost {
  kind: 'repost';
  uri: string;
  cid: string;
  actorDid: string;
  subject: { uri: string; cid: string };
  createdAt: string;
}

export type Parsed<T> = { ok: true; value: T } | { ok: false; reason: string };

const PostRecord = z.object({
  // Posts are capped at 3000 graphemes by the lexicon, but a raw record can hold more; a long text
  // is still text, shown as such, so only absurd sizes are refused.
  text: z.string().max(100_000),
  createdAt: Datetime,
  reply: z.object({ root: StrongRef, parent: StrongRef }).optional(),
  embed: z.unknown().optional(),
  facets: z.unknown().optional(),
});

const FacetShape = z.object({
  index: z.object({ byteStart: z.number().int().min(0), byteEnd: z.number().int().min(0) }),
  features: z.array(z.unknown()).max(50),
});
const KnownFeature = z.union([
  z.object({ $type: z.literal('app.bsky.richtext.facet#link'), uri: z.string().max(8192) }).transform((f) => ({ $type: f.$type, uri: f.uri })),
  z.object({ $type: z.literal('app.bsky.richtext.facet#mention'), did: z.string().max(2048) }).transform((f) => ({ $type: f.$type, did: f.did })),
  z.object({ $type: z.literal('app.bsky.richtext.facet#tag'), tag: z.string().max(640) }).transform((f) => ({ $type: f.$type, tag: f.tag })),
]);
/** More facets than a post's text can sensibly hold: the record is not what it claims to be. */
const MAX_FACETS = 1000;

const RepostRecord = z.object({ subject: StrongRef, createdAt: Datetime });

/** The DID part of an at:// URI. */
export const uriAuthority = (uri: string): string => uri.slice('at://'.length).split('/')[0]!;

/** Whether a listed record's URI really is in that repo and collection (a PDS could list anything). */
export const isRecordOf = (uri: string, did: string, collection: string): boolean => {
  const [authority, recordCollection] = uri.slice('at://'.length).split('/');
  return authority === did && recordCollection === collection;
};

export function parsePost(entry: RecordEntry): Parsed<ParsedPost> {
  const parsed = PostRecord.safeParse(entry.value);
  if (!parsed.success) return { ok: false, reason: reasonOf(parsed.error) };
  const { text, createdAt, reply, embed, facets } = parsed.data;
  return {
    ok: true,
    value: {
      kind: 'post',
      uri: entry.uri,
      cid: entry.cid,
      authorDid: uriAuthority(entry.uri),
      text,
      facets: parseFacets(text, facets),
      createdAt,
      reply: reply ? { parentUri: reply.parent.uri, rootUri: reply.root.uri } : null,
      embeds: parseEmbeds(embed),
    },
  };
}

export function parseRepost(entry: RecordEntry): Parsed<ParsedRepost> {
  const parsed = RepostRecord.safeParse(entry.value);
  if (!parsed.success) return { ok: false, reason: reasonOf(parsed.error) };
  return { ok: true, value: { kind: 'repost', uri: entry.uri, cid: entry.cid, actorDid: uriAuthority(entry.uri), subject: parsed.data.subject, createdAt: parsed.data.createdAt } };
}

/**
 * The facets of a post's text, or null when any is unsound: not the lexicon's shape, a byte range
 * outside the text, splitting a UTF-8 character, or overlapping another. One bad facet means the
 * record was not written by a client that measured the text, so none of its offsets are trusted
 * (the window shows the text plain). Features Hearth does not know are left out; a facet with none
 * left marks nothing.
 */
export function parseFacets(text: string, facets: unknown): ParsedFacet[] | null {
  if (facets === undefined) return [];
  if (!Array.isArray(facets) || facets.length > MAX_FACETS) return null;
  const bytes = Buffer.from(text, 'utf8');
  const onBoundary = (at: number) => at === bytes.length || (bytes[at]! & 0b1100_0000) !== 0b1000_0000;
  const out: ParsedFacet[] = [];
  for (const raw of facets) {
    const facet = FacetShape.safeParse(raw);
    if (!facet.success) return null;
    const { byteStart, byteEnd } = facet.data.index;
    if (byteStart > byteEnd || byteEnd > bytes.length || !onBoundary(byteStart) || !onBoundary(byteEnd)) return null;
    const features = facet.data.features.flatMap((f) => {
      const known = KnownFeature.safeParse(f);
      return known.success ? [known.data] : [];
    });
    if (byteStart < byteEnd && features.length) out.push({ index: { byteStart, byteEnd }, features });
  }
  out.sort((a, b) => a.index.byteStart - b.index.byteStart);
  for (let i = 1; i < out.length; i++) if (out[i]!.index.byteStart < out[i - 1]!.index.byteEnd) return null;
  return out;
}

/**
 * Embeds the feed knows how to show. An embed of another kind (video, a future type) or one that
 * does not parse is left out: the post itself is still worth reading.
 */
export function parseEmbeds(embed: unknown): ParsedEmbeds {
  const out: ParsedEmbeds = { images: [], external: null, quote: null };
  const media = (m: z.infer<typeof ImagesEmbed> | z.infer<typeof ExternalEmbed>) => {
    if (m.$type === 'app.bsky.embed.images') {
      out.images = m.images.map((i) => ({ alt: i.alt, cid: i.image.cid, mimeType: i.image.mimeType, aspectRatio: i.aspectRatio ?? null }));
    } else {
      out.external = { uri: m.external.uri, title: m.external.title, description: m.external.description, thumb: m.external.thumb ?? null };
    }
  };
  const images = ImagesEmbed.safeParse(embed);
  if (images.success) media(images.data);
  const external = ExternalEmbed.safeParse(embed);
  if (external.success) media(external.data);
  const record = RecordEmbed.safeParse(embed);
  if (record.success) out.quote = record.data.record;
  const withMedia = RecordWithMediaEmbed.safeParse(embed);
  if (withMedia.success) {
    out.quote = withMedia.data.record.record;
    if (withMedia.data.media) media(withMedia.data.media);
  }
  return out;
}

const reasonOf = (error: z.ZodError): string =>
  error.issues
    .slice(0, 2)
    .map((i) => (i.path.length ? `${i.path.join('.')}: ${i.message}` : i.message))
    .join('; ')
    .slice(0, 300);
