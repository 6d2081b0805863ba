import { expect } from 'vitest';
import type { Page } from 'playwright-core';

/** Calls the contract from inside the page, through the same window.hearth the UI uses. */
export function invokeInPage<T>(page: Page, call: string, input: unknown): Promise<{ ok: boolean; result: T }> {
  return page.evaluate(
    ([name, args]) =>
      (window as unknown as { hearth: { invoke(c: string, i: unknown): Promise<{ ok: boolean; result: unknown }> } }).hearth.invoke(name, args),
    [call, input] as const,
  ) as Promise<{ ok: boolean; result: T }>;
}

/**
 * Opens Hearth and starts the sandbox the way a new user does (first-run screen → "Try it on this
 * computer"), waits until the server shows healthy, and returns the sandbox's PDS URL.
 */
export async function startSandboxFromFirstRun(page: Page, openUrl: string): Promise<string> {
  await page.goto(openUrl);
  await page.getByRole('button', { name: 'Try it on this computer' }).click();
  const healthy = page.getByRole('status').filter({ hasText: 'Healthy' }).first();
  await expect.poll(() => healthy.isVisible(), { timeout: 120_000, interval: 500 }).toBe(true);
  return (await invokeInPage<{ pdsUrl: string }>(page, 'sandbox.status', {})).result.pdsUrl;
}
