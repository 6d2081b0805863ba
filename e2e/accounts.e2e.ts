import { randomUUID } from 'node:crypto';
import { AtpAgent, RichText } from '@atproto/api';
import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KeyringSecretStore } from '../src/core/secrets/index.ts';
import { startSandboxFromFirstRun } from './support/hearth-page.ts';
import { repoRoot, type RunningHearth } from './support/hearth-web.ts';
import { closeHearthPage, openHearthPage } from './support/session.ts';

// A new user manages accounts on the sandbox, in a real browser against a real `npm run web`
// host: start the sandbox from the first-run screen, then create an account, find it, take it
// down, restore it, make invite codes, delete it. Every effect is checked on the PDS itself.
// Hostile records and names must show as text, with no script running.

let hearth: RunningHearth;
let browser: BrowserContext;
let page: Page;
let pdsUrl: string;
let consoleErrors: string[] = [];
let dialogs: string[] = [];
const shots = `${repoRoot}docs/screenshots`;
const name = `newbie${randomUUID().slice(0, 6)}`;
const handle = `${name}.test`;
const hostile = {
  handle: `mallory${randomUUID().slice(0, 6)}.test`,
  displayName: '<img src=x onerror="window.__pwned=1;alert(1)">',
  text: 'click javascript:window.__pwned=2 <script>window.__pwned=3</script> <b onmouseover=alert(1)>bold</b>',
};

const main = () => page.getByRole('main');
const accountsTable = () => page.getByRole('table', { name: 'Accounts' });
const dialog = () => page.getByRole('alertdialog');

beforeAll(async () => {
  ({ hearth, browser, page, consoleErrors, dialogs } = await openHearthPage());
});

afterAll(() => closeHearthPage({ hearth, browser }));

async function pdsLogin(identifier: string, password: string): Promise<string | null> {
  const agent = new AtpAgent({ service: pdsUrl });
  return agent.login({ identifier, password }).then(
    () => null,
    (err: { error?: string }) => err.error ?? 'failed',
  );
}

async function listedHandles(): Promise<string[]> {
  const agent = new AtpAgent({ service: pdsUrl });
  const { data } = await agent.com.atproto.sync.listRepos({ limit: 1000 });
  const handles: string[] = [];
  for (const repo of data.repos) {
    const described = await agent.com.atproto.repo.describeRepo({ repo: repo.did }).catch(() => null);
    if (described) handles.push(described.data.handle);
  }
  return handles;
}

