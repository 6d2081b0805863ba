import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { BrowserContext } from 'playwright-core';
import { launchBrowser } from './support/browser.ts';
import { invokeInPage } from './support/hearth-page.ts';
import { repoRoot, startHearthWeb, type RunningHearth } from './support/hearth-web.ts';

// What a user sees when something around Hearth is wrong: no keychain, or a damaged settings
// file. Both must be said in plain words, and nothing must be lost or silently replaced.

let hearth: RunningHearth | undefined;
let browser: BrowserContext | undefined;

afterEach(async () => {
  await browser?.close();
  await hearth?.stop();
});

describe('when something around Hearth is wrong', () => {
  it('without a keychain: says so, and the sandbox refuses to start rather than keep secrets elsewhere', async () => {
    hearth = await startHearthWeb({ env: { DBUS_SESSION_BUS_ADDRESS: 'unix:path=/nonexistent/hearth-no-bus' } });
    browser = await launchBrowser();
    const page = await browser.newPage();
    await page.goto(hearth.openUrl);

    const banner = page.getByRole('region', { name: 'The system keychain is not available' });
    await expect.poll(() => banner.isVisible(), { timeout: 15_000 }).toBe(true);
    expect(await banner.textContent()).toMatch(/keychain/i);

    await page.getByRole('button', { name: 'Try it on this computer' }).click();
    const alert = page.getByRole('alert').filter({ hasText: /keychain/i }).first();
    await expect.poll(() => alert.isVisible(), { timeout: 15_000 }).toBe(true);
    await page.screenshot({ path: `${repoRoot}docs/screenshots/no-keychain.png` });

    // Nothing was started or written for the sandbox.
    const status = (await invokeInPage<{ state: string }>(page, 'sandbox.status', {})).result.state;
    expect(status).toBe('absent');
    await expect(readFile(join(hearth.dataDir, 'sandbox', 'sandbox.json'))).rejects.toThrow();
  });

  it('with a damaged settings file: keeps it aside untouched and says where', async () => {
    const damaged = '{"version":1,"servers":[{"id":"half-written';
    hearth = await startHearthWeb({ prepare: (dir) => writeFile(join(dir, 'config.json'), damaged) });
    browser = await launchBrowser();
    const page = await browser.newPage();
    await page.goto(hearth.openUrl);

    const banner = page.getByRole('region', { name: 'Hearth could not read its settings' });
    await expect.poll(() => banner.isVisible(), { timeout: 15_000 }).toBe(true);
    const text = (await banner.textContent()) ?? '';
    const keptAt = /(\/\S+config\.json\.corrupt-[^\s]+?)(?=[\s,.]|\.?$)/.exec(text)?.[1];
    expect(keptAt, text).toBeTruthy();
    expect(await readFile(keptAt!, 'utf8')).toBe(damaged);
    await page.screenshot({ path: `${repoRoot}docs/screenshots/config-problem.png` });
  });
});
