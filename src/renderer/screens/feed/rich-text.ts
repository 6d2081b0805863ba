import { RichText } from '@atproto/api';
import { safeHttpUrl } from './safe-url.ts';

/** A run of a post's text and what it is; every kind is shown as text, links also as <a>. */
export type Segment =
  | { kind: 'text'; text: string }
  | { kind: 'link'; text: string; href: string }
  | { kind: 'mention'; text: string; did: string }
  | { kind: 'tag'; text: string; tag: string };

const LINK = 'app.bsky.richtext.facet#link';
const MENTION = 'app.bsky.richtext.facet#mention';
const TAG = 'app.bsky.richtext.facet#tag';
/** More facets than a 3,000-byte post can sensibly hold: the record is not what it claims to be. */
const MAX_FACETS = 1000;

type Feature = { $type: typeof LINK; uri: string } | { $type: typeof MENTION; did: string } | { $type: typeof TAG; tag: string };
interface CheckedFacet {
  $type: 'app.bsky.richtext.facet';
  index: { byteStart: number; byteEnd: number };
  features: [Feature];
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** The first feature Hearth knows how to show; unknown ones (future lexicons) leave the run as text. */
function knownFeature(features: unknown): Feature | null {
  if (!Array.isArray(features)) return null;
  for (const f of features) {
    if (!isRecord(f)) continue;
    if (f.$type === LINK && typeof f.uri === 'string') return { $type: LINK, uri: f.uri };
    if (f.$type === MENTION && typeof f.did === 'string') return { $type: MENTION, did: f.did };
    if (f.$type === TAG && typeof f.tag === 'string') return { $type: TAG, tag: f.tag };
  }
  return null;
}

/** A byte offset that starts a UTF-8 character (or is the end): slicing there cannot garble text. */
const onBoundary = (bytes: Uint8Array, at: number) => at === bytes.length || (bytes[at]! & 0b1100_0000) !== 0b1000_0000;

/**
 * The facets as RichText may use them, or null when any of them is not sound: offsets that are
 * not whole numbers, outside the text, splitting a character, or overlapping another facet. One
 * bad facet means the record was not written by a client that measured the text, so none of its
 * offsets are trusted and the post shows as plain text.
 */
function checkFacets(bytes: Uint8Array, facets: unknown): CheckedFacet[] | null {
  if (facets === undefined || facets === null) return [];
  if (!Array.isArray(facets) || facets.length > MAX_FACETS) return null;
  const checked: CheckedFacet[] = [];
  for (const facet of facets) {
    if (!isRecord(facet) || !isRecord(facet.index)) return null;
    const { byteStart, byteEnd } = facet.index;
    if (!Number.isSafeInteger(byteStart) || !Number.isSafeInteger(byteEnd)) return null;
    const start = byteStart as number;
    const end = byteEnd as number;
    if (start < 0 || end > bytes.length || start > end) return null;
    if (!onBoundary(bytes, start) || !onBoundary(bytes, end)) return null;
    const feature = knownFeature(facet.features);
    // Zero-length facets are allowed by the lexicon and cover nothing; unknown features change nothing.
    if (start === end || !feature) continue;
    checked.push({ $type: 'app.bsky.richtext.facet', index: { byteStart: start, byteEnd: end }, features: [feature] });
  }
  checked.sort((a, b) => a.index.byteStart - b.index.byteStart);
  for (let i = 1; i < checked.length; i++) if (checked[i]!.index.byteStart < checked[i - 1]!.index.byteEnd) return null;
  return checked;
}

function toSegment(text: string, feature: Feature | undefined): Segment {
  if (!feature) return { kind: 'text', text };
  switch (feature.$type) {
    case LINK: {
      const href = safeHttpUrl(feature.uri);
      return href ? { kind: 'link', text, href } : { kind: 'text', text };
    }
    case MENTION:
      return { kind: 'mention', text, did: feature.did };
    case TAG:
      return { kind: 'tag', text, tag: feature.tag };
  }
}

/**
 * A post's text cut into runs by its facets (whose offsets are UTF-8 bytes) with @atproto/api's
 * RichText. Whatever the record holds, this never throws and never loses or changes a character:
 * when the facets cannot be trusted the whole text comes back as one plain run.
 */
export function segmentText(text: string, facets: unknown): Segment[] {
  const plain: Segment[] = text ? [{ kind: 'text', text }] : [];
  try {
    const bytes = new TextEncoder().encode(text);
    const checked = checkFacets(bytes, facets);
    if (!checked?.length) return plain;
    const segments: Segment[] = [];
    for (const seg of new RichText({ text, facets: checked }).segments()) {
      if (!seg.text) continue;
      const feature = (seg.facet as CheckedFacet | undefined)?.features[0];
      segments.push(toSegment(seg.text, feature));
    }
    // A last guard: the runs must spell the text exactly, or the plain text is shown instead.
    return segments.map((s) => s.text).join('') === text ? segments : plain;
  } catch {
    return plain;
  }
}