describe('accounts in browser mode on the sandbox', () => {
  it('starts the sandbox from the first-run screen', async () => {
    pdsUrl = await startSandboxFromFirstRun(page, hearth.openUrl);
    expect(pdsUrl).toMatch(/^http:\/\/localhost:\d+$/);

    // Someone else on the server writes hostile data: HTML in a display name and in a post.
    const agent = new AtpAgent({ service: pdsUrl });
    await agent.createAccount({ handle: hostile.handle, email: `${hostile.handle}@example.com`, password: `pw-${randomUUID()}` });
    await agent.com.atproto.repo.putRecord({
      repo: agent.session!.did,
      collection: 'app.bsky.actor.profile',
      rkey: 'self',
      record: { $type: 'app.bsky.actor.profile', displayName: hostile.displayName, description: 'javascript:alert(document.cookie)' },
    });
    const rt = new RichText({ text: hostile.text });
    const start = Buffer.from(hostile.text).indexOf('javascript:');
    const post = await agent.post({
      text: rt.text,
      facets: [{ index: { byteStart: start, byteEnd: start + 'javascript:window.__pwned=2'.length }, features: [{ $type: 'app.bsky.richtext.facet#link', uri: 'javascript:window.__pwned=2' }] }],
      createdAt: new Date().toISOString(),
    });
    // A like points at the post: the record browser links one to the other.
    await agent.like(post.uri, post.cid);
  });

  it('lists the accounts of the sandbox', async () => {
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Accounts' }).click();
    await expect.poll(() => accountsTable().getByRole('button', { name: hostile.handle }).isVisible(), { timeout: 20_000 }).toBe(true);
    await expect.poll(() => main().getByText(/\d+ accounts?/).first().isVisible()).toBe(true);
  });

  it('creates an account that can log in', async () => {
    await main().getByRole('button', { name: 'Create account' }).click();
    await expect.poll(() => dialog().isVisible()).toBe(true);
    await dialog().getByLabel('Handle').fill(handle);
    await dialog().getByLabel('Email').fill(`${name}@example.com`);
    await page.screenshot({ path: `${shots}/accounts-create.png` });
    await dialog().getByRole('button', { name: 'Create account' }).click();
    await expect.poll(() => dialog().count(), { timeout: 20_000 }).toBe(0);

    const notice = main().getByRole('status').filter({ hasText: `Created ${handle}.` });
    await expect.poll(() => notice.isVisible()).toBe(true);
    const password = await notice.getByLabel(`Password for ${handle}`).textContent();
    expect(password).toMatch(/^[A-Za-z0-9]{20}$/);
    expect(await pdsLogin(handle, password!)).toBeNull();
    await notice.getByRole('button', { name: 'Dismiss' }).click();
  });

  let password: string;

  it('finds it by search and takes it down, then restores it', async () => {
    await main().getByLabel('Search').fill(name);
    await expect.poll(() => accountsTable().locator('[data-account-row]').count()).toBe(1);
    await expect.poll(() => main().getByText('1 of').first().isVisible()).toBe(true);
    await page.screenshot({ path: `${shots}/accounts-search.png` });

    await accountsTable().getByRole('button', { name: handle }).click();
    const detail = page.getByRole('region', { name: handle });
    await expect.poll(() => detail.getByText('Active').first().isVisible(), { timeout: 20_000 }).toBe(true);

    // A known password, so the PDS can be asked whether login works.
    password = `pw-${randomUUID()}`;
    await detail.getByRole('button', { name: 'Reset password' }).click();
    await dialog().getByLabel(/New password/).fill(password);
    await dialog().getByRole('button', { name: 'Reset password' }).click();
    await expect.poll(() => dialog().count(), { timeout: 20_000 }).toBe(0);
    expect(await pdsLogin(handle, password)).toBeNull();

    await detail.getByRole('button', { name: 'Take down' }).click();
    await expect.poll(() => dialog().getByText(/can no longer log in/).isVisible()).toBe(true);
    await page.screenshot({ path: `${shots}/accounts-takedown.png` });
    await dialog().getByRole('button', { name: 'Take down account' }).click();
    await expect.poll(() => detail.getByText('Taken down').first().isVisible(), { timeout: 20_000 }).toBe(true);
    expect(await pdsLogin(handle, password)).toBe('AccountTakedown');
    await expect.poll(() => accountsTable().getByText('Taken down').isVisible(), { timeout: 10_000 }).toBe(true);

    await detail.getByRole('button', { name: 'Restore' }).click();
    await dialog().getByRole('button', { name: 'Restore account' }).click();
    await expect.poll(() => detail.getByText('Active').first().isVisible(), { timeout: 20_000 }).toBe(true);
    expect(await pdsLogin(handle, password)).toBeNull();
  });

  it('makes invite codes and lists them', async () => {
    const invites = page.getByRole('region', { name: 'Invite codes' });
    await invites.getByLabel('Codes').fill('2');
    await invites.getByRole('button', { name: 'Make invite codes' }).click();
    await expect.poll(() => dialog().getByText(/create an account on/).isVisible()).toBe(true);
    await dialog().getByRole('button', { name: 'Make codes' }).click();
    const table = invites.getByRole('table', { name: 'Invite codes' });
    await expect.poll(() => table.getByRole('row').count(), { timeout: 20_000 }).toBe(3);
    const codes = (await table.getByRole('rowheader').allTextContents()).map((c) => c.trim());
    expect(codes).toHaveLength(2);
    await invites.scrollIntoViewIfNeeded();
    await page.screenshot({ path: `${shots}/accounts-invites.png` });

    // The PDS agrees: each code accepts one sign-up.
    const agent = new AtpAgent({ service: pdsUrl });
    const invited = `inv${randomUUID().slice(0, 6)}.test`;
    await agent.createAccount({ handle: invited, email: `${invited}@example.com`, password: `pw-${randomUUID()}`, inviteCode: codes[0] });
    await page.getByRole('button', { name: 'Refresh' }).click();
    await expect.poll(() => table.getByRole('row', { name: new RegExp(codes[0]!) }).getByText(invited).isVisible(), { timeout: 10_000 }).toBe(true);

    // Disabling a code: confirmed, then refused by the PDS.
    await table.getByRole('button', { name: `Disable ${codes[1]}` }).click();
    await expect.poll(() => dialog().getByText(/Nobody can create an account with this code/).isVisible()).toBe(true);
    await dialog().getByRole('button', { name: 'Disable code' }).click();
    await expect.poll(() => table.getByRole('row', { name: new RegExp(codes[1]!) }).getByText('Disabled').isVisible(), { timeout: 10_000 }).toBe(true);
    const refused = await agent
      .createAccount({ handle: `x${invited}`, email: `x${invited}@example.com`, password: `pw-${randomUUID()}`, inviteCode: codes[1] })
      .then(() => null, (err: { error?: string }) => err.error);
    expect(refused).toBe('InvalidInviteCode');
  });

  it('shows hostile names and records as text, running nothing', async () => {
    await main().getByLabel('Search').fill(hostile.handle);
    await accountsTable().getByRole('button', { name: hostile.handle }).click();
    const detail = page.getByRole('region', { name: hostile.handle });
    await expect.poll(() => detail.getByRole('button', { name: 'app.bsky.actor.profile' }).isVisible(), { timeout: 20_000 }).toBe(true);

    await detail.getByRole('button', { name: 'app.bsky.feed.post' }).click();
    await expect.poll(() => detail.getByText(hostile.text).first().isVisible(), { timeout: 10_000 }).toBe(true);
    await detail.getByRole('list', { name: 'Records in app.bsky.feed.post' }).getByRole('button').first().click();
    const post = detail.getByLabel(/^Record at:\/\//);
    await expect.poll(async () => (await post.textContent()) ?? '', { timeout: 10_000 }).toContain('"uri": "javascript:window.__pwned=2"');

    await detail.getByRole('button', { name: 'app.bsky.actor.profile' }).click();
    await detail.getByRole('list', { name: 'Records in app.bsky.actor.profile' }).getByRole('button', { name: 'self' }).click();
    await expect.poll(async () => (await detail.getByLabel(/^Record at:\/\/.*profile\/self$/).textContent()) ?? '', { timeout: 10_000 }).toContain(
      JSON.stringify(hostile.displayName).slice(1, -1),
    );
    await expect.poll(() => detail.getByText(hostile.displayName).first().isVisible()).toBe(true);
    await page.screenshot({ path: `${shots}/accounts-hostile.png`, fullPage: true });

    const page_ = await page.evaluate(() => ({
      pwned: (window as unknown as { __pwned?: unknown }).__pwned ?? null,
      images: document.querySelectorAll('img').length,
      scripts: [...document.querySelectorAll('main script')].length,
      jsLinks: [...document.querySelectorAll('a[href]')].filter((a) => /^\s*javascript:/i.test(a.getAttribute('href') ?? '')).length,
      bold: document.querySelectorAll('main b').length,
    }));
    expect(page_).toEqual({ pwned: null, images: 0, scripts: 0, jsLinks: 0, bold: 0 });
    expect(dialogs).toEqual([]);
  });

  it("follows a record's reference to the record it points at", async () => {
    const detail = page.getByRole('region', { name: hostile.handle });
    await detail.getByRole('button', { name: 'app.bsky.feed.like' }).click();
    await detail.getByRole('list', { name: 'Records in app.bsky.feed.like' }).getByRole('button').first().click();
    const link = detail.getByRole('button', { name: /"at:\/\/did:plc:[a-z0-9]+\/app\.bsky\.feed\.post\// });
    await expect.poll(() => link.isVisible(), { timeout: 10_000 }).toBe(true);
    await link.click();
    await expect.poll(async () => (await detail.getByLabel(/^Record at:\/\/.*app\.bsky\.feed\.post/).textContent()) ?? '', { timeout: 10_000 }).toContain('"$type": "app.bsky.feed.post"');
  });

  it('deletes the account only after its handle is typed', async () => {
    await main().getByLabel('Search').fill(name);
    await accountsTable().getByRole('button', { name: handle }).click();
    const detail = page.getByRole('region', { name: handle });
    await detail.getByRole('button', { name: 'Delete account' }).click();
    const confirm = dialog().getByRole('button', { name: 'Delete account' });
    await expect.poll(() => confirm.isDisabled()).toBe(true);
    await dialog().getByLabel(/to confirm/).fill('wrong.test');
    expect(await confirm.isDisabled()).toBe(true);
    await dialog().getByLabel(/to confirm/).fill(handle);
    await expect.poll(() => confirm.isEnabled()).toBe(true);
    await page.screenshot({ path: `${shots}/accounts-delete.png` });
    await confirm.click();
    await expect.poll(() => main().getByRole('status').filter({ hasText: `Deleted ${handle}.` }).isVisible(), { timeout: 20_000 }).toBe(true);
    await expect.poll(() => accountsTable().locator('[data-account-row]').count(), { timeout: 10_000 }).toBe(0);
    expect(await listedHandles()).not.toContain(handle);
    expect(await pdsLogin(handle, password)).not.toBeNull();
  });

  it('leaves a clean list screenshot, printed no console errors and never showed the admin password', async () => {
    await main().getByLabel('Search').fill('');
    await page.getByRole('heading', { name: 'Accounts', level: 1 }).scrollIntoViewIfNeeded();
    await page.screenshot({ path: `${shots}/accounts-list.png` });
    expect(consoleErrors).toEqual([]);
    const adminPassword = await new KeyringSecretStore({ service: hearth.keychainService }).get('sandbox/admin-password');
    expect(adminPassword).toBeTruthy();
    expect(await page.content()).not.toContain(adminPassword!);
    expect(hearth.output()).not.toContain(adminPassword!);
  });
});
