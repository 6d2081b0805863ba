import { randomUUID } from 'node:crypto';
import { AtpAgent } from '@atproto/api';
import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startS3Server, type S3Fixture } from '../test/support/s3-server.ts';
import { startSandboxFromFirstRun } from './support/hearth-page.ts';
import { repoRoot, type RunningHearth } from './support/hearth-web.ts';
import { closeHearthPage, openHearthPage } from './support/session.ts';

// A new user backs up the sandbox and restores it, in a real browser against a real `npm run web`
// host, real restic and the local S3 server: set up a target → Back up now → the snapshot appears →
// write more → restore the older snapshot through the wizard → the later writes are gone.

let hearth: RunningHearth;
let s3: S3Fixture;
let browser: BrowserContext;
let page: Page;
let pdsUrl: string;
let consoleErrors: string[] = [];
const shots = `${repoRoot}docs/screenshots`;
const main = () => page.getByRole('main');
const account = { handle: `keeper${randomUUID().slice(0, 6)}.test`, password: `pw-${randomUUID()}`, did: '' };
let agent: AtpAgent;

beforeAll(async () => {
  s3 = await startS3Server();
  ({ hearth, browser, page, consoleErrors } = await openHearthPage());
});

afterAll(async () => {
  await closeHearthPage({ hearth, browser });
  await s3?.close();
});

async function postTexts(): Promise<string[]> {
  const reader = new AtpAgent({ service: pdsUrl });
  const list = await reader.com.atproto.repo.listRecords({ repo: account.did, collection: 'app.bsky.feed.post', limit: 100 });
  return list.data.records.map((r) => (r.value as { text: string }).text).sort();
}

describe('backups in browser mode on the sandbox', () => {
  it('starts the sandbox and writes a first post', async () => {
    pdsUrl = await startSandboxFromFirstRun(page, hearth.openUrl);
    agent = new AtpAgent({ service: pdsUrl });
    account.did = (await agent.createAccount({ handle: account.handle, email: 'keeper@example.com', password: account.password })).data.did;
    await agent.post({ text: 'before the backup' });
  });

  it('sets up the backup target and tests the connection', async () => {
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Backups' }).click();
    await main().getByLabel('Endpoint', { exact: true }).fill(s3.endpoint);
    await main().getByLabel('Bucket', { exact: true }).fill('hearth-backups');
    await main().getByLabel('Access key', { exact: true }).fill(s3.accessKeyId);
    await main().getByLabel('Secret key').fill('not-the-secret');
    await main().getByRole('button', { name: 'Test connection' }).click();
    await expect.poll(() => main().getByRole('alert').filter({ hasText: 'refused these access keys' }).isVisible(), { timeout: 20_000 }).toBe(true);
    await main().getByLabel('Secret key').fill(s3.secretAccessKey);
    await main().getByRole('button', { name: 'Test connection' }).click();
    await expect.poll(() => main().getByRole('status').filter({ hasText: 'Connection works' }).isVisible(), { timeout: 20_000 }).toBe(true);
    await page.screenshot({ path: `${shots}/backups-target.png`, });
    await main().getByRole('button', { name: 'Save target' }).click();
    // Setup is a job the form follows (restic is installed and the repository created), then says it is saved.
    await expect.poll(() => main().getByRole('status').filter({ hasText: 'Saved. The secret key and the repository password' }).isVisible(), { timeout: 120_000, interval: 250 }).toBe(true);
    await expect.poll(() => main().getByRole('button', { name: 'Back up now' }).isVisible(), { timeout: 60_000 }).toBe(true);
    // The secret went to the keychain, not back to the page.
    expect(await main().getByLabel('Secret key').inputValue()).toBe('');
  });

  it('backs up now: the snapshot appears with its account count', async () => {
    await main().getByRole('button', { name: 'Back up now' }).click();
    await expect.poll(() => main().getByRole('status').filter({ hasText: 'Back up now: done' }).isVisible(), { timeout: 120_000, interval: 500 }).toBe(true);
    const rows = main().getByRole('table').filter({ hasText: 'Taken' }).getByRole('row');
    await expect.poll(() => rows.count(), { timeout: 20_000 }).toBe(2);
    expect(await rows.nth(1).textContent()).toContain('Back up now');
    await page.screenshot({ path: `${shots}/backups-snapshots.png`, });
  });

  it('restores the older snapshot through the wizard: later writes are gone, earlier data intact', async () => {
    await agent.post({ text: 'after the backup' });
    const late = new AtpAgent({ service: pdsUrl });
    const lateDid = (await late.createAccount({ handle: `late${randomUUID().slice(0, 6)}.test`, email: 'late@example.com', password: 'late-password-1' })).data.did;
    expect(await postTexts()).toEqual(['after the backup', 'before the backup']);

    await main().getByRole('button', { name: /^Restore snapshot / }).first().click();
    const dialog = page.getByRole('dialog');
    await expect.poll(() => dialog.getByText('What will change').isVisible(), { timeout: 30_000 }).toBe(true);
    expect(await dialog.getByRole('listitem').filter({ hasText: lateDid }).textContent()).toContain('removed');
    const restore = dialog.getByRole('button', { name: 'Restore this snapshot' });
    expect(await restore.isDisabled()).toBe(true);
    await dialog.getByLabel(/Type the server’s name/).fill('This computer (sandbox)');
    await page.screenshot({ path: `${shots}/backups-restore-plan.png` });
    await restore.click();
    await expect.poll(() => dialog.getByRole('status').filter({ hasText: 'Restored.' }).isVisible(), { timeout: 180_000, interval: 500 }).toBe(true);
    await page.screenshot({ path: `${shots}/backups-restored.png` });
    await dialog.getByRole('button', { name: 'Close' }).click();

    expect(await postTexts()).toEqual(['before the backup']);
    const again = new AtpAgent({ service: pdsUrl });
    await again.login({ identifier: account.handle, password: account.password });
    expect(again.session?.did).toBe(account.did);
    const gone = await fetch(`${pdsUrl}/xrpc/com.atproto.sync.getLatestCommit?did=${lateDid}`);
    expect(gone.ok).toBe(false);
    // The safety snapshot taken before the restore shows in the timeline.
    await expect.poll(() => main().getByText('Safety (before a restore)').isVisible(), { timeout: 20_000 }).toBe(true);
    expect(consoleErrors).toEqual([]);
  });
});
