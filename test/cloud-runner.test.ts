import { randomUUID } from 'node:crypto';
import { mkdir, mkdtemp, readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PulumiCommand } from '@pulumi/pulumi/automation/index.js';
import type { HearthApp } from '../src/core/app.ts';
import { cliInstallError, realAutomation } from '../src/core/cloud/automation.ts';
import { SimulatedAutomation } from './support/simulated-automation.ts';
import { DO_PLUGIN_VERSION, PULUMI_CLI_VERSION } from '../src/core/cloud/stack-runner.ts';
import type { KeyringSecretStore } from '../src/core/secrets/index.ts';
import type { JobDetail, ResourceRow } from '../src/shared/contract/index.ts';
import { HearthError } from '../src/shared/errors.ts';
import { startTestApp } from './support/app.ts';
import { startDoStandin, type DoStandin } from './support/do-standin.ts';

// The stack runner inside a real Hearth core (real keychain, real jobs, real config), with the two
// things this machine cannot reach replaced: DigitalOcean's API by the local stand-in, and the
// Pulumi CLI by SimulatedAutomation, a recording fake of the Automation API that answers with the
// engine events the CLI documents for --event-log. The live test (cloud-live.test.ts) runs the
// real engine against the real API.

const TOKEN = `dop_v1_${randomUUID().replace(/-/g, '')}${randomUUID().replace(/-/g, '')}`;
let standin: DoStandin;
let app: HearthApp;
let dataDir: string;
let secrets: KeyringSecretStore;
const fake = new SimulatedAutomation();
const rowsSeen = new Map<string, ResourceRow[]>();

async function call<T = unknown>(name: string, input: unknown = {}): Promise<T> {
  const res = await app.dispatch(name, input);
  if (!res.ok) throw HearthError.from(res.error);
  return res.result as T;
}

