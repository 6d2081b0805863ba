import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { AtpAgent } from '@atproto/api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BrowserContext, Page } from 'playwright-core';
import type { Server } from '../src/shared/contract/servers.ts';
import { serverFetch } from '../src/core/hosts/https-probe.ts';
import { systemResolver } from '../src/core/hosts/resolve.ts';
import { freePort, startPlc } from '../test/support/plc.ts';
import { startS3Server, type S3Fixture } from '../test/support/s3-server.ts';
import { startTestServer, testServerUnavailable, type TestServer } from '../test/support/test-server.ts';
import { collectPageErrors, launchBrowser } from './support/browser.ts';
import { invokeInPage } from './support/hearth-page.ts';
import { repoRoot, startHearthWeb, type RunningHearth } from './support/hearth-web.ts';

// A new user with a VPS, in a real browser against a real `npm run web` host: Connect my server →
// add the key with the one line shown → check the server → install → a healthy PDS. The "VPS" is a
// test server (Debian 12 root, sshd on loopback); its hostname resolves through HEARTH_RESOLVE and
// Caddy uses its internal CA, which Hearth fetches and trusts for this server only.
// Then the disaster: backups into a local S3 server from the Backups screen, the VPS is lost, a
// second test server is connected and "Restore onto a new server" brings every account back there.

const HOSTNAME = 'pds.connect-e2e.test';
const RESOLVE = `${HOSTNAME}=127.0.0.1,*.${HOSTNAME}=127.0.0.1`;
const shots = `${repoRoot}docs/screenshots`;

