import { randomUUID } from 'node:crypto';
import type { AtpAgent } from '@atproto/api';
import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSandboxFromFirstRun } from './support/hearth-page.ts';
import { repoRoot, type RunningHearth } from './support/hearth-web.ts';
import { closeHearthPage, createPdsAccount, openHearthPage } from './support/session.ts';

// Writing in the feed as a new user would, in browser mode in a real Chromium against a real
// `npm run web` host and the real sandbox PDS: sign in, follow the other account from the Feed
// screen (its post appears), post with an image and alt text, like the friend's post, reply to
// it, and delete the own post through the confirmation dialog. Every step is checked in the
// account's repo on the PDS too (listRecords), as any other app would see it.

let hearth: RunningHearth;
let browser: BrowserContext;
let page: Page;
let pdsUrl: string;
let consoleErrors: string[] = [];
const shots = `${repoRoot}docs/screenshots`;
const tag = randomUUID().slice(0, 6);
const reader = { handle: `writer${tag}.test`, password: `pw-${randomUUID()}`, did: '' };
const friend = { handle: `pal${tag}.test`, password: `pw-${randomUUID()}`, did: '' };
let readerAgent: AtpAgent;
let friendPostUri = '';
const texts = { friend: `A post by a friend ${tag}`, image: `A picture from Hearth ${tag}`, reply: `A reply from Hearth ${tag}` };
/** A 2×2 PNG. */
const PNG = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAIAAAACCAIAAAD91JpzAAAAFElEQVR4nGP4z8DAAMIM////ZwAAHu8E/KPItPcAAAAASUVORK5CYII=', 'base64');

const main = () => page.getByRole('main');
const article = (text: string) => main().getByRole('article').filter({ hasText: text });

beforeAll(async () => {
  ({ hearth, browser, page, consoleErrors } = await openHearthPage());
});

afterAll(() => closeHearthPage({ hearth, browser }));

async function records(collection: string): Promise<{ uri: string; value: Record<string, unknown> }[]> {
  const { data } = await readerAgent.com.atproto.repo.listRecords({ repo: reader.did, collection, limit: 100 });
  return data.records.map((r) => ({ uri: r.uri, value: r.value as Record<string, unknown> }));
}

