import { AtpAgent } from '@atproto/api';
import type { BrowserContext, Page } from 'playwright-core';
import { collectPageErrors, launchBrowser } from './browser.ts';
import { startHearthWeb, type RunningHearth } from './hearth-web.ts';

export interface HearthPage {
  hearth: RunningHearth;
  browser: BrowserContext;
  page: Page;
  /** Console errors and uncaught exceptions, for a test to assert there were none. */
  consoleErrors: string[];
  /** Messages of alert/confirm dialogs the page opened (each dismissed): Hearth should open none. */
  dialogs: string[];
}

/** What each end-to-end file starts with: Hearth in browser mode and one Chromium page. */
export async function openHearthPage(): Promise<HearthPage> {
  const hearth = await startHearthWeb();
  const browser = await launchBrowser();
  const page = await browser.newPage();
  const consoleErrors = collectPageErrors(page);
  const dialogs: string[] = [];
  page.on('dialog', (d) => {
    dialogs.push(d.message());
    void d.dismiss();
  });
  return { hearth, browser, page, consoleErrors, dialogs };
}

export async function closeHearthPage(opened: Partial<Pick<HearthPage, 'hearth' | 'browser'>>): Promise<void> {
  await opened.browser?.close();
  await opened.hearth?.stop();
}

/** An account made straight on a PDS (as another app would), its DID filled in. */
export async function createPdsAccount(pdsUrl: string, account: { handle: string; password: string; did: string }): Promise<AtpAgent> {
  const agent = new AtpAgent({ service: pdsUrl });
  await agent.createAccount({ handle: account.handle, email: `${account.handle}@example.com`, password: account.password });
  account.did = agent.session!.did;
  return agent;
}
