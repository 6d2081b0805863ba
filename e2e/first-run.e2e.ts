import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BrowserContext, Page } from 'playwright-core';
import { KeyringSecretStore } from '../src/core/secrets/index.ts';
import { filesContaining } from './support/files.ts';
import { invokeInPage } from './support/hearth-page.ts';
import { repoRoot, type RunningHearth } from './support/hearth-web.ts';
import { closeHearthPage, openHearthPage } from './support/session.ts';

// A new user's first minutes, in a real browser against a real `npm run web` host: open the
// printed link, pick "Try it on this computer", watch it start, see a healthy server.

let hearth: RunningHearth;
let browser: BrowserContext;
let page: Page;
let consoleErrors: string[] = [];
const shots = `${repoRoot}docs/screenshots`;

beforeAll(async () => {
  ({ hearth, browser, page, consoleErrors } = await openHearthPage());
});

afterAll(() => closeHearthPage({ hearth, browser }));

describe('first run in browser mode', () => {
  it('refuses a request that carries a wrong token', async () => {
    const res = await fetch(`${hearth.origin}/?token=not-the-token`, { redirect: 'manual' });
    expect(res.status).toBe(401);
    expect(await res.text()).toMatch(/wrong token/);
    expect((await fetch(`${hearth.origin}/`)).status).toBe(401);
  });

  it('opens on the first-run screen with three choices', async () => {
    await page.goto(hearth.openUrl);
    await expect.poll(() => page.getByRole('button', { name: 'Try it on this computer' }).isVisible(), { timeout: 15_000 }).toBe(true);
    // The token left the address bar: it was traded for a cookie.
    expect(page.url()).not.toContain('token=');
    await expect.poll(() => page.getByRole('button', { name: /Create on DigitalOcean/ }).count()).toBe(1);
    await expect.poll(() => page.getByRole('button', { name: /Connect my server/ }).count()).toBe(1);
    await page.screenshot({ path: `${shots}/first-run.png` });
  });

  it('starts the sandbox with visible progress and shows it healthy', async () => {
    await page.getByRole('button', { name: 'Try it on this computer' }).click();
    const progress = page.getByRole('progressbar').first();
    await expect.poll(() => progress.isVisible(), { timeout: 10_000 }).toBe(true);
    await page.screenshot({ path: `${shots}/sandbox-starting.png` });

    // On success the app moves on to the Servers screen by itself.
    const healthy = page.getByRole('status').filter({ hasText: 'Healthy' }).first();
    await expect.poll(() => healthy.isVisible(), { timeout: 120_000, interval: 500 }).toBe(true);
    await expect.poll(() => page.getByText(/This computer \(sandbox\)/).first().isVisible()).toBe(true);
    await page.screenshot({ path: `${shots}/servers-healthy.png` });
  });

  it('shows the finished job and its log in the Jobs panel', async () => {
    await page.getByRole('navigation', { name: 'Main' }).getByText('Jobs', { exact: true }).click();
    await expect.poll(() => page.getByText('Start the sandbox on this computer').first().isVisible()).toBe(true);
    await page.getByText('Start the sandbox on this computer').first().click();
    await expect.poll(() => page.getByRole('log').first().textContent(), { timeout: 10_000 }).toMatch(/Starting PDS|PDS/);
    await page.screenshot({ path: `${shots}/jobs.png` });
  });

  it('printed no console errors', () => {
    expect(consoleErrors).toEqual([]);
  });

  it('left no secret in the data dir, the logs, job history or the page storage', async () => {
    const store = new KeyringSecretStore({ service: hearth.keychainService });
    const names = await store.list('sandbox/');
    expect(names).toEqual(expect.arrayContaining(['sandbox/admin-password', 'sandbox/jwt-secret', 'sandbox/plc-rotation-key']));
    const storage = await page.evaluate(async () => ({
      local: JSON.stringify({ ...localStorage }),
      session: JSON.stringify({ ...sessionStorage }),
      cookies: document.cookie,
      idb: JSON.stringify(await indexedDB.databases()),
      html: document.documentElement.outerHTML,
    }));
    const jobs = JSON.stringify(await invokeInPage(page, 'jobs.list', {}));
    for (const name of ['sandbox/jwt-secret', 'sandbox/admin-password', 'sandbox/plc-rotation-key']) {
      const value = await store.get(name);
      expect(value, name).toBeTruthy();
      expect(await filesContaining(hearth.dataDir, value!), `${name} in the data dir`).toEqual([]);
      expect(hearth.output(), `${name} in the host's output`).not.toContain(value!);
      expect(JSON.stringify(storage), `${name} in the page`).not.toContain(value!);
      expect(jobs).not.toContain(value!);
    }
  });

  it('stops the sandbox when Hearth quits', async () => {
    const { pdsUrl } = (await invokeInPage<{ pdsUrl: string }>(page, 'sandbox.status', {})).result;
    expect((await fetch(`${pdsUrl}/xrpc/_health`)).ok).toBe(true);
    expect(await hearth.stop()).toBe(0);
    await expect(fetch(`${pdsUrl}/xrpc/_health`)).rejects.toThrow();
  });
});
