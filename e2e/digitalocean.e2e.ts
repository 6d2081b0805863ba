import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BrowserContext, Page } from 'playwright-core';
import { startDoStandin, type DoStandin } from '../test/support/do-standin.ts';
import { startTestServer, type TestServer } from '../test/support/test-server.ts';
import { filesContaining } from './support/files.ts';
import { repoRoot, type RunningHearth } from './support/hearth-web.ts';
import { closeHearthPage, openHearthPage } from './support/session.ts';

// The DigitalOcean wizard in a real browser against a real `npm run web` host, up to the reviewed
// plan. DigitalOcean and the Pulumi CLI are unreachable here, so the host is pointed (test-only
// variables) at the local stand-in of the DO API (HEARTH_DO_API_URL, HEARTH_PUBLIC_IP_URL) and
// runs the simulated Pulumi engine (HEARTH_FAKE_PULUMI=1), whose plan the page marks as simulated.
// The droplet it "creates" is a real test server (Debian root + sshd on loopback): the test-only
// HEARTH_FAKE_DROPLET_SSH makes its address the reserved IP and its port the droplet's SSH port, so
// the hand-over connects over real SSH and pins the real host key. The install itself is tested at
// core level (test/cloud-handover.test.ts); here DNS does not resolve, so the wizard stops before it.

const TOKEN = `dop_v1_${randomUUID().replace(/-/g, '')}${randomUUID().replace(/-/g, '')}`;
const WRONG = 'dop_v1_this-token-was-revoked-000000000000';
let standin: DoStandin;
let droplet: TestServer;
let hearth: RunningHearth;
let browser: BrowserContext;
let page: Page;
let consoleErrors: string[] = [];
const shots = `${repoRoot}docs/screenshots`;

beforeAll(async () => {
  [standin, droplet] = await Promise.all([startDoStandin({ tokens: [TOKEN], domains: ['example.com'] }), startTestServer()]);
  process.env.HEARTH_FAKE_DROPLET_SSH = `${droplet.host}:${droplet.port}`;
  process.env.HEARTH_DO_API_URL = standin.url;
  process.env.HEARTH_PUBLIC_IP_URL = `${standin.url}/standin/ip`;
  process.env.HEARTH_FAKE_PULUMI = '1';
  ({ hearth, browser, page, consoleErrors } = await openHearthPage());
});

afterAll(async () => {
  await closeHearthPage({ hearth, browser });
  await standin?.close();
  await droplet?.stop();
  for (const name of ['HEARTH_DO_API_URL', 'HEARTH_PUBLIC_IP_URL', 'HEARTH_FAKE_PULUMI', 'HEARTH_FAKE_DROPLET_SSH']) delete process.env[name];
});

/** What DigitalOcean does on the droplet's first boot: the keys registered for it go into root's authorized_keys. */
async function bootDroplet(): Promise<void> {
  const lines = standin.state.sshKeys.map((k) => k.public_key).join('\n');
  const { code } = await droplet.exec(`umask 077 && mkdir -p /root/.ssh && printf '%s\\n' '${lines}' > /root/.ssh/authorized_keys`);
  expect(code).toBe(0);
}

const visible = (locator: ReturnType<Page['getByRole']>, timeout = 10_000) => expect.poll(() => locator.isVisible(), { timeout }).toBe(true);

