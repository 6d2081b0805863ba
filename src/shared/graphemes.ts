/**
 * Post length as Bluesky counts it: user-perceived characters (grapheme clusters), not UTF-16
 * units or bytes, so "👍🏽" or "é" written as e + accent count as one. Intl.Segmenter is in Node 22
 * and Chromium, so core's check and the composer's counter agree.
 */
export const MAX_POST_GRAPHEMES = 300;

const segmenter = new Intl.Segmenter(undefined, { granularity: 'grapheme' });

export function countGraphemes(text: string): number {
  let n = 0;
  for (const _ of segmenter.segment(text)) n++;
  return n;
}
