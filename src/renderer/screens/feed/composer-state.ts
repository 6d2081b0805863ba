/**
 * The composer's rules, as pure functions: the length as Bluesky counts it (graphemes, shared
 * with core's check) and which picked files can be posted. Core checks all of it again.
 */
import { IMAGE_MIME_TYPES, MAX_ALT_CHARS, MAX_IMAGE_BYTES, MAX_IMAGES } from '../../../shared/contract/index.ts';
import { countGraphemes, MAX_POST_GRAPHEMES } from '../../../shared/graphemes.ts';

export interface Count {
  used: number;
  left: number;
  over: boolean;
  /** For the counter: "12 / 300", and what a screen reader hears. */
  label: string;
}

export function postLength(text: string): Count {
  const used = countGraphemes(text);
  const left = MAX_POST_GRAPHEMES - used;
  return { used, left, over: left < 0, label: left < 0 ? `${-left} characters too many` : `${left} characters left` };
}

export interface DraftImage {
  name: string;
  mimeType: string;
  size: number;
  alt: string;
}

/** Why a picked file cannot be added, or null when it can. */
export function imageProblem(file: { name: string; type: string; size: number }, alreadyAdded: number): string | null {
  if (alreadyAdded >= MAX_IMAGES) return `A post can have at most ${MAX_IMAGES} images.`;
  if (!(IMAGE_MIME_TYPES as readonly string[]).includes(file.type)) return `${file.name} is not a PNG, JPEG, WebP or GIF image.`;
  if (file.size > MAX_IMAGE_BYTES) return `${file.name} is ${(file.size / 1_000_000).toFixed(1)} MB; images can be at most 1 MB.`;
  if (file.size === 0) return `${file.name} is empty.`;
  return null;
}

/** Why the draft cannot be posted yet, or null. */
export function draftProblem(text: string, images: DraftImage[], hasQuote: boolean): string | null {
  if (postLength(text).over) return `A post can be at most ${MAX_POST_GRAPHEMES} characters.`;
  if (!text.trim() && images.length === 0 && !hasQuote) return 'Write something, or add an image.';
  if (images.some((i) => i.alt.length > MAX_ALT_CHARS)) return `Alt text can be at most ${MAX_ALT_CHARS} characters.`;
  return null;
}

/** Ctrl+Enter (Cmd+Enter on a Mac) posts. */
export const isPostShortcut = (e: { key: string; ctrlKey: boolean; metaKey: boolean }): boolean => e.key === 'Enter' && (e.ctrlKey || e.metaKey);

export function base64OfBytes(bytes: Uint8Array): string {
  let binary = '';
  for (let i = 0; i < bytes.length; i += 0x8000) binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(binary);
}

/**
 * In a browser window calls travel over Hearth's WebSocket, whose messages are capped at 1 MiB
 * (src/web/web-host.ts); images go as base64 (4 characters per 3 bytes). A post past the cap is
 * refused here, in words, rather than cut off on the wire.
 */
const WEB_MESSAGE_BYTES = 1024 * 1024;
const ENVELOPE_BYTES = 8 * 1024;

export function webSizeProblem(text: string, images: { size: number; alt: string }[]): string | null {
  const encoded = images.reduce((n, i) => n + Math.ceil(i.size / 3) * 4 + new TextEncoder().encode(i.alt).length * 2, 0) + new TextEncoder().encode(text).length * 2 + ENVELOPE_BYTES;
  if (encoded <= WEB_MESSAGE_BYTES) return null;
  const kb = Math.round(images.reduce((n, i) => n + i.size, 0) / 1000);
  return `In a browser window Hearth can send about 750 KB of images with one post; these are ${kb} KB. Make them smaller, or post from the desktop app.`;
}