async function settle(jobId: string, timeoutMs = 20_000): Promise<JobDetail> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const job = await call<JobDetail>('jobs.get', { id: jobId });
    if (job.state !== 'running') return job;
    if (Date.now() > deadline) throw new Error(`job ${jobId} still running: ${job.step}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

const settings = (serverId: string, name: string) => ({
  serverId,
  name,
  region: 'ams3',
  size: 's-1vcpu-2gb',
  hostname: `${name}.example.com`,
  dnsMode: 'digitalocean' as const,
  sshFrom: '203.0.113.7',
});

beforeAll(async () => {
  standin = await startDoStandin({ tokens: [TOKEN], domains: ['example.com'] });
  ({ app, dataDir, secrets } = await startTestApp({
    cloud: {
      automation: fake,
      simulated: true,
      apiUrl: standin.url,
      publicIpUrl: `${standin.url}/standin/ip`,
      resolve4: async (name) => (name.endsWith('manual.example.org') ? ['198.51.100.23'] : []),
    },
  }));
  app.subscribe((event, payload) => {
    if (event === 'cloud.resources') {
      const p = payload as { jobId: string; rows: ResourceRow[] };
      rowsSeen.set(p.jobId, p.rows);
    }
  });
});

afterAll(async () => {
  await app?.close();
  await standin?.close();
});

describe('DigitalOcean token and wizard options (stand-in API)', () => {
  it('refuses a wrong token in plain words and keeps nothing', async () => {
    await expect(call('cloud.checkToken', { token: 'dop_v1_not-a-real-token-000' })).rejects.toMatchObject({
      code: 'AUTH',
      message: 'DigitalOcean did not accept this token.',
    });
    expect(await secrets.get('digitalocean/token')).toBeNull();
  });

  it('accepts the right token, shows the account, and keeps the token in the keychain', async () => {
    expect(await call('cloud.checkToken', { token: TOKEN })).toEqual({ email: 'sam@example.com', dropletLimit: 10, status: 'active', serversUpdated: [] });
    expect(await secrets.get('digitalocean/token')).toBe(TOKEN);
  });

  it('lists regions and sizes with monthly prices, and this computer’s public address', async () => {
    const options = await call<{ sizes: { slug: string; priceMonthly: number }[]; regions: { slug: string; spaces: boolean }[]; publicAddress: string }>('cloud.options');
    expect(options.sizes.map((s) => s.priceMonthly)).toEqual([...options.sizes.map((s) => s.priceMonthly)].sort((a, b) => a - b));
    expect(options.sizes.find((s) => s.slug === 's-1vcpu-1gb')?.priceMonthly).toBe(6);
    expect(options.regions.find((r) => r.slug === 'ams3')?.spaces).toBe(true);
    expect(options.publicAddress).toBe('203.0.113.7');
  });

  it('tells whether the domain is in DO DNS, and checks manual records by resolving them', async () => {
    expect(await call('cloud.checkDomain', { hostname: 'pds.example.com' })).toEqual({
      zone: 'example.com',
      records: [
        { type: 'A', name: 'pds.example.com' },
        { type: 'A', name: '*.pds.example.com' },
      ],
    });
    expect(await call('cloud.checkDomain', { hostname: 'pds.elsewhere.org' })).toMatchObject({ zone: null });
    const ok = await call<{ ok: boolean; names: { ok: boolean }[] }>('cloud.resolveDns', { hostname: 'pds.manual.example.org', address: '198.51.100.23' });
    expect(ok.ok).toBe(true);
    const missing = await call<{ ok: boolean; names: { addresses: string[] }[] }>('cloud.resolveDns', { hostname: 'pds.nowhere.org', address: '198.51.100.23' });
    expect(missing.ok).toBe(false);
    expect(missing.names[0]!.addresses).toEqual([]);
  });
});

describe('the stack runner on the Automation API (recording fake of the unreachable CLI)', () => {
  it('previews: installs the pinned CLI and plugin into the data folder, secrets as secret config, a readable plan with the cost', async () => {
    fake.calls.length = 0;
    const { jobId } = await call<{ jobId: string }>('cloud.preview', settings('do-alpha', 'alpha'));
    const job = await settle(jobId);
    expect(job.state, JSON.stringify(job.error)).toBe('succeeded');

    const ensure = fake.calls.find((c) => c.method === 'ensureCli')!;
    expect(ensure.args).toEqual({ root: join(dataDir, 'pulumi', 'cli', PULUMI_CLI_VERSION), version: PULUMI_CLI_VERSION });
    const open = fake.calls.find((c) => c.method === 'openStack')!;
    expect(open.args).toMatchObject({
      projectName: 'hearth',
      stackName: 'do-alpha',
      backendUrl: `file://${join(dataDir, 'pulumi', 'state')}`,
      workDir: join(dataDir, 'pulumi', 'work', 'do-alpha'),
      pulumiHome: join(dataDir, 'pulumi', 'home'),
      envVarNames: ['PULUMI_CONFIG_PASSPHRASE'],
    });
    expect(fake.calls.find((c) => c.method === 'installPlugin')?.args).toMatchObject({ name: 'digitalocean', version: `v${DO_PLUGIN_VERSION}` });
    const config = fake.calls.filter((c) => c.method === 'setConfig').map((c) => c.args);
    expect(config).toEqual([{ stackName: 'do-alpha', key: 'digitalocean:token', value: TOKEN, secret: true }]);
    // The order that matters: engine ready, stack opened, plugin, secrets, then the preview.
    expect(fake.calls.map((c) => c.method)).toEqual(['ensureCli', 'openStack', 'installPlugin', 'setConfig', 'pendingOperations', 'preview']);

    const plan = await call<{ resources: { kind: string; op: string }[]; monthlyCost: { totalUsd: number }; simulated: boolean }>('cloud.plan', { serverId: 'do-alpha' });
    expect(plan.simulated).toBe(true);
    expect(plan.resources.map((r) => r.kind)).toEqual([
      'Droplet (the server)',
      'Reserved IP address',
      'Reserved IP assigned to the droplet',
      'Firewall',
      'DNS record',
      'DNS record',
      'Private Spaces bucket (backups)',
      'Spaces key for this bucket only',
    ]);
    expect(plan.resources.every((r) => r.op === 'create')).toBe(true);
    expect(plan.monthlyCost.totalUsd).toBe(17);
    // Hearth's SSH key was registered on the account; its private half is in the keychain.
    expect(standin.state.sshKeys.map((k) => k.name)).toEqual(['Hearth alpha']);
    expect(await secrets.get('do-alpha/ssh-key')).toMatch(/BEGIN OPENSSH PRIVATE KEY/);
  });

  it('applies: one progress row per resource, then the server is registered and the Spaces secret is in the keychain', async () => {
    fake.calls.length = 0;
    const progress: number[] = [];
    const unsubscribe = app.subscribe((event, payload) => {
      if (event === 'jobs.updated') progress.push((payload as { progress: number }).progress);
    });
    const { jobId } = await call<{ jobId: string }>('cloud.apply', { serverId: 'do-alpha' });
    const job = await settle(jobId);
    unsubscribe();
    expect(job.state, JSON.stringify(job.error)).toBe('succeeded');

    const rows = await call<ResourceRow[]>('cloud.resources', { jobId });
    expect(rows).toHaveLength(8);
    expect(rows.every((r) => r.state === 'done' && r.op === 'create')).toBe(true);
    expect(rowsSeen.get(jobId)).toEqual(rows);
    // Progress only moves forward, step by step, up to done.
    expect(progress.length).toBeGreaterThan(8);
    expect(progress).toEqual([...progress].sort((a, b) => a - b));
    const log = job.log.map((l) => l.message);
    expect(log).toContain('Creating droplet (the server) alpha-droplet…');
    expect(log).toContain('Created firewall alpha-firewall.');
    expect(log.some((l) => /The engine finished in \d+ s: 8 create\./.test(l))).toBe(true);

    // The full-access key that creates the bucket was made over the REST API, and its secret is kept
    // only in the keychain; the server's own key is the bucket-scoped one from the program.
    expect(standin.state.spacesKeys.map((k) => k.grants)).toEqual([[{ bucket: '', permission: 'fullaccess' }]]);
    expect(fake.calls.filter((c) => c.method === 'setConfig').map((c) => [c.args.key, c.args.secret])).toEqual([
      ['digitalocean:token', true],
      ['digitalocean:spacesAccessId', true],
      ['digitalocean:spacesSecretKey', true],
    ]);
    expect(await secrets.get('do-alpha/spaces-secret-key')).toBe('simulated-spaces-secret-key-0123456789');
    const servers = await call<{ id: string; kind: string; url: string }[]>('servers.list');
    expect(servers).toContainEqual(expect.objectContaining({ id: 'do-alpha', kind: 'digitalocean', url: 'https://alpha.example.com' }));
  });

  it('delivers a cancel to the engine, which stops cleanly; the next apply surfaces the pending operation, refreshes, then finishes', async () => {
    await settle((await call<{ jobId: string }>('cloud.preview', settings('do-beta', 'beta'))).jobId);
    fake.stepDelayMs = 400;
    try {
      const { jobId } = await call<{ jobId: string }>('cloud.apply', { serverId: 'do-beta' });
      await expect.poll(async () => (await call<ResourceRow[]>('cloud.resources', { jobId })).filter((r) => r.state === 'done').length, { timeout: 5_000 }).toBeGreaterThan(1);
      await call('jobs.cancel', { id: jobId });
      const job = await settle(jobId);
      expect(job.state).toBe('cancelled');
      const log = job.log.map((l) => l.message);
      expect(log).toContain('Cancel requested: asking the Pulumi engine to stop cleanly after the current step.');
      expect(log).toContain('The engine stopped.');
      const rows = await call<ResourceRow[]>('cloud.resources', { jobId });
      expect(rows.some((r) => r.state !== 'done')).toBe(true);

      // What an interrupted run leaves in the state: a pending create. Never hidden.
      fake.pending = [{ type: 'creating', urn: 'urn:pulumi:do-beta::hearth::digitalocean:index/firewall:Firewall::beta-firewall', resourceType: 'digitalocean:index/firewall:Firewall' }];
      // And the lock a killed engine leaves behind in the file backend.
      const locks = join(dataDir, 'pulumi', 'state', '.pulumi', 'locks', 'organization', 'hearth', 'do-beta');
      await mkdir(locks, { recursive: true });
      await writeFile(join(locks, 'stale.json'), JSON.stringify({ pid: 999_999, username: 'me', hostname: hostname(), timestamp: new Date().toISOString() }));
      fake.stepDelayMs = 0;
      fake.calls.length = 0;
      const again = await settle((await call<{ jobId: string }>('cloud.apply', { serverId: 'do-beta' })).jobId);
      expect(again.state, JSON.stringify(again.error)).toBe('succeeded');
      const againLog = again.log.map((l) => l.message);
      expect(againLog.some((l) => l.startsWith('An earlier run was interrupted while creating firewall beta-firewall.'))).toBe(true);
      expect(againLog).toContain('Removed the lock an interrupted run left on this server’s stack (its process is gone).');
      expect(await readdir(locks)).toEqual([]);
      expect(fake.calls.filter((c) => ['refresh', 'up'].includes(c.method)).map((c) => [c.method, c.args.clearPendingCreates])).toEqual([
        ['refresh', true],
        ['up', undefined],
      ]);
    } finally {
      fake.stepDelayMs = 0;
    }
  });

  it('reports an engine failure with the provider’s words and a failed row', async () => {
    await settle((await call<{ jobId: string }>('cloud.preview', settings('do-gamma', 'gamma'))).jobId);
    fake.failType = { type: 'digitalocean:index/droplet:Droplet', message: 'Error creating droplet: POST https://api.digitalocean.com/v2/droplets: 422 You have reached the droplet limit.' };
    try {
      const { jobId } = await call<{ jobId: string }>('cloud.apply', { serverId: 'do-gamma' });
      const job = await settle(jobId);
      expect(job.state).toBe('failed');
      expect(job.error?.message).toMatch(/The Pulumi engine reported an error: .*droplet limit/);
      expect((await call<ResourceRow[]>('cloud.resources', { jobId })).find((r) => r.type.endsWith(':Droplet'))?.state).toBe('failed');
    } finally {
      fake.failType = null;
    }
  });

  it('refresh says in words what changed outside Hearth', async () => {
    fake.drift.set('::alpha-droplet', ['size']);
    fake.drift.set('::alpha-dns-wildcard', []);
    try {
      const job = await settle((await call<{ jobId: string }>('cloud.refresh', { serverId: 'do-alpha' })).jobId);
      expect(job.state).toBe('succeeded');
      const log = job.log.map((l) => l.message);
      expect(log).toContain('Droplet (the server) alpha-droplet was changed outside Hearth: size.');
      expect(log).toContain('DNS record alpha-dns-wildcard no longer exists on DigitalOcean (deleted outside Hearth).');
    } finally {
      fake.drift.clear();
    }
    const clean = await settle((await call<{ jobId: string }>('cloud.refresh', { serverId: 'do-alpha' })).jobId);
    expect(clean.log.map((l) => l.message)).toContain('Everything matches what Hearth created: nothing was changed outside Hearth.');
  });

  it('a new token pasted after the old one expired reaches every server of that account', async () => {
    // DigitalOcean tokens expire (the token form asks for an expiry) or get revoked; from then on
    // the API answers 401 "Unable to authenticate you" (the stand-in's expire()).
    const NEW = `dop_v1_${'b'.repeat(64)}`;
    standin.expire(TOKEN);
    standin.state.tokens.add(NEW);
    await expect(call('cloud.checkToken', {})).rejects.toMatchObject({ code: 'AUTH', message: 'DigitalOcean did not accept this token.', hint: expect.stringContaining('paste it here') });
    const servers = (await call<{ id: string; name: string; kind: string }[]>('servers.list')).filter((s) => s.kind === 'digitalocean');
    expect(servers.map((s) => s.id)).toContain('do-alpha');
    for (const s of servers) expect(await secrets.get(`${s.id}/do-token`)).toBe(TOKEN);

    const checked = await call<{ serversUpdated: string[] }>('cloud.checkToken', { token: NEW });
    expect([...checked.serversUpdated].sort()).toEqual(servers.map((s) => s.name).sort());
    for (const s of servers) expect(await secrets.get(`${s.id}/do-token`)).toBe(NEW);
    // Pasting it again changes nothing more. (The destroy below deletes alpha's Spaces key with it.)
    expect((await call<{ serversUpdated: string[] }>('cloud.checkToken', { token: NEW })).serversUpdated).toEqual([]);
  });

  it('destroy needs the server’s name typed (no PDS was installed: no backup warning; the warnings are in cloud-handover.test.ts)', async () => {
    const check = await call<{ name: string; backupWarning: string | null }>('cloud.destroyCheck', { serverId: 'do-alpha' });
    expect(check.name).toBe('alpha');
    expect(check.backupWarning).toBeNull();
    await expect(call('cloud.destroy', { serverId: 'do-alpha', confirmName: 'alpah' })).rejects.toMatchObject({ code: 'VALIDATION' });
    fake.calls.length = 0;
    const job = await settle((await call<{ jobId: string }>('cloud.destroy', { serverId: 'do-alpha', confirmName: 'alpha' })).jobId);
    expect(job.state).toBe('succeeded');
    expect(fake.calls.some((c) => c.method === 'destroy')).toBe(true);
    expect(job.log.map((l) => l.message)).toContain('Deleted droplet (the server) alpha-droplet.');
    expect(await secrets.get('do-alpha/spaces-secret-key')).toBeNull();
    // The full-access Spaces key is deleted on DigitalOcean too (beta's stays: it still has a bucket).
    expect(job.log.map((l) => l.message)).toContain('Deleted the Spaces key Hearth used to manage the bucket.');
    expect(standin.state.spacesKeys.map((k) => k.name)).not.toContain('hearth-alpha-admin');
    expect(standin.state.spacesKeys.map((k) => k.name)).toContain('hearth-beta-admin');
  });

  it('keeps the DO token, the Spaces secrets and the stack passphrase out of every file under the data folder', async () => {
    const passphrase = await secrets.get('do-alpha/pulumi-passphrase');
    const adminSecret = await secrets.get('do-beta/spaces-admin-secret');
    expect(passphrase).toBeTruthy();
    expect(adminSecret).toBeTruthy();
    const needles = [TOKEN, passphrase!, adminSecret!, 'simulated-spaces-secret-key-0123456789'];
    const files = await walk(dataDir);
    expect(files.some((f) => f.endsWith('config.json'))).toBe(true);
    expect(files.some((f) => f.endsWith('.log'))).toBe(true);
    for (const file of files) {
      const text = await readFile(file, 'utf8');
      for (const needle of needles) expect(text.includes(needle), `${file} holds a secret`).toBe(false);
    }
    // And in no job log as returned to a window.
    for (const job of await call<{ id: string }[]>('jobs.list')) {
      const detail = JSON.stringify(await call('jobs.get', { id: job.id }));
      for (const needle of needles) expect(detail.includes(needle)).toBe(false);
    }
  });
});