describe.skipIf(testServerUnavailable())('Connect my server, in browser mode', () => {
  let server: TestServer;
  let replacement: TestServer;
  let s3: S3Fixture;
  let plc: { url: string; close(): Promise<void> };
  let hearth: RunningHearth;
  let browser: BrowserContext;
  let page: Page;
  let consoleErrors: string[] = [];

  beforeAll(async () => {
    [server, replacement, plc, s3] = await Promise.all([startTestServer(), startTestServer(), startPlc(), startS3Server()]);
    hearth = await startHearthWeb({ env: { HEARTH_RESOLVE: RESOLVE } });
    browser = await launchBrowser();
    page = await browser.newPage();
    consoleErrors = collectPageErrors(page);
  });
  afterAll(async () => {
    await browser?.close();
    await hearth?.stop();
    await Promise.all([server?.stop(), replacement?.stop(), plc?.close(), s3?.close()]);
  });

  /** Connect my server's first step: name and address, Hearth's key added with the one line shown, connected. */
  const connectWithKey = async (name: string, target: TestServer, beforeRunning?: (line: string) => Promise<void>) => {
    await page.getByLabel('Name in Hearth').fill(name);
    await page.getByLabel('Address').fill(target.host);
    await page.getByLabel('SSH port').fill(String(target.port));
    await page.getByRole('button', { name: "Make Hearth's key" }).click();
    const command = page.getByRole('textbox', { name: "Command that adds Hearth's key" });
    await expect.poll(() => command.isVisible(), { timeout: 10_000 }).toBe(true);
    const line = await command.inputValue();
    await beforeRunning?.(line);
    // The user pastes it into the provider's console.
    expect((await target.exec(line)).code).toBe(0);
    await page.getByRole('button', { name: 'I ran it — connect' }).click();
    const connected = page.getByRole('status').filter({ hasText: 'Connected to' });
    // A fresh server's first SSH login can take a while on a busy machine.
    await expect.poll(() => connected.isVisible(), { timeout: 60_000 }).toBe(true);
    return connected;
  };

  it('connects with the key Hearth shows, after running its one line on the server', async () => {
    await page.goto(hearth.openUrl);
    await page.getByRole('button', { name: 'Connect my server' }).click();
    const connected = await connectWithKey('My VPS', server, async (line) => {
      expect(line).toMatch(/ssh-ed25519 AAAA\S+ hearth@/);
      await page.screenshot({ path: `${shots}/connect-key.png` });
    });
    expect(await connected.textContent()).toContain(server.hostKeyFingerprint);
  });

  it('checks the server and lists each finding', async () => {
    await page.getByLabel('Hostname').fill(HOSTNAME);
    await page.getByLabel(/Hearth-trusted local certificates/).check();
    await page.getByText('Advanced: ports and identity directory').click();
    await page.getByLabel('HTTPS port').fill(String(await freePort()));
    await page.getByLabel('HTTP port').fill(String(await freePort()));
    await page.getByLabel('PDS port (on the server only)').fill(String(await freePort()));
    await page.getByLabel('Caddy admin port (on the server only)').fill(String(await freePort()));
    await page.getByLabel(/PLC directory/).fill(plc.url);
    await page.getByRole('button', { name: 'Check the server' }).click();

    const checks = page.getByRole('list', { name: 'Server checks' });
    await expect.poll(() => checks.isVisible(), { timeout: 15_000 }).toBe(true);
    for (const label of ['Operating system', 'Memory', 'DNS', 'Administrator rights']) {
      expect(await checks.getByText(new RegExp(`OK: ${label}`)).count()).toBe(1);
    }
    await checks.scrollIntoViewIfNeeded();
    await page.screenshot({ path: `${shots}/connect-preflight.png` });
  });

  it('installs the PDS with visible progress and ends with a healthy server', async () => {
    await page.getByRole('button', { name: 'Install the PDS' }).click();
    await expect.poll(() => page.getByRole('progressbar').first().isVisible(), { timeout: 15_000 }).toBe(true);
    await expect.poll(() => page.getByText('Finished successfully.').isVisible(), { timeout: 600_000, interval: 1_000 }).toBe(true);
    const log = page.getByRole('log', { name: 'Install log' });
    expect(await log.textContent()).toMatch(/Step \d+\/\d+ done in [\d.]+ s: Check HTTPS/);
    await log.scrollIntoViewIfNeeded();
    await page.screenshot({ path: `${shots}/connect-installed.png` });

    await page.getByRole('button', { name: 'Go to my servers' }).click();
    const healthy = page.getByRole('status').filter({ hasText: 'Healthy' }).first();
    await expect.poll(() => healthy.isVisible(), { timeout: 60_000, interval: 500 }).toBe(true);
    await expect.poll(() => page.getByText('My VPS').first().isVisible()).toBe(true);
    // The machine itself, read over SSH: both services running, CPU/memory/disk figures.
    const host = page.getByRole('region', { name: 'My VPS: the server itself' });
    await expect.poll(() => host.getByText('running').count(), { timeout: 30_000 }).toBe(2);
    expect(await host.getByText('CPU', { exact: true }).count()).toBe(1);
    await page.screenshot({ path: `${shots}/connect-servers-healthy.png` });
    expect(consoleErrors).toEqual([]);
  }, 900_000);

  const account = { handle: `keeper.${HOSTNAME}`, password: 'keeper-password-1', did: '' };
  const servers = async () => (await invokeInPage<Server[]>(page, 'servers.list', {})).result;
  const main = () => page.getByRole('main');

  it('backs the server up into an S3 store from its Backups screen', async () => {
    const vps = (await servers()).find((s) => s.name === 'My VPS')!;
    const created = await invokeInPage<{ did: string }>(page, 'accounts.create', { serverId: vps.id, handle: account.handle, email: 'keeper@example.com', password: account.password });
    expect(created.ok).toBe(true);
    account.did = created.result.did;
    await page.goto(`${hearth.origin}/#/backups/${vps.id}`);
    await main().getByLabel('Endpoint', { exact: true }).fill(s3.endpoint);
    await main().getByLabel('Bucket', { exact: true }).fill('hearth-backups');
    await main().getByLabel('Access key', { exact: true }).fill(s3.accessKeyId);
    await main().getByLabel('Secret key').fill(s3.secretAccessKey);
    await main().getByRole('button', { name: 'Save target' }).click();
    await expect.poll(() => main().getByRole('button', { name: 'Back up now' }).isVisible(), { timeout: 180_000, interval: 500 }).toBe(true);
    await main().getByRole('button', { name: 'Back up now' }).click();
    await expect.poll(() => main().getByRole('status').filter({ hasText: 'Back up now: done' }).isVisible(), { timeout: 180_000, interval: 500 }).toBe(true);
  }, 420_000);

  it('after losing the server, restores it onto a new one: same hostname, the account logs in there, and its DID resolves there', async () => {
    await server.stop();
    // The new, empty server is connected like the first one.
    await page.goto(`${hearth.origin}/#/connect`);
    await connectWithKey('New VPS', replacement);

    const vps = (await servers()).find((s) => s.name === 'My VPS')!;
    await page.goto(`${hearth.origin}/#/backups/${vps.id}`);
    await main().getByRole('button', { name: 'Restore onto a new server…' }).click();
    const dialog = page.getByRole('dialog', { name: 'Restore My VPS onto a new server' });
    await expect.poll(() => dialog.getByLabel('New server').isVisible(), { timeout: 10_000 }).toBe(true);
    expect(await dialog.getByLabel('New server').locator('option').allTextContents()).toEqual([`New VPS (${replacement.host})`]);
    await dialog.getByText('Advanced: ports').click();
    for (const label of ['HTTPS port', 'HTTP port', 'PDS port (on the server only)', 'Caddy admin port (on the server only)']) {
      await dialog.getByLabel(label).fill(String(await freePort()));
    }
    await page.screenshot({ path: `${shots}/recover-choose.png` });
    await dialog.getByRole('button', { name: 'Restore onto New VPS' }).click();
    await expect.poll(() => dialog.getByRole('progressbar').isVisible(), { timeout: 15_000 }).toBe(true);
    // The guide checks the name and every DID: here the name already resolves to the new server.
    const done = dialog.getByRole('status').filter({ hasText: 'The move is finished' });
    await expect.poll(() => done.isVisible(), { timeout: 900_000, interval: 1_000 }).toBe(true);
    expect(await dialog.getByRole('list', { name: 'Accounts and where their DIDs point' }).textContent()).toContain(account.did);
    await page.screenshot({ path: `${shots}/recover-done.png` });
    // The move is done: the old server can go from Hearth (its keychain entries stay).
    await dialog.getByRole('button', { name: 'Forget My VPS…' }).click();
    await page.getByRole('dialog', { name: 'Forget My VPS?' }).getByRole('button', { name: 'Forget My VPS' }).click();
    await expect.poll(async () => (await servers()).map((s) => s.name), { timeout: 15_000 }).toEqual(['New VPS']);

    const moved = (await servers()).find((s) => s.name === 'New VPS')!;
    expect(moved.install?.hostname).toBe(HOSTNAME);
    const fetch = serverFetch({ resolve: systemResolver(RESOLVE), ca: await readFile(join(hearth.dataDir, 'hosts', moved.id, 'caddy-root.crt'), 'utf8') });
    const agent = new AtpAgent({ service: moved.url, fetch });
    await agent.login({ identifier: account.handle, password: account.password });
    expect(agent.session?.did).toBe(account.did);
    expect(consoleErrors).toEqual([]);
  }, 1_200_000);
});
