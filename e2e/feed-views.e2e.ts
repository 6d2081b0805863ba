import { randomUUID } from 'node:crypto';
import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSandboxFromFirstRun } from './support/hearth-page.ts';
import { repoRoot, type RunningHearth } from './support/hearth-web.ts';
import { closeHearthPage, createPdsAccount, openHearthPage } from './support/session.ts';

// The Profile and Thread views in browser mode, in a real Chromium against a real `npm run web`
// host and the real sandbox PDS, tried as a new user would: from the Following list, click a
// post's time to open its thread (parents above, the post marked, replies below), click an
// author's handle to open the profile (header read from the repo, counts, the author's posts),
// and come back to the list where it was. The friend's profile record is hostile: it stays text.
//
// The posts and the profile are written with @atproto/api, as the users' other Bluesky app would.

let hearth: RunningHearth;
let browser: BrowserContext;
let page: Page;
let pdsUrl: string;
let consoleErrors: string[] = [];
const shots = `${repoRoot}docs/screenshots`;
const tag = randomUUID().slice(0, 6);
const reader = { handle: `vreader${tag}.test`, password: `pw-${randomUUID()}`, did: '' };
const friend = { handle: `vfriend${tag}.test`, password: `pw-${randomUUID()}`, did: '' };
const displayName = `<img src=x onerror="window.__pwned=1"> Friend ${tag}`;
const description = `<script>window.__pwned=2</script> Writes about hearths. ${tag}`;
const OLDER = 30;
const texts = { root: `Thread root ${tag}`, r1: `Reader replies ${tag}`, r2: `Friend answers ${tag}`, r3: `Reader again ${tag}` };

const main = () => page.getByRole('main');
const feed = () => main().locator('[role="feed"]:visible');
const scrollTop = () => page.evaluate(() => document.querySelector('main')!.scrollTop);

beforeAll(async () => {
  ({ hearth, browser, page, consoleErrors } = await openHearthPage());
});

afterAll(() => closeHearthPage({ hearth, browser }));