describe('writing in the feed in browser mode on the sandbox', () => {
  it('signs in as a new account that follows nobody yet', async () => {
    pdsUrl = await startSandboxFromFirstRun(page, hearth.openUrl);
    readerAgent = await createPdsAccount(pdsUrl, reader);
    const friendAgent = await createPdsAccount(pdsUrl, friend);
    friendPostUri = (await friendAgent.post({ text: texts.friend, createdAt: new Date().toISOString() })).uri;

    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Feed' }).click();
    await expect.poll(() => main().getByRole('heading', { name: 'Sign in' }).isVisible(), { timeout: 20_000 }).toBe(true);
    await main().getByLabel('Handle', { exact: true }).fill(reader.handle);
    await main().getByLabel('Password', { exact: true }).fill(reader.password);
    await main().getByRole('button', { name: 'Sign in', exact: true }).click();
    await expect.poll(() => main().getByLabel('Write a post').isVisible(), { timeout: 30_000 }).toBe(true);
    await expect.poll(() => main().getByText('No posts yet.').isVisible(), { timeout: 60_000 }).toBe(true);
  });

  it('follows the other account from the Feed screen, and its post appears', async () => {
    await main().getByLabel('Follow an account').fill(`@${friend.handle}`);
    await main().getByRole('button', { name: 'Follow', exact: true }).click();
    await expect.poll(async () => (await records('app.bsky.graph.follow')).map((r) => r.value.subject), { timeout: 20_000 }).toEqual([friend.did]);
    await expect.poll(() => article(texts.friend).isVisible(), { timeout: 30_000, interval: 500 }).toBe(true);
    // Shown as followed on the friend's own post.
    await expect.poll(() => article(texts.friend).getByRole('button', { name: `Unfollow @${friend.handle}` }).isVisible(), { timeout: 10_000 }).toBe(true);
  });

  it('posts with an image and alt text (Ctrl+Enter); it shows at once with its image', async () => {
    const box = main().getByLabel('Write a post');
    await box.fill(texts.image);
    expect(await main().getByText(`${[...texts.image].length} / 300`).isVisible()).toBe(true);
    await main().getByLabel('Add image').setInputFiles({ name: 'dots.png', mimeType: 'image/png', buffer: PNG });
    await main().getByLabel('Alt text for image 1 (dots.png)').fill('four dots');
    await box.press('Control+Enter');
    const post = article(texts.image);
    await expect.poll(() => post.isVisible(), { timeout: 5_000 }).toBe(true);
    expect(await box.inputValue()).toBe('');
    // Written: the Delete button is there once the PDS has the record.
    await expect.poll(() => post.getByRole('button', { name: 'Delete' }).isVisible(), { timeout: 20_000 }).toBe(true);
    const [stored] = (await records('app.bsky.feed.post')).filter((r) => r.value.text === texts.image);
    expect(stored?.value.embed).toMatchObject({ $type: 'app.bsky.embed.images', images: [{ alt: 'four dots', aspectRatio: { width: 2, height: 2 } }] });
    const image = post.getByRole('img', { name: 'four dots' });
    await expect.poll(() => image.isVisible(), { timeout: 10_000 }).toBe(true);
    // The image is read from the PDS (getBlob); the page's Content-Security-Policy must allow it.
    await expect.poll(() => image.evaluate((img: HTMLImageElement) => img.complete && img.naturalWidth), { timeout: 10_000 }).toBe(2);
    await page.screenshot({ path: `${shots}/feed-posted-image.png` });
  });

  it('likes the friend’s post: the button says Unlike at once and the like is in the repo', async () => {
    const post = article(texts.friend);
    await post.getByRole('button', { name: 'Like', exact: true }).click();
    expect(await post.getByRole('button', { name: 'Unlike' }).getAttribute('aria-pressed')).toBe('true');
    await expect.poll(async () => (await records('app.bsky.feed.like')).map((r) => (r.value.subject as { uri: string }).uri), { timeout: 20_000 }).toEqual([friendPostUri]);
  });

  it('takes a change back on screen, with a clear message, when the server refuses the write', async () => {
    // A deactivated account's server refuses its writes; Hearth's session itself is still valid.
    await readerAgent.com.atproto.server.deactivateAccount({});
    try {
      const post = article(texts.friend);
      await post.getByRole('button', { name: 'Unlike' }).click();
      const notice = main().getByRole('alert').filter({ hasText: `Could not unlike the post by @${friend.handle}; it was undone.` });
      await expect.poll(() => notice.isVisible(), { timeout: 20_000 }).toBe(true);
      expect(await notice.textContent()).toContain(`@${reader.handle} is deactivated on its server`);
      expect(await notice.textContent()).toMatch(/Nothing was changed/);
      expect(await post.getByRole('button', { name: 'Unlike' }).getAttribute('aria-pressed')).toBe('true');

      // A post that fails leaves the feed and comes back into the box.
      const lost = `Not written ${tag}`;
      await main().getByLabel('Write a post').fill(lost);
      await main().getByRole('button', { name: 'Post', exact: true }).click();
      await expect.poll(() => main().getByRole('alert').filter({ hasText: 'Could not post; it was taken back' }).isVisible(), { timeout: 20_000 }).toBe(true);
      expect(await main().getByLabel('Write a post').inputValue()).toBe(lost);
      expect(await article(lost).count()).toBe(0);
      await page.screenshot({ path: `${shots}/feed-action-failed.png` });
      await main().getByLabel('Write a post').fill('');
      const dismiss = main().getByRole('button', { name: 'Dismiss' });
      while ((await dismiss.count()) > 0) await dismiss.first().click();
    } finally {
      await readerAgent.com.atproto.server.activateAccount();
    }
    // (A deactivated repo cannot be listed: checked once it is active again.) The like is still there.
    expect((await records('app.bsky.feed.like')).map((r) => (r.value.subject as { uri: string }).uri)).toEqual([friendPostUri]);
  });

  it('replies to the friend’s post', async () => {
    await article(texts.friend).getByRole('button', { name: 'Reply' }).click();
    expect(await main().getByText(`Replying to @${friend.handle}`).isVisible()).toBe(true);
    await main().getByLabel('Write a post').fill(texts.reply);
    await main().getByRole('button', { name: 'Post', exact: true }).click();
    await expect.poll(() => article(texts.reply).isVisible(), { timeout: 5_000 }).toBe(true);
    await expect.poll(async () => (await records('app.bsky.feed.post')).find((r) => r.value.text === texts.reply)?.value.reply, { timeout: 20_000 }).toMatchObject({
      parent: { uri: friendPostUri },
      root: { uri: friendPostUri },
    });
    await page.screenshot({ path: `${shots}/feed-actions.png` });
  });

  it('deletes the own post after confirming; it is gone from the page and the repo', async () => {
    await article(texts.image).getByRole('button', { name: 'Delete' }).click();
    const dialog = page.getByRole('dialog', { name: 'Delete this post?' });
    await expect.poll(() => dialog.isVisible(), { timeout: 5_000 }).toBe(true);
    await dialog.getByRole('button', { name: 'Delete post' }).click();
    await expect.poll(() => article(texts.image).count(), { timeout: 5_000 }).toBe(0);
    await expect.poll(async () => (await records('app.bsky.feed.post')).some((r) => r.value.text === texts.image), { timeout: 20_000 }).toBe(false);
    // Still gone after the feed is read again.
    await page.waitForTimeout(5_000);
    expect(await article(texts.image).count()).toBe(0);
    expect(await article(texts.reply).count()).toBeGreaterThan(0);
    expect(consoleErrors).toEqual([]);
  });
});
