import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BrowserContext, Page } from 'playwright-core';
import { freePort, startPlc } from '../test/support/plc.ts';
import { startTestServer, testServerUnavailable, type TestServer } from '../test/support/test-server.ts';
import { collectPageErrors, launchBrowser } from './support/browser.ts';
import { repoRoot, startHearthWeb, type RunningHearth } from './support/hearth-web.ts';

// A new user with a VPS, in a real browser against a real `npm run web` host: Connect my server →
// add the key with the one line shown → check the server → install → a healthy PDS. The "VPS" is a
// test server (Debian 12 root, sshd on loopback); its hostname resolves through HEARTH_RESOLVE and
// Caddy uses its internal CA, which Hearth fetches and trusts for this server only.

const HOSTNAME = 'pds.connect-e2e.test';
const shots = `${repoRoot}docs/screenshots`;

describe.skipIf(testServerUnavailable())('Connect my server, in browser mode', () => {
  let server: TestServer;
  let plc: { url: string; close(): Promise<void> };
  let hearth: RunningHearth;
  let browser: BrowserContext;
  let page: Page;
  let consoleErrors: string[] = [];

  beforeAll(async () => {
    [server, plc] = await Promise.all([startTestServer(), startPlc()]);
    hearth = await startHearthWeb({ env: { HEARTH_RESOLVE: `${HOSTNAME}=127.0.0.1,*.${HOSTNAME}=127.0.0.1` } });
    browser = await launchBrowser();
    page = await browser.newPage();
    consoleErrors = collectPageErrors(page);
  });
  afterAll(async () => {
    await browser?.close();
    await hearth?.stop();
    await Promise.all([server?.stop(), plc?.close()]);
  });

  it('connects with the key Hearth shows, after running its one line on the server', async () => {
    await page.goto(hearth.openUrl);
    await page.getByRole('button', { name: 'Connect my server' }).click();
    await page.getByLabel('Name in Hearth').fill('My VPS');
    await page.getByLabel('Address').fill(server.host);
    await page.getByLabel('SSH port').fill(String(server.port));
    await page.getByRole('button', { name: "Make Hearth's key" }).click();

    const command = page.getByRole('textbox', { name: "Command that adds Hearth's key" });
    await expect.poll(() => command.isVisible(), { timeout: 10_000 }).toBe(true);
    const line = await command.inputValue();
    expect(line).toMatch(/ssh-ed25519 AAAA\S+ hearth@/);
    await page.screenshot({ path: `${shots}/connect-key.png` });
    // The user pastes it into the provider's console.
    expect((await server.exec(line)).code).toBe(0);

    await page.getByRole('button', { name: 'I ran it — connect' }).click();
    const connected = page.getByRole('status').filter({ hasText: 'Connected to' });
    await expect.poll(() => connected.isVisible(), { timeout: 15_000 }).toBe(true);
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
});
