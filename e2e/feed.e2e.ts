import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { AtpAgent} from '@atproto/api';
import { RichText } from '@atproto/api';
import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { invokeInPage, startSandboxFromFirstRun } from './support/hearth-page.ts';
import { repoRoot, type RunningHearth } from './support/hearth-web.ts';
import { closeHearthPage, createPdsAccount, openHearthPage } from './support/session.ts';

// A new user reads a feed in browser mode, in a real Chromium against a real `npm run web` host
// and the real sandbox PDS: start the sandbox, make two accounts, sign in on the Feed screen as one
// that follows the other, see both accounts' posts after the refresh, see a newer post behind the
// "new posts" pill, and read every post of the server under "This server". One of the posts is
// hostile (markup, a script, a bidi override, a javascript: link facet): it must show as text.
//
// The follow is written with @atproto/api, as the user's other Bluesky app would; following,
// posting, liking, replying and deleting from Hearth's own screen are in e2e/feed-actions.e2e.ts.

let hearth: RunningHearth;
let browser: BrowserContext;
let page: Page;
let pdsUrl: string;
let consoleErrors: string[] = [];
let dialogs: string[] = [];
const shots = `${repoRoot}docs/screenshots`;
const tag = randomUUID().slice(0, 6);
const reader = { handle: `reader${tag}.test`, password: `pw-${randomUUID()}`, did: '' };
const friend = { handle: `friend${tag}.test`, password: `pw-${randomUUID()}`, did: '' };
let friendAgent: AtpAgent;
const texts = {
  own: `My first post from Hearth ${tag}`,
  friend: `Hello from a friend ${tag}`,
  later: `A newer post ${tag}`,
};
const jsLink = 'javascript:window.__pwned=2';
const hostile = `<script>window.__pwned=1</script> \u202Eevil\u202C <img src=x onerror="window.__pwned=3"> ${jsLink} ${tag}`;
/** 10,000 characters without a space, so only the card's wrapping keeps it in the column. */
const long = `${tag}${'w'.repeat(10_000 - tag.length)}`;
/** Older posts, enough for a second page (pages hold 50). */
const OLDER = 55;
// The own post, the friend’s, one with facets, the hostile one, the long one and two link cards.
const TOTAL = OLDER + 7;

const main = () => page.getByRole('main');
const feed = () => main().getByRole('feed');
const dialog = () => page.getByRole('dialog');

beforeAll(async () => {
  ({ hearth, browser, page, consoleErrors, dialogs } = await openHearthPage());
});

afterAll(() => closeHearthPage({ hearth, browser }));