describe('a missing Pulumi CLI on a computer that cannot download it', () => {
  it('PulumiCommand.get finds no CLI in an empty folder, and the real install path fails with an offline-aware error', async () => {
    const root = await mkdtemp(join(tmpdir(), 'hearth-nocli-'));
    await expect(PulumiCommand.get({ root })).rejects.toThrow();
    const started = Date.now();
    const err = await realAutomation({ downloadTimeoutMs: 5_000 })
      .ensureCli({ root, version: PULUMI_CLI_VERSION, signal: new AbortController().signal, onProgress: () => undefined })
      .then(() => null, (e: unknown) => e);
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(err).toBeInstanceOf(HearthError);
    expect((err as HearthError).code).toBe('NETWORK');
    expect((err as HearthError).message).toMatch(/could not download it: this computer seems to be offline/);
    expect((err as HearthError).hint).toContain(root);
    expect((err as HearthError).hint).toMatch(/Nothing was created on DigitalOcean/);
  });

  it('maps PulumiCommand.install’s own failure the same way', async () => {
    const root = await mkdtemp(join(tmpdir(), 'hearth-nocli-'));
    const failure = await Promise.race([
      PulumiCommand.install({ root }).then(() => null, (e: unknown) => e),
      new Promise((resolve) => setTimeout(() => resolve(new Error('Timed out downloading the installer')), 8_000)),
    ]);
    expect(failure).toBeInstanceOf(Error);
    const mapped = cliInstallError(failure, PULUMI_CLI_VERSION, root);
    expect(mapped.code).toBe('NETWORK');
    expect(mapped.message).toMatch(/offline/);
  });

  it('fails the preview job with that error through the real app, creating nothing on DigitalOcean', async () => {
    fake.cliError = new Error('Failed to download https://get.pulumi.com/install.sh: fetch failed');
    try {
      const postsBefore = standin.requests.filter((r) => r.method === 'POST' && r.path.startsWith('/v2/spaces')).length;
      const job = await settle((await call<{ jobId: string }>('cloud.preview', settings('do-delta', 'delta'))).jobId);
      expect(job.state).toBe('failed');
      expect(job.error?.code).toBe('NETWORK');
      expect(job.error?.message).toMatch(/Pulumi engine .* could not download it: this computer seems to be offline/);
      expect(standin.requests.filter((r) => r.method === 'POST' && r.path.startsWith('/v2/spaces')).length).toBe(postsBefore);
    } finally {
      fake.cliError = null;
    }
  });
});

async function walk(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await readdir(dir)) {
    const path = join(dir, entry);
    if ((await stat(path)).isDirectory()) out.push(...(await walk(path)));
    else out.push(path);
  }
  return out;
}