describe('Profile and Thread in browser mode on the sandbox', () => {
  it('starts the sandbox, makes two accounts and a thread three levels deep', async () => {
    pdsUrl = await startSandboxFromFirstRun(page, hearth.openUrl);
    const readerAgent = await createPdsAccount(pdsUrl, reader);
    const friendAgent = await createPdsAccount(pdsUrl, friend);
    await readerAgent.follow(friend.did);
    await friendAgent.com.atproto.repo.putRecord({ repo: friend.did, collection: 'app.bsky.actor.profile', rkey: 'self', record: { $type: 'app.bsky.actor.profile', displayName, description } });
    const now = Date.now();
    // Older posts first, so the list is long enough to scroll.
    await friendAgent.com.atproto.repo.applyWrites({
      repo: friend.did,
      writes: Array.from({ length: OLDER }, (_, i) => ({
        $type: 'com.atproto.repo.applyWrites#create' as const,
        collection: 'app.bsky.feed.post',
        value: { $type: 'app.bsky.feed.post', text: `Older post ${i + 1} ${tag}`, createdAt: new Date(now - (OLDER - i + 10) * 60_000).toISOString() },
      })),
    });
    const at = (minutesAgo: number) => new Date(now - minutesAgo * 60_000).toISOString();
    const root = await friendAgent.post({ text: texts.root, createdAt: at(4) });
    const ref = (r: { uri: string; cid: string }) => ({ uri: r.uri, cid: r.cid });
    const r1 = await readerAgent.post({ text: texts.r1, createdAt: at(3), reply: { root: ref(root), parent: ref(root) } });
    const r2 = await friendAgent.post({ text: texts.r2, createdAt: at(2), reply: { root: ref(root), parent: ref(r1) } });
    await readerAgent.post({ text: texts.r3, createdAt: at(1), reply: { root: ref(root), parent: ref(r2) } });
  });

  it('signs in and shows the Following list', async () => {
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Feed' }).click();
    await expect.poll(() => main().getByRole('heading', { name: 'Sign in' }).isVisible(), { timeout: 20_000 }).toBe(true);
    await main().getByLabel('Handle', { exact: true }).fill(reader.handle);
    await main().getByLabel('Password', { exact: true }).fill(reader.password);
    await main().getByRole('button', { name: 'Sign in', exact: true }).click();
    await expect.poll(() => main().getByRole('status').filter({ hasText: '2 of 2 accounts read' }).isVisible(), { timeout: 60_000 }).toBe(true);
    await expect.poll(() => feed().getByText(texts.r3).isVisible(), { timeout: 60_000, interval: 500 }).toBe(true);
  });

  it('opens the thread from a post’s time: parents in order, the post marked, and back to the list', async () => {
    const card = feed().getByRole('article').filter({ hasText: texts.r2 });
    await card.getByRole('button', { name: /^Open thread/ }).click();
    const thread = main().getByRole('feed', { name: 'Thread' });
    await expect.poll(() => thread.isVisible(), { timeout: 30_000 }).toBe(true);
    expect(await thread.locator('.post-text').allTextContents()).toEqual([texts.root, texts.r1, texts.r2, texts.r3]);
    expect(await thread.locator('[aria-current="true"] .post-text').textContent()).toBe(texts.r2);
    expect(await thread.locator('.thread-parent .post-text').allTextContents()).toEqual([texts.root, texts.r1]);
    expect(await thread.locator('.thread-reply .post-text').allTextContents()).toEqual([texts.r3]);
    // Focus moved to the view's heading, so a keyboard or screen reader user starts there.
    expect(await page.evaluate(() => document.activeElement?.textContent)).toBe('Thread');
    await page.screenshot({ path: `${shots}/feed-thread.png` });

    await main().getByRole('button', { name: /Back to Following/ }).click();
    await expect.poll(() => feed().getByText(texts.r3).isVisible()).toBe(true);
    expect(await main().getByRole('feed', { name: 'Thread' }).count()).toBe(0);
  });

  it('opens the profile from a handle, with the header as text, counts and its posts, and comes back to the same place', async () => {
    // Read down the list first: Back must return to this place, not the top.
    const older = feed().getByRole('article').filter({ hasText: `Older post 12 ${tag}` });
    await older.scrollIntoViewIfNeeded();
    const before = await scrollTop();
    expect(before).toBeGreaterThan(200);
    await older.getByRole('button', { name: `@${friend.handle}`, exact: true }).click();

    const header = main().locator('.profile-header:visible');
    await expect.poll(() => header.getByRole('heading', { name: `Friend ${tag}` }).isVisible(), { timeout: 30_000 }).toBe(true);
    expect(await header.getByRole('heading').textContent()).toBe(displayName);
    expect(await header.locator('.profile-description').textContent()).toBe(description);
    await expect.poll(() => header.locator('.profile-counts dt').allTextContents(), { timeout: 30_000 }).toEqual(['Posts', 'Follows', 'Followers']);
    expect(await header.locator('.profile-counts dd').allTextContents()).toEqual([`${OLDER + 2}`, '0', 'not known']);
    expect(await header.textContent()).toContain('Followers are not known without an AppView');
    expect(await header.textContent()).toContain('You follow this account');
    const authorFeed = main().getByRole('feed', { name: `Posts by @${friend.handle}` });
    await expect.poll(() => authorFeed.getByRole('article').count(), { timeout: 30_000 }).toBe(OLDER + 2);
    expect(await authorFeed.getByRole('article').first().locator('.post-text').textContent()).toBe(texts.r2);
    const seen = await page.evaluate(() => ({
      pwned: (window as unknown as { __pwned?: unknown }).__pwned ?? null,
      scripts: document.querySelectorAll('main script').length,
      strayImages: document.querySelectorAll('main img[src="x"]').length,
    }));
    expect(seen).toEqual({ pwned: null, scripts: 0, strayImages: 0 });
    await page.screenshot({ path: `${shots}/feed-profile.png` });

    // The keyboard way back (Alt+Left) returns to the list where it was, focus on the handle that opened the profile.
    await page.keyboard.press('Alt+ArrowLeft');
    await expect.poll(() => older.isVisible()).toBe(true);
    expect(Math.abs((await scrollTop()) - before)).toBeLessThanOrEqual(2);
    expect(await page.evaluate(() => document.activeElement?.textContent)).toBe(`@${friend.handle}`);
    expect(consoleErrors).toEqual([]);
  });
});