describe('the feed in browser mode on the sandbox', () => {
  it('starts the sandbox and makes two accounts, one following the other', async () => {
    pdsUrl = await startSandboxFromFirstRun(page, hearth.openUrl);
    const readerAgent = await createPdsAccount(pdsUrl, reader);
    friendAgent = await createPdsAccount(pdsUrl, friend);
    await readerAgent.follow(friend.did);
    await readerAgent.post({ text: texts.own, createdAt: new Date().toISOString() });
    await friendAgent.post({ text: texts.friend, createdAt: new Date().toISOString() });

    // Facets as a client writes them: byte offsets of a mention, a link and a tag.
    const rich = `Rich ${tag}: hi @${reader.handle} see https://example.com/page #hearth`;
    const over = (part: string) => {
      const byteStart = Buffer.byteLength(rich.slice(0, rich.indexOf(part)));
      return { byteStart, byteEnd: byteStart + Buffer.byteLength(part) };
    };
    await friendAgent.post({
      text: rich,
      facets: [
        { index: over(`@${reader.handle}`), features: [{ $type: 'app.bsky.richtext.facet#mention', did: reader.did }] },
        { index: over('https://example.com/page'), features: [{ $type: 'app.bsky.richtext.facet#link', uri: 'https://example.com/page' }] },
        { index: over('#hearth'), features: [{ $type: 'app.bsky.richtext.facet#tag', tag: 'hearth' }] },
      ],
      createdAt: new Date().toISOString(),
    });

    // The hostile post, written as a raw record: a link facet over the javascript: text.
    const rt = new RichText({ text: hostile });
    const start = Buffer.from(hostile).indexOf(jsLink);
    await friendAgent.post({
      text: rt.text,
      facets: [{ index: { byteStart: start, byteEnd: start + Buffer.byteLength(jsLink) }, features: [{ $type: 'app.bsky.richtext.facet#link', uri: jsLink }] }],
      createdAt: new Date().toISOString(),
    });
    // Raw records a client would never write: 10,000 characters with facets far out of range,
    // and link cards pointing at javascript: and at a real https page.
    const raw = (record: Record<string, unknown>) =>
      friendAgent.com.atproto.repo.createRecord({ repo: friend.did, collection: 'app.bsky.feed.post', validate: false, record: { $type: 'app.bsky.feed.post', createdAt: new Date().toISOString(), ...record } });
    await raw({ text: long, facets: [{ index: { byteStart: 9_990, byteEnd: 20_000 }, features: [{ $type: 'app.bsky.richtext.facet#link', uri: 'https://example.com' }] }] });
    await raw({
      text: `Cards ${tag}`,
      embed: { $type: 'app.bsky.embed.external', external: { uri: jsLink, title: `Bad card ${tag}`, description: '<b>not bold</b>' } },
    });
    await raw({
      text: `Good card ${tag}`,
      embed: { $type: 'app.bsky.embed.external', external: { uri: 'https://example.com/article', title: `Good card title ${tag}`, description: 'A page' } },
    });
    // Older posts, an hour back to a few minutes ago, written at once.
    const now = Date.now();
    await friendAgent.com.atproto.repo.applyWrites({
      repo: friend.did,
      writes: Array.from({ length: OLDER }, (_, i) => ({
        $type: 'com.atproto.repo.applyWrites#create' as const,
        collection: 'app.bsky.feed.post',
        value: { $type: 'app.bsky.feed.post', text: `Older post ${i + 1} ${tag}`, createdAt: new Date(now - (OLDER - i + 5) * 60_000).toISOString() },
      })),
    });
  });

  it('refuses a wrong password with a clear message and keeps nothing', async () => {
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Feed' }).click();
    await expect.poll(() => main().getByRole('heading', { name: 'Sign in' }).isVisible(), { timeout: 20_000 }).toBe(true);
    await main().getByLabel('Handle', { exact: true }).fill(reader.handle);
    await main().getByLabel('Password', { exact: true }).fill('not-the-password');
    await main().getByRole('button', { name: 'Sign in', exact: true }).click();
    const refused = main().getByRole('alert').filter({ hasText: 'Could not sign in.' });
    await expect.poll(() => refused.isVisible(), { timeout: 20_000 }).toBe(true);
    expect(await refused.textContent()).toMatch(/password/i);
    expect(await main().getByLabel('Password', { exact: true }).inputValue()).toBe('');
    await page.screenshot({ path: `${shots}/feed-signin-refused.png` });
  });

  it('signs in with an account picked from the server, and shows its own and followed posts after the refresh', async () => {
    // The sandbox's accounts are offered: picking one fills in the handle.
    const picker = main().getByLabel('Accounts on your servers');
    await expect.poll(() => picker.locator('option', { hasText: reader.handle }).count(), { timeout: 20_000 }).toBe(1);
    await main().getByLabel('Handle', { exact: true }).fill('');
    await picker.selectOption(reader.handle);
    expect(await main().getByLabel('Handle', { exact: true }).inputValue()).toBe(reader.handle);
    await main().getByLabel('Password', { exact: true }).fill(reader.password);
    await main().getByRole('button', { name: 'Sign in', exact: true }).click();

    await expect.poll(() => main().getByText(`@${reader.handle}`).first().isVisible(), { timeout: 30_000 }).toBe(true);
    await expect.poll(() => feed().getByText(texts.own).isVisible(), { timeout: 60_000, interval: 500 }).toBe(true);
    await expect.poll(() => feed().getByText(texts.friend).isVisible(), { timeout: 60_000, interval: 500 }).toBe(true);
    await expect.poll(() => main().getByRole('status').filter({ hasText: '2 of 2 accounts read' }).isVisible(), { timeout: 60_000 }).toBe(true);
    // After the first read the feed is live from the sandbox PDS's firehose: both accounts.
    await expect.poll(() => main().getByText('Live: 2 accounts as they post').isVisible(), { timeout: 30_000 }).toBe(true);
    await page.screenshot({ path: `${shots}/feed-following.png` });
  });

  it('shows the hostile post as text and runs nothing from it', async () => {
    const post = feed().getByRole('article').filter({ hasText: `${jsLink} ${tag}` });
    await expect.poll(() => post.isVisible(), { timeout: 30_000 }).toBe(true);
    expect(await post.locator('.post-text').textContent()).toBe(hostile);
    const seen = await page.evaluate(() => {
      const text = document.querySelector('main [role="feed"] .post-text');
      return {
        pwned: (window as unknown as { __pwned?: unknown }).__pwned ?? null,
        scripts: document.querySelectorAll('main script').length,
        images: document.querySelectorAll('main img[src="x"], main [role="feed"] img:not(.post-image):not(.post-card-thumb)').length,
        jsLinks: [...document.querySelectorAll('a[href]')].filter((a) => /^\s*javascript:/i.test(a.getAttribute('href') ?? '')).length,
        isolated: text ? getComputedStyle(text).unicodeBidi : null,
        dir: text?.getAttribute('dir') ?? null,
      };
    });
    expect(seen).toEqual({ pwned: null, scripts: 0, images: 0, jsLinks: 0, isolated: 'isolate', dir: 'auto' });

    // Facets: the link opens a new tab without opener or referrer; mention and tag are styled text.
    const rich = feed().getByRole('article').filter({ hasText: `Rich ${tag}` });
    const richLink = rich.getByRole('link', { name: 'https://example.com/page' });
    expect(await richLink.getAttribute('href')).toBe('https://example.com/page');
    expect(await richLink.getAttribute('target')).toBe('_blank');
    expect(await richLink.getAttribute('rel')).toBe('noopener noreferrer');
    expect(await rich.locator('.post-mention').textContent()).toBe(`@${reader.handle}`);
    expect(await rich.locator('.post-tag').textContent()).toBe('#hearth');
    expect(await post.getByRole('link').count()).toBe(0);

    // 10,000 characters with out-of-range facets: all of it, as plain text, wrapped inside the column.
    const longPost = feed().getByRole('article').filter({ hasText: tag.concat('www') });
    expect(await longPost.locator('.post-text').textContent()).toBe(long);
    expect(await longPost.locator('a').count()).toBe(0);
    const widths = await page.evaluate(() => {
      const mainEl = document.querySelector('main')!;
      const list = document.querySelector('main [role="feed"]')!.getBoundingClientRect();
      const widest = Math.max(...[...document.querySelectorAll('main [role="feed"] article')].map((a) => a.getBoundingClientRect().right));
      return { overflow: mainEl.scrollWidth - mainEl.clientWidth, beyondList: Math.round(widest - list.right) };
    });
    expect(widths).toEqual({ overflow: 0, beyondList: 0 });

    // Link cards: the https one is a link that opens a new tab without opener; the javascript: one is text.
    const good = feed().getByRole('link', { name: new RegExp(`Good card title ${tag}`) });
    expect(await good.getAttribute('href')).toBe('https://example.com/article');
    expect(await good.getAttribute('target')).toBe('_blank');
    expect(await good.getAttribute('rel')).toBe('noopener noreferrer');
    const bad = feed().getByRole('article').filter({ hasText: `Bad card ${tag}` });
    expect(await bad.getByRole('link').count()).toBe(0);
    expect(await bad.textContent()).toContain('<b>not bold</b>');
    await post.scrollIntoViewIfNeeded();
    await page.screenshot({ path: `${shots}/feed-hostile.png` });
    expect(dialogs).toEqual([]);
  });

  it('loads older pages by cursor when the end of the list comes into view', async () => {
    await expect.poll(() => feed().getByRole('article').count()).toBe(50);
    const more = main().getByRole('button', { name: 'Load more' });
    expect(await more.isVisible()).toBe(true);
    await more.scrollIntoViewIfNeeded();
    await expect.poll(() => feed().getByRole('article').count(), { timeout: 20_000 }).toBe(TOTAL);
    await expect.poll(() => main().getByText('That is everything Hearth has read.').isVisible()).toBe(true);
    expect(await feed().getByRole('article').last().textContent()).toContain(`Older post 1 ${tag}`);
  });

  it('puts a newer post behind the pill without moving the reader, and shows it when asked', async () => {
    // The reader is half-way down the list: where that post sits on screen must not change.
    const reading = feed().getByRole('article').nth(30);
    await reading.scrollIntoViewIfNeeded();
    expect(await page.evaluate(() => document.querySelector('main')!.scrollTop)).toBeGreaterThan(0);
    const onScreen = async () => Math.round((await reading.boundingBox())!.y);
    const before = await onScreen();
    const readingUri = await reading.getAttribute('data-post-uri');

    await friendAgent.post({ text: texts.later, createdAt: new Date().toISOString() });
    // A refresh (as the Refresh button starts) reads the friend's repo again, under the reader.
    const accounts = await invokeInPage<{ did: string }[]>(page, 'feed.accounts', {});
    await invokeInPage(page, 'feed.refresh', { did: accounts.result[0]!.did });
    const pill = main().getByRole('button', { name: /^Show \d+ new posts?$/ });
    await expect.poll(() => pill.isVisible(), { timeout: 60_000, interval: 500 }).toBe(true);
    expect(await pill.textContent()).toBe('Show 1 new post');
    expect(await feed().getByText(texts.later).count()).toBe(0);
    expect(await onScreen()).toBe(before);
    expect(await reading.getAttribute('data-post-uri')).toBe(readingUri);
    await page.screenshot({ path: `${shots}/feed-new-posts.png` });

    await pill.click();
    await expect.poll(() => feed().getByRole('article').first().textContent()).toContain(texts.later);
    expect(await pill.count()).toBe(0);
    expect(await feed().getByRole('article').count()).toBe(TOTAL + 1);
    await expect.poll(() => feed().getByText(texts.later).isVisible()).toBe(true);
  });

  it('shows every post of both accounts under This server', async () => {
    await main().getByRole('button', { name: 'This server' }).click();
    const server = main().getByRole('feed', { name: /^Posts on / });
    await expect.poll(() => server.getByText(texts.own).isVisible(), { timeout: 60_000, interval: 500 }).toBe(true);
    await expect.poll(() => server.getByText(texts.friend).isVisible(), { timeout: 30_000 }).toBe(true);
    await expect.poll(() => server.getByText(texts.later).isVisible(), { timeout: 30_000 }).toBe(true);
    await main().getByRole('heading', { name: 'Feed', level: 1 }).scrollIntoViewIfNeeded();
    expect(await server.getByRole('article').filter({ hasText: `@${reader.handle}` }).count()).toBeGreaterThan(0);
    expect(await server.getByRole('article').filter({ hasText: `@${friend.handle}` }).count()).toBeGreaterThan(0);
    await page.screenshot({ path: `${shots}/feed-server.png` });
  });

  it('signs in a second account and switches between the two', async () => {
    await main().getByRole('button', { name: 'Following' }).click();
    await main().getByRole('button', { name: 'Sign in another account' }).click();
    await main().getByLabel('Handle', { exact: true }).fill(friend.handle);
    await main().getByLabel('Password', { exact: true }).fill(friend.password);
    await main().getByRole('button', { name: 'Sign in', exact: true }).click();
    const picker = main().getByLabel('Account', { exact: true });
    await expect.poll(() => picker.isVisible(), { timeout: 30_000 }).toBe(true);
    expect(await picker.locator('option').allTextContents()).toEqual([`@${reader.handle}`, `@${friend.handle}`]);
    // The friend follows nobody: its feed is its own posts, and the reader's are not in it.
    await expect.poll(() => feed().getByText(texts.later).isVisible(), { timeout: 60_000, interval: 500 }).toBe(true);
    await expect.poll(() => main().getByRole('status').filter({ hasText: '1 of 1 account read' }).isVisible(), { timeout: 60_000 }).toBe(true);
    expect(await feed().getByText(texts.own).count()).toBe(0);

    await picker.selectOption({ label: `@${reader.handle}` });
    await expect.poll(() => feed().getByText(texts.own).isVisible(), { timeout: 20_000 }).toBe(true);
    await page.screenshot({ path: `${shots}/feed-accounts.png` });
  });

  it('signs out after asking whether to delete the local feed data', async () => {
    const store = join(hearth.dataDir, 'feed', 'accounts', reader.did.replace(/[^a-zA-Z0-9._-]/g, '_'));
    expect(existsSync(store)).toBe(true);
    await main().getByRole('button', { name: 'Sign out' }).click();
    await expect.poll(() => dialog().getByText(/Also delete this account’s feed data/).isVisible()).toBe(true);
    expect(await dialog().getByRole('heading').textContent()).toBe(`Sign out @${reader.handle}?`);
    await dialog().getByLabel(/Also delete this account’s feed data/).check();
    await page.screenshot({ path: `${shots}/feed-signout.png` });
    await dialog().getByRole('button', { name: 'Sign out' }).click();
    await expect.poll(() => dialog().count(), { timeout: 20_000 }).toBe(0);
    // The other account stays signed in; the reader's feed data is gone from the data folder.
    await expect.poll(() => main().getByText(`Signed in as @${friend.handle}`).isVisible(), { timeout: 20_000 }).toBe(true);
    expect(existsSync(store)).toBe(false);

    // Signing out without deleting keeps the data for a later sign-in.
    await main().getByRole('button', { name: 'Sign out' }).click();
    await dialog().getByRole('button', { name: 'Sign out' }).click();
    await expect.poll(() => main().getByRole('heading', { name: 'Sign in' }).isVisible(), { timeout: 20_000 }).toBe(true);
    expect(existsSync(join(hearth.dataDir, 'feed', 'accounts', friend.did.replace(/[^a-zA-Z0-9._-]/g, '_')))).toBe(true);
    expect((await invokeInPage<unknown[]>(page, 'feed.accounts', {})).result).toEqual([]);
  });

  it('printed no console errors and never put a password in the page or the logs', async () => {
    expect(consoleErrors).toEqual([]);
    const content = await page.content();
    expect(content).not.toContain(reader.password);
    expect(hearth.output()).not.toContain(reader.password);
    const storage = await page.evaluate(() => JSON.stringify({ ...localStorage }) + JSON.stringify({ ...sessionStorage }));
    expect(storage).not.toContain(reader.password);
  });
});
