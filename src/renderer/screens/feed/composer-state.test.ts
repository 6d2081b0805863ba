import { describe, expect, it } from 'vitest';
import { base64OfBytes, draftProblem, imageProblem, isPostShortcut, postLength, webSizeProblem } from './composer-state.ts';

describe('the composer counts as Bluesky does', () => {
  it('counts graphemes: an emoji with a skin tone, a family and an accent written as two code points are one each', () => {
    expect(postLength('hello').used).toBe(5);
    expect(postLength('👍🏽').used).toBe(1);
    expect(postLength('👨‍👩‍👧').used).toBe(1);
    expect(postLength('e\u0301').used).toBe(1);
    expect(postLength('👨‍👩‍👧'.repeat(300))).toMatchObject({ used: 300, left: 0, over: false, label: '0 characters left' });
    expect(postLength('a'.repeat(302))).toMatchObject({ left: -2, over: true, label: '2 characters too many' });
  });

  it('says why a draft cannot be posted', () => {
    expect(draftProblem('a'.repeat(301), [], false)).toBe('A post can be at most 300 characters.');
    expect(draftProblem('   ', [], false)).toBe('Write something, or add an image.');
    expect(draftProblem('', [], true)).toBeNull();
    expect(draftProblem('', [{ name: 'a.png', mimeType: 'image/png', size: 10, alt: '' }], false)).toBeNull();
    expect(draftProblem('x', [{ name: 'a.png', mimeType: 'image/png', size: 10, alt: 'a'.repeat(2001) }], false)).toBe('Alt text can be at most 2000 characters.');
  });

  it('takes PNG, JPEG, WebP and GIF files up to 1 MB, four at most', () => {
    expect(imageProblem({ name: 'a.png', type: 'image/png', size: 1000 }, 0)).toBeNull();
    expect(imageProblem({ name: 'a.webp', type: 'image/webp', size: 1_000_000 }, 3)).toBeNull();
    expect(imageProblem({ name: 'a.png', type: 'image/png', size: 1000 }, 4)).toBe('A post can have at most 4 images.');
    expect(imageProblem({ name: 'a.svg', type: 'image/svg+xml', size: 1000 }, 0)).toBe('a.svg is not a PNG, JPEG, WebP or GIF image.');
    expect(imageProblem({ name: 'big.jpg', type: 'image/jpeg', size: 2_500_000 }, 0)).toBe('big.jpg is 2.5 MB; images can be at most 1 MB.');
  });

  it('posts on Ctrl+Enter and Cmd+Enter only', () => {
    expect(isPostShortcut({ key: 'Enter', ctrlKey: true, metaKey: false })).toBe(true);
    expect(isPostShortcut({ key: 'Enter', ctrlKey: false, metaKey: true })).toBe(true);
    expect(isPostShortcut({ key: 'Enter', ctrlKey: false, metaKey: false })).toBe(false);
    expect(isPostShortcut({ key: 'a', ctrlKey: true, metaKey: false })).toBe(false);
  });

  it('encodes image bytes as base64, also past the chunk size', () => {
    const bytes = new Uint8Array(100_000).map((_, i) => i % 256);
    expect(base64OfBytes(bytes)).toBe(Buffer.from(bytes).toString('base64'));
  });

  it('refuses, in a browser window, images too big for one WebSocket message', () => {
    expect(webSizeProblem('hi', [{ size: 700_000, alt: 'a' }])).toBeNull();
    expect(webSizeProblem('hi', [{ size: 500_000, alt: '' }, { size: 400_000, alt: '' }])).toBe(
      'In a browser window Hearth can send about 750 KB of images with one post; these are 900 KB. Make them smaller, or post from the desktop app.',
    );
  });
});