describe('DigitalOcean wizard in browser mode (stand-in API, simulated engine)', () => {
  it('opens from the first-run screen', async () => {
    await page.goto(hearth.openUrl);
    const button = page.getByRole('button', { name: 'Create on DigitalOcean' });
    await visible(button, 15_000);
    expect(await button.isEnabled()).toBe(true);
    await button.click();
    await visible(page.getByRole('heading', { name: 'Create a server on DigitalOcean' }));
  });

  it('says clearly when the token is wrong', async () => {
    await page.getByLabel('DigitalOcean API token').fill(WRONG);
    await page.getByRole('button', { name: 'Check the token' }).click();
    const alert = page.getByRole('alert').filter({ hasText: 'DigitalOcean did not accept this token.' });
    await visible(alert);
    expect(await alert.textContent()).toMatch(/read and write scope/);
    // The message never repeats the token, and the field keeps it hidden (a password field).
    expect(await alert.textContent()).not.toContain(WRONG);
    expect(await page.getByLabel('DigitalOcean API token').getAttribute('type')).toBe('password');
    await page.screenshot({ path: `${shots}/do-token-wrong.png` });
  });

  it('accepts the right token and shows the account', async () => {
    await page.getByLabel('DigitalOcean API token').fill(TOKEN);
    await page.getByRole('button', { name: 'Check the token' }).click();
    await visible(page.getByRole('status').filter({ hasText: 'Signed in to DigitalOcean as sam@example.com' }));
    await page.getByRole('button', { name: 'Next' }).click();
    await visible(page.getByRole('heading', { name: 'Region and size' }));
  });

  it('validates before Next, recommends a size, and warns when the size is too small for the accounts', async () => {
    await page.getByRole('button', { name: 'Next' }).click();
    await visible(page.getByRole('alert').filter({ hasText: 'Use lowercase letters, digits and dashes' }));
    await page.getByLabel('Server name').fill('my-pds');
    await page.getByLabel('Expected number of accounts').fill('60');
    // The user's public address is filled in for the SSH rule.
    expect(await page.getByLabel('Allow SSH only from this address').inputValue()).toBe('203.0.113.7');
    await page.getByRole('radio', { name: /^1 GB · 1 vCPU/ }).check();
    const warning = page.getByRole('status').filter({ hasText: 'Small for your accounts.' });
    await visible(warning);
    expect(await warning.textContent()).toMatch(/for 60 accounts the guide recommends at least 2 GB/);
    await page.screenshot({ path: `${shots}/do-size-warning.png`, fullPage: true });
    await page.getByRole('radio', { name: /^2 GB · 1 vCPU.*\$12 a month/ }).check();
    await expect.poll(() => warning.count()).toBe(0);
    await page.getByRole('button', { name: 'Next' }).click();
    await visible(page.getByRole('heading', { name: 'Domain' }));
  });

  it('Back keeps what was typed', async () => {
    await page.getByRole('button', { name: 'Back' }).click();
    await visible(page.getByRole('heading', { name: 'Region and size' }));
    expect(await page.getByLabel('Server name').inputValue()).toBe('my-pds');
    expect(await page.getByLabel('Expected number of accounts').inputValue()).toBe('60');
    expect(await page.getByRole('radio', { name: /^2 GB · 1 vCPU.*\$12 a month/ }).isChecked()).toBe(true);
    await page.getByRole('button', { name: 'Next' }).click();
    await visible(page.getByRole('heading', { name: 'Domain' }));
  });

  it('checks the domain is in DO DNS, then shows the reviewed plan with its monthly cost, marked simulated', async () => {
    await page.getByLabel('PDS hostname').fill('pds.elsewhere.org');
    await page.getByRole('button', { name: 'Next' }).click();
    await visible(page.getByRole('alert').filter({ hasText: 'is not in a domain of this DigitalOcean account' }));
    await page.getByLabel('PDS hostname').fill('pds.example.com');
    await page.getByRole('button', { name: 'Next' }).click();
    await visible(page.getByRole('heading', { name: 'Review the plan' }));

    const plan = page.getByRole('table', { name: 'What Hearth will do on DigitalOcean' });
    await visible(plan, 30_000);
    const rows = await plan.getByRole('row').allTextContents();
    expect(rows.slice(1)).toEqual([
      'CreateDroplet (the server)my-pds-droplet',
      'CreateReserved IP addressmy-pds-ip',
      'CreateReserved IP assigned to the dropletmy-pds-ip-assignment',
      'CreateFirewallmy-pds-firewall',
      'CreateDNS recordmy-pds-dns-root',
      'CreateDNS recordmy-pds-dns-wildcard',
      'CreatePrivate Spaces bucket (backups)my-pds-bucket',
      'CreateSpaces key for this bucket onlymy-pds-bucket-key',
    ]);
    await visible(page.getByRole('note').filter({ hasText: 'Simulated preview' }));
    const cost = page.getByRole('table', { name: 'Monthly cost' });
    expect(await cost.textContent()).toMatch(/Droplet s-1vcpu-2gb in nyc3\$12/);
    expect(await cost.getByRole('row', { name: /About, per month/ }).textContent()).toContain('$17');
    await visible(page.getByRole('button', { name: 'Create the server ($17 a month)' }));
    await page.screenshot({ path: `${shots}/do-plan.png`, fullPage: true });
  });

  it('closing the window mid-way loses nothing: a new window resumes at the reviewed plan', async () => {
    const again = await browser.newPage();
    await again.goto(`${hearth.origin}/#/digitalocean`);
    await expect.poll(() => again.getByRole('table', { name: 'What Hearth will do on DigitalOcean' }).isVisible(), { timeout: 15_000 }).toBe(true);
    expect(await again.getByRole('listitem').filter({ hasText: 'Review the plan' }).getAttribute('aria-current')).toBe('step');
    await again.close();
  });

  it('creates with one row per resource (simulated engine), then hands over to the SSH install: host key pinned and its fingerprint shown', async () => {
    await bootDroplet();
    await page.getByRole('button', { name: 'Create the server ($17 a month)' }).click();
    await visible(page.getByRole('heading', { name: 'Creating the server' }));
    const rows = page.getByRole('table', { name: 'Resources' }).getByRole('row');
    await expect.poll(() => rows.count(), { timeout: 10_000 }).toBe(9);
    await page.screenshot({ path: `${shots}/do-creating.png`, fullPage: true });
    await visible(page.getByRole('heading', { name: 'The droplet is ready' }), 30_000);
    await visible(page.getByText(`Host key pinned on first connection: ${droplet.hostKeyFingerprint}`), 20_000);
    // DNS does not resolve on this machine: preflight names the records and keeps checking; nothing is installed.
    await visible(page.getByRole('status').filter({ hasText: 'Waiting for both names to point at the droplet before installing' }), 20_000);
    await visible(page.getByText(/DigitalOcean’s DNS records are not visible yet/), 20_000);
    expect(await page.getByRole('progressbar', { name: 'Install progress' }).count()).toBe(0);
    await page.screenshot({ path: `${shots}/do-handover.png`, fullPage: true });
    const replace = page.getByRole('button', { name: 'Replace the droplet' });
    expect(await replace.isDisabled()).toBe(true);
    expect(await page.locator('#do-replace-why').textContent()).toMatch(/needs the PDS installed first/);
    expect(await page.getByText(`Address: ${droplet.host}`).count()).toBe(1);
    // Closing the window mid-way loses nothing: a new window comes back at the hand-over, key still pinned.
    const again = await browser.newPage();
    await again.goto(`${hearth.origin}/#/digitalocean`);
    await expect.poll(() => again.getByText(`Host key pinned on first connection: ${droplet.hostKeyFingerprint}`).isVisible(), { timeout: 15_000 }).toBe(true);
    expect(await again.getByRole('listitem').filter({ hasText: 'Install the PDS' }).getAttribute('aria-current')).toBe('step');
    await again.close();
  });

  it('destroy needs the server’s name typed (no PDS installed yet: no backup warning; the warnings are in cloud-handover.test.ts)', async () => {
    await page.getByRole('button', { name: 'Destroy the server…' }).click();
    const dialog = page.getByRole('dialog', { name: 'Destroy my-pds?' });
    await visible(dialog);
    await visible(dialog.getByText('Destroying deletes the droplet, its reserved IP, its DNS records and its bucket.'));
    expect(await dialog.getByRole('alert').count()).toBe(0);
    await dialog.getByLabel(/Type the server's name/).fill('my-pd');
    await dialog.getByRole('button', { name: 'Destroy' }).click();
    await visible(dialog.getByRole('alert').filter({ hasText: 'The name you typed does not match' }));
    await page.screenshot({ path: `${shots}/do-destroy.png` });
    await dialog.getByLabel(/Type the server's name/).fill('my-pds');
    await dialog.getByRole('button', { name: 'Destroy' }).click();
    // The destroy runs as a job; the Jobs screen shows it through to the end.
    await visible(page.getByRole('heading', { name: 'Destroy the DigitalOcean server my-pds' }), 15_000);
    await visible(page.getByText('Deleted droplet (the server) my-pds-droplet.'), 30_000);
  });

  it('Start over, then manual DNS: the two records are shown, and after creating Hearth checks them until they resolve', async () => {
    await page.goto(`${hearth.origin}/#/digitalocean`);
    await page.getByRole('button', { name: 'Start over' }).click();
    await page.getByRole('dialog', { name: 'Start the wizard over?' }).getByRole('button', { name: 'Start over' }).click();
    await visible(page.getByRole('heading', { name: 'Your DigitalOcean token' }));
    await page.getByLabel('DigitalOcean API token').fill(TOKEN);
    await page.getByRole('button', { name: 'Check the token' }).click();
    await page.getByRole('button', { name: 'Next' }).click();
    await page.getByLabel('Server name').fill('home-pds');
    await page.getByRole('button', { name: 'Next' }).click();
    await page.getByLabel('PDS hostname').fill('pds.elsewhere.org');
    await page.getByRole('radio', { name: /I manage DNS elsewhere/ }).check();
    const records = page.getByRole('table', { name: 'DNS records to create' });
    await visible(records);
    expect((await records.getByRole('row').allTextContents()).slice(1)).toEqual(["Apds.elsewhere.orgthe server's address", "A*.pds.elsewhere.orgthe server's address"]);
    await page.getByRole('button', { name: 'Next' }).click();
    const plan = page.getByRole('table', { name: 'What Hearth will do on DigitalOcean' });
    await visible(plan, 30_000);
    // No DNS records in the plan: the user creates them.
    expect(await plan.getByText('DNS record').count()).toBe(0);
    await bootDroplet();
    await page.getByRole('button', { name: /Create the server/ }).click();
    await visible(page.getByRole('heading', { name: 'The droplet is ready' }), 30_000);
    const shown = page.getByRole('table', { name: 'DNS records to create' });
    await visible(shown);
    expect((await shown.getByRole('row').allTextContents()).slice(1)).toEqual([`Apds.elsewhere.org${droplet.host}`, `A*.pds.elsewhere.org${droplet.host}`]);
    // This machine resolves nothing outside: Hearth keeps waiting, and says what it found.
    await visible(page.getByText(/Create these two records at your DNS provider; Hearth checks again every 15 s/));
    await visible(page.getByRole('paragraph').filter({ hasText: /pds\.elsewhere\.org → nothing/ }), 20_000);
    // The hand-over job's own log says the same while it waits.
    await visible(page.getByRole('log', { name: 'Install log' }).getByText(/Waiting for both names to point at .*pds\.elsewhere\.org → nothing/));
    await visible(page.getByText(`Host key pinned on first connection: ${droplet.hostKeyFingerprint}`));
    await page.screenshot({ path: `${shots}/do-manual-dns.png`, fullPage: true });
  });

  it('keeps the token out of every file Hearth wrote, and the page had no errors', async () => {
    expect(await filesContaining(hearth.dataDir, TOKEN)).toEqual([]);
    expect(hearth.output()).not.toContain(TOKEN);
    expect(consoleErrors).toEqual([]);
  });
});
